//! The blocking side of streaming bytes in and out of files.
//!
//! In: the network task hands chunks to a writer thread, which writes them
//! and passes the same (reference-counted) chunks to a hasher thread, so
//! hashing and writing use both cores; every [`WRITEBACK_EVERY`] bytes a
//! flusher thread starts writing the file back to disk, so the final fsync
//! at commit only waits for the tail.
//!
//! Out: a reader thread reads ahead into a small bounded channel, so disk
//! reads overlap socket writes.

use std::io::{self, Seek, SeekFrom, Write};
use std::path::Path;

use bytes::Bytes;
use futures_util::Stream;
use tokio::sync::mpsc;

use crate::fs::RunningHash;

/// Chunks queued between the network and the writer, and between the writer
/// and the hasher (bounds memory per upload).
pub(crate) const CHANNEL_DEPTH: usize = 8;
/// Bytes written between early writeback requests.
const WRITEBACK_EVERY: u64 = 32 * 1024 * 1024;
/// Read-ahead chunk size and depth for downloads (bounds memory per download).
const READ_CHUNK: usize = 1024 * 1024;
/// Size of each read-only mapping handed to the socket writer.
const MAP_WINDOW: u64 = 8 * 1024 * 1024;
const READ_AHEAD: usize = 4;

/// Writes every chunk from `rx` at offset `at` of `path`, hashing in
/// parallel. Returns bytes written and the extended running hash.
pub(crate) async fn write_all(
    path: &Path,
    at: u64,
    running: Option<RunningHash>,
    rx: mpsc::Receiver<Bytes>,
) -> io::Result<(u64, Option<RunningHash>)> {
    let (htx, hrx) = mpsc::channel::<Bytes>(CHANNEL_DEPTH);
    let hasher = running.map(|r| tokio::task::spawn_blocking(move || hash_chunks(r, hrx)));
    let htx = hasher.as_ref().map(|_| htx);
    let path = path.to_path_buf();
    let written =
        tokio::task::spawn_blocking(move || write_chunks(&path, at, rx, htx)).await.map_err(io::Error::other)?;
    let running = match hasher {
        Some(h) => Some(h.await.map_err(io::Error::other)?),
        None => None,
    };
    Ok((written?, running))
}

fn hash_chunks(mut r: RunningHash, mut rx: mpsc::Receiver<Bytes>) -> RunningHash {
    while let Some(chunk) = rx.blocking_recv() {
        r.hasher.update(&chunk);
        r.len += chunk.len() as u64;
    }
    r
}

fn write_chunks(
    path: &Path,
    at: u64,
    mut rx: mpsc::Receiver<Bytes>,
    hasher: Option<mpsc::Sender<Bytes>>,
) -> io::Result<u64> {
    let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
    file.seek(SeekFrom::Start(at))?;
    let mut written = 0u64;
    let mut flusher: Option<std::sync::mpsc::SyncSender<()>> = None;
    while let Some(chunk) = rx.blocking_recv() {
        file.write_all(&chunk)?;
        let before = at + written;
        written += chunk.len() as u64;
        if let Some(h) = &hasher {
            h.blocking_send(chunk).map_err(|_| io::Error::other("hasher stopped"))?;
        }
        // Boundaries of the file, not of this request: chunked uploads of
        // any chunk size get early writeback too.
        if before / WRITEBACK_EVERY != (at + written) / WRITEBACK_EVERY {
            if flusher.is_none() {
                flusher = Some(start_flusher(file.try_clone()?));
            }
            // A flush already queued covers this request too.
            let _ = flusher.as_ref().map(|tx| tx.try_send(()));
        }
    }
    Ok(written)
}

/// A thread that fdatasyncs the file whenever asked (requests coalesce).
fn start_flusher(file: std::fs::File) -> std::sync::mpsc::SyncSender<()> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<()>(1);
    std::thread::spawn(move || {
        while rx.recv().is_ok() {
            let _ = file.sync_data();
        }
    });
    tx
}

/// Streams `len` bytes of `file` from `offset`, read ahead on a blocking thread.
pub(crate) fn read_stream(
    file: std::fs::File,
    offset: u64,
    len: u64,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(READ_AHEAD);
    tokio::task::spawn_blocking(move || {
        let mut file = file;
        let (mut pos, end) = (offset, offset + len);
        while pos < end {
            // Large pieces come from a read-only mapping (zero-copy to the
            // socket); the tail and small blobs are read into a buffer.
            let mapped = end - pos >= MAP_WINDOW;
            let n = if mapped { MAP_WINDOW } else { (end - pos).min(READ_CHUNK as u64) };
            let result = if mapped { crate::mmap::map(&file, pos, n) } else { read_exactly(&mut file, pos, n) };
            let failed = result.is_err();
            if tx.blocking_send(result).is_err() || failed {
                return; // the client went away, or the read failed
            }
            pos += n;
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) })
}

/// Reads exactly `n` bytes at `pos` (`read_to_end` fills spare capacity
/// without zeroing it first).
fn read_exactly(file: &mut std::fs::File, pos: u64, n: u64) -> io::Result<Bytes> {
    file.seek(SeekFrom::Start(pos))?;
    let mut buf = Vec::with_capacity(n as usize);
    let got = io::Read::read_to_end(&mut io::Read::take(&mut *file, n), &mut buf)?;
    if got as u64 != n {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "blob shorter than recorded"));
    }
    Ok(Bytes::from(buf))
}
