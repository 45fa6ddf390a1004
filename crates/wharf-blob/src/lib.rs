//! Content-addressed bytes. Knows files, digests and upload sessions; never
//! sees SQL or HTTP. A blob becomes visible only after its digest was
//! verified and its bytes were fsynced and renamed into place.

mod fs;
mod key;
mod listing;
mod mmap;
mod pipeline;
mod upload;

#[cfg(test)]
mod tests;

pub use fs::{BlobReader, BlobStore, StorageHealth};
pub use listing::StoredBlob;
pub use upload::{AppendError, CommitError};
