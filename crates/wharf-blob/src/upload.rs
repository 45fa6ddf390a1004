//! Upload sessions: bytes appended to `uploads/<id>`, hashed while they
//! stream, verified and published on commit.

use std::io::{self, Seek, SeekFrom};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;
use wharf_core::{Algorithm, Digest, Hasher};

use crate::fs::{publish, BlobStore, RunningHash, UploadState};
use crate::key;
use crate::pipeline;

/// Why bytes could not be appended to an upload.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error("upload session unknown")]
    UnknownUpload,
    #[error("chunk starts at {got} but the upload has {have} bytes")]
    OutOfOrder { have: u64, got: u64 },
    #[error("the upload would exceed the size limit of {0} bytes")]
    TooLarge(u64),
    #[error("the request body ended early or failed: {0}")]
    Body(String),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Why an upload could not be committed.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    #[error("upload session unknown")]
    UnknownUpload,
    #[error("content digest {actual} does not match {expected}")]
    DigestMismatch { expected: Digest, actual: Digest },
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl BlobStore {
    fn lock_for(&self, id: &str) -> Arc<tokio::sync::Mutex<UploadState>> {
        let mut map = self.uploads.lock().expect("upload map poisoned");
        map.entry(id.to_string()).or_default().clone()
    }

    fn forget(&self, id: &str) {
        self.uploads.lock().expect("upload map poisoned").remove(id);
    }

    /// Creates the empty file of a new upload session.
    pub async fn create_upload(&self, id: &str) -> io::Result<()> {
        let path = key::upload(&self.root, id).ok_or_else(|| io::Error::other("bad upload id"))?;
        tokio::fs::File::create(path).await?;
        let state = self.lock_for(id);
        state.lock().await.running = Some(RunningHash { len: 0, hasher: Hasher::new(Algorithm::Sha256) });
        Ok(())
    }

    /// Current length of an upload, `None` if the session has no file.
    pub async fn upload_len(&self, id: &str) -> io::Result<Option<u64>> {
        let Some(path) = key::upload(&self.root, id) else { return Ok(None) };
        match tokio::fs::metadata(path).await {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Appends a body to an upload. `start`, when given, must equal the
    /// current length (chunked uploads); `max_total` bounds the final size.
    /// On any failure the file is cut back to its previous length, so a
    /// session is never left holding a partial chunk.
    pub async fn append<S, E>(&self, id: &str, start: Option<u64>, max_total: u64, body: S) -> Result<u64, AppendError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let path = key::upload(&self.root, id).ok_or(AppendError::UnknownUpload)?;
        let lock = self.lock_for(id);
        let mut state = lock.lock().await;
        // One blocking hop: open the session's file and read its length.
        let opened = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || {
                let file = std::fs::OpenOptions::new().write(true).open(path)?;
                let len = file.metadata()?.len();
                Ok::<_, io::Error>((file, len))
            })
            .await
            .map_err(io::Error::other)?
        };
        let (file, have) = match opened {
            Ok(opened) => opened,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                drop(state);
                self.forget(id);
                return Err(AppendError::UnknownUpload);
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(got) = start {
            if got != have {
                return Err(AppendError::OutOfOrder { have, got });
            }
        }
        let running = state.running.take().filter(|r| r.len == have);
        let written = pipeline::write_stream(Arc::new(file), have, running, body, max_total).await;
        // Whatever failed (the client's body or our disk), the session goes
        // back to the length it had: never a partial chunk.
        match written {
            Ok((written, running)) => {
                state.running = running;
                Ok(have + written)
            }
            Err(e) => {
                if let Err(cut) = truncate(&path, have).await {
                    tracing::error!(error = %cut, upload = id, "cannot cut an upload back after a failed append");
                }
                Err(e)
            }
        }
    }

    /// Verifies an upload against `expected`, makes it durable and publishes
    /// it at its content address. Returns the blob's size. On a mismatch the
    /// session is left as it was.
    pub async fn commit(&self, id: &str, expected: &Digest) -> Result<u64, CommitError> {
        let path = key::upload(&self.root, id).ok_or(CommitError::UnknownUpload)?;
        let lock = self.lock_for(id);
        let mut state = lock.lock().await;
        let running = state.running.take();
        let dest = self.blob_path(expected);
        let expected2 = expected.clone();
        let result = tokio::task::spawn_blocking(move || -> Result<u64, CommitError> {
            let mut file = match std::fs::OpenOptions::new().read(true).write(true).open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(CommitError::UnknownUpload),
                Err(e) => return Err(e.into()),
            };
            let len = file.metadata()?.len();
            let usable = running.filter(|r| r.len == len && r.hasher.algorithm() == expected2.algorithm());
            let actual = match usable {
                Some(r) => r.hasher.finish(),
                None => hash_file(&mut file, expected2.algorithm())?,
            };
            if actual != expected2 {
                return Err(CommitError::DigestMismatch { expected: expected2, actual });
            }
            file.sync_all()?;
            drop(file);
            publish(&path, &dest)?;
            Ok(len)
        })
        .await
        .map_err(io::Error::other)?;
        match result {
            Ok(len) => {
                drop(state);
                self.forget(id);
                Ok(len)
            }
            Err(e) => Err(e),
        }
    }

    /// Local path of an upload's bytes, for format checks that must read the
    /// staged file (package archives) before it is committed.
    pub fn upload_path(&self, id: &str) -> Option<std::path::PathBuf> {
        key::upload(&self.root, id)
    }

    /// The SHA-256 of everything appended so far, when it was hashed while
    /// streaming (always, unless the server restarted mid-upload).
    pub async fn running_sha256(&self, id: &str) -> io::Result<Option<Digest>> {
        let Some(len) = self.upload_len(id).await? else { return Ok(None) };
        let lock = self.lock_for(id);
        let state = lock.lock().await;
        Ok(state
            .running
            .as_ref()
            .filter(|r| r.len == len && r.hasher.algorithm() == Algorithm::Sha256)
            .map(|r| r.hasher.clone().finish()))
    }

    /// Upload files not written to for `max_age` (abandoned sessions, or
    /// staging files a crash left without a session).
    pub async fn idle_uploads(&self, max_age: std::time::Duration) -> io::Result<Vec<String>> {
        let mut idle = Vec::new();
        let mut rd = tokio::fs::read_dir(self.root.join(key::UPLOADS)).await?;
        while let Some(e) = rd.next_entry().await? {
            let age = e.metadata().await?.modified()?.elapsed().unwrap_or_default();
            if age >= max_age {
                idle.push(e.file_name().to_string_lossy().into_owned());
            }
        }
        Ok(idle)
    }

    /// Drops an upload session's bytes.
    pub async fn delete_upload(&self, id: &str) -> io::Result<()> {
        let Some(path) = key::upload(&self.root, id) else { return Ok(()) };
        let lock = self.lock_for(id);
        let guard = lock.lock().await;
        let r = match tokio::fs::remove_file(path).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
        drop(guard);
        self.forget(id);
        r
    }
}

fn hash_file(file: &mut std::fs::File, alg: Algorithm) -> io::Result<Digest> {
    file.seek(SeekFrom::Start(0))?;
    let mut hasher = Hasher::new(alg);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = io::Read::read(file, &mut buf)?;
        if n == 0 {
            return Ok(hasher.finish());
        }
        hasher.update(&buf[..n]);
    }
}

async fn truncate(path: &std::path::Path, len: u64) -> io::Result<()> {
    let f = tokio::fs::OpenOptions::new().write(true).open(path).await?;
    f.set_len(len).await
}
