//! Streaming bytes in and out of files without holding a thread per client.
//!
//! In: the network task gathers body chunks into a batch (at most
//! [`BATCH_BYTES`], reference-counted, never copied); each batch is written
//! and hashed by two short blocking jobs that run in parallel while the
//! network task gathers the next batch. A batch is handed over when it is
//! full, when the body ends or when the client pauses, so a client that
//! sends nothing costs no thread and at most one batch of memory. Every [`WRITEBACK_EVERY`] bytes a
//! blocking job starts writing the file back, so the fsync at commit only
//! waits for the tail.
//!
//! Out: each chunk of a download is produced by one short blocking job, and
//! only when the socket asked for it, so a client that stops reading holds
//! one chunk and no thread. Large chunks are read-only mappings
//! ([`crate::mmap`]) drawn from a global budget; past it they are read into a
//! small buffer instead.

use std::io;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{FutureExt, Stream, StreamExt};

use crate::fs::RunningHash;
use crate::mmap::MapBudget;
use crate::upload::AppendError;

/// Bytes gathered from the network before they are handed to disk.
const BATCH_BYTES: usize = 1024 * 1024;
/// Bytes written between early writeback requests.
const WRITEBACK_EVERY: u64 = 32 * 1024 * 1024;
/// Chunk size of buffered (unmapped) downloads.
const READ_CHUNK: u64 = 256 * 1024;
/// Size of each read-only mapping handed to the socket writer.
const MAP_WINDOW: u64 = 4 * 1024 * 1024;

/// Writes `body` at offset `at` of `file`, hashing it on the way. Returns the
/// bytes written and the extended running hash. On error the caller cuts the
/// file back: the disk may hold part of the body.
pub(crate) async fn write_stream<S, E>(
    file: Arc<std::fs::File>,
    at: u64,
    running: Option<RunningHash>,
    mut body: S,
    max_total: u64,
) -> Result<(u64, Option<RunningHash>), AppendError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut w = BatchWriter { file, pos: at, running, job: None, flush: None };
    let mut batch: Vec<Bytes> = Vec::new();
    let mut batch_len = 0usize;
    loop {
        // A batch goes to disk when it is full, when the body ends, or when
        // the client pauses: what was received is then on disk, not in memory.
        let next = match body.next().now_or_never() {
            Some(next) => next,
            None => {
                w.submit(std::mem::take(&mut batch), std::mem::take(&mut batch_len)).await?;
                body.next().await
            }
        };
        match next {
            Some(Ok(chunk)) => {
                if w.pos + (batch_len + chunk.len()) as u64 > max_total {
                    w.wait().await?;
                    return Err(AppendError::TooLarge(max_total));
                }
                batch_len += chunk.len();
                batch.push(chunk);
                if batch_len >= BATCH_BYTES {
                    w.submit(std::mem::take(&mut batch), std::mem::take(&mut batch_len)).await?;
                }
            }
            Some(Err(e)) => {
                // A disk error, if there was one, is what the caller hears.
                w.wait().await?;
                return Err(AppendError::Body(e.to_string()));
            }
            None => {
                w.submit(batch, batch_len).await?;
                w.wait().await?;
                return Ok((w.pos - at, w.running));
            }
        }
    }
}

/// A batch's write and hash, already running on blocking threads; awaiting it
/// joins both (no extra task in between).
type BatchJob = std::pin::Pin<Box<dyn std::future::Future<Output = io::Result<Option<RunningHash>>> + Send>>;

/// Batches on their way to disk, one at a time (the hash is a chain).
struct BatchWriter {
    file: Arc<std::fs::File>,
    /// File offset after the last submitted batch.
    pos: u64,
    /// The running hash, when no job holds it.
    running: Option<RunningHash>,
    job: Option<BatchJob>,
    flush: Option<tokio::task::JoinHandle<()>>,
}

impl BatchWriter {
    /// Waits for the job in flight, if any.
    async fn wait(&mut self) -> Result<(), AppendError> {
        if let Some(job) = self.job.take() {
            self.running = job.await?;
        }
        Ok(())
    }

    /// Hands a batch to disk once the previous one is written.
    async fn submit(&mut self, batch: Vec<Bytes>, len: usize) -> Result<(), AppendError> {
        if len == 0 {
            return Ok(());
        }
        self.wait().await?;
        let before = self.pos;
        self.pos += len as u64;
        self.job = Some(spawn_batch(self.file.clone(), before, batch, self.running.take()));
        // Boundaries of the file, not of this request: chunked uploads of
        // any chunk size get early writeback too. A flush still running
        // covers this one.
        let crossed = before / WRITEBACK_EVERY != self.pos / WRITEBACK_EVERY;
        if crossed && self.flush.as_ref().is_none_or(|f| f.is_finished()) {
            let f = self.file.clone();
            self.flush = Some(tokio::task::spawn_blocking(move || {
                let _ = f.sync_data();
            }));
        }
        Ok(())
    }
}

/// Writes and hashes one batch on two blocking threads at once.
fn spawn_batch(file: Arc<std::fs::File>, at: u64, batch: Vec<Bytes>, running: Option<RunningHash>) -> BatchJob {
    let batch = Arc::new(batch);
    let hasher = running.map(|mut r| {
        let batch = batch.clone();
        tokio::task::spawn_blocking(move || {
            for chunk in batch.iter() {
                r.hasher.update(chunk);
                r.len += chunk.len() as u64;
            }
            r
        })
    });
    let written = tokio::task::spawn_blocking(move || {
        let mut off = at;
        for chunk in batch.iter() {
            file.write_all_at(chunk, off)?;
            off += chunk.len() as u64;
        }
        Ok::<_, io::Error>(())
    });
    Box::pin(async move {
        let written = written.await.map_err(io::Error::other)?;
        let running = match hasher {
            Some(h) => Some(h.await.map_err(io::Error::other)?),
            None => None,
        };
        written.map(|()| running)
    })
}

/// Streams `len` bytes of `file` from `offset`; each chunk is produced when
/// the consumer asks for it, on a short blocking job.
pub(crate) fn read_stream(
    file: std::fs::File,
    offset: u64,
    len: u64,
    budget: MapBudget,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    let file = Arc::new(file);
    let end = offset + len;
    futures_util::stream::unfold(Some(offset), move |pos| {
        let (file, budget) = (file.clone(), budget.clone());
        async move {
            let pos = pos.filter(|p| *p < end)?;
            let job = tokio::task::spawn_blocking(move || read_chunk(&file, pos, end, &budget));
            match job.await.map_err(io::Error::other).and_then(|r| r) {
                Ok(chunk) => {
                    let next = pos + chunk.len() as u64;
                    Some((Ok(chunk), Some(next)))
                }
                Err(e) => Some((Err(e), None)),
            }
        }
    })
}

/// The next piece of a download: a mapping when the budget allows and the
/// rest is large, else a small buffered read.
fn read_chunk(file: &std::fs::File, pos: u64, end: u64, budget: &MapBudget) -> io::Result<Bytes> {
    if end - pos >= MAP_WINDOW {
        if let Some(permit) = budget.try_take(MAP_WINDOW) {
            return crate::mmap::map(file, pos, MAP_WINDOW, permit);
        }
    }
    let n = (end - pos).min(READ_CHUNK);
    let mut buf = vec![0u8; n as usize];
    file.read_exact_at(&mut buf, pos).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => io::Error::new(io::ErrorKind::UnexpectedEof, "blob shorter than recorded"),
        _ => e,
    })?;
    Ok(Bytes::from(buf))
}
