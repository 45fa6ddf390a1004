//! An upload: stream the `content` part into a staged blob while hashing,
//! then check the archive, the digests and PyPI's duplicate rules, and only
//! then publish the blob and record the file.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use blake2::digest::consts::U32;
use blake2::Blake2b;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use md5::{Digest as _, Md5};
use wharf_blob::{AppendError, BlobStore, CommitError};
use wharf_core::Digest;
use wharf_meta::{FileInsert, NewPackageFile};

use super::PackageIndex;
use crate::{extract_metadata, normalize, parse_filename, DistKind, Namespace, PypiError, Version};

/// A `content` part streamed to storage but not yet visible. Dropped
/// before it was published or discarded (the request was cancelled), it
/// removes its staged file.
pub struct Staged {
    pub upload_id: String,
    pub filename: String,
    pub md5: String,
    pub blake2_256: String,
    guard: DiscardOnDrop,
}

/// Removes a staged file when the upload ends without a commit or an
/// explicit discard: package uploads have no session, so nothing else would
/// until the day-old reaper.
struct DiscardOnDrop {
    blobs: Arc<BlobStore>,
    id: String,
    armed: AtomicBool,
}

impl DiscardOnDrop {
    fn disarm(&self) {
        self.armed.store(false, Ordering::Relaxed);
    }
}

impl Drop for DiscardOnDrop {
    fn drop(&mut self) {
        if !*self.armed.get_mut() {
            return;
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let (blobs, id) = (self.blobs.clone(), std::mem::take(&mut self.id));
            rt.spawn(async move {
                let _ = blobs.delete_upload(&id).await;
            });
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum UploadOutcome {
    /// A new file was published.
    Created,
    /// The identical file was already there: a no-op, like PyPI.
    Unchanged,
}

type Hashers = Arc<Mutex<(Md5, Blake2b<U32>)>>;

impl PackageIndex {
    /// Streams a file part into a new staged upload, computing md5 and
    /// blake2b-256 on the way (SHA-256 is computed by the blob store).
    pub async fn stage<S, E>(&self, filename: String, body: S) -> Result<Staged, PypiError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let upload_id = uuid::Uuid::new_v4().to_string();
        self.blobs.create_upload(&upload_id).await?;
        let guard = DiscardOnDrop { blobs: self.blobs.clone(), id: upload_id.clone(), armed: AtomicBool::new(true) };
        let hashers: Hashers = Arc::new(Mutex::new((Md5::new(), Blake2b::<U32>::new())));
        let h = hashers.clone();
        let hashed = body.map(move |chunk| {
            if let Ok(c) = &chunk {
                let mut g = h.lock().expect("hasher lock");
                g.0.update(c);
                g.1.update(c);
            }
            chunk
        });
        let appended = self.blobs.append(&upload_id, None, self.config.max_file_bytes, hashed).await;
        if let Err(e) = appended {
            let _ = self.blobs.delete_upload(&upload_id).await;
            guard.disarm();
            return Err(match e {
                AppendError::TooLarge(n) => PypiError::TooLarge(n),
                AppendError::Body(m) => PypiError::BadRequest(format!("Error reading the upload: {m}")),
                AppendError::Io(e) => PypiError::from(e),
                other => PypiError::internal(other),
            });
        }
        let (md5, blake) = Arc::try_unwrap(hashers).expect("stream consumed").into_inner().expect("hasher lock");
        Ok(Staged {
            upload_id,
            filename,
            md5: hex::encode(md5.finalize()),
            blake2_256: hex::encode(blake.finalize()),
            guard,
        })
    }

    /// Drops a staged upload that will not be published.
    pub async fn discard(&self, staged: &Staged) {
        let _ = self.blobs.delete_upload(&staged.upload_id).await;
        staged.guard.disarm();
    }

    /// Validates and publishes a staged file. `form` holds the text fields.
    pub async fn publish(
        &self,
        ns: &Namespace,
        staged: &Staged,
        form: &HashMap<String, String>,
    ) -> Result<UploadOutcome, PypiError> {
        let field = |k: &str| form.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        match field(":action") {
            Some("file_upload") => {}
            other => return Err(PypiError::BadRequest(format!("Unsupported :action {:?}.", other.unwrap_or("")))),
        }
        if field("protocol_version").is_some_and(|v| v != "1") {
            return Err(PypiError::UnknownProtocolVersion);
        }
        let fname = parse_filename(&staged.filename)?;
        let path = self.blobs.upload_path(&staged.upload_id).ok_or_else(|| PypiError::internal("bad upload id"))?;
        let limits = self.config.limits.clone();
        let f2 = fname.clone();
        let (raw_metadata, metadata) = tokio::task::spawn_blocking(move || extract_metadata(&path, &f2, &limits))
            .await
            .map_err(PypiError::internal)??;
        if !fname.is_normalized() {
            return Err(PypiError::InvalidFilename(format!(
                "'{}' is not normalized: spell the name '{}' and the version '{}' (wheel spec, PEP 625).",
                staged.filename,
                crate::wheel_escape(&fname.name),
                fname.version
            )));
        }
        // The archive is the truth; a form that disagrees with it is refused.
        if let Some(n) = field("name").filter(|n| normalize(n) != normalize(&metadata.name)) {
            return Err(PypiError::BadRequest(format!(
                "Form name '{n}' does not match the distribution's metadata name '{}'.",
                metadata.name
            )));
        }
        if let Some(v) = field("version").filter(|v| Version::parse(v).ok().as_ref() != Some(&metadata.version)) {
            return Err(PypiError::BadRequest(format!(
                "Form version '{v}' does not match the distribution's metadata version '{}'.",
                metadata.version
            )));
        }
        let sha256 = self
            .blobs
            .running_sha256(&staged.upload_id)
            .await?
            .ok_or_else(|| PypiError::internal("staged upload lost its hash"))?;
        let sent = [
            ("sha256", field("sha256_digest"), sha256.hex()),
            ("md5", field("md5_digest"), staged.md5.as_str()),
            ("blake2_256", field("blake2_256_digest"), staged.blake2_256.as_str()),
        ];
        if sent.iter().all(|(_, v, _)| v.is_none()) {
            return Err(PypiError::BadRequest("Include at least one message digest.".into()));
        }
        for (name, given, actual) in sent {
            if given.is_some_and(|g| !g.eq_ignore_ascii_case(actual)) {
                return Err(PypiError::DigestMismatch(name));
            }
        }
        if let Some(existing) = self.meta.pypi_file(ns.as_str(), &staged.filename).await? {
            match (existing.sha256 == sha256.hex(), existing.deleted) {
                (true, false) => return Ok(UploadOutcome::Unchanged),
                (false, true) => return Err(PypiError::FilenameReused(staged.filename.clone())),
                (false, false) => {
                    return Err(PypiError::FileExists {
                        filename: staged.filename.clone(),
                        blake2_256: existing.blake2_256,
                    })
                }
                (true, true) => {} // identical bytes revive the deleted file
            }
        }
        if fname.kind.is_sdist() {
            self.check_one_sdist_per_release(ns, &metadata.name, &metadata.version, &staged.filename).await?;
        }
        let size = self.blobs.commit(&staged.upload_id, &sha256).await.map_err(|e| match e {
            CommitError::Io(e) => PypiError::from(e),
            CommitError::DigestMismatch { .. } | CommitError::UnknownUpload => PypiError::internal(e),
        })?;
        staged.guard.disarm();
        // Like PyPI, only wheels advertise PEP 658 metadata: an sdist's
        // PKG-INFO may declare fields that are computed at build time.
        let metadata_digest = if fname.kind == DistKind::Wheel {
            let d = Digest::sha256_of(&raw_metadata);
            self.blobs.put_small(&d, raw_metadata).await?;
            Some(d.hex().to_string())
        } else {
            None
        };
        let row = NewPackageFile {
            namespace: ns.as_str().to_string(),
            project: normalize(&metadata.name),
            name: metadata.name.clone(),
            version: metadata.version.to_string(),
            filename: staged.filename.clone(),
            sha256: sha256.hex().to_string(),
            blake2_256: staged.blake2_256.clone(),
            md5: staged.md5.clone(),
            size: size as i64,
            requires_python: metadata.requires_python.clone().filter(|r| !r.trim().is_empty()),
            metadata_sha256: metadata_digest,
            upload_time: now_micros(),
        };
        match self.meta.pypi_insert_file(&row).await? {
            FileInsert::Recorded => Ok(UploadOutcome::Created),
            FileInsert::NameTaken => {
                // Lost a race with a different file under the same name.
                let existing = self.meta.pypi_file(ns.as_str(), &staged.filename).await?;
                Err(PypiError::FileExists {
                    filename: staged.filename.clone(),
                    blake2_256: existing.map(|e| e.blake2_256).unwrap_or_default(),
                })
            }
            // Lost a race with a sibling project's upload of the same name.
            FileInsert::GroupConflict(f) => Err(PypiError::GroupConflict {
                filename: staged.filename.clone(),
                holder: f.namespace,
                group: ns.top().to_string(),
            }),
        }
    }
}

impl PackageIndex {
    /// PyPI's rule: a release has at most one sdist (`.tar.gz` or legacy
    /// `.zip`), so two spellings of one release cannot carry different code.
    async fn check_one_sdist_per_release(
        &self,
        ns: &Namespace,
        name: &str,
        version: &Version,
        filename: &str,
    ) -> Result<(), PypiError> {
        let files = self.meta.pypi_project_files(ns.as_str(), &normalize(name)).await?;
        let other = files.iter().find(|f| {
            f.namespace == ns.as_str()
                && f.filename != filename
                && parse_filename(&f.filename).is_ok_and(|d| d.kind.is_sdist())
                && Version::parse(&f.version).is_ok_and(|v| &v == version)
        });
        match other {
            Some(f) => Err(PypiError::BadRequest(format!(
                "Only one sdist may be uploaded per release: '{}' already exists for version {version}.",
                f.filename
            ))),
            None => Ok(()),
        }
    }
}

fn now_micros() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
}
