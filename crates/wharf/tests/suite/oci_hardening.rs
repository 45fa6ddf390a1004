//! Hardening of the OCI and admin APIs: concurrent writers on every write
//! path, ambiguous manifests, and error bodies in their documented shapes.

use std::future::Future;
use std::sync::Arc;

use reqwest::header::{CONTENT_TYPE, RANGE};
use reqwest::{Response, StatusCode};
use serde_json::json;
use tokio::task::JoinSet;

use crate::common::*;
use crate::pypi_http::{demo_wheel, upload};

/// Concurrent writers per test; the server has 8 database connections.
const WRITERS: usize = 24;

/// Runs `op(i)` for every `i < WRITERS` at once while images keep being
/// pushed into another repository; each must answer `want` (never a 5xx).
async fn race<F, Fut>(c: &Arc<Oci>, want: StatusCode, op: F)
where
    F: Fn(Arc<Oci>, usize) -> Fut,
    Fut: Future<Output = StatusCode> + Send + 'static,
{
    let mut pushes = JoinSet::new();
    for i in 0..4 {
        let c = c.clone();
        pushes.spawn(async move {
            for j in 0..3 {
                c.push_image("load/app", &format!("p{i}-{j}"), &format!("load{i}-{j}")).await;
            }
        });
    }
    let mut ops = JoinSet::new();
    for i in 0..WRITERS {
        ops.spawn(op(c.clone(), i));
    }
    let statuses = ops.join_all().await;
    pushes.join_all().await;
    assert!(statuses.iter().all(|s| *s == want), "{statuses:?}");
}

async fn admin(c: &Oci, path: &str, body: serde_json::Value) -> Response {
    c.http.post(c.url(path)).json(&body).send().await.unwrap()
}

#[tokio::test]
async fn concurrent_pushes_never_5xx() {
    let s = server();
    let c = Arc::new(Oci::new(&s));
    race(&c, StatusCode::CREATED, |c, i| async move {
        c.push_image("race/app", &format!("t{i}"), &format!("s{i}")).await; // asserts 201
        StatusCode::CREATED
    })
    .await;
}

#[tokio::test]
async fn concurrent_tags_never_5xx() {
    let s = server();
    let c = Arc::new(Oci::new(&s));
    c.push_image("src/app", "v1", "src").await;
    race(&c, StatusCode::CREATED, |c, i| async move {
        let body = json!({"source": "src/app:v1", "target": format!("dst{}/app:t{i}", i % 4)});
        admin(&c, "/api/v1/tags", body).await.status()
    })
    .await;
}

#[tokio::test]
async fn concurrent_deletes_never_5xx() {
    let s = server();
    let c = Arc::new(Oci::new(&s));
    let mut digests = Vec::new();
    for i in 0..WRITERS {
        digests.push(c.push_image("del/app", &format!("t{i}"), &format!("d{i}")).await.1);
    }
    let digests = Arc::new(digests);
    race(&c, StatusCode::ACCEPTED, |c, i| {
        let digests = digests.clone();
        async move { c.delete(&format!("/v2/del/app/manifests/{}", digests[i])).await.status() }
    })
    .await;
}

#[tokio::test]
async fn concurrent_pypi_uploads_never_5xx() {
    let s = server();
    let c = Arc::new(Oci::new(&s));
    race(&c, StatusCode::OK, |c, i| async move {
        let (name, bytes) = demo_wheel(&format!("1.{i}"));
        upload(&c, &format!("team{}/app", i % 3), &name, &bytes).await.status()
    })
    .await;
}

#[tokio::test]
async fn concurrent_yanks_never_5xx() {
    let s = server();
    let c = Arc::new(Oci::new(&s));
    for v in ["1.0", "2.0"] {
        let (name, bytes) = demo_wheel(v);
        assert_eq!(upload(&c, "team/app", &name, &bytes).await.status(), StatusCode::OK);
    }
    race(&c, StatusCode::OK, |c, i| async move {
        if i % 3 == 0 {
            let (name, bytes) = demo_wheel(&format!("3.{i}"));
            return upload(&c, "team/app", &name, &bytes).await.status();
        }
        let path = if i % 2 == 0 { "/api/v1/pypi/yank" } else { "/api/v1/pypi/unyank" };
        let version = if i % 4 < 2 { "1.0" } else { "2.0" };
        admin(&c, path, json!({"namespace": "team/app", "project": "demo-pkg", "version": version})).await.status()
    })
    .await;
}

/// CVE-2021-41190 class: a document two parsers could read differently.
#[tokio::test]
async fn ambiguous_manifests_are_rejected() {
    let s = server();
    let c = Oci::new(&s);
    let config = c.push_blob("amb/app", b"{}").await;
    let layer = c.push_blob("amb/app", b"layer").await;
    let missing = sha256(b"not pushed");
    let desc = |d: &str| format!(r#"{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{d}","size":1}}"#);
    let head = format!(
        r#""schemaVersion":2,"config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config}","size":2}}"#
    );
    let (l, m) = (desc(&layer), desc(&missing));
    for body in [
        format!(r#"{{{head},"layers":[{m}],"layers":[{l}]}}"#),
        format!(r#"{{{head},"mediaType":"{OCI_MANIFEST}","mediaType":"{OCI_INDEX}","layers":[{l}]}}"#),
        format!(r#"{{{head},"layers":[{l}],"manifests":[]}}"#),
        format!(r#"{{{head},"mediaType":{{"a":1}},"layers":[{l}]}}"#),
    ] {
        let r = c.put_manifest("amb/app", "x", OCI_MANIFEST, body.as_bytes()).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error_code(r).await, "MANIFEST_INVALID", "{body}");
    }
    let index = format!(r#"{{"schemaVersion":2,"manifests":[],"layers":[{l}]}}"#);
    let r = c.put_manifest("amb/app", "x", OCI_INDEX, index.as_bytes()).await;
    assert_eq!(error_code(r).await, "MANIFEST_INVALID");
    // The unambiguous manifest is fine.
    let ok = format!(r#"{{{head},"layers":[{l}],"annotations":{{"a":"1","b":"2"}}}}"#);
    assert_eq!(c.put_manifest("amb/app", "x", OCI_MANIFEST, ok.as_bytes()).await.status(), StatusCode::CREATED);
}

const SPEC_CODES: &[&str] = &[
    "BLOB_UNKNOWN",
    "BLOB_UPLOAD_INVALID",
    "BLOB_UPLOAD_UNKNOWN",
    "DIGEST_INVALID",
    "MANIFEST_BLOB_UNKNOWN",
    "MANIFEST_INVALID",
    "MANIFEST_UNKNOWN",
    "NAME_INVALID",
    "NAME_UNKNOWN",
    "SIZE_INVALID",
    "UNAUTHORIZED",
    "DENIED",
    "UNSUPPORTED",
    "TOOMANYREQUESTS",
];

#[tokio::test]
async fn oci_errors_use_spec_codes() {
    let s = server();
    let c = Oci::new(&s);
    c.push_image("spec/app", "v1", "spec").await;
    let blob = c.push_blob("spec/app", &[7; 100]).await;
    for path in ["/v2/spec/app/tags/list?n=-1", "/v2/spec/app/tags/list?n=x", "/v2/_catalog?n=1e3"] {
        let r = c.get(path).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        let code = error_code(r).await;
        assert!(SPEC_CODES.contains(&code.as_str()), "{path}: {code}");
    }
    // 416 has no spec code: status and Content-Range only, no JSON body.
    let r =
        c.http.get(c.url(&format!("/v2/spec/app/blobs/{blob}"))).header(RANGE, "bytes=500-600").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(header(r.headers(), "content-range").as_deref(), Some("bytes */100"));
    assert!(r.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn admin_api_errors_are_json() {
    let s = server();
    let c = Oci::new(&s);
    let json = "application/json";
    for (path, ct, body, status) in [
        ("/api/v1/tags", json, "{nope", StatusCode::BAD_REQUEST),
        ("/api/v1/tags", json, r#"{"source":"a:b"}"#, StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/pypi/yank", json, "[]", StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/tags", "text/plain", r#"{"source":"a:b","target":"c:d"}"#, StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ("/api/v1/nothing", json, "{}", StatusCode::NOT_FOUND),
        ("/api/v1/tags", "", "", StatusCode::METHOD_NOT_ALLOWED),
    ] {
        let req =
            if ct.is_empty() { c.http.get(c.url(path)) } else { c.http.post(c.url(path)).header(CONTENT_TYPE, ct) };
        let r = req.body(body).send().await.unwrap();
        assert_eq!(r.status(), status, "{path} {body}");
        assert_eq!(header(r.headers(), "content-type").as_deref(), Some("application/json"));
        let v: serde_json::Value = r.json().await.unwrap();
        assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
    }
}
