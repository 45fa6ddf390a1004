//! Promotion: `wharf tag`, the admin API, and the standard GET+PUT way.

use std::process::Command;

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::StatusCode;
use wharf_test_support::run;

use crate::common::*;

#[tokio::test]
async fn wharf_tag_promotes_within_and_across_repositories() {
    let s = server();
    let c = Oci::new(&s);
    let (m, d) = c.push_image("proj/app", "test", "p").await;
    let out = run(Command::new(env!("CARGO_BIN_EXE_wharf")).args([
        "tag",
        "proj/app:test",
        "proj/app:prod",
        "--server",
        &s.url(),
    ]));
    assert!(out.contains(&d), "{out}");
    let r = c.get("/v2/proj/app/manifests/prod").await;
    assert_eq!(header(r.headers(), "docker-content-digest").unwrap(), d);
    // Across repositories: the layers become visible in the target.
    run(Command::new(env!("CARGO_BIN_EXE_wharf")).args([
        "tag",
        &format!("proj/app@{d}"),
        "prod/app:1.0",
        "--server",
        &s.url(),
    ]));
    let r = c.get("/v2/prod/app/manifests/1.0").await;
    assert_eq!(r.bytes().await.unwrap().as_ref(), m.as_slice());
    let v: serde_json::Value = serde_json::from_slice(&m).unwrap();
    for l in v["layers"].as_array().unwrap().iter().chain([&v["config"]]) {
        let r = c.head(&format!("/v2/prod/app/blobs/{}", l["digest"].as_str().unwrap())).await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    // Errors are clear.
    let out = Command::new(env!("CARGO_BIN_EXE_wharf"))
        .args(["tag", "proj/app:nope", "proj/app:x", "--server", &s.url()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("manifest unknown"));
    let r = c
        .http
        .post(c.url("/api/v1/tags"))
        .json(&serde_json::json!({"source": "BAD", "target": "x:y"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn standard_promotion_by_get_and_put_with_mount() {
    let s = server();
    let c = Oci::new(&s);
    let (m, d) = c.push_image("ci/app", "sha-abc", "s").await;
    let r = c.http.get(c.url("/v2/ci/app/manifests/sha-abc")).header(ACCEPT, OCI_MANIFEST).send().await.unwrap();
    let ct = header(r.headers(), "content-type").unwrap();
    let body = r.bytes().await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    for l in v["layers"].as_array().unwrap().iter().chain([&v["config"]]) {
        let r = c
            .http
            .post(c.url(&format!("/v2/release/app/blobs/uploads/?mount={}&from=ci/app", l["digest"].as_str().unwrap())))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let r = c
        .http
        .put(c.url("/v2/release/app/manifests/v1.2.3"))
        .header(CONTENT_TYPE, ct)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(header(r.headers(), "docker-content-digest").unwrap(), d);
    assert_eq!(c.get("/v2/release/app/manifests/v1.2.3").await.bytes().await.unwrap().as_ref(), m.as_slice());
}
