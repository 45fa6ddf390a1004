//! What garbage collection needs from the database: every manifest, every
//! blob link, every file the package index still serves, and the removal of
//! links that nothing references any more. Run only while no server uses
//! the data directory (the caller holds its lock).

use sqlx::Row;

use crate::{Meta, Result};

/// A manifest stored in a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredManifest {
    pub repo: String,
    pub digest: String,
    pub media_type: String,
}

/// A blob made visible in a repository, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobLink {
    pub repo: String,
    pub digest: String,
    /// Unix seconds.
    pub created_at: i64,
}

impl Meta {
    pub async fn gc_manifests(&self) -> Result<Vec<StoredManifest>> {
        let rows = sqlx::query(
            "SELECT r.name, m.digest, m.media_type FROM manifests m JOIN repos r ON r.id = m.repo_id \
             ORDER BY r.name, m.digest",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(|r| StoredManifest { repo: r.get(0), digest: r.get(1), media_type: r.get(2) }).collect())
    }

    pub async fn gc_blob_links(&self) -> Result<Vec<BlobLink>> {
        let rows = sqlx::query(
            "SELECT r.name, rb.digest, rb.created_at FROM repo_blobs rb JOIN repos r ON r.id = rb.repo_id \
             ORDER BY r.name, rb.digest",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(|r| BlobLink { repo: r.get(0), digest: r.get(1), created_at: r.get(2) }).collect())
    }

    /// Removes the given `(repo, digest)` links, and the `blobs` rows no
    /// repository links any more, in one transaction. Returns links removed.
    pub async fn gc_unlink(&self, links: &[(String, String)]) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let mut n = 0;
        for (repo, digest) in links {
            n += sqlx::query(
                "DELETE FROM repo_blobs WHERE digest = ? AND repo_id = (SELECT id FROM repos WHERE name = ?)",
            )
            .bind(digest)
            .bind(repo)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        sqlx::query("DELETE FROM blobs WHERE NOT EXISTS (SELECT 1 FROM repo_blobs rb WHERE rb.digest = blobs.digest)")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Digests (sha256 hex) of the package files the index still serves and
    /// of their PEP 658 metadata. Deleted files keep their name, not bytes.
    pub async fn gc_pypi_digests(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT sha256 FROM pypi_files WHERE deleted = 0 \
             UNION SELECT metadata_sha256 FROM pypi_files WHERE deleted = 0 AND metadata_sha256 IS NOT NULL",
        )
        .fetch_all(self.pool())
        .await?)
    }
}
