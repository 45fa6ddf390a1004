//! The blob store's contract, exercised directly (no HTTP).

use bytes::Bytes;
use futures_util::{stream, StreamExt};
use wharf_core::{Algorithm, Digest};

use crate::{AppendError, BlobStore, CommitError};

type Chunk = Result<Bytes, std::io::Error>;

fn body(parts: &[&[u8]]) -> impl futures_util::Stream<Item = Chunk> + Unpin {
    stream::iter(parts.iter().map(|p| Ok(Bytes::copy_from_slice(p))).collect::<Vec<_>>())
}

async fn read_all(store: &BlobStore, d: &Digest, offset: u64, len: u64) -> Vec<u8> {
    let r = store.read(d, offset, len).await.unwrap().unwrap();
    let mut s = Box::pin(r.into_stream());
    let mut out = Vec::new();
    while let Some(c) = s.next().await {
        out.extend_from_slice(&c.unwrap());
    }
    out
}

#[tokio::test]
async fn append_commit_and_read_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::open(dir.path()).await.unwrap();
    store.create_upload("a1").await.unwrap();
    assert_eq!(store.append("a1", Some(0), 1 << 20, body(&[b"hello ", b"wor"])).await.unwrap(), 9);
    assert_eq!(store.append("a1", Some(9), 1 << 20, body(&[b"ld"])).await.unwrap(), 11);
    let d = Digest::sha256_of(b"hello world");
    assert!(store.stat(&d).await.unwrap().is_none(), "not visible before commit");
    assert_eq!(store.commit("a1", &d).await.unwrap(), 11);
    assert_eq!(store.stat(&d).await.unwrap(), Some(11));
    assert_eq!(read_all(&store, &d, 6, 5).await, b"world");
    assert!(store.upload_len("a1").await.unwrap().is_none(), "session gone after commit");
}

#[tokio::test]
async fn out_of_order_and_failed_bodies_leave_the_session_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::open(dir.path()).await.unwrap();
    store.create_upload("b1").await.unwrap();
    store.append("b1", None, 100, body(&[b"abc"])).await.unwrap();
    assert!(matches!(
        store.append("b1", Some(0), 100, body(&[b"x"])).await,
        Err(AppendError::OutOfOrder { have: 3, got: 0 })
    ));
    let broken = stream::iter(vec![Ok(Bytes::from_static(b"def")), Err(std::io::Error::other("reset"))]);
    assert!(matches!(store.append("b1", None, 100, broken).await, Err(AppendError::Body(_))));
    assert_eq!(store.upload_len("b1").await.unwrap(), Some(3), "partial chunk cut back");
    assert!(matches!(store.append("b1", None, 5, body(&[b"defgh"])).await, Err(AppendError::TooLarge(5))));
    assert_eq!(store.upload_len("b1").await.unwrap(), Some(3));
    let wrong = Digest::sha256_of(b"nope");
    assert!(matches!(store.commit("b1", &wrong).await, Err(CommitError::DigestMismatch { .. })));
    assert!(store.stat(&wrong).await.unwrap().is_none());
    assert_eq!(store.commit("b1", &Digest::sha256_of(b"abc")).await.unwrap(), 3);
}

#[tokio::test]
async fn a_new_store_resumes_uploads_and_rehashes() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = BlobStore::open(dir.path()).await.unwrap();
        store.create_upload("c1").await.unwrap();
        store.append("c1", Some(0), 100, body(&[b"resumed "])).await.unwrap();
    }
    let store = BlobStore::open(dir.path()).await.unwrap(); // "after a restart"
    assert_eq!(store.upload_len("c1").await.unwrap(), Some(8));
    store.append("c1", Some(8), 100, body(&[b"upload"])).await.unwrap();
    let d512 = Digest::of(Algorithm::Sha512, b"resumed upload");
    assert_eq!(store.commit("c1", &d512).await.unwrap(), 14);
    assert_eq!(read_all(&store, &d512, 0, 14).await, b"resumed upload");
}

#[tokio::test]
async fn small_writes_and_bad_ids() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::open(dir.path()).await.unwrap();
    let d = Digest::sha256_of(b"{}");
    store.put_small(&d, b"{}".to_vec()).await.unwrap();
    store.put_small(&d, b"{}".to_vec()).await.unwrap(); // idempotent
    assert_eq!(store.read_small(&d).await.unwrap().unwrap(), b"{}");
    assert!(store.upload_path("../../etc").is_none());
    assert!(matches!(store.append("../x", None, 10, body(&[b"x"])).await, Err(AppendError::UnknownUpload)));
    assert!(matches!(store.append("deadbeef", None, 10, body(&[b"x"])).await, Err(AppendError::UnknownUpload)));
    assert_eq!(std::fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0, "no staging left");
}

#[tokio::test]
async fn large_reads_are_mapped_and_exact() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::open(dir.path()).await.unwrap();
    let data: Vec<u8> = (0..20 * 1024 * 1024 + 12345).map(|i: u32| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    store.create_upload("d1").await.unwrap();
    store.append("d1", None, u64::MAX, body(&[&data])).await.unwrap();
    let d = Digest::sha256_of(&data);
    store.commit("d1", &d).await.unwrap();
    assert_eq!(read_all(&store, &d, 0, data.len() as u64).await, data);
    let (start, len) = (3 * 1024 * 1024 + 7, 9 * 1024 * 1024 + 11);
    assert_eq!(read_all(&store, &d, start as u64, len as u64).await, &data[start..start + len]);
}

/// Stalled uploaders and downloaders that stop reading must hold no
/// blocking thread: with a pool of two, a normal upload and download still
/// finish while twenty of each are stuck.
#[test]
fn stalled_clients_hold_no_blocking_thread() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(BlobStore::open(dir.path()).await.unwrap());
        let big = vec![7u8; 9 << 20];
        let d = Digest::sha256_of(&big);
        store.create_upload("c0").await.unwrap();
        store.append("c0", None, u64::MAX, body(&[&big])).await.unwrap();
        store.commit("c0", &d).await.unwrap();
        let mut stuck = Vec::new();
        for i in 0..20 {
            let id = format!("d{i}");
            store.create_upload(&id).await.unwrap();
            let s = store.clone();
            // Some bytes, then nothing for ever.
            let stalled =
                stream::iter(vec![Ok::<_, std::io::Error>(Bytes::from_static(b"abc"))]).chain(stream::pending());
            stuck.push(tokio::spawn(async move { s.append(&id, None, u64::MAX, Box::pin(stalled)).await }));
            // A download whose first chunk is taken and then never read on.
            let mut r = Box::pin(store.read(&d, 0, big.len() as u64).await.unwrap().unwrap().into_stream());
            r.next().await.unwrap().unwrap();
            stuck.push(tokio::spawn(async move {
                let _hold = r;
                std::future::pending::<Result<u64, AppendError>>().await
            }));
        }
        let normal = async {
            store.create_upload("e1").await.unwrap();
            store.append("e1", None, u64::MAX, body(&[b"fine"])).await.unwrap();
            store.commit("e1", &Digest::sha256_of(b"fine")).await.unwrap();
            assert_eq!(read_all(&store, &d, 0, big.len() as u64).await, big);
        };
        tokio::time::timeout(std::time::Duration::from_secs(10), normal).await.expect("normal client starved");
        for s in stuck {
            s.abort();
        }
    });
}

#[tokio::test]
async fn mapped_downloads_draw_on_one_budget() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::open(dir.path()).await.unwrap();
    let big: Vec<u8> = (0..(20u32 << 20)).map(|i| (i % 251) as u8).collect();
    let d = Digest::sha256_of(&big);
    store.create_upload("a2").await.unwrap();
    store.append("a2", None, u64::MAX, body(&[&big])).await.unwrap();
    store.commit("a2", &d).await.unwrap();
    let full = store.map_budget.available();
    let mut readers = Vec::new();
    // Far more concurrent readers than the budget has windows for.
    for _ in 0..100 {
        let mut s = Box::pin(store.read(&d, 0, big.len() as u64).await.unwrap().unwrap().into_stream());
        let first = s.next().await.unwrap().unwrap();
        readers.push((s, first));
    }
    assert_eq!(store.map_budget.available(), 0, "budget spent, the rest read into buffers");
    // Every reader still gets exact bytes.
    for (mut s, first) in readers.drain(..3) {
        let mut out = first.to_vec();
        while let Some(c) = s.next().await {
            out.extend_from_slice(&c.unwrap());
        }
        assert!(out == big);
    }
    drop(readers);
    assert_eq!(store.map_budget.available(), full, "mappings give their budget back");
}
