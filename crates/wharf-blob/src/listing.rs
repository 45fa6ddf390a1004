//! Listing committed blobs, for garbage collection. Only files whose path is
//! exactly the content address of a valid digest are reported: anything
//! else under `blobs/` is left alone.

use std::io;
use std::time::SystemTime;

use wharf_core::Digest;

use crate::fs::BlobStore;
use crate::key;

/// A committed blob as found on disk.
#[derive(Debug, Clone)]
pub struct StoredBlob {
    pub digest: Digest,
    pub size: u64,
    /// When its bytes were last written (they are never written after commit).
    pub modified: SystemTime,
}

impl BlobStore {
    /// Every committed blob.
    pub async fn list_committed(&self) -> io::Result<Vec<StoredBlob>> {
        let root = self.root().to_path_buf();
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            let blobs = root.join(crate::key::BLOBS);
            for alg in read_dir_or_empty(&blobs)? {
                for prefix in read_dir_or_empty(&alg.path())? {
                    for file in read_dir_or_empty(&prefix.path())? {
                        let name =
                            format!("{}:{}", alg.file_name().to_string_lossy(), file.file_name().to_string_lossy());
                        let Ok(digest) = name.parse::<Digest>() else { continue };
                        if key::blob(&root, &digest) != file.path() {
                            continue;
                        }
                        let meta = file.metadata()?;
                        if meta.is_file() {
                            out.push(StoredBlob { digest, size: meta.len(), modified: meta.modified()? });
                        }
                    }
                }
            }
            Ok(out)
        })
        .await
        .map_err(io::Error::other)?
    }
}

fn read_dir_or_empty(dir: &std::path::Path) -> io::Result<Vec<std::fs::DirEntry>> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.collect(),
        Err(e) if e.kind() == io::ErrorKind::NotFound || e.kind() == io::ErrorKind::NotADirectory => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}
