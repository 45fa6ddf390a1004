//! PyPI's upload rules beyond the basics: normalized filenames, one sdist
//! per release, every digest checked, local versions and epochs in file
//! URLs, releases matched by PEP 440 equality, and bodies that lie.

use reqwest::StatusCode;
use wharf_pypi::archive::build::{self as fx, z};

use crate::common::*;
use crate::pypi_http::{demo_sdist, demo_wheel, hex256, json_page, upload, upload_with};

async fn reason(r: reqwest::Response) -> (StatusCode, String) {
    (r.status(), r.text().await.unwrap())
}

#[tokio::test]
async fn filenames_must_be_normalized() {
    let s = server();
    let c = Oci::new(&s);
    let spellings = [
        ("Demo_Pkg-1.0-py3-none-any.whl", "Demo_Pkg-1.0.dist-info"),
        ("demo.pkg-1.0-py3-none-any.whl", "demo.pkg-1.0.dist-info"),
        ("demo_pkg-1.00-py3-none-any.whl", "demo_pkg-1.00.dist-info"),
    ];
    for (filename, dist_info) in spellings {
        let version = if filename.contains("1.00") { "1.00" } else { "1.0" };
        let bytes = fx::wheel(dist_info, "Demo-Pkg", version, &[]);
        let (status, text) = reason(upload(&c, "norm", filename, &bytes).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{filename}: {text}");
        assert!(text.contains("is not normalized"), "{filename}: {text}");
    }
    let (status, text) =
        reason(upload(&c, "norm", "Demo_Pkg-1.0.tar.gz", &fx::sdist("Demo_Pkg-1.0", "Demo-Pkg", "1.0", &[])).await)
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("spell the name 'demo_pkg'"), "{text}");
    assert_eq!(c.get("/pypi/norm/simple/demo-pkg/").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn one_sdist_per_release() {
    let s = server();
    let c = Oci::new(&s);
    let (name, bytes) = demo_sdist("1.0");
    assert_eq!(upload(&c, "one", &name, &bytes).await.status(), StatusCode::OK);
    let zip = fx::zip(&[z("demo_pkg-1.0/PKG-INFO", &fx::metadata("Demo-Pkg", "1.0"))]);
    let (status, text) = reason(upload(&c, "one", "demo_pkg-1.0.zip", &zip).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("Only one sdist may be uploaded per release"), "{text}");
    // 1.0.0 is the same release as 1.0 under PEP 440.
    let other = fx::sdist("demo_pkg-1.0.0", "Demo-Pkg", "1.0.0", &[]);
    let (status, text) = reason(upload(&c, "one", "demo_pkg-1.0.0.tar.gz", &other).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    // Wheels and other releases are fine; so is a zip sdist on its own.
    let (wn, wb) = demo_wheel("1.0");
    assert_eq!(upload(&c, "one", &wn, &wb).await.status(), StatusCode::OK);
    let zip2 = fx::zip(&[z("demo_pkg-2.0/PKG-INFO", &fx::metadata("Demo-Pkg", "2.0"))]);
    assert_eq!(upload(&c, "one", "demo_pkg-2.0.zip", &zip2).await.status(), StatusCode::OK);
    let page = json_page(&c, "/pypi/one/simple/demo-pkg/").await;
    assert_eq!(page["files"].as_array().unwrap().len(), 3, "{page:#}");
}

#[tokio::test]
async fn every_digest_is_checked() {
    let s = server();
    let c = Oci::new(&s);
    let (name, bytes) = demo_wheel("1.0");
    let (status, text) =
        reason(upload_with(&c, "dig", &name, &bytes, &[("blake2_256_digest", "0".repeat(64))]).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("blake2_256 digest supplied does not match"), "{text}");
    // No digest at all is refused, like PyPI.
    let form = reqwest::multipart::Form::new()
        .text(":action", "file_upload")
        .text("protocol_version", "1")
        .part("content", reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.clone()));
    let (status, text) = reason(c.http.post(c.url("/pypi/dig/")).multipart(form).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("Include at least one message digest"), "{text}");
    // All three right: accepted.
    use blake2::Digest as _;
    let blake = hex::encode(blake2::Blake2b::<blake2::digest::consts::U32>::digest(&bytes));
    let md5 = hex::encode(md5::Md5::digest(&bytes));
    let extra = [("sha256_digest", hex256(&bytes)), ("md5_digest", md5), ("blake2_256_digest", blake)];
    assert_eq!(upload_with(&c, "dig", &name, &bytes, &extra).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn local_versions_and_epochs_resolve_in_both_spellings() {
    let s = server();
    let c = Oci::new(&s);
    let name = "demo_pkg-1!1.0+cu121-py3-none-any.whl";
    let bytes = fx::wheel("demo_pkg-1!1.0+cu121.dist-info", "Demo-Pkg", "1!1.0+cu121", &[]);
    assert_eq!(upload(&c, "loc", name, &bytes).await.status(), StatusCode::OK);
    let page = json_page(&c, "/pypi/loc/simple/demo-pkg/").await;
    let url = page["files"][0]["url"].as_str().unwrap().to_string();
    for spelling in [url.clone(), url.replace('+', "%2B").replace('!', "%21")] {
        let r = c.get(&format!("/pypi/loc/simple/demo-pkg/{spelling}")).await;
        assert_eq!(r.status(), StatusCode::OK, "{spelling}");
        assert_eq!(r.bytes().await.unwrap().as_ref(), bytes.as_slice());
        let r = c.get(&format!("/pypi/loc/simple/demo-pkg/{spelling}.metadata")).await;
        assert_eq!(r.status(), StatusCode::OK, "{spelling}.metadata");
    }
    // A decoded slash never reaches a lookup.
    let sha = hex256(&bytes);
    assert_eq!(c.get(&format!("/pypi/loc/files/{sha}/..%2F..%2Fwharf.db")).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn releases_are_matched_by_version_equality() {
    let s = server();
    let c = Oci::new(&s);
    let (name, bytes) = demo_wheel("1.0.0");
    upload(&c, "eq", &name, &bytes).await;
    let r = c
        .http
        .post(c.url("/api/v1/pypi/yank"))
        .json(&serde_json::json!({ "namespace": "eq", "project": "demo-pkg", "version": "1.0", "reason": "same release" }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{:?}", r.text().await);
    let page = json_page(&c, "/pypi/eq/simple/demo-pkg/").await;
    assert_eq!(page["files"][0]["yanked"], "same release");
}

#[tokio::test]
async fn upload_body_shorter_than_content_length_is_rejected() {
    let s = server();
    let c = Oci::new(&s);
    let (name, bytes) = demo_wheel("1.0");
    let boundary = "wharfboundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\":action\"\r\n\r\nfile_upload\r\n--{boundary}\r\n\
         Content-Disposition: form-data; name=\"sha256_digest\"\r\n\r\n{}\r\n--{boundary}\r\n\
         Content-Disposition: form-data; name=\"content\"; filename=\"{name}\"\r\n\r\n",
        hex256(&bytes)
    )
    .into_bytes();
    body.extend_from_slice(&bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let declared = body.len() + 1000;
    let addr = s.url().trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let head = format!(
        "POST /pypi/lie/ HTTP/1.1\r\nHost: {addr}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n\
         Content-Length: {declared}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body).await.unwrap();
    stream.shutdown().await.unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(!answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(c.get("/pypi/lie/simple/demo-pkg/").await.status(), StatusCode::NOT_FOUND, "nothing became visible");
}

#[tokio::test]
async fn the_project_list_revalidates_with_304() {
    let s = server();
    let c = Oci::new(&s);
    let (name, bytes) = demo_wheel("1.0");
    upload(&c, "etag", &name, &bytes).await;
    let get = |etag: Option<String>, accept: &'static str| {
        let mut r = c.http.get(c.url("/pypi/etag/simple/")).header("accept", accept);
        if let Some(e) = etag {
            r = r.header("if-none-match", e);
        }
        r.send()
    };
    let json = "application/vnd.pypi.simple.v1+json";
    let r = get(None, json).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let etag = header(r.headers(), "etag").expect("the project list has an ETag");
    let html_etag = header(get(None, "text/html").await.unwrap().headers(), "etag").unwrap();
    assert_ne!(etag, html_etag, "each format has its own ETag");
    let r = get(Some(etag.clone()), json).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(r.headers(), "vary").as_deref(), Some("Accept"));
    // Any change to the index moves the ETag: an upload, then a yank.
    let (name2, bytes2) = demo_wheel("2.0");
    upload(&c, "etag", &name2, &bytes2).await;
    let r = get(Some(etag.clone()), json).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let etag2 = header(r.headers(), "etag").unwrap();
    assert_ne!(etag2, etag);
    let yank = serde_json::json!({ "namespace": "etag", "project": "demo-pkg", "version": "2.0" });
    assert!(c.http.post(c.url("/api/v1/pypi/yank")).json(&yank).send().await.unwrap().status().is_success());
    assert_eq!(get(Some(etag2), json).await.unwrap().status(), StatusCode::OK);
}
