//! Manifests: put (validate, store bytes, then rows), get, delete, tags,
//! catalog, referrers and promotion.

use std::collections::HashSet;

use bytes::Bytes;
use wharf_core::{Algorithm, Digest, Reference, RepoName, Tag};
use wharf_meta::{ManifestRow, NewManifest, ReferrerRow};

use super::{manifest, Registry};
use crate::error::{Code, OciError, Result};

/// A manifest PUT, as extracted by the API layer.
pub struct ManifestPut<'a> {
    pub repo: &'a RepoName,
    pub reference: &'a Reference,
    /// Extra tags from `?tag=` parameters.
    pub extra_tags: Vec<Tag>,
    pub content_type: Option<&'a str>,
    pub body: Bytes,
}

pub struct PutOutcome {
    pub digest: Digest,
    pub subject: Option<Digest>,
    pub tags: Vec<Tag>,
}

fn manifest_unknown() -> OciError {
    OciError::new(Code::ManifestUnknown, "manifest unknown")
}

impl Registry {
    pub async fn put_manifest(&self, put: ManifestPut<'_>) -> Result<PutOutcome> {
        let algorithm = match put.reference {
            Reference::Digest(d) => d.algorithm(),
            Reference::Tag(_) => Algorithm::Sha256,
        };
        let digest = Digest::of(algorithm, &put.body);
        if let Reference::Digest(d) = put.reference {
            if *d != digest {
                return Err(OciError::new(Code::DigestInvalid, format!("manifest digest is {digest}, not {d}")));
            }
        }
        let parsed = manifest::parse(&put.body, put.content_type)?;
        self.check_references(put.repo, &parsed).await?;
        let mut tags = put.extra_tags;
        if let Reference::Tag(t) = put.reference {
            tags.insert(0, t.clone());
        }
        // Bytes before references: the content is durable before any row names it.
        self.blobs.put_small(&digest, put.body.to_vec()).await?;
        let row = NewManifest {
            digest: digest.to_string(),
            media_type: parsed.media_type,
            size: put.body.len() as i64,
            artifact_type: parsed.artifact_type,
            subject: parsed.subject.as_ref().map(Digest::to_string),
            annotations: parsed.annotations,
            children: parsed.manifests.iter().map(Digest::to_string).collect(),
        };
        let tag_names: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        self.meta.put_manifest(put.repo.as_str(), &row, &tag_names).await?;
        self.manifest_cache.put(&row.digest, put.body);
        Ok(PutOutcome { digest, subject: parsed.subject, tags })
    }

    async fn check_references(&self, repo: &RepoName, parsed: &manifest::Parsed) -> Result<()> {
        for b in &parsed.blobs {
            if self.meta.repo_blob(repo.as_str(), &b.to_string()).await?.is_none()
                && self.meta.manifest_by_digest(repo.as_str(), &b.to_string()).await?.is_none()
            {
                return Err(OciError::new(Code::ManifestBlobUnknown, format!("blob unknown to registry: {b}")));
            }
        }
        for m in &parsed.manifests {
            if self.meta.manifest_by_digest(repo.as_str(), &m.to_string()).await?.is_none() {
                return Err(OciError::new(Code::ManifestBlobUnknown, format!("manifest unknown to registry: {m}")));
            }
        }
        Ok(())
    }

    /// Looks up a manifest's row without reading its bytes (HEAD).
    pub async fn stat_manifest(&self, repo: &RepoName, reference: &Reference) -> Result<Option<ManifestRow>> {
        Ok(match reference {
            Reference::Tag(t) => self.meta.manifest_by_tag(repo.as_str(), t.as_str()).await?,
            Reference::Digest(d) => self.meta.manifest_by_digest(repo.as_str(), &d.to_string()).await?,
        })
    }

    /// A manifest's row and exact bytes.
    pub async fn get_manifest(&self, repo: &RepoName, reference: &Reference) -> Result<Option<(ManifestRow, Bytes)>> {
        let Some(row) = self.stat_manifest(repo, reference).await? else { return Ok(None) };
        let bytes = self.manifest_bytes(&row.digest).await?;
        Ok(Some((row, bytes)))
    }

    pub(crate) async fn manifest_bytes(&self, digest: &str) -> Result<Bytes> {
        if let Some(b) = self.manifest_cache.get(digest) {
            return Ok(b);
        }
        let d: Digest = digest.parse().map_err(OciError::internal)?;
        let bytes = Bytes::from(
            self.blobs
                .read_small(&d)
                .await?
                .ok_or_else(|| OciError::internal(format!("manifest {digest} has a row but no bytes")))?,
        );
        self.manifest_cache.put(digest, bytes.clone());
        Ok(bytes)
    }

    /// By tag: removes only the tag. By digest: the manifest and every tag on it.
    pub async fn delete_manifest(&self, repo: &RepoName, reference: &Reference) -> Result<()> {
        let found = match reference {
            Reference::Tag(t) => self.meta.delete_tag(repo.as_str(), t.as_str()).await?,
            Reference::Digest(d) => self.meta.delete_manifest(repo.as_str(), &d.to_string()).await?,
        };
        if found {
            Ok(())
        } else {
            Err(manifest_unknown())
        }
    }

    /// One page of tags; `None` when the repository does not exist.
    pub async fn list_tags(&self, repo: &RepoName, last: Option<&str>, n: i64) -> Result<Option<Vec<String>>> {
        if !self.meta.repo_exists(repo.as_str()).await? {
            return Ok(None);
        }
        Ok(Some(self.meta.list_tags(repo.as_str(), last, n).await?))
    }

    pub async fn catalog(&self, last: Option<&str>, n: i64) -> Result<Vec<String>> {
        Ok(self.meta.list_repos(last, n).await?)
    }

    pub async fn referrers(
        &self,
        repo: &RepoName,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Vec<ReferrerRow>> {
        let mut rows = self.meta.referrers(repo.as_str(), &subject.to_string()).await?;
        if let Some(at) = artifact_type {
            rows.retain(|r| r.artifact_type.as_deref() == Some(at));
        }
        Ok(rows)
    }

    /// Points `dst_tag` in `dst` at the manifest `src_ref` names in `src`,
    /// without moving bytes. Across repositories the manifest's blobs and
    /// child manifests are linked (mounted) into `dst` first.
    pub async fn promote(&self, src: &RepoName, src_ref: &Reference, dst: &RepoName, dst_tag: &Tag) -> Result<Digest> {
        let (row, _) = self.get_manifest(src, src_ref).await?.ok_or_else(manifest_unknown)?;
        let digest: Digest = row.digest.parse().map_err(OciError::internal)?;
        self.copy_manifest(src, dst, &digest, Some(dst_tag), &mut Copied::default()).await?;
        Ok(digest)
    }

    /// Copies `digest` and, across repositories, what it references. Each
    /// distinct manifest and blob is handled once (`copied`), however often
    /// the graph names it: shared sub-indexes cost their size, not a product.
    async fn copy_manifest(
        &self,
        src: &RepoName,
        dst: &RepoName,
        digest: &Digest,
        tag: Option<&Tag>,
        copied: &mut Copied,
    ) -> Result<()> {
        let (row, bytes) =
            self.get_manifest(src, &Reference::Digest(digest.clone())).await?.ok_or_else(manifest_unknown)?;
        let parsed = manifest::parse(&bytes, Some(&row.media_type))?;
        if src != dst {
            for child in &parsed.manifests {
                if copied.manifests.insert(child.clone()) {
                    Box::pin(self.copy_manifest(src, dst, child, None, copied)).await?;
                }
            }
            for b in &parsed.blobs {
                if !copied.blobs.insert(b.clone()) {
                    continue;
                }
                if let Some(size) = self.meta.repo_blob(src.as_str(), &b.to_string()).await? {
                    self.meta.link_blob(dst.as_str(), &b.to_string(), size).await?;
                }
            }
        }
        let new = NewManifest {
            digest: row.digest.clone(),
            media_type: row.media_type,
            size: row.size,
            artifact_type: parsed.artifact_type,
            subject: parsed.subject.as_ref().map(Digest::to_string),
            annotations: parsed.annotations,
            children: parsed.manifests.iter().map(Digest::to_string).collect(),
        };
        let tags: Vec<String> = tag.iter().map(|t| t.to_string()).collect();
        self.meta.put_manifest(dst.as_str(), &new, &tags).await?;
        copied.writes += 1;
        Ok(())
    }
}

/// What one promotion has copied so far.
#[derive(Default)]
struct Copied {
    manifests: HashSet<Digest>,
    blobs: HashSet<Digest>,
    /// Manifest rows written (one per distinct manifest).
    writes: usize,
}

#[cfg(test)]
#[path = "promote_tests.rs"]
mod tests;
