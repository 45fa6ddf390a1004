//! The local-filesystem blob store (the embedded default).

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::fs::File;
use wharf_core::{Digest, Hasher};

use crate::key;
use crate::mmap::MapBudget;

/// Bytes of blob files mapped at once for downloads, across all of them.
const MAP_BUDGET_BYTES: u64 = 64 * 1024 * 1024;

static STAGING: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A running hash of an upload: valid for the first `len` bytes of the file.
pub(crate) struct RunningHash {
    pub(crate) len: u64,
    pub(crate) hasher: Hasher,
}

#[derive(Default)]
pub(crate) struct UploadState {
    pub(crate) running: Option<RunningHash>,
}

/// Content-addressed blob storage on a local directory.
pub struct BlobStore {
    pub(crate) root: PathBuf,
    /// Per-upload lock and running hash; lost on restart (then the upload is
    /// re-hashed from disk on commit).
    pub(crate) uploads: Mutex<HashMap<String, Arc<tokio::sync::Mutex<UploadState>>>>,
    pub(crate) map_budget: MapBudget,
}

/// An opened blob range, ready to stream.
pub struct BlobReader {
    file: std::fs::File,
    offset: u64,
    pub len: u64,
    budget: MapBudget,
}

impl BlobReader {
    /// The bytes, each chunk read when the socket asks for it.
    pub fn into_stream(self) -> impl futures_util::Stream<Item = io::Result<bytes::Bytes>> + Send + 'static {
        crate::pipeline::read_stream(self.file, self.offset, self.len, self.budget)
    }
}

impl BlobStore {
    /// Opens (creating if needed) a store rooted at `root`.
    pub async fn open(root: impl Into<PathBuf>) -> io::Result<BlobStore> {
        let root = root.into();
        for sub in key::DIRS {
            tokio::fs::create_dir_all(root.join(sub)).await?;
        }
        // Staging files never survive a restart: they were never visible.
        let mut rd = tokio::fs::read_dir(root.join(key::TMP)).await?;
        while let Some(e) = rd.next_entry().await? {
            let _ = tokio::fs::remove_file(e.path()).await;
        }
        Ok(BlobStore { root, uploads: Mutex::new(HashMap::new()), map_budget: MapBudget::new(MAP_BUDGET_BYTES) })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Size of a committed blob, or `None` when absent.
    pub async fn stat(&self, d: &Digest) -> io::Result<Option<u64>> {
        match tokio::fs::metadata(key::blob(&self.root, d)).await {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Opens `len` bytes of a blob starting at `offset` (a byte range).
    pub async fn read(&self, d: &Digest, offset: u64, len: u64) -> io::Result<Option<BlobReader>> {
        let file = match File::open(key::blob(&self.root, d)).await {
            Ok(f) => f.into_std().await,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(Some(BlobReader { file, offset, len, budget: self.map_budget.clone() }))
    }

    /// Reads a whole small blob (manifests; callers bound the size).
    pub async fn read_small(&self, d: &Digest) -> io::Result<Option<Vec<u8>>> {
        match tokio::fs::read(key::blob(&self.root, d)).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Durably stores small in-memory content (a manifest) under its digest.
    pub async fn put_small(&self, d: &Digest, bytes: Vec<u8>) -> io::Result<()> {
        let dest = key::blob(&self.root, d);
        // A unique staging name: concurrent writers of the same content must
        // never share (and truncate) one temp file.
        let n = STAGING.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = key::tmp(&self.root, &format!("small-{}-{n}", d.hex()));
        tokio::task::spawn_blocking(move || {
            if dest.exists() {
                return Ok(());
            }
            let mut f = std::fs::File::create(&tmp)?;
            io::Write::write_all(&mut f, &bytes)?;
            f.sync_all()?;
            publish(&tmp, &dest)
        })
        .await
        .map_err(io::Error::other)?
    }

    /// Removes a committed blob's bytes (garbage collection only).
    pub async fn delete(&self, d: &Digest) -> io::Result<()> {
        match tokio::fs::remove_file(key::blob(&self.root, d)).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    pub(crate) fn blob_path(&self, d: &Digest) -> PathBuf {
        key::blob(&self.root, d)
    }
}

/// Renames a fully written, fsynced file into its content address and makes
/// the rename durable. An existing destination wins (same content).
pub(crate) fn publish(tmp: &Path, dest: &Path) -> io::Result<()> {
    let parent = dest.parent().expect("blob paths have a parent");
    create_dir_durable(parent)?;
    if dest.exists() {
        std::fs::remove_file(tmp)?;
        return Ok(());
    }
    std::fs::rename(tmp, dest)?;
    std::fs::File::open(parent)?.sync_all()
}

/// `create_dir_all`, plus an fsync of the parent of every directory it
/// creates, so a new `blobs/<alg>/<xx>/` survives a power loss along with
/// the blob renamed into it.
fn create_dir_durable(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let parent = dir.parent().ok_or_else(|| io::Error::other("no parent directory"))?;
    create_dir_durable(parent)?;
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        // Created concurrently; sync anyway, the other creator may not have yet.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    std::fs::File::open(parent)?.sync_all()
}

/// Why the data directory cannot take writes.
#[derive(Debug, thiserror::Error)]
pub enum StorageHealth {
    #[error("data directory out of space: {free} bytes free")]
    Full { free: u64 },
    #[error("data directory not writable: {0}")]
    Unwritable(io::Error),
}

/// Free bytes below which the data directory counts as full (or a
/// sixteenth of a smaller file system).
const MIN_FREE_BYTES: u64 = 64 * 1024 * 1024;

impl BlobStore {
    /// Whether the data directory can take writes: enough free space, and a
    /// small file can be written, synced and removed.
    pub async fn check_writable(&self) -> Result<(), StorageHealth> {
        let root = self.root.clone();
        let n = STAGING.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let probe = key::tmp(&self.root, &format!("ready-{n}"));
        tokio::task::spawn_blocking(move || {
            let st = rustix::fs::statvfs(&root).map_err(|e| StorageHealth::Unwritable(e.into()))?;
            let free = st.f_bavail.saturating_mul(st.f_frsize);
            let total = st.f_blocks.saturating_mul(st.f_frsize);
            if free < MIN_FREE_BYTES.min(total / 16) {
                return Err(StorageHealth::Full { free });
            }
            let write = || -> io::Result<()> {
                let mut f = std::fs::File::create(&probe)?;
                io::Write::write_all(&mut f, b"ok")?;
                f.sync_all()?;
                std::fs::remove_file(&probe)
            };
            write().map_err(StorageHealth::Unwritable)
        })
        .await
        .map_err(|e| StorageHealth::Unwritable(io::Error::other(e)))?
    }
}
