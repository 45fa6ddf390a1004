//! Port of the conformance "content management" workflow: tag delete only
//! untags; digest delete removes the manifest and all its tags atomically;
//! blob delete.

use reqwest::StatusCode;

use crate::common::*;

#[tokio::test]
async fn deletes() {
    let s = server();
    let c = Oci::new(&s);
    let repo = "mgmt/img";
    let (m, d) = c.push_image(repo, "tagtest0", "g").await;
    assert_eq!(c.put_manifest(repo, "alias", OCI_MANIFEST, &m).await.status(), StatusCode::CREATED);
    // Tag delete: only that tag goes.
    assert_eq!(c.delete(&format!("/v2/{repo}/manifests/tagtest0")).await.status(), StatusCode::ACCEPTED);
    assert_eq!(c.head(&format!("/v2/{repo}/manifests/tagtest0")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(c.head(&format!("/v2/{repo}/manifests/alias")).await.status(), StatusCode::OK);
    assert_eq!(c.head(&format!("/v2/{repo}/manifests/{d}")).await.status(), StatusCode::OK);
    let v: serde_json::Value = c.get(&format!("/v2/{repo}/tags/list")).await.json().await.unwrap();
    assert_eq!(v["tags"], serde_json::json!(["alias"]));
    // Unknown tag → 404.
    assert_eq!(c.delete(&format!("/v2/{repo}/manifests/nope")).await.status(), StatusCode::NOT_FOUND);
    // Digest delete: the manifest and every tag on it.
    assert_eq!(c.put_manifest(repo, "again", OCI_MANIFEST, &m).await.status(), StatusCode::CREATED);
    assert_eq!(c.delete(&format!("/v2/{repo}/manifests/{d}")).await.status(), StatusCode::ACCEPTED);
    for r in ["alias", "again", d.as_str()] {
        assert_eq!(c.head(&format!("/v2/{repo}/manifests/{r}")).await.status(), StatusCode::NOT_FOUND, "{r}");
    }
    let v: serde_json::Value = c.get(&format!("/v2/{repo}/tags/list")).await.json().await.unwrap();
    assert_eq!(v["tags"], serde_json::json!([]));
    assert_eq!(c.delete(&format!("/v2/{repo}/manifests/{d}")).await.status(), StatusCode::NOT_FOUND);
    // Blob delete.
    let b = c.push_blob(repo, b"blob to delete").await;
    assert_eq!(c.delete(&format!("/v2/{repo}/blobs/{b}")).await.status(), StatusCode::ACCEPTED);
    assert_eq!(c.head(&format!("/v2/{repo}/blobs/{b}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(c.delete(&format!("/v2/{repo}/blobs/{b}")).await.status(), StatusCode::NOT_FOUND);
    // Unsupported method → 405 in the envelope.
    let r = c.http.post(c.url(&format!("/v2/{repo}/manifests/x"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error_code(r).await, "UNSUPPORTED");
}
