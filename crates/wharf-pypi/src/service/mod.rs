//! Protocol rules of the package index: uploads, pages, files, yanking and
//! deletion. Talks only to `wharf-meta` and `wharf-blob`.

mod manage;
mod pages;
mod upload;

use std::sync::Arc;

use wharf_blob::BlobStore;
use wharf_meta::Meta;

use crate::archive::Limits;

pub use pages::ROOT_PAGE_ROWS;
pub use upload::{Staged, UploadOutcome};

/// Tunables of the package index.
#[derive(Debug, Clone)]
pub struct IndexConfig {
    /// Largest package file accepted, enforced while streaming.
    pub max_file_bytes: u64,
    /// Limits applied while reading archives.
    pub limits: Limits,
}

impl Default for IndexConfig {
    fn default() -> Self {
        IndexConfig { max_file_bytes: 1024 * 1024 * 1024, limits: Limits::default() }
    }
}

/// The Python package index over the shared metadata DB and blob store.
pub struct PackageIndex {
    pub(crate) meta: Meta,
    pub(crate) blobs: Arc<BlobStore>,
    pub(crate) config: IndexConfig,
}

impl PackageIndex {
    pub fn new(meta: Meta, blobs: Arc<BlobStore>, config: IndexConfig) -> PackageIndex {
        PackageIndex { meta, blobs, config }
    }

    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }
}
