//! The HTTP edge in-process: requests go straight to [`dispatch`], bodies
//! are streams the test controls.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use bytes::Bytes;
use http::StatusCode;

use super::dispatch;
use crate::archive::build as fx;
use crate::{IndexConfig, PackageIndex};

const BOUNDARY: &str = "wharf-test-boundary";

pub(crate) struct TestIndex {
    pub index: Arc<PackageIndex>,
    pub dir: tempfile::TempDir,
}

pub(crate) async fn test_index() -> TestIndex {
    let dir = tempfile::tempdir().unwrap();
    let meta = wharf_meta::Meta::open_sqlite(&dir.path().join("wharf.db")).await.unwrap();
    let blobs = Arc::new(wharf_blob::BlobStore::open(dir.path()).await.unwrap());
    TestIndex { index: Arc::new(PackageIndex::new(meta, blobs, IndexConfig::default())), dir }
}

/// Sends `body` to `path` and returns the status and the body text.
pub(crate) async fn send(index: &Arc<PackageIndex>, method: &str, path: &str, body: Body) -> (StatusCode, String) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(body)
        .unwrap();
    let r = dispatch(State(index.clone()), req).await;
    let status = r.status();
    let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// A multipart form: `(name, filename, value)` per part.
pub(crate) fn form(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, filename, value) in parts {
        out.extend(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"").into_bytes());
        if let Some(f) = filename {
            out.extend(format!("; filename=\"{f}\"").into_bytes());
        }
        out.extend(b"\r\n\r\n");
        out.extend(*value);
        out.extend(b"\r\n");
    }
    out.extend(format!("--{BOUNDARY}--\r\n").into_bytes());
    out
}

/// A form uploading `bytes` as `filename`, with its sha256.
pub(crate) fn upload_form(filename: &str, bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    let sha = hex::encode(sha2::Sha256::digest(bytes));
    form(&[
        (":action", None, b"file_upload"),
        ("sha256_digest", None, sha.as_bytes()),
        ("content", Some(filename), bytes),
    ])
}

/// `head` followed by `total` bytes of `fill` in 64 KiB chunks, counting
/// what the server pulled.
fn endless(head: &str, fill: u8, total: u64, pulled: Arc<AtomicU64>) -> Body {
    let head = Bytes::from(head.to_string());
    let chunk = Bytes::from(vec![fill; 64 << 10]);
    let n = total / chunk.len() as u64;
    let chunks = std::iter::once(head).chain(std::iter::repeat_n(chunk, n as usize));
    Body::from_stream(futures_util::stream::iter(chunks).map(move |c| {
        pulled.fetch_add(c.len() as u64, Ordering::Relaxed);
        Ok::<_, std::io::Error>(c)
    }))
}

use futures_util::StreamExt as _;

#[tokio::test]
async fn multipart_header_is_bounded() {
    let t = test_index().await;
    let heads = [
        // A part header that never ends.
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"a.whl\"\r\nX-Pad: "),
        // A preamble that never reaches the first boundary.
        String::new(),
    ];
    for head in heads {
        let pulled = Arc::new(AtomicU64::new(0));
        let body = endless(&head, b'a', 64 << 20, pulled.clone());
        let (status, text) = send(&t.index, "POST", "/pypi/team/app/", body).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
        assert!(text.contains("part headers are longer than 16384 bytes"), "{text}");
        assert!(pulled.load(Ordering::Relaxed) < 1 << 20, "read {} bytes", pulled.load(Ordering::Relaxed));
    }
    // Too many parts, and text fields too large.
    let many: Vec<(&str, Option<&str>, &[u8])> = (0..1001).map(|_| ("classifiers", None, &b"x"[..])).collect();
    let (status, text) = send(&t.index, "POST", "/pypi/team/app/", Body::from(form(&many))).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
    assert!(text.contains("more than 1000 parts"), "{text}");
    let big = vec![b'x'; (8 << 20) + 1];
    let (status, text) =
        send(&t.index, "POST", "/pypi/team/app/", Body::from(form(&[("description", None, &big)]))).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
    // A whole form in one chunk far larger than the header bound still works.
    let name = "demo_pkg-1.0-py3-none-any.whl";
    let wheel = fx::wheel("demo_pkg-1.0.dist-info", "Demo-Pkg", "1.0", &[fx::z("demo/data.bin", &vec![7u8; 1 << 20])]);
    let (status, text) = send(&t.index, "POST", "/pypi/team/app/", Body::from(upload_form(name, &wheel))).await;
    assert_eq!(status, StatusCode::OK, "{text}");
}

#[tokio::test]
async fn cancelled_upload_leaves_no_staged_file() {
    let t = test_index().await;
    let head = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"demo_pkg-1.0.tar.gz\"\r\n\r\n"
    );
    let started =
        futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from(head)), Ok(Bytes::from(vec![1u8; 100_000]))]);
    // The client stalls, then goes away: the request future is dropped.
    let body = Body::from_stream(started.chain(futures_util::stream::pending()));
    let uploads = t.dir.path().join("uploads");
    let cut =
        tokio::time::timeout(std::time::Duration::from_millis(300), send(&t.index, "POST", "/pypi/a/", body)).await;
    assert!(cut.is_err(), "the request should still be waiting for its body");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::fs::read_dir(&uploads).unwrap().next().is_some() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(std::fs::read_dir(&uploads).unwrap().count(), 0, "a cancelled upload left its staged file");
}
