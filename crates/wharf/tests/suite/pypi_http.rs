//! HTTP-level tests of the Python index: uploads and their rejections,
//! the simple API in both formats, negotiation, redirects, files, ranges,
//! `.metadata`, yanking, deletion and group indexes.

use reqwest::header::{ACCEPT, IF_NONE_MATCH, RANGE};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use sha2::{Digest as _, Sha256};
use wharf_pypi::archive::build::{self as fx, z};

use crate::common::*;

pub(crate) const JSON: &str = "application/vnd.pypi.simple.v1+json";

pub(crate) fn hex256(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

pub(crate) async fn upload_with(
    c: &Oci,
    ns: &str,
    filename: &str,
    bytes: &[u8],
    extra: &[(&str, String)],
) -> reqwest::Response {
    let mut form = Form::new()
        .text(":action", "file_upload")
        .text("protocol_version", "1")
        .part("content", Part::bytes(bytes.to_vec()).file_name(filename.to_string()));
    let mut has_digest = false;
    for (k, v) in extra {
        has_digest |= k.ends_with("_digest");
        form = form.text(k.to_string(), v.clone());
    }
    if !has_digest {
        form = form.text("sha256_digest", hex256(bytes));
    }
    c.http.post(c.url(&format!("/pypi/{ns}/"))).multipart(form).send().await.unwrap()
}

pub(crate) async fn upload(c: &Oci, ns: &str, filename: &str, bytes: &[u8]) -> reqwest::Response {
    upload_with(c, ns, filename, bytes, &[]).await
}

pub(crate) async fn json_page(c: &Oci, path: &str) -> serde_json::Value {
    let r = c.http.get(c.url(path)).header(ACCEPT, JSON).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.json().await.unwrap()
}

pub(crate) fn demo_wheel(version: &str) -> (String, Vec<u8>) {
    let di = format!("demo_pkg-{version}.dist-info");
    (format!("demo_pkg-{version}-py3-none-any.whl"), fx::wheel(&di, "Demo-Pkg", version, &[]))
}

pub(crate) fn demo_sdist(version: &str) -> (String, Vec<u8>) {
    (format!("demo_pkg-{version}.tar.gz"), fx::sdist(&format!("demo_pkg-{version}"), "Demo-Pkg", version, &[]))
}

/// Replaces every `upload-time` value so pages can be compared exactly.
fn without_times(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("\"upload-time\":\"") {
        let start = i + "\"upload-time\":\"".len();
        out.push_str(&rest[..start]);
        let end = rest[start..].find('"').unwrap();
        out.push('T');
        rest = &rest[start + end..];
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn upload_and_simple_pages_in_both_formats() {
    let s = server();
    let c = Oci::new(&s);
    let (wn, wb) = demo_wheel("1.0");
    let (sn, sb) = demo_sdist("1.0");
    assert_eq!(upload(&c, "team/app", &wn, &wb).await.status(), StatusCode::OK);
    assert_eq!(upload(&c, "team/app", &sn, &sb).await.status(), StatusCode::OK);
    let meta_sha = hex256(&fx::metadata("Demo-Pkg", "1.0"));
    let (ws, ss) = (hex256(&wb), hex256(&sb));

    let r = c.get("/pypi/team/app/simple/demo-pkg/").await;
    assert_eq!(header(r.headers(), "content-type").unwrap(), "text/html; charset=utf-8");
    assert_eq!(header(r.headers(), "vary").unwrap(), "Accept");
    let html = r.text().await.unwrap();
    let expected_html = format!(
        "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.4\">\n    \
<meta name=\"pypi:project-status\" content=\"active\">\n    <title>Links for demo-pkg</title>\n  </head>\n  <body>\n    \
<h1>Links for demo-pkg</h1>\n    \
<a href=\"../../files/{ws}/{wn}#sha256={ws}\" data-requires-python=\"&gt;=3.9\" data-core-metadata=\"sha256={meta_sha}\" data-dist-info-metadata=\"sha256={meta_sha}\">{wn}</a><br />\n    \
<a href=\"../../files/{ss}/{sn}#sha256={ss}\" data-requires-python=\"&gt;=3.9\">{sn}</a><br />\n  </body>\n</html>\n"
    );
    assert_eq!(html, expected_html);

    let r = c.http.get(c.url("/pypi/team/app/simple/demo-pkg/")).header(ACCEPT, JSON).send().await.unwrap();
    assert_eq!(header(r.headers(), "content-type").unwrap(), JSON);
    let json = without_times(&r.text().await.unwrap());
    let expected_json = format!(
        r#"{{"meta":{{"api-version":"1.4"}},"name":"demo-pkg","project-status":{{"status":"active"}},"versions":["1.0"],"files":[{{"filename":"{wn}","url":"../../files/{ws}/{wn}","hashes":{{"sha256":"{ws}"}},"requires-python":">=3.9","size":{},"upload-time":"T","yanked":false,"core-metadata":{{"sha256":"{meta_sha}"}}}},{{"filename":"{sn}","url":"../../files/{ss}/{sn}","hashes":{{"sha256":"{ss}"}},"requires-python":">=3.9","size":{},"upload-time":"T","yanked":false,"core-metadata":false}}]}}"#,
        wb.len(),
        sb.len()
    );
    assert_eq!(json, expected_json);
    // upload-time is ISO 8601 UTC with microseconds.
    let v = json_page(&c, "/pypi/team/app/simple/demo-pkg/").await;
    let t = v["files"][0]["upload-time"].as_str().unwrap();
    assert!(t.len() == 27 && t.ends_with('Z') && t.starts_with("20"), "{t}");

    // The project list, in both formats.
    let root = c.get("/pypi/team/app/simple/").await.text().await.unwrap();
    assert!(root.contains("<a href=\"demo-pkg/\">Demo-Pkg</a>"), "{root}");
    let v = json_page(&c, "/pypi/team/app/simple/").await;
    assert_eq!(v["projects"], serde_json::json!([{"name": "Demo-Pkg"}]));
}

#[tokio::test]
async fn negotiation_and_redirects() {
    let s = server();
    let c = Oci::new(&s);
    let (wn, wb) = demo_wheel("1.0");
    upload(&c, "ns", &wn, &wb).await;
    let get = |accept: &'static str| c.http.get(c.url("/pypi/ns/simple/demo-pkg/")).header(ACCEPT, accept).send();
    let ct = |r: &reqwest::Response| header(r.headers(), "content-type").unwrap();
    assert_eq!(ct(&get("application/vnd.pypi.simple.v1+json, text/html;q=0.5").await.unwrap()), JSON);
    assert_eq!(
        ct(&get("text/html;q=0.9, application/vnd.pypi.simple.v1+json;q=0.1").await.unwrap()),
        "text/html; charset=utf-8"
    );
    assert_eq!(ct(&get("application/vnd.pypi.simple.v1+html").await.unwrap()), "application/vnd.pypi.simple.v1+html");
    assert_eq!(ct(&get("*/*").await.unwrap()), "text/html; charset=utf-8");
    let r = get("application/xml").await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_ACCEPTABLE);
    let r = c.get("/pypi/ns/simple/demo-pkg/?format=application/vnd.pypi.simple.v1%2Bjson").await;
    assert_eq!(ct(&r), JSON);
    // Non-normalized names and missing slashes redirect to the canonical URL.
    for (from, to) in [
        ("/pypi/ns/simple/Demo_Pkg/", "/pypi/ns/simple/demo-pkg/"),
        ("/pypi/ns/simple/demo.pkg/", "/pypi/ns/simple/demo-pkg/"),
        ("/pypi/ns/simple/demo-pkg", "/pypi/ns/simple/demo-pkg/"),
        ("/pypi/ns/simple", "/pypi/ns/simple/"),
    ] {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let r = client.get(c.url(from)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::MOVED_PERMANENTLY, "{from}");
        assert_eq!(header(r.headers(), "location").unwrap(), to, "{from}");
    }
    assert_eq!(c.get("/pypi/ns/simple/nothing-here/").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(c.get("/pypi/NS/simple/").await.status(), StatusCode::NOT_FOUND);
    // Pages carry an ETag and answer 304 to a revalidation.
    let r = c.get("/pypi/ns/simple/demo-pkg/").await;
    let etag = header(r.headers(), "etag").unwrap();
    assert!(header(r.headers(), "cache-control").unwrap().contains("must-revalidate"));
    let r = c.http.get(c.url("/pypi/ns/simple/demo-pkg/")).header(IF_NONE_MATCH, &etag).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn files_ranges_and_core_metadata() {
    let s = server();
    let c = Oci::new(&s);
    let (wn, wb) = demo_wheel("2.0");
    upload(&c, "ns/p", &wn, &wb).await;
    let page = json_page(&c, "/pypi/ns/p/simple/demo-pkg/").await;
    let url = format!("/pypi/ns/p/simple/demo-pkg/{}", page["files"][0]["url"].as_str().unwrap());
    let r = c.get(&url).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(r.headers(), "cache-control").unwrap(), "public, max-age=31536000, immutable");
    assert_eq!(header(r.headers(), "accept-ranges").unwrap(), "bytes");
    assert!(header(r.headers(), "content-encoding").is_none());
    let etag = header(r.headers(), "etag").unwrap();
    assert_eq!(etag, format!("\"{}\"", hex256(&wb)));
    assert_eq!(r.bytes().await.unwrap().as_ref(), wb.as_slice());
    let r = c.head(&url).await;
    assert_eq!(header(r.headers(), "content-length").unwrap(), wb.len().to_string());
    let r = c.http.get(c.url(&url)).header(IF_NONE_MATCH, &etag).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    let r = c.http.get(c.url(&url)).header(RANGE, "bytes=-22").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    let n = wb.len();
    assert_eq!(header(r.headers(), "content-range").unwrap(), format!("bytes {}-{}/{n}", n - 22, n - 1));
    assert_eq!(r.bytes().await.unwrap().as_ref(), &wb[n - 22..]);
    let r = c.http.get(c.url(&url)).header(RANGE, "bytes=10-19").send().await.unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), &wb[10..20]);
    let r = c.http.get(c.url(&url)).header(RANGE, &format!("bytes={}-", n + 5)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    // PEP 658: the metadata file hashes to what the page advertises.
    let r = c.get(&format!("{url}.metadata")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.bytes().await.unwrap();
    assert_eq!(body.as_ref(), fx::metadata("Demo-Pkg", "2.0").as_slice());
    assert_eq!(page["files"][0]["core-metadata"]["sha256"], hex256(&body));
    // Same origin, and nothing outside the namespace tree.
    assert_eq!(c.get(&url.replace("/pypi/ns/p/", "/pypi/other/")).await.status(), StatusCode::NOT_FOUND);
    let wrong = url.replace(&hex256(&wb), &"0".repeat(64));
    assert_eq!(c.get(&wrong).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn duplicate_rules() {
    let s = server();
    let c = Oci::new(&s);
    let (wn, wb) = demo_wheel("1.0");
    assert_eq!(upload(&c, "ns", &wn, &wb).await.status(), StatusCode::OK);
    assert_eq!(upload(&c, "ns", &wn, &wb).await.status(), StatusCode::OK, "identical re-upload is a no-op");
    let changed = fx::wheel("demo_pkg-1.0.dist-info", "Demo-Pkg", "1.0", &[z("demo/extra.py", b"x = 1\n")]);
    let r = upload(&c, "ns", &wn, &changed).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let text = r.text().await.unwrap();
    assert!(text.starts_with("File already exists"), "{text}");
    // Deleting frees nothing: the name cannot come back with other bytes.
    let r = c
        .http
        .post(c.url("/api/v1/pypi/delete"))
        .json(&serde_json::json!({"namespace": "ns", "project": "demo_pkg", "filename": wn}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(c.get("/pypi/ns/simple/demo-pkg/").await.status(), StatusCode::NOT_FOUND);
    let r = upload(&c, "ns", &wn, &changed).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("previously used"));
}

/// (what, filename, bytes, extra form fields, expected reason fragment)
type RejectCase = (&'static str, String, Vec<u8>, Vec<(&'static str, String)>, &'static str);

#[tokio::test]
async fn rejected_uploads() {
    let s = server();
    let c = Oci::new(&s);
    let ns = "rej";
    let cases: Vec<RejectCase> = vec![
        (
            "traversal path",
            "demo_pkg-1.0-py3-none-any.whl".into(),
            fx::wheel("demo_pkg-1.0.dist-info", "Demo-Pkg", "1.0", &[z("../../etc/evil", b"x")]),
            vec![],
            "Invalid distribution file",
        ),
        (
            "zip bomb (3 GB declared)",
            "demo_pkg-1.0-py3-none-any.whl".into(),
            fx::wheel(
                "demo_pkg-1.0.dist-info",
                "Demo-Pkg",
                "1.0",
                &[fx::Z { declared_size: Some(3_000_000_000), ..z("demo/big.bin", &vec![0u8; 1 << 20]) }],
            ),
            vec![],
            "Invalid distribution file",
        ),
        (
            "tar.gz bomb",
            "demo_pkg-1.0.tar.gz".into(),
            fx::gz(&fx::tar(&[
                fx::dir("demo_pkg-1.0/"),
                fx::file("demo_pkg-1.0/zeros", &vec![0u8; 80 << 20]),
                fx::file("demo_pkg-1.0/PKG-INFO", &fx::metadata("Demo-Pkg", "1.0")),
            ])),
            vec![],
            "Invalid distribution file",
        ),
        (
            "mismatched name",
            "demo_pkg-1.0-py3-none-any.whl".into(),
            fx::wheel("demo_pkg-1.0.dist-info", "Other-Pkg", "1.0", &[]),
            vec![],
            "does not match",
        ),
        (
            "mismatched version",
            "demo_pkg-1.0.tar.gz".into(),
            fx::sdist("demo_pkg-1.0", "Demo-Pkg", "2.0", &[]),
            vec![],
            "does not match",
        ),
        (
            "wrong sha256 digest",
            "demo_pkg-1.0-py3-none-any.whl".into(),
            fx::wheel("demo_pkg-1.0.dist-info", "Demo-Pkg", "1.0", &[]),
            vec![("sha256_digest", "0".repeat(64))],
            "digest supplied does not match",
        ),
        (
            "wrong md5 digest",
            "demo_pkg-1.0-py3-none-any.whl".into(),
            fx::wheel("demo_pkg-1.0.dist-info", "Demo-Pkg", "1.0", &[]),
            vec![("md5_digest", "0".repeat(32))],
            "md5 digest supplied does not match",
        ),
        ("bad extension", "demo_pkg-1.0.exe".into(), b"MZ".to_vec(), vec![], "Invalid file extension"),
        (
            "not an archive",
            "demo_pkg-1.0-py3-none-any.whl".into(),
            b"hello".to_vec(),
            vec![],
            "Invalid distribution file",
        ),
    ];
    for (what, filename, bytes, extra, needle) in cases {
        let r = upload_with(&c, ns, &filename, &bytes, &extra).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{what}");
        let text = r.text().await.unwrap();
        assert!(text.contains(needle), "{what}: {text}");
    }
    assert_eq!(c.get("/pypi/rej/simple/demo-pkg/").await.status(), StatusCode::NOT_FOUND, "nothing became visible");
    // No staged bytes are left behind.
    let uploads = std::fs::read_dir(s.data_dir().join("uploads")).unwrap().count();
    assert_eq!(uploads, 0);
    // Form problems.
    let r = c.http.post(c.url("/pypi/rej/")).body("x").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let form = Form::new().text(":action", "file_upload").text("protocol_version", "2");
    let r = c.http.post(c.url("/pypi/rej/legacy/")).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn size_limit_enforced_while_streaming() {
    let s = server_with(&["--max-package-bytes", "10000"]);
    let c = Oci::new(&s);
    let big = fx::wheel(
        "demo_pkg-1.0.dist-info",
        "Demo-Pkg",
        "1.0",
        &[fx::Z { deflate: false, ..z("demo/pad.bin", &random_bytes(20_000)) }],
    );
    let r = upload(&c, "ns", "demo_pkg-1.0-py3-none-any.whl", &big).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn yanking_and_deleting_through_the_cli() {
    let s = server();
    let c = Oci::new(&s);
    for v in ["1.0", "1.1"] {
        let (n, b) = demo_wheel(v);
        upload(&c, "acme/app", &n, &b).await;
    }
    let cli = |args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_wharf"));
        cmd.arg("pypi").args(args).args(["--server", &s.url()]);
        wharf_test_support::run(&mut cmd)
    };
    cli(&["yank", "acme/app", "demo-pkg", "--version", "1.1", "--reason", "broken build"]);
    let v = json_page(&c, "/pypi/acme/app/simple/demo-pkg/").await;
    let yanked: Vec<_> = v["files"].as_array().unwrap().iter().map(|f| f["yanked"].clone()).collect();
    assert_eq!(yanked, [serde_json::json!(false), serde_json::json!("broken build")]);
    let html = c.get("/pypi/acme/app/simple/demo-pkg/").await.text().await.unwrap();
    assert!(html.contains("data-yanked=\"broken build\""), "{html}");
    cli(&["unyank", "acme/app", "demo-pkg", "--version", "1.1"]);
    let v = json_page(&c, "/pypi/acme/app/simple/demo-pkg/").await;
    assert_eq!(v["files"][1]["yanked"], false);
    cli(&["yank", "acme/app", "demo-pkg"]);
    let v = json_page(&c, "/pypi/acme/app/simple/demo-pkg/").await;
    assert!(v["files"].as_array().unwrap().iter().all(|f| f["yanked"] == true));
    cli(&["delete", "acme/app", "demo-pkg", "--file", "demo_pkg-1.0-py3-none-any.whl"]);
    let v = json_page(&c, "/pypi/acme/app/simple/demo-pkg/").await;
    assert_eq!(v["versions"], serde_json::json!(["1.1"]));
    cli(&["delete", "acme/app", "demo-pkg"]);
    assert_eq!(c.get("/pypi/acme/app/simple/demo-pkg/").await.status(), StatusCode::NOT_FOUND);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wharf"))
        .args(["pypi", "delete", "acme/app", "nothing", "--server", &s.url()])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[tokio::test]
async fn group_index_merges_and_refuses_conflicts() {
    let s = server();
    let c = Oci::new(&s);
    let (n1, b1) = demo_wheel("1.0");
    let (n2, b2) = demo_wheel("2.0");
    upload(&c, "grp/one", &n1, &b1).await;
    upload(&c, "grp/two", &n2, &b2).await;
    upload(&c, "grp/two", &n1, &b1).await; // same bytes in two projects: merged once
    upload(&c, "grpx/other", &n1, &b1).await; // a sibling prefix is not part of the group
    let v = json_page(&c, "/pypi/grp/simple/demo-pkg/").await;
    assert_eq!(v["versions"], serde_json::json!(["1.0", "2.0"]));
    assert_eq!(v["files"].as_array().unwrap().len(), 2);
    let root = json_page(&c, "/pypi/grp/simple/").await;
    assert_eq!(root["projects"].as_array().unwrap().len(), 1);
    // The group's file URLs resolve.
    let url = format!("/pypi/grp/simple/demo-pkg/{}", v["files"][1]["url"].as_str().unwrap());
    assert_eq!(c.get(&url).await.bytes().await.unwrap().as_ref(), b2.as_slice());
    // Different bytes under one filename in two projects of the group: the
    // second upload is refused, naming the project that holds the name.
    let other = fx::wheel("demo_pkg-2.0.dist-info", "Demo-Pkg", "2.0", &[z("demo/x.py", b"1")]);
    let r = upload(&c, "grp/three", &n2, &other).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let text = r.text().await.unwrap();
    assert!(text.contains("already used with different content by grp/two"), "{text}");
    let v = json_page(&c, "/pypi/grp/simple/demo-pkg/").await;
    assert_eq!(v["files"].as_array().unwrap().len(), 2);
    assert_eq!(c.get("/pypi/grp/three/simple/demo-pkg/").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn root_page_streams_many_projects() {
    let s = server();
    let c = Oci::new(&s);
    // More than one database batch (2000) to exercise the streamed root page.
    let names: Vec<String> = (0..2100).map(|i| format!("pkg{i:05}")).collect();
    use futures_util::StreamExt;
    futures_util::stream::iter(names.iter())
        .for_each_concurrent(8, |n| {
            let (fname, bytes) = (format!("{n}-1.0.tar.gz"), fx::sdist(&format!("{n}-1.0"), n, "1.0", &[]));
            let c = &c;
            async move { assert_eq!(upload(c, "big", &fname, &bytes).await.status(), StatusCode::OK) }
        })
        .await;
    let v = json_page(&c, "/pypi/big/simple/").await;
    let got: Vec<&str> = v["projects"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(got, names);
}
