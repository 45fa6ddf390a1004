//! Durability: uploads survive a restart; kill -9 during concurrent pushes
//! loses at most the in-flight pushes and leaves nothing half-visible.

use std::sync::Arc;

use reqwest::header::CONTENT_RANGE;
use reqwest::StatusCode;
use sha2::{Digest as _, Sha256};
use tokio::sync::mpsc;

use crate::common::*;
// Restarts, kill -9 and SIGTERM: the wharf binary.
use crate::common::process_server as server;

#[tokio::test]
async fn chunked_upload_resumes_after_restart() {
    let mut s = server();
    let c = Oci::new(&s);
    let blob = random_bytes(300_000);
    let loc = c.start_upload("dur/restart").await;
    let r =
        c.http.patch(c.url(&loc)).header(CONTENT_RANGE, "0-99999").body(blob[..100_000].to_vec()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    s.restart();
    let c = Oci::new(&s);
    let r = c.get(&loc).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(r.headers(), "range").unwrap(), "0-99999");
    let r = c
        .http
        .patch(c.url(&loc))
        .header(CONTENT_RANGE, "100000-199999")
        .body(blob[100_000..200_000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let r = c
        .http
        .put(with_digest(&c.url(&loc), &sha256(&blob)))
        .header(CONTENT_RANGE, "200000-299999")
        .body(blob[200_000..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(c.get(&location(&r)).await.bytes().await.unwrap().as_ref(), blob.as_slice());
}

/// Every committed blob file must hash to its own name.
fn assert_store_consistent(root: &std::path::Path) {
    let dir = root.join("blobs").join("sha256");
    let Ok(prefixes) = std::fs::read_dir(&dir) else { return };
    for p in prefixes {
        for f in std::fs::read_dir(p.unwrap().path()).unwrap() {
            let f = f.unwrap();
            let bytes = std::fs::read(f.path()).unwrap();
            assert_eq!(hex::encode(Sha256::digest(&bytes)), f.file_name().to_string_lossy(), "corrupt blob visible");
        }
    }
}

#[tokio::test]
async fn kill_9_during_concurrent_pushes() {
    let mut s = server();
    let base = s.url();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<(String, Vec<u8>, String)>();
    let started = Arc::new(std::sync::Mutex::new(Vec::<(String, Vec<u8>)>::new()));
    let mut workers = Vec::new();
    for w in 0..4 {
        let (base, done_tx, started) = (base.clone(), done_tx.clone(), started.clone());
        workers.push(tokio::spawn(async move {
            let c = Oci { base, http: reqwest::Client::new() };
            let repo = format!("crash/w{w}");
            for i in 0.. {
                let blob = random_bytes(512 * 1024 + i);
                let digest = sha256(&blob);
                started.lock().unwrap().push((repo.clone(), blob.clone()));
                let Ok(r) = c.http.post(c.url(&format!("/v2/{repo}/blobs/uploads/"))).send().await else { return };
                let Some(loc) = r.headers().get("location").map(|l| l.to_str().unwrap().to_string()) else { return };
                let mut sent = 0;
                for chunk in blob.chunks(128 * 1024) {
                    let range = format!("{}-{}", sent, sent + chunk.len() - 1);
                    let Ok(r) =
                        c.http.patch(c.url(&loc)).header(CONTENT_RANGE, range).body(chunk.to_vec()).send().await
                    else {
                        return;
                    };
                    if r.status() != StatusCode::ACCEPTED {
                        return;
                    }
                    sent += chunk.len();
                }
                let Ok(r) = c.http.put(with_digest(&c.url(&loc), &digest)).send().await else { return };
                if r.status() != StatusCode::CREATED {
                    return;
                }
                let m = image_manifest(&digest, blob.len(), &[], None, None);
                let Ok(r) = c.put_manifest(&repo, &format!("t{i}"), OCI_MANIFEST, &m).await.error_for_status() else {
                    return;
                };
                let _ = r;
                if done_tx.send((repo.clone(), blob, format!("t{i}"))).is_err() {
                    return;
                }
            }
        }));
    }
    drop(done_tx);
    let mut completed = Vec::new();
    while completed.len() < 12 {
        completed.push(done_rx.recv().await.expect("pushes complete"));
    }
    s.kill9();
    for w in workers {
        let _ = w.await;
    }
    while let Ok(x) = done_rx.try_recv() {
        completed.push(x);
    }
    s.start_again();
    let c = Oci::new(&s);
    for (repo, blob, tag) in &completed {
        let r = c.get(&format!("/v2/{repo}/manifests/{tag}")).await;
        assert_eq!(r.status(), StatusCode::OK, "completed push {repo}:{tag} lost");
        let r = c.get(&format!("/v2/{repo}/blobs/{}", sha256(blob))).await;
        assert_eq!(r.bytes().await.unwrap().as_ref(), blob.as_slice(), "completed blob not byte-exact");
    }
    // In-flight pushes are either absent or complete, never partial.
    let started: Vec<_> = started.lock().unwrap().clone();
    for (repo, blob) in &started {
        let r = c.get(&format!("/v2/{repo}/blobs/{}", sha256(blob))).await;
        if r.status() == StatusCode::OK {
            assert_eq!(r.bytes().await.unwrap().as_ref(), blob.as_slice());
        } else {
            assert_eq!(r.status(), StatusCode::NOT_FOUND);
        }
    }
    assert_store_consistent(s.data_dir());
    // The server is fully usable after the crash.
    c.push_image("crash/after", "v1", "after").await;
}

#[tokio::test]
async fn graceful_shutdown_on_sigterm() {
    let mut s = server();
    Oci::new(&s).push_image("term/img", "v1", "t").await;
    assert!(s.stop().success());
    s.start_again();
    let r = Oci::new(&s).get("/v2/term/img/manifests/v1").await;
    assert_eq!(r.status(), StatusCode::OK);
}

/// Waits (polling the staging file, no fixed sleep) until the server has
/// written at least `n` bytes of upload `loc`.
async fn wait_for_staged(s: &wharf_test_support::TestServer, loc: &str, n: u64) {
    let id = loc.rsplit('/').next().unwrap().to_string();
    let path = s.data_dir().join("uploads").join(id);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) < n {
        assert!(std::time::Instant::now() < deadline, "the server never received the first chunk");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

type ChunkSender = mpsc::Sender<Result<Vec<u8>, std::io::Error>>;
type PendingResponse = tokio::task::JoinHandle<reqwest::Result<reqwest::Response>>;

/// A streamed PATCH body fed by hand: (sender, the request's future).
fn slow_patch(c: &Oci, loc: &str) -> (ChunkSender, PendingResponse) {
    let (tx, rx) = mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let body = reqwest::Body::wrap_stream(receiver_stream(rx));
    let req = c.http.patch(c.url(loc)).header("content-type", "application/octet-stream").body(body);
    (tx, tokio::spawn(req.send()))
}

fn receiver_stream<T: Send + 'static>(
    mut rx: mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> + Send + 'static {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

#[tokio::test]
async fn sigterm_lets_an_in_flight_upload_finish() {
    let s = server();
    let c = Oci::new(&s);
    let blob = random_bytes(3 << 20);
    let loc = c.start_upload("term/inflight").await;
    let (tx, patch) = slow_patch(&c, &loc);
    tx.send(Ok(blob[..1 << 20].to_vec())).await.unwrap();
    wait_for_staged(&s, &loc, 1 << 20).await;
    let stopping = tokio::task::spawn_blocking(move || {
        let mut s = s;
        let status = s.stop();
        (s, status)
    });
    for part in blob[1 << 20..].chunks(1 << 20) {
        tx.send(Ok(part.to_vec())).await.unwrap();
    }
    drop(tx);
    let r = patch.await.unwrap().unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED, "the in-flight PATCH completed");
    let loc = location(&r);
    let (mut s, status) = stopping.await.unwrap();
    assert!(status.success(), "{status:?}");
    // The finished chunk survived the shutdown: the upload completes after a restart.
    s.start_again();
    let c = Oci::new(&s);
    let digest = sha256(&blob);
    let r = c.http.put(c.url(&with_digest(&loc, &digest))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let got = c.get(&format!("/v2/term/inflight/blobs/{digest}")).await.bytes().await.unwrap();
    assert_eq!(got.as_ref(), blob.as_slice());
}

#[tokio::test]
async fn a_stalled_client_cannot_hold_shutdown_past_the_grace_period() {
    let s = server_with(&["--shutdown-grace-secs", "1"]);
    let c = Oci::new(&s);
    let loc = c.start_upload("term/stalled").await;
    let (tx, _patch) = slow_patch(&c, &loc);
    tx.send(Ok(vec![7u8; 4096])).await.unwrap();
    wait_for_staged(&s, &loc, 4096).await;
    let started = std::time::Instant::now();
    let status = tokio::task::spawn_blocking(move || {
        let mut s = s;
        s.stop()
    })
    .await
    .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(15), "{:?}", started.elapsed());
    assert!(status.success(), "{status:?}");
    drop(tx);
}

#[tokio::test]
async fn abandoned_uploads_are_reaped() {
    let s = server_with(&["--upload-max-age-secs", "1", "--upload-reap-interval-secs", "1"]);
    let c = Oci::new(&s);
    let loc = c.start_upload("reap/img").await;
    let id = loc.rsplit('/').next().unwrap().to_string();
    let upload_file = s.data_dir().join("uploads").join(&id);
    assert!(upload_file.exists());
    // A staging file no session owns (as a crash can leave) goes too.
    let orphan = s.data_dir().join("uploads").join("0b5e4c1e-0000-4000-8000-000000000000");
    std::fs::write(&orphan, b"left over").unwrap();
    wharf_test_support::run(std::process::Command::new("touch").args(["-d", "2 hours ago"]).arg(&orphan));
    // Poll (the reaper runs every second) until the session disappears.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if c.get(&loc).await.status() == StatusCode::NOT_FOUND && !orphan.exists() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "upload session never reaped");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(!upload_file.exists());
}
