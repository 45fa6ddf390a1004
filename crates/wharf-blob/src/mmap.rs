//! Zero-copy downloads: a committed blob file is mapped read-only and its
//! pages are handed to the socket writer directly, so serving a layer costs
//! one copy (page cache → socket), as with `sendfile`, instead of two.
//!
//! This is the one place with `unsafe`: mapping a file is unsafe because the
//! mapping would change (or fault) if the file were modified or truncated
//! while mapped. Committed blobs are immutable by construction (content
//! addressed, written once via temp + rename, never opened for writing
//! again); deleting one only unlinks the name and leaves existing mappings
//! intact.
#![allow(unsafe_code)]

//!
//! Mapped pages count towards the process's memory, so every mapping draws
//! its length from one [`MapBudget`] (shared by all downloads) and gives it
//! back when the socket writer drops the bytes.

use std::io;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The budget unit: permits are whole units of this many bytes.
const UNIT: u64 = 1024 * 1024;

/// How many bytes of blob files may be mapped at once, across all downloads.
#[derive(Clone)]
pub(crate) struct MapBudget(Arc<Semaphore>);

impl MapBudget {
    pub(crate) fn new(bytes: u64) -> MapBudget {
        MapBudget(Arc::new(Semaphore::new((bytes / UNIT) as usize)))
    }

    /// A claim on `bytes` of the budget, or `None` when it is spent.
    pub(crate) fn try_take(&self, bytes: u64) -> Option<OwnedSemaphorePermit> {
        self.0.clone().try_acquire_many_owned(bytes.div_ceil(UNIT) as u32).ok()
    }

    #[cfg(test)]
    pub(crate) fn available(&self) -> u64 {
        self.0.available_permits() as u64 * UNIT
    }
}

/// A mapping that holds its share of the budget until it is dropped.
struct Mapped {
    map: memmap2::Mmap,
    _permit: OwnedSemaphorePermit,
}

impl AsRef<[u8]> for Mapped {
    fn as_ref(&self) -> &[u8] {
        &self.map
    }
}

/// Maps `len` bytes of `file` from `offset` as one `Bytes`, charged to `permit`.
pub(crate) fn map(file: &std::fs::File, offset: u64, len: u64, permit: OwnedSemaphorePermit) -> io::Result<Bytes> {
    let len = usize::try_from(len).map_err(io::Error::other)?;
    // SAFETY: `file` is a committed blob, which is never written or truncated
    // (see the module docs); the mapping is read-only and owned by the Bytes.
    let map = unsafe { memmap2::MmapOptions::new().offset(offset).len(len).populate().map(file)? };
    Ok(Bytes::from_owner(Mapped { map, _permit: permit }))
}
