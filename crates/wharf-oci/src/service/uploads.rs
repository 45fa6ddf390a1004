//! The blob upload state machine: start, append (streamed or chunked),
//! finish (verify + publish + link), cancel, mount, reap.

use bytes::Bytes;
use futures_util::Stream;
use http::StatusCode;
use wharf_blob::{AppendError, BlobReader, CommitError};
use wharf_core::{Digest, RepoName};

use super::Registry;
use crate::error::{Code, OciError, Result};

/// Where an upload session stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadStatus {
    pub id: String,
    pub len: u64,
}

fn unknown_upload() -> OciError {
    OciError::new(Code::BlobUploadUnknown, "upload session unknown")
}

impl Registry {
    /// Opens a new upload session in `repo`.
    pub async fn start_upload(&self, repo: &RepoName) -> Result<UploadStatus> {
        let id = uuid::Uuid::new_v4().to_string();
        self.blobs.create_upload(&id).await?;
        self.meta.create_upload(&id, repo.as_str()).await?;
        Ok(UploadStatus { id, len: 0 })
    }

    async fn check_upload(&self, repo: &RepoName, id: &str) -> Result<()> {
        if uuid::Uuid::parse_str(id).is_err() {
            return Err(unknown_upload());
        }
        match self.meta.upload_repo(id).await? {
            Some(r) if r == repo.as_str() => Ok(()),
            _ => Err(unknown_upload()),
        }
    }

    pub async fn upload_status(&self, repo: &RepoName, id: &str) -> Result<UploadStatus> {
        self.check_upload(repo, id).await?;
        let len = self.blobs.upload_len(id).await?.ok_or_else(unknown_upload)?;
        Ok(UploadStatus { id: id.to_string(), len })
    }

    /// Appends a body; `start` is the `Content-Range` start of a chunk.
    pub async fn append_upload<S, E>(
        &self,
        repo: &RepoName,
        id: &str,
        start: Option<u64>,
        body: S,
    ) -> Result<UploadStatus>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        self.check_upload(repo, id).await?;
        let len = self.blobs.append(id, start, self.config.max_blob_bytes, body).await.map_err(|e| match e {
            AppendError::UnknownUpload => unknown_upload(),
            AppendError::OutOfOrder { .. } => {
                OciError::new(Code::BlobUploadInvalid, e.to_string()).with_status(StatusCode::RANGE_NOT_SATISFIABLE)
            }
            AppendError::TooLarge(_) => {
                OciError::new(Code::SizeInvalid, e.to_string()).with_status(StatusCode::PAYLOAD_TOO_LARGE)
            }
            AppendError::Body(_) => OciError::new(Code::BlobUploadInvalid, e.to_string()),
            AppendError::Io(io) => OciError::from(io),
        })?;
        self.meta.touch_upload(id).await?;
        Ok(UploadStatus { id: id.to_string(), len })
    }

    /// Verifies the upload against `digest`, publishes it and links it into
    /// `repo`. Returns the blob's size.
    pub async fn finish_upload(&self, repo: &RepoName, id: &str, digest: &Digest) -> Result<u64> {
        self.check_upload(repo, id).await?;
        let size = self.blobs.commit(id, digest).await.map_err(|e| match e {
            CommitError::UnknownUpload => unknown_upload(),
            CommitError::DigestMismatch { .. } => OciError::new(Code::DigestInvalid, e.to_string()),
            CommitError::Io(io) => OciError::from(io),
        })?;
        self.meta.link_blob(repo.as_str(), &digest.to_string(), size as i64).await?;
        self.meta.delete_upload(id).await?;
        Ok(size)
    }

    pub async fn cancel_upload(&self, repo: &RepoName, id: &str) -> Result<()> {
        self.check_upload(repo, id).await?;
        self.meta.delete_upload(id).await?;
        self.blobs.delete_upload(id).await?;
        Ok(())
    }

    /// Links an existing blob into `repo` without moving bytes. `from` names
    /// the source repository; without it the blob may come from anywhere in
    /// the registry when automatic mounting is on. Returns false when the
    /// blob cannot be mounted (the caller then starts a normal upload).
    pub async fn mount_blob(&self, repo: &RepoName, digest: &Digest, from: Option<&RepoName>) -> Result<bool> {
        let d = digest.to_string();
        let size = match from {
            Some(src) => self.meta.repo_blob(src.as_str(), &d).await?,
            None if self.config.automatic_mount => self.meta.any_blob(&d).await?,
            None => None,
        };
        let Some(size) = size else { return Ok(false) };
        if self.blobs.stat(digest).await?.is_none() {
            return Ok(false);
        }
        self.meta.link_blob(repo.as_str(), &d, size).await?;
        Ok(true)
    }

    /// Size of a blob visible in `repo`.
    pub async fn blob_size(&self, repo: &RepoName, digest: &Digest) -> Result<Option<u64>> {
        Ok(self.meta.repo_blob(repo.as_str(), &digest.to_string()).await?.map(|s| s as u64))
    }

    /// `len` bytes of a committed blob from `start` (after [`Registry::blob_size`]
    /// said it is visible in the repository).
    pub async fn read_blob(&self, digest: &Digest, start: u64, len: u64) -> Result<Option<BlobReader>> {
        Ok(self.blobs.read(digest, start, len).await?)
    }

    /// Removes a blob from `repo` (its bytes go with garbage collection).
    pub async fn delete_blob(&self, repo: &RepoName, digest: &Digest) -> Result<bool> {
        Ok(self.meta.unlink_blob(repo.as_str(), &digest.to_string()).await?)
    }

    /// Deletes upload sessions idle for longer than `max_age_secs`, and
    /// upload files as old that no session owns (left by a crash between
    /// creating the file and recording the session, or by a package upload
    /// that never finished). Returns how many were removed.
    pub async fn reap_uploads(&self, max_age_secs: i64) -> Result<usize> {
        let stale = self.meta.stale_uploads(max_age_secs).await?;
        for id in &stale {
            self.blobs.delete_upload(id).await?;
            self.meta.delete_upload(id).await?;
        }
        let mut orphans = 0;
        // Never younger than a minute: a file created an instant before its
        // session row must not look orphaned.
        let age = std::time::Duration::from_secs(max_age_secs.max(60) as u64);
        for id in self.blobs.idle_uploads(age).await? {
            if self.meta.upload_repo(&id).await?.is_none() {
                self.blobs.delete_upload(&id).await?;
                orphans += 1;
            }
        }
        Ok(stale.len() + orphans)
    }
}
