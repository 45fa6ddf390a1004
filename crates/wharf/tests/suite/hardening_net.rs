//! Hostile and slow clients, through real sockets against the built binary:
//! none of them may degrade a normal client, whose requests must keep
//! succeeding within a second.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wharf_test_support::TestServer;

use crate::common::{error_code, header, location, random_bytes, sha256, with_digest, Oci};

fn server(args: &[&str]) -> TestServer {
    TestServer::start_with(env!("CARGO_BIN_EXE_wharf"), args)
}

/// A normal client's round trip: push a small blob, pull it back; each
/// request within a second.
async fn normal_client_is_served(c: &Oci, repo: &str) {
    let bytes = random_bytes(4096);
    let started = Instant::now();
    let digest =
        tokio::time::timeout(Duration::from_secs(1), c.push_blob(repo, &bytes)).await.expect("push took > 1 s");
    let get = tokio::time::timeout(Duration::from_secs(1), c.get(&format!("/v2/{repo}/blobs/{digest}")))
        .await
        .expect("pull took > 1 s");
    assert_eq!(get.status(), 200);
    assert_eq!(get.bytes().await.unwrap().as_ref(), bytes.as_slice());
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// Reads until the server closes the connection; how long that took.
async fn time_to_close(mut s: TcpStream, within: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    tokio::time::timeout(within, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return started.elapsed(),
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()
}

#[tokio::test]
async fn slowloris_heads_are_closed() {
    let s = server(&["--header-read-timeout-secs", "1"]);
    let c = Oci::new(&s);
    let mut lorises = Vec::new();
    for _ in 0..200 {
        let mut t = TcpStream::connect(s.addr()).await.unwrap();
        t.write_all(b"GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
        lorises.push(t);
    }
    normal_client_is_served(&c, "team/app").await;
    for t in lorises {
        assert!(time_to_close(t, Duration::from_secs(5)).await.is_some(), "a half-sent head was never closed");
    }
    // A new client: the first one's pooled connection was idle past the 1 s
    // timeout, and the server may close it just as it is reused.
    normal_client_is_served(&Oci::new(&s), "team/app").await;
}

#[tokio::test]
async fn idle_keepalive_connections_are_closed() {
    let s = server(&["--header-read-timeout-secs", "1", "--idle-timeout-secs", "1"]);
    let mut idle = Vec::new();
    for _ in 0..50 {
        let mut t = TcpStream::connect(s.addr()).await.unwrap();
        t.write_all(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let mut buf = [0u8; 12];
        t.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"HTTP/1.1 200");
        idle.push(t);
    }
    for t in idle {
        assert!(time_to_close(t, Duration::from_secs(5)).await.is_some(), "an idle keep-alive connection stayed open");
    }
}

#[tokio::test]
async fn connections_beyond_the_limit_get_503() {
    let s = server(&["--max-connections", "20"]);
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(TcpStream::connect(s.addr()).await.unwrap());
    }
    let mut extra = TcpStream::connect(s.addr()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), extra.read_to_string(&mut answer)).await.unwrap().unwrap();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("retry-after: 1"), "{answer}");
    drop(held);
    // Slots come back once the held connections close.
    let c = Oci::new(&s);
    let deadline = Instant::now() + Duration::from_secs(5);
    while c.http.get(c.url("/v2/")).send().await.map(|r| r.status()).ok() != Some(reqwest::StatusCode::OK) {
        assert!(Instant::now() < deadline, "connection slots never came back");
        tokio::task::yield_now().await;
    }
}

/// Opens a PATCH that promises `promised` bytes and sends only `sent`.
async fn slow_patch(s: &TestServer, loc: &str, promised: usize, sent: usize) -> TcpStream {
    let path = loc.strip_prefix(&s.url()).unwrap_or(loc);
    let mut t = TcpStream::connect(s.addr()).await.unwrap();
    let head = format!(
        "PATCH {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: {promised}\r\n\r\n"
    );
    t.write_all(head.as_bytes()).await.unwrap();
    t.write_all(&vec![b'x'; sent]).await.unwrap();
    t
}

/// Sends a GET for a blob and never reads the answer.
async fn non_reading_download(s: &TestServer, repo: &str, digest: &str) -> TcpStream {
    let mut t = TcpStream::connect(s.addr()).await.unwrap();
    let req = format!("GET /v2/{repo}/blobs/{digest} HTTP/1.1\r\nHost: x\r\n\r\n");
    t.write_all(req.as_bytes()).await.unwrap();
    t
}

#[tokio::test]
async fn slow_clients_do_not_starve_others() {
    let s = server(&[]);
    let c = Oci::new(&s);
    let big = random_bytes(1 << 20).repeat(24);
    let digest = c.push_blob("team/big", &big).await;
    let mut held = Vec::new();
    // Before the fix, each of these held one or two of the 512 blocking
    // threads for as long as the client took.
    for _ in 0..300 {
        let loc = c.start_upload("team/slow").await;
        held.push(slow_patch(&s, &loc, 10 << 20, 1000).await);
    }
    for _ in 0..300 {
        held.push(non_reading_download(&s, "team/big", &digest).await);
    }
    // Until the downloaders' socket buffers are full the server is busy
    // filling them (gigabytes on loopback); that is work, not starvation.
    tokio::time::timeout(Duration::from_secs(30), c.push_blob("team/app", b"settle")).await.unwrap();
    for _ in 0..3 {
        normal_client_is_served(&c, "team/app").await;
    }
    drop(held);
}

#[tokio::test]
async fn stalled_patch_times_out_and_its_session_keeps_its_bytes() {
    let s = server(&["--body-read-timeout-secs", "1"]);
    let c = Oci::new(&s);
    let loc = c.start_upload("team/app").await;
    let r = c
        .http
        .patch(c.url(&loc))
        .header("Content-Type", "application/octet-stream")
        .header("Content-Range", "0-2")
        .body("abc")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let loc = location(&r);
    let mut t = slow_patch(&s, &loc, 100, 10).await;
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(10), t.read_to_string(&mut answer)).await.expect("never answered").ok();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("BLOB_UPLOAD_INVALID"), "{answer}");
    let status = c.get(&loc).await;
    assert_eq!(status.status(), 204);
    assert_eq!(header(status.headers(), "range").as_deref(), Some("0-2"));
    // The session goes on from where it was.
    let r = c.http.put(c.url(&with_digest(&loc, &sha256(b"abcdef")))).body("def").send().await.unwrap();
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn transfers_beyond_the_limit_are_told_to_retry() {
    let s = server(&["--max-concurrent-downloads", "2"]);
    let c = Oci::new(&s);
    let big = random_bytes(1 << 20).repeat(24);
    let digest = c.push_blob("team/big", &big).await;
    let held =
        [non_reading_download(&s, "team/big", &digest).await, non_reading_download(&s, "team/big", &digest).await];
    // The held downloads are in flight once their heads came back.
    let mut refused = None;
    let deadline = Instant::now() + Duration::from_secs(5);
    while refused.is_none() {
        let r = c.get(&format!("/v2/team/big/blobs/{digest}")).await;
        if r.status() == 429 {
            refused = Some(r);
        } else {
            assert!(Instant::now() < deadline, "never refused");
        }
    }
    let r = refused.unwrap();
    assert_eq!(header(r.headers(), "retry-after").as_deref(), Some("1"));
    assert_eq!(error_code(r).await, "TOOMANYREQUESTS");
    drop(held);
}
