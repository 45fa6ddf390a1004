//! Port of the conformance "push" workflow: every upload mode, mounts,
//! manifest pushes and their error cases.

use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE};
use reqwest::StatusCode;

use crate::common::*;

#[tokio::test]
async fn streamed_and_monolithic_uploads() {
    let s = server();
    let c = Oci::new(&s);
    let repo = "push/up";
    // U1-U2: streamed PATCH, then PUT with no body.
    let blob_a = random_bytes(42);
    let loc = c.start_upload(repo).await;
    let r = c
        .http
        .patch(c.url(&loc))
        .header(CONTENT_TYPE, "application/octet-stream")
        .body(blob_a.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert_eq!(header(r.headers(), "range").unwrap(), "0-41");
    let r = c.http.put(with_digest(&c.url(&location(&r)), &sha256(&blob_a))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(header(r.headers(), "docker-content-digest").unwrap(), sha256(&blob_a));
    let r = c.get(&location(&r)).await;
    assert_eq!(r.bytes().await.unwrap().as_ref(), blob_a.as_slice());
    // U4-U5: POST with digest and body (single request).
    let cfg = random_bytes(100);
    let r = c
        .http
        .post(c.url(&format!("/v2/{repo}/blobs/uploads/?digest={}", sha256(&cfg))))
        .body(cfg.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(c.get(&location(&r)).await.bytes().await.unwrap().as_ref(), cfg.as_slice());
    // U6-U8: POST then PUT with body.
    let layer = random_bytes(5000);
    let d = c.push_blob(repo, &layer).await;
    assert_eq!(c.get(&format!("/v2/{repo}/blobs/{d}")).await.status(), StatusCode::OK);
    // sha512 upload.
    let b = random_bytes(300);
    let loc = c.start_upload(repo).await;
    let r = c.http.put(with_digest(&c.url(&loc), &sha512(&b))).body(b.clone()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(header(r.headers(), "docker-content-digest").unwrap(), sha512(&b));
    assert_eq!(c.get(&location(&r)).await.bytes().await.unwrap().as_ref(), b.as_slice());
}

#[tokio::test]
async fn bad_digest_is_rejected_and_nothing_becomes_visible() {
    let s = server();
    let c = Oci::new(&s);
    let repo = "push/bad";
    let wrong = sha256(b"something else");
    let loc = c.start_upload(repo).await;
    let r = c.http.put(with_digest(&c.url(&loc), &wrong)).body(b"actual bytes".to_vec()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(r).await, "DIGEST_INVALID");
    assert_eq!(c.head(&format!("/v2/{repo}/blobs/{wrong}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(c.head(&format!("/v2/{repo}/blobs/{}", sha256(b"actual bytes"))).await.status(), StatusCode::NOT_FOUND);
    let r = c
        .http
        .post(c.url(&format!("/v2/{repo}/blobs/uploads/?digest={wrong}")))
        .body(b"x".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Missing digest on the closing PUT.
    let loc = c.start_upload(repo).await;
    let r = c.http.put(c.url(&loc)).body(b"x".to_vec()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn chunked_upload_with_out_of_order_and_resume() {
    let s = server_with(&["--chunk-min-length", "20"]);
    let c = Oci::new(&s);
    let repo = "push/chunked";
    let blob = random_bytes(42);
    let (c1, c2) = blob.split_at(22);
    // C1: out-of-order first chunk → 416.
    let r = c.http.post(c.url(&format!("/v2/{repo}/blobs/uploads/"))).header(CONTENT_LENGTH, "0").send().await.unwrap();
    assert_eq!(header(r.headers(), "oci-chunk-min-length").unwrap(), "20");
    let loc = location(&r);
    let r = c.http.patch(c.url(&loc)).header(CONTENT_RANGE, "22-41").body(c2.to_vec()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    // C2: first chunk.
    let loc = c.start_upload(repo).await;
    let r = c.http.patch(c.url(&loc)).header(CONTENT_RANGE, "0-21").body(c1.to_vec()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert_eq!(header(r.headers(), "range").unwrap(), "0-21");
    // C3: retry of the same chunk → 416.
    let r = c.http.patch(c.url(&loc)).header(CONTENT_RANGE, "0-21").body(c1.to_vec()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(header(r.headers(), "range").unwrap(), "0-21");
    // C4: GET the session → 204 with Range and Location.
    let r = c.get(&loc).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(r.headers(), "range").unwrap(), "0-21");
    let loc = location(&r);
    // C5-C6: second chunk, close.
    let r = c.http.patch(c.url(&loc)).header(CONTENT_RANGE, "22-41").body(c2.to_vec()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let r = c
        .http
        .put(with_digest(&c.url(&location(&r)), &sha256(&blob)))
        .header(CONTENT_LENGTH, "0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(c.get(&location(&r)).await.bytes().await.unwrap().as_ref(), blob.as_slice());
}

#[tokio::test]
async fn final_chunk_in_put_and_cancel() {
    let s = server();
    let c = Oci::new(&s);
    let repo = "push/final";
    let blob = random_bytes(3000);
    let loc = c.start_upload(repo).await;
    let r = c.http.patch(c.url(&loc)).header(CONTENT_RANGE, "0-999").body(blob[..1000].to_vec()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let r = c
        .http
        .put(with_digest(&c.url(&location(&r)), &sha256(&blob)))
        .header(CONTENT_RANGE, "1000-2999")
        .body(blob[1000..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(c.get(&location(&r)).await.bytes().await.unwrap().as_ref(), blob.as_slice());
    // Cancel: DELETE → 204, then the session is gone.
    let loc = c.start_upload(repo).await;
    assert_eq!(c.delete(&loc).await.status(), StatusCode::NO_CONTENT);
    let r = c.get(&loc).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(r).await, "BLOB_UPLOAD_UNKNOWN");
    // A session id of another repository is unknown here.
    let loc = c.start_upload(repo).await;
    let id = loc.rsplit('/').next().unwrap();
    assert_eq!(c.get(&format!("/v2/other/blobs/uploads/{id}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(c.get("/v2/push/final/blobs/uploads/../../etc").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn cross_repository_mounts() {
    let s = server_with(&["--automatic-mount", "false"]);
    let c = Oci::new(&s);
    let blob = random_bytes(42);
    let d = c.push_blob("mount/src", &blob).await;
    // M1: mount of an unknown blob without from → 202 upload session.
    let r = c
        .http
        .post(c.url(&format!("/v2/mount/dst/blobs/uploads/?mount={}", sha256(b"hello world"))))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert!(location(&r).starts_with("/v2/mount/dst/blobs/uploads/"));
    // M2-M3: mount from the source repository → 201.
    let r = c.http.post(c.url(&format!("/v2/mount/dst/blobs/uploads/?mount={d}&from=mount/src"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(location(&r), format!("/v2/mount/dst/blobs/{d}"));
    assert_eq!(c.get(&location(&r)).await.bytes().await.unwrap().as_ref(), blob.as_slice());
    // Mount from a repository that lacks the blob falls back to an upload.
    let r =
        c.http.post(c.url(&format!("/v2/mount/dst2/blobs/uploads/?mount={d}&from=mount/none"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    // M5-M6: automatic mount disabled → 202.
    let r = c.http.post(c.url(&format!("/v2/mount/dst3/blobs/uploads/?mount={d}"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    drop(s);
    // Enabled (the default) → 201.
    let s = server();
    let c = Oci::new(&s);
    let d = c.push_blob("mount/src", &blob).await;
    let r = c.http.post(c.url(&format!("/v2/mount/auto/blobs/uploads/?mount={d}"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn manifest_push_rules() {
    let s = server();
    let c = Oci::new(&s);
    let repo = "push/manifests";
    assert_eq!(c.get(&format!("/v2/{repo}/manifests/test0")).await.status(), StatusCode::NOT_FOUND);
    let (m, d) = c.push_image(repo, "test0", "m").await;
    for t in ["test1", "test2", "test3"] {
        let r = c.put_manifest(repo, t, OCI_MANIFEST, &m).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        assert_eq!(location(&r), format!("/v2/{repo}/manifests/{d}"));
        assert_eq!(header(r.headers(), "docker-content-digest").unwrap(), d);
    }
    // Unknown and null fields are kept byte-exact; no layers is fine.
    let cfg = b"{}";
    let cd = c.push_blob(repo, cfg).await;
    let odd = format!(
        "{{\n\t\"schemaVersion\": 2,\n\t\"config\": {{\"mediaType\": \"application/vnd.oci.image.config.v1+json\", \"digest\": \"{cd}\", \"size\": 2, \"newUnspecifiedField\": null}},\n\t\"layers\": [],\n\t\"newUnspecifiedField\": \"aGVsbG8gd29ybGQ=\"\n}}"
    );
    let r = c.put_manifest(repo, "emptylayer", OCI_MANIFEST, odd.as_bytes()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        c.get(&format!("/v2/{repo}/manifests/emptylayer")).await.bytes().await.unwrap().as_ref(),
        odd.as_bytes()
    );
    // Missing blobs → MANIFEST_BLOB_UNKNOWN.
    let ghost = image_manifest(&sha256(b"ghost"), 5, &[], None, None);
    let r = c.put_manifest(repo, "ghost", OCI_MANIFEST, &ghost).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(r).await, "MANIFEST_BLOB_UNKNOWN");
    // Digest reference must match the body.
    let r = c.put_manifest(repo, &sha256(b"other"), OCI_MANIFEST, &m).await;
    assert_eq!(error_code(r).await, "DIGEST_INVALID");
    // Garbage → MANIFEST_INVALID.
    let r = c.put_manifest(repo, "junk", OCI_MANIFEST, b"not json").await;
    assert_eq!(error_code(r).await, "MANIFEST_INVALID");
    // Over 4 MiB → 413.
    let big = vec![b' '; 4 * 1024 * 1024 + 1];
    let r = c.put_manifest(repo, "big", OCI_MANIFEST, &big).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // The same without a Content-Length (chunked): cut off while streaming.
    let chunks = (0..5).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1024 * 1024]));
    let r = c
        .http
        .put(c.url(&format!("/v2/{repo}/manifests/big")))
        .header(CONTENT_TYPE, OCI_MANIFEST)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(c.get(&format!("/v2/{repo}/manifests/big")).await.status(), StatusCode::NOT_FOUND);
    // Digest PUT with ?tag= → OCI-Tag headers.
    let r = c
        .http
        .put(c.url(&format!("/v2/{repo}/manifests/{d}?tag=a1&tag=b2")))
        .header(CONTENT_TYPE, OCI_MANIFEST)
        .body(m.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let tags: Vec<_> = r.headers().get_all("oci-tag").iter().map(|v| v.to_str().unwrap().to_string()).collect();
    assert_eq!(tags, ["a1", "b2"]);
    assert_eq!(
        header(c.head(&format!("/v2/{repo}/manifests/b2")).await.headers(), "docker-content-digest").unwrap(),
        d
    );
}

#[tokio::test]
async fn indexes_docker_lists_and_buildkit_cache() {
    let s = server();
    let c = Oci::new(&s);
    let repo = "push/index";
    let (m1, d1) = c.push_image(repo, "amd64", "1").await;
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [{"mediaType": OCI_MANIFEST, "digest": d1, "size": m1.len(), "platform": {"architecture": "amd64", "os": "linux"}}]
    })).unwrap();
    assert_eq!(c.put_manifest(repo, "multi", OCI_INDEX, &index).await.status(), StatusCode::CREATED);
    // A child that is not in the repository is refused.
    let sparse = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [{"mediaType": OCI_MANIFEST, "digest": sha256(b"nope"), "size": 4}]
    }))
    .unwrap();
    let r = c.put_manifest(repo, "sparse", OCI_INDEX, &sparse).await;
    assert_eq!(error_code(r).await, "MANIFEST_BLOB_UNKNOWN");
    // BuildKit's registry cache: an index pointing at plain blobs.
    let cache_cfg = c.push_blob(repo, b"{\"layers\":[]}").await;
    let cache = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [{"mediaType": "application/vnd.buildkit.cacheconfig.v0", "digest": cache_cfg, "size": 13}]
    }))
    .unwrap();
    assert_eq!(c.put_manifest(repo, "buildcache", OCI_INDEX, &cache).await.status(), StatusCode::CREATED);
    // Docker v2 schema 2 manifest, and the tag moving from an index to it.
    let cfg = b"{\"architecture\":\"amd64\"}";
    let cd = c.push_blob(repo, cfg).await;
    let docker = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": cd, "size": cfg.len()},
        "layers": []
    }))
    .unwrap();
    assert_eq!(c.put_manifest(repo, "multi", DOCKER_MANIFEST, &docker).await.status(), StatusCode::CREATED);
    let r = c.get(&format!("/v2/{repo}/manifests/multi")).await;
    assert_eq!(header(r.headers(), "content-type").unwrap(), DOCKER_MANIFEST);
}
