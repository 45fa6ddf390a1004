//! Protocol rules of the registry. Talks only to `wharf-meta` and
//! `wharf-blob`; knows nothing of HTTP beyond the error type it returns.

mod cache;
mod gc;
pub mod manifest;
mod manifests;
mod strict_json;
mod uploads;

use std::sync::Arc;

use wharf_blob::BlobStore;
use wharf_meta::Meta;

pub use gc::OciMark;
pub use manifests::{ManifestPut, PutOutcome};
pub use uploads::UploadStatus;

/// Tunables of the OCI service.
#[derive(Debug, Clone)]
pub struct RegistryConfig {
    /// Largest manifest accepted (bytes).
    pub max_manifest_bytes: usize,
    /// Largest blob accepted (bytes).
    pub max_blob_bytes: u64,
    /// Advertised `OCI-Chunk-Min-Length` (0 = not advertised).
    pub chunk_min_length: u64,
    /// Mount a blob known elsewhere in the registry when `from` is missing.
    pub automatic_mount: bool,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        RegistryConfig {
            max_manifest_bytes: 4 * 1024 * 1024,
            max_blob_bytes: 64 * 1024 * 1024 * 1024,
            chunk_min_length: 0,
            automatic_mount: true,
        }
    }
}

/// The container registry: metadata + blobs + rules.
pub struct Registry {
    pub(crate) meta: Meta,
    pub(crate) blobs: Arc<BlobStore>,
    pub(crate) config: RegistryConfig,
    pub(crate) manifest_cache: cache::ManifestCache,
}

impl Registry {
    pub fn new(meta: Meta, blobs: Arc<BlobStore>, config: RegistryConfig) -> Registry {
        Registry { meta, blobs, config, manifest_cache: cache::ManifestCache::new(64 * 1024 * 1024) }
    }

    pub fn config(&self) -> &RegistryConfig {
        &self.config
    }

    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The blob store, for the composition root (start-up cleanup, gc);
    /// request handlers go through the service's methods.
    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }
}
