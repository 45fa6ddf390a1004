//! Garbage collection, offline: the caller holds the data directory's lock
//! ([`lock_data_dir`]), so no server is writing. Marks what manifests,
//! recent links and the package index still need, removes the links nothing
//! references (references before content), then deletes blob files nobody
//! needs that are older than the grace period.

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::{open_state, Config, ServerError};

/// What a collection found (and, unless a dry run, removed).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GcReport {
    pub links_removed: u64,
    pub blobs_removed: u64,
    pub bytes_freed: u64,
    pub blobs_kept: u64,
}

/// Holds a data directory for one process. A second `wharf serve` on the
/// same directory, or `wharf gc` while a server runs, is refused.
#[derive(Debug)]
pub struct DataDirLock(#[allow(dead_code)] std::fs::File);

pub fn lock_data_dir(dir: &Path) -> Result<DataDirLock, ServerError> {
    let err = |e| ServerError::DataDir(dir.display().to_string(), e);
    std::fs::create_dir_all(dir).map_err(err)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("wharf.lock"))
        .map_err(err)?;
    match file.try_lock() {
        Ok(()) => Ok(DataDirLock(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(ServerError::Locked(dir.display().to_string())),
        Err(std::fs::TryLockError::Error(e)) => Err(err(e)),
    }
}

/// Collects garbage in `config.data_dir`. Links and blob files younger than
/// `grace` are kept (a push whose manifest is still to come).
pub async fn collect_garbage(config: &Config, grace: Duration, dry_run: bool) -> Result<GcReport, ServerError> {
    let state = open_state(config).await?;
    let now = SystemTime::now();
    let now_secs = now.duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let mark =
        state.registry.gc_mark(now_secs, grace.as_secs() as i64).await.map_err(|e| ServerError::Gc(e.message))?;
    let mut live: HashSet<String> = mark.live;
    live.extend(state.index.gc_live().await.map_err(|e| ServerError::Gc(e.to_string()))?);
    let links_removed = if dry_run {
        mark.unreferenced_links.len() as u64
    } else {
        state.registry.gc_unlink(&mark.unreferenced_links).await.map_err(|e| ServerError::Gc(e.message))?
    };
    let mut report = GcReport { links_removed, ..GcReport::default() };
    let cutoff = now.checked_sub(grace).unwrap_or(UNIX_EPOCH);
    let blobs = &state.blobs;
    let io = |e: std::io::Error| ServerError::Gc(format!("blob store: {e}"));
    for blob in blobs.list_committed().await.map_err(io)? {
        if live.contains(&blob.digest.to_string()) || blob.modified > cutoff {
            report.blobs_kept += 1;
            continue;
        }
        if !dry_run {
            blobs.delete(&blob.digest).await.map_err(io)?;
        }
        report.blobs_removed += 1;
        report.bytes_freed += blob.size;
    }
    tracing::info!(?report, dry_run, "garbage collection finished");
    Ok(report)
}
