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

use std::io;

use bytes::Bytes;

/// Maps `len` bytes of `file` from `offset` as one `Bytes`.
pub(crate) fn map(file: &std::fs::File, offset: u64, len: u64) -> io::Result<Bytes> {
    let len = usize::try_from(len).map_err(io::Error::other)?;
    // SAFETY: `file` is a committed blob, which is never written or truncated
    // (see the module docs); the mapping is read-only and owned by the Bytes.
    let map = unsafe { memmap2::MmapOptions::new().offset(offset).len(len).populate().map(file)? };
    Ok(Bytes::from_owner(map))
}
