//! Port of the conformance "pull" workflow plus blob range requests.

use reqwest::header::{ACCEPT, RANGE};
use reqwest::StatusCode;

use crate::common::*;

#[tokio::test]
async fn pull_workflow() {
    let s = server();
    let c = Oci::new(&s);
    let repo = "conformance/pull";
    let (m0, d0) = c.push_image(repo, "tagtest0", "a").await;
    // manifests[1] pushed by digest
    let cfg1 = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let cd1 = c.push_blob(repo, cfg1).await;
    let m1 = image_manifest(&cd1, cfg1.len(), &[], None, None);
    let d1 = sha256(&m1);
    assert_eq!(c.put_manifest(repo, &d1, OCI_MANIFEST, &m1).await.status(), StatusCode::CREATED);

    let dummy = sha256(b"hello world");
    assert_eq!(c.head(&format!("/v2/{repo}/blobs/{dummy}")).await.status(), StatusCode::NOT_FOUND);
    let r = c.head(&format!("/v2/{repo}/blobs/{cd1}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(r.headers(), "docker-content-digest").unwrap(), cd1);
    assert_eq!(header(r.headers(), "content-length").unwrap(), cfg1.len().to_string());
    let r = c.get(&format!("/v2/{repo}/blobs/{dummy}")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(r).await, "BLOB_UNKNOWN");
    let r = c.get(&format!("/v2/{repo}/blobs/{cd1}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().as_ref(), cfg1);

    assert_eq!(c.head(&format!("/v2/{repo}/manifests/.INVALID_MANIFEST_NAME")).await.status(), StatusCode::NOT_FOUND);
    for (d, m) in [(&d0, &m0), (&d1, &m1)] {
        let r =
            c.http.head(c.url(&format!("/v2/{repo}/manifests/{d}"))).header(ACCEPT, OCI_MANIFEST).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(header(r.headers(), "docker-content-digest").as_deref(), Some(d.as_str()));
        assert_eq!(header(r.headers(), "content-length").unwrap(), m.len().to_string());
        let r =
            c.http.get(c.url(&format!("/v2/{repo}/manifests/{d}"))).header(ACCEPT, OCI_MANIFEST).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(header(r.headers(), "content-type").unwrap(), OCI_MANIFEST);
        assert_eq!(r.bytes().await.unwrap().as_ref(), m.as_slice(), "byte-exact");
    }
    let r = c.head(&format!("/v2/{repo}/manifests/tagtest0")).await;
    assert_eq!(header(r.headers(), "docker-content-digest").unwrap(), d0);
    assert_eq!(c.get(&format!("/v2/{repo}/manifests/nope")).await.status(), StatusCode::NOT_FOUND);
    let r = c.get(&format!("/v2/{repo}/manifests/sha256:totallywrong")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(r).await, "DIGEST_INVALID");
    // Teardown
    assert_eq!(c.delete(&format!("/v2/{repo}/manifests/{d0}")).await.status(), StatusCode::ACCEPTED);
    assert_eq!(c.delete(&format!("/v2/{repo}/manifests/{d1}")).await.status(), StatusCode::ACCEPTED);
    assert_eq!(c.delete(&format!("/v2/{repo}/blobs/{cd1}")).await.status(), StatusCode::ACCEPTED);
    assert_eq!(c.head(&format!("/v2/{repo}/blobs/{cd1}")).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn manifest_accept_negotiation() {
    let s = server();
    let c = Oci::new(&s);
    let (_, d) = c.push_image("neg/img", "v1", "n").await;
    let get = |accept: &'static str| c.http.get(c.url("/v2/neg/img/manifests/v1")).header(ACCEPT, accept).send();
    assert_eq!(
        get("application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json")
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(get("*/*").await.unwrap().status(), StatusCode::OK);
    let r = get(DOCKER_MANIFEST).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "an OCI manifest is not offered to a Docker-only client by tag");
    assert_eq!(error_code(r).await, "MANIFEST_UNKNOWN");
    // By digest the client asked for exactly this content: always served.
    let r =
        c.http.get(c.url(&format!("/v2/neg/img/manifests/{d}"))).header(ACCEPT, DOCKER_MANIFEST).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn blob_ranges() {
    let s = server();
    let c = Oci::new(&s);
    let blob = random_bytes(2048);
    let d = c.push_blob("ranges/r", &blob).await;
    let url = c.url(&format!("/v2/ranges/r/blobs/{d}"));
    for (range, start, end) in [
        ("bytes=500-1499", 500, 1499),
        ("bytes=500-", 500, 2047),
        ("bytes=-500", 1548, 2047),
        ("bytes=2000-5000", 2000, 2047),
    ] {
        let r = c.http.get(&url).header(RANGE, range).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(header(r.headers(), "content-range").unwrap(), format!("bytes {start}-{end}/2048"));
        assert_eq!(header(r.headers(), "content-length").unwrap(), (end - start + 1).to_string());
        assert_eq!(r.bytes().await.unwrap().as_ref(), &blob[start..=end]);
    }
    for range in ["bytes=500-0", "bytes=5000-10000"] {
        let r = c.http.get(&url).header(RANGE, range).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE, "{range}");
        assert_eq!(header(r.headers(), "content-range").unwrap(), "bytes */2048");
    }
}

#[tokio::test]
async fn malformed_input_is_400_never_500() {
    let s = server();
    let c = Oci::new(&s);
    for (path, code) in [
        ("/v2/UPPER/tags/list", "NAME_INVALID"),
        ("/v2/a/blobs/sha256:xyz", "DIGEST_INVALID"),
        ("/v2/a/blobs/md5:abc", "DIGEST_INVALID"),
        ("/v2/a/referrers/nodigest", "DIGEST_INVALID"),
    ] {
        let r = c.get(path).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(error_code(r).await, code, "{path}");
    }
    c.push_image("a", "v1", "x").await;
    for q in ["n=-1", "n=abc", "n=1.5"] {
        let r = c.get(&format!("/v2/a/tags/list?{q}")).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{q}");
    }
    let r = c.put_manifest("a", "bad:tag:x", OCI_MANIFEST, b"{}").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = c.put_manifest("a", ".badtag", OCI_MANIFEST, b"{}").await;
    assert_eq!(error_code(r).await, "TAG_INVALID");
    let r = c.put_manifest("a", "sha256:baddigeststring", OCI_MANIFEST, b"{}").await;
    assert_eq!(error_code(r).await, "DIGEST_INVALID");
}
