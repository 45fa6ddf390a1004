//! Protocol rules of the package index: uploads, pages, files, yanking and
//! deletion. Talks only to `wharf-meta` and `wharf-blob`.

mod manage;
mod page_cache;
mod pages;
mod upload;

use std::sync::Arc;

use wharf_blob::BlobStore;
use wharf_meta::Meta;

use crate::archive::Limits;

pub use page_cache::{PageCache, Rendered};
pub use pages::ROOT_PAGE_ROWS;
pub use upload::{Staged, UploadOutcome};

/// Tunables of the package index.
#[derive(Debug, Clone)]
pub struct IndexConfig {
    /// Largest package file accepted, enforced while streaming.
    pub max_file_bytes: u64,
    /// Limits applied while reading archives.
    pub limits: Limits,
    /// Memory for rendered project pages (reused until the index changes).
    pub page_cache_bytes: usize,
}

impl Default for IndexConfig {
    fn default() -> Self {
        IndexConfig { max_file_bytes: 1024 * 1024 * 1024, limits: Limits::default(), page_cache_bytes: 16 << 20 }
    }
}

/// The Python package index over the shared metadata DB and blob store.
pub struct PackageIndex {
    pub(crate) meta: Meta,
    pub(crate) blobs: Arc<BlobStore>,
    pub(crate) config: IndexConfig,
    pub(crate) pages: PageCache,
}

impl PackageIndex {
    pub fn new(meta: Meta, blobs: Arc<BlobStore>, config: IndexConfig) -> PackageIndex {
        let pages = PageCache::new(config.page_cache_bytes);
        PackageIndex { meta, blobs, config, pages }
    }
}
