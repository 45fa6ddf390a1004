//! Group indexes: one filename in several namespaces of a top-level group.

use axum::body::Body;
use http::StatusCode;

use super::tests::{send, test_index, upload_form};
use crate::archive::build as fx;
use crate::{Namespace, PackageIndex};

const WHL: &str = "demo_pkg-1.0-py3-none-any.whl";

fn wheel(extra: &[u8]) -> Vec<u8> {
    fx::wheel("demo_pkg-1.0.dist-info", "Demo-Pkg", "1.0", &[fx::z("demo/x.py", extra)])
}

async fn upload(index: &std::sync::Arc<PackageIndex>, ns: &str, bytes: &[u8]) -> (StatusCode, String) {
    send(index, "POST", &format!("/pypi/{ns}/"), Body::from(upload_form(WHL, bytes))).await
}

/// The one file of `demo-pkg` on the index of `ns`.
async fn file_entry(index: &std::sync::Arc<PackageIndex>, ns: &str) -> serde_json::Value {
    let (status, text) = send(index, "GET", &format!("/pypi/{ns}/simple/demo-pkg/?format=json"), Body::empty()).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let page: serde_json::Value = serde_json::from_str(&text).unwrap();
    let files = page["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{page:#}");
    files[0].clone()
}

async fn yank(index: &PackageIndex, ns: &str, yanked: bool, reason: &str) {
    let ns: Namespace = ns.parse().unwrap();
    index.set_yanked(&ns, "demo-pkg", None, Some(WHL), yanked, Some(reason)).await.unwrap();
}

#[tokio::test]
async fn group_index_merge_rules() {
    let t = test_index().await;
    let bytes = wheel(b"same");
    // Uploaded to team/b first: team/a (which sorts first) has the later copy.
    assert_eq!(upload(&t.index, "team/b", &bytes).await.0, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    assert_eq!(upload(&t.index, "team/a", &bytes).await.0, StatusCode::OK);
    let earliest = file_entry(&t.index, "team/b").await["upload-time"].clone();
    assert_ne!(earliest, file_entry(&t.index, "team/a").await["upload-time"]);
    assert_eq!(file_entry(&t.index, "team").await["upload-time"], earliest);
    // Yanked through the group only when every live copy is.
    yank(&t.index, "team/a", true, "broken").await;
    assert_eq!(file_entry(&t.index, "team").await["yanked"], false);
    yank(&t.index, "team/b", true, "also broken").await;
    assert_eq!(file_entry(&t.index, "team").await["yanked"], "broken");
    yank(&t.index, "team/a", false, "").await;
    assert_eq!(file_entry(&t.index, "team").await["yanked"], false);
    // A deleted copy does not count: the live one decides.
    let a: Namespace = "team/a".parse().unwrap();
    t.index.delete(&a, "demo-pkg", None, Some(WHL)).await.unwrap();
    assert_eq!(file_entry(&t.index, "team").await["yanked"], "also broken");
}

#[tokio::test]
async fn conflicting_filename_in_group_is_refused() {
    let t = test_index().await;
    assert_eq!(upload(&t.index, "team/a/deep", &wheel(b"one")).await.0, StatusCode::OK);
    // Other bytes under the same filename anywhere in the group tree.
    for ns in ["team/b", "team", "team/a"] {
        let (status, text) = upload(&t.index, ns, &wheel(b"two")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{ns}: {text}");
        assert!(text.contains("already used with different content by team/a/deep"), "{ns}: {text}");
        assert!(!text.starts_with("File already exists"), "twine --skip-existing would hide it: {text}");
    }
    // The same bytes are fine, and so is another top-level group.
    assert_eq!(upload(&t.index, "team/b", &wheel(b"one")).await.0, StatusCode::OK);
    assert_eq!(upload(&t.index, "teamx", &wheel(b"two")).await.0, StatusCode::OK);
    assert_eq!(upload(&t.index, "other/a", &wheel(b"two")).await.0, StatusCode::OK);
    file_entry(&t.index, "team").await;
}
