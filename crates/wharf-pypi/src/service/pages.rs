//! Simple-API pages and file lookups, built from indexed metadata (never a
//! directory scan).

use bytes::Bytes;
use sha2::Digest as _;
use wharf_blob::BlobReader;
use wharf_core::Digest;
use wharf_meta::PackageFile;

use super::{PackageIndex, Rendered};
use crate::{render_project, Namespace, ProjectFile, ProjectPage, PypiError, SimpleFormat, Version, Yanked};

/// Rows per query when streaming the root page.
pub const ROOT_PAGE_ROWS: i64 = 2000;

impl PackageIndex {
    /// The rendered page of a (normalized) project in `format`, from the
    /// page cache when nothing changed since it was built.
    pub async fn rendered_project(
        &self,
        ns: &Namespace,
        project: &str,
        format: SimpleFormat,
    ) -> Result<Option<Rendered>, PypiError> {
        let serial = self.serial().await?;
        if let Some(hit) = self.pages.get(ns.as_str(), project, format, serial) {
            return Ok(Some(hit));
        }
        let _permit = self.pages.builders.acquire().await.map_err(PypiError::internal)?;
        // Another request may have built it while this one waited.
        if let Some(hit) = self.pages.get(ns.as_str(), project, format, serial) {
            return Ok(Some(hit));
        }
        let Some(page) = self.project_page(ns, project).await? else { return Ok(None) };
        let body = render_project(format, &page);
        let etag = format!("\"{}\"", hex::encode(&sha2::Sha256::digest(body.as_bytes())[..16]));
        let rendered = Rendered { body: Bytes::from(body), etag };
        // Built from rows read after `serial`: at worst newer than its tag,
        // so a later change still invalidates it.
        self.pages.put(ns.as_str(), project, format, serial, rendered.clone());
        Ok(Some(rendered))
    }

    /// The page of a (normalized) project across the namespace tree. Rows
    /// arrive sorted by filename, so the copies of one filename in several
    /// namespaces of a group are adjacent: identical ones are merged,
    /// different ones (which uploads refuse; older data may hold them)
    /// withheld and reported.
    pub async fn project_page(&self, ns: &Namespace, project: &str) -> Result<Option<ProjectPage>, PypiError> {
        let mut page = ProjectPage { name: project.to_string(), ..ProjectPage::default() };
        let mut group: Vec<PackageFile> = Vec::new();
        let mut any = false;
        self.meta
            .pypi_each_project_file(ns.as_str(), project, |f| {
                any = true;
                if group.first().is_some_and(|g| g.filename != f.filename) {
                    add_file(&mut page, ns, std::mem::take(&mut group));
                }
                group.push(f);
            })
            .await?;
        if !any {
            return Ok(None);
        }
        add_file(&mut page, ns, group);
        Ok(Some(page))
    }

    /// One batch of the root page: display names after `after`, sorted by
    /// normalized name. Empty when done.
    pub async fn project_names(&self, ns: &Namespace, after: &str) -> Result<Vec<(String, String)>, PypiError> {
        Ok(self.meta.pypi_projects(ns.as_str(), after, ROOT_PAGE_ROWS).await?)
    }

    /// Changes whenever any file of any index changes (for root-page ETags).
    pub async fn serial(&self) -> Result<i64, PypiError> {
        Ok(self.meta.pypi_serial().await?)
    }

    /// A live file of the tree by content and name.
    pub async fn find_file(&self, ns: &Namespace, sha256: &str, filename: &str) -> Result<PackageFile, PypiError> {
        self.meta.pypi_file_in_tree(ns.as_str(), sha256, filename).await?.ok_or(PypiError::NotFound)
    }

    /// The size of a stored file (a package file or its METADATA); a row
    /// whose bytes are missing is an internal error.
    pub async fn file_size(&self, digest: &Digest) -> Result<u64, PypiError> {
        self.blobs.stat(digest).await?.ok_or_else(|| PypiError::internal(format!("{digest} missing")))
    }

    /// `len` bytes of a stored file from `start`.
    pub async fn read_file(&self, digest: &Digest, start: u64, len: u64) -> Result<BlobReader, PypiError> {
        self.blobs.read(digest, start, len).await?.ok_or(PypiError::NotFound)
    }
}

/// Adds one filename's rows (one per namespace holding it) to `page`.
/// Identical copies merge: the file is yanked only when every copy is (the
/// first reason given wins) and its upload time is the earliest copy's, so
/// neither depends on which namespace sorts first.
fn add_file(page: &mut ProjectPage, ns: &Namespace, same: Vec<PackageFile>) {
    let Some(f) = same.first() else { return };
    if same.iter().any(|r| r.sha256 != f.sha256) {
        tracing::warn!(namespace = %ns, filename = %f.filename, "conflicting files in group index");
        page.conflicts.push(f.filename.clone());
        return;
    }
    if let Ok(v) = Version::parse(&f.version) {
        page.versions.push(v);
    }
    let yanked = if same.iter().all(|r| r.yanked) {
        Yanked::Yes(same.iter().find_map(|r| r.yanked_reason.clone()))
    } else {
        Yanked::No
    };
    page.files.push(ProjectFile {
        url: format!("../../files/{}/{}", f.sha256, f.filename),
        filename: f.filename.clone(),
        sha256: f.sha256.clone(),
        size: f.size as u64,
        upload_time_micros: same.iter().map(|r| r.upload_time).min().unwrap_or(f.upload_time),
        requires_python: f.requires_python.clone(),
        yanked,
        core_metadata_sha256: f.metadata_sha256.clone(),
    });
}
