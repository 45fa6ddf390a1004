//! Bad input that applies before authentication exists: path tricks, digest
//! and name grammars, pagination abuse, header injection, escaping,
//! form/archive disagreement. Every answer is a clean 4xx, never a 5xx or a wrong 2xx.

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use wharf_pypi::archive::build as fx;

use crate::common::*;

#[tokio::test]
async fn path_normalisation_tricks_never_reach_other_data() {
    let s = server();
    let c = Oci::new(&s);
    c.push_image("ns/repo", "x", "sec").await;
    for path in [
        "/v2/_catalog/",
        "//v2/_catalog",
        "/v2/%5Fcatalog",
        "/v2/ns%2Frepo/manifests/x",
        "/v2/ns/%2e%2e/repo/manifests/x",
        "/v2/ns/..%2frepo/manifests/x",
        "/v2/ns/repo;param/manifests/x",
        "/v2/NS/REPO/manifests/x",
        "/v2/ns/repo/manifests/x%0d%0aSet-Cookie:%20a=b",
        "/v2/ns/repo/blobs/uploads/..%2f..%2fwharf.db",
        "/pypi/ns/simple/x%0d%0aLocation:%20http:%2f%2fevil/",
        "/pypi/ns/files/..%2f..%2fwharf.db/x.whl",
        "/pypi/../wharf.db",
    ] {
        for method in [reqwest::Method::GET, reqwest::Method::HEAD] {
            let r = c.http.request(method.clone(), c.url(path)).send().await.unwrap();
            assert!(r.status().is_client_error(), "{method} {path} → {}", r.status());
            assert!(r.headers().get("set-cookie").is_none());
            assert!(r.headers().get("location").is_none_or(|l| !l.to_str().unwrap_or("").contains("evil")));
        }
    }
}

#[tokio::test]
async fn grammars_and_pagination_limits() {
    let s = server();
    let c = Oci::new(&s);
    c.push_image("a/b", "v1", "g").await;
    let long_name = vec!["abcdefghij"; 26].join("/");
    for (path, code) in [
        ("/v2/a/b/blobs/sha256:..%2F..%2Fetc%2Fpasswd", "DIGEST_INVALID"),
        (&format!("/v2/a/b/blobs/sha256:{}%0A", "a".repeat(64)) as &str, "DIGEST_INVALID"),
        (&format!("/v2/a/b/blobs/sha256:{}", "A".repeat(64)), "DIGEST_INVALID"),
        (&format!("/v2/{long_name}/tags/list"), "NAME_INVALID"),
        ("/v2/a/b/tags/list?n=99999999999999999999999", "UNSUPPORTED"),
        ("/v2/a/b/tags/list?n=-5", "UNSUPPORTED"),
        ("/v2/_catalog?n=abc", "UNSUPPORTED"),
    ] {
        let r = c.get(path).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(error_code(r).await, code, "{path}");
    }
    // A huge n is capped, not allocated.
    let r = c.get("/v2/a/b/tags/list?n=9000000000000000000").await;
    assert_eq!(r.status(), StatusCode::OK);
    // An odd `last` cursor is just a string.
    let r = c.get("/v2/a/b/tags/list?last=%FF%00zz").await;
    assert_eq!(r.status(), StatusCode::OK);
    // A tag too long for the grammar.
    let r = c.put_manifest("a/b", &"t".repeat(129), OCI_MANIFEST, b"{}").await;
    assert_eq!(error_code(r).await, "TAG_INVALID");
    // Content-Type and mediaType disagreeing.
    let m = image_manifest(&sha256(b"x"), 1, &[], None, None);
    let r = c.put_manifest("a/b", "ct", DOCKER_MANIFEST, &m).await;
    assert_eq!(error_code(r).await, "MANIFEST_INVALID");
}

#[tokio::test]
async fn upload_body_shorter_than_content_length_is_rejected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = server();
    let c = Oci::new(&s);
    let loc = c.start_upload("lie/repo").await;
    let mut sock = tokio::net::TcpStream::connect(s.addr()).await.unwrap();
    let req = format!(
        "PATCH {loc} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\nonly-a-few-bytes"
    );
    sock.write_all(req.as_bytes()).await.unwrap();
    sock.shutdown().await.unwrap();
    let mut out = String::new();
    let _ = sock.read_to_string(&mut out).await;
    // Whatever the connection did, the session holds none of the partial body.
    let r = c.get(&loc).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(r.headers(), "range").unwrap(), "0-0");
    assert_eq!(c.blob_len_via_upload(&loc).await, 0);
}

#[tokio::test]
async fn form_must_agree_with_the_archive_and_text_is_escaped() {
    let s = server();
    let c = Oci::new(&s);
    let wheel = fx::wheel("demo_pkg-1.0.dist-info", "Demo-Pkg", "1.0", &[]);
    let send = |name: &'static str, version: &'static str| {
        let form = Form::new()
            .text(":action", "file_upload")
            .text("protocol_version", "1")
            .text("name", name)
            .text("version", version)
            .text("sha256_digest", hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&wheel)))
            .part("content", Part::bytes(wheel.clone()).file_name("demo_pkg-1.0-py3-none-any.whl"));
        c.http.post(c.url("/pypi/sec/app/")).multipart(form).send()
    };
    let r = send("other-pkg", "1.0").await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("does not match"));
    let r = send("Demo-Pkg", "2.0").await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = send("demo.pkg", "1.0.0").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "equivalent spellings are fine");
    // A yank reason with markup is escaped in HTML and JSON.
    let r = c
        .http
        .post(c.url("/api/v1/pypi/yank"))
        .json(&serde_json::json!({"namespace": "sec/app", "project": "demo-pkg", "reason": "<script>alert(\"x\")</script>"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = c.get("/pypi/sec/app/simple/demo-pkg/").await.text().await.unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;"));
}
