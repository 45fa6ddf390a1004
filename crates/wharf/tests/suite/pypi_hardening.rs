//! The package index against hostile or confused clients: endless multipart
//! headers, uploads to the wrong URL, conflicting files across a group and
//! staging files a crash left behind.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::*;
use crate::pypi_http::{demo_wheel, hex256};

/// Over a real socket: a part header that never ends (256 MiB promised,
/// no CRLFCRLF) is answered with a 413 long before the body is sent.
#[tokio::test]
async fn multipart_header_is_bounded() {
    let s = server();
    let stream = tokio::net::TcpStream::connect(s.addr()).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let total: u64 = 256 << 20;
    let head = format!(
        "POST /pypi/team/app/ HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n\
         Content-Length: {total}\r\n\r\n--b\r\nContent-Disposition: form-data; name=\"content\"; filename=\"a.whl\"\r\nX: "
    );
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let writer = tokio::spawn(async move {
        wr.write_all(head.as_bytes()).await?;
        let chunk = vec![b'a'; 64 << 10];
        while counter.load(Ordering::Relaxed) < total - (1 << 20) {
            wr.write_all(&chunk).await?;
            counter.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        }
        Ok::<_, std::io::Error>(())
    });
    let started = Instant::now();
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    while !response.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), rd.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0, "connection closed without a response");
        response.extend_from_slice(&buf[..n]);
    }
    let status_line = String::from_utf8_lossy(&response).lines().next().unwrap().to_string();
    assert!(status_line.starts_with("HTTP/1.1 413"), "{status_line}");
    assert!(started.elapsed() < Duration::from_secs(5), "answered after {:?}", started.elapsed());
    assert!(sent.load(Ordering::Relaxed) < 64 << 20, "the server read {} bytes first", sent.load(Ordering::Relaxed));
    writer.abort();
}

#[tokio::test]
async fn post_to_index_url_says_where_uploads_go() {
    let s = server();
    let c = Oci::new(&s);
    let (name, bytes) = demo_wheel("1.0");
    for path in ["/pypi/team/app/simple/", "/pypi/team/simple/", "/pypi/team/app/simple/demo-pkg/"] {
        let form = Form::new()
            .text(":action", "file_upload")
            .text("sha256_digest", hex256(&bytes))
            .part("content", Part::bytes(bytes.clone()).file_name(name.clone()));
        let r = c.http.post(c.url(path)).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
        assert_eq!(header(r.headers(), "allow").as_deref(), Some("GET, HEAD"), "{path}");
        let text = r.text().await.unwrap();
        let ns = path.trim_start_matches("/pypi/").split("/simple/").next().unwrap();
        assert!(text.contains(&format!("Uploads go to /pypi/{ns}/")), "{path}: {text}");
    }
}

#[tokio::test]
async fn staged_uploads_without_session_are_cleaned_at_start() {
    let mut s = process_server();
    let loc = Oci::new(&s).start_upload("team/app").await;
    let session = loc.split('?').next().unwrap().rsplit('/').next().unwrap().to_string();
    let uploads = s.data_dir().join("uploads");
    assert!(uploads.join(&session).exists(), "{loc}");
    // A crash in the middle of a package upload: its staged file has no session.
    s.kill9();
    let orphan = uploads.join("0badc0de-0000-4000-8000-000000000001");
    std::fs::write(&orphan, random_bytes(4096)).unwrap();
    s.start_again();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while orphan.exists() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(!orphan.exists(), "a staged file no session owns survived the start");
    // Sessions survive restarts: the blob upload's file is still there.
    assert!(uploads.join(&session).exists());
}
