//! Repositories, blob links, manifests, tags and referrers.

use sqlx::{Row, SqliteConnection};

use crate::{now, Meta, Result};

/// A stored manifest's metadata (its bytes live in the blob store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestRow {
    pub digest: String,
    pub media_type: String,
    pub size: i64,
}

/// What a manifest PUT records, all in one transaction.
#[derive(Debug, Clone)]
pub struct NewManifest {
    pub digest: String,
    pub media_type: String,
    pub size: i64,
    pub artifact_type: Option<String>,
    pub subject: Option<String>,
    /// The manifest's `annotations` object as JSON text.
    pub annotations: Option<String>,
    /// Digests of the child manifests (index) it references.
    pub children: Vec<String>,
}

/// One entry of a referrers list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferrerRow {
    pub digest: String,
    pub media_type: String,
    pub size: i64,
    pub artifact_type: Option<String>,
    pub annotations: Option<String>,
}

async fn ensure_repo(conn: &mut SqliteConnection, repo: &str) -> Result<i64> {
    sqlx::query("INSERT INTO repos (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")
        .bind(repo)
        .bind(now())
        .execute(&mut *conn)
        .await?;
    Ok(sqlx::query_scalar("SELECT id FROM repos WHERE name = ?").bind(repo).fetch_one(&mut *conn).await?)
}

impl Meta {
    async fn repo_id(&self, repo: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT id FROM repos WHERE name = ?").bind(repo).fetch_optional(self.pool()).await?)
    }

    pub async fn repo_exists(&self, repo: &str) -> Result<bool> {
        Ok(self.repo_id(repo).await?.is_some())
    }

    /// Repository names in byte order, after `last`, at most `n`.
    pub async fn list_repos(&self, last: Option<&str>, n: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT name FROM repos WHERE name > ? ORDER BY name LIMIT ?")
            .bind(last.unwrap_or(""))
            .bind(n)
            .fetch_all(self.pool())
            .await?)
    }

    /// Records that verified content exists and is visible in `repo`.
    pub async fn link_blob(&self, repo: &str, digest: &str, size: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let repo_id = ensure_repo(&mut tx, repo).await?;
        let t = now();
        sqlx::query("INSERT INTO blobs (digest, size, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
            .bind(digest)
            .bind(size)
            .bind(t)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO repo_blobs (repo_id, digest, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
            .bind(repo_id)
            .bind(digest)
            .bind(t)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Size of a blob if it is visible in `repo`.
    pub async fn repo_blob(&self, repo: &str, digest: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT b.size FROM repo_blobs rb JOIN repos r ON r.id = rb.repo_id \
             JOIN blobs b ON b.digest = rb.digest WHERE r.name = ? AND rb.digest = ?",
        )
        .bind(repo)
        .bind(digest)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Size of a blob if it is visible in any repository.
    pub async fn any_blob(&self, digest: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT b.size FROM blobs b WHERE b.digest = ? \
             AND EXISTS (SELECT 1 FROM repo_blobs rb WHERE rb.digest = b.digest)",
        )
        .bind(digest)
        .fetch_optional(self.pool())
        .await?)
    }

    pub async fn unlink_blob(&self, repo: &str, digest: &str) -> Result<bool> {
        let r =
            sqlx::query("DELETE FROM repo_blobs WHERE digest = ? AND repo_id = (SELECT id FROM repos WHERE name = ?)")
                .bind(digest)
                .bind(repo)
                .execute(self.pool())
                .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Stores a manifest and points `tags` at it, atomically.
    pub async fn put_manifest(&self, repo: &str, m: &NewManifest, tags: &[String]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let repo_id = ensure_repo(&mut tx, repo).await?;
        let t = now();
        sqlx::query(
            "INSERT INTO manifests (repo_id, digest, media_type, size, artifact_type, subject, annotations, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (repo_id, digest) DO UPDATE SET \
             media_type = excluded.media_type, artifact_type = excluded.artifact_type, \
             subject = excluded.subject, annotations = excluded.annotations",
        )
        .bind(repo_id)
        .bind(&m.digest)
        .bind(&m.media_type)
        .bind(m.size)
        .bind(&m.artifact_type)
        .bind(&m.subject)
        .bind(&m.annotations)
        .bind(t)
        .execute(&mut *tx)
        .await?;
        for child in &m.children {
            sqlx::query("INSERT INTO manifest_refs (repo_id, parent, child) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
                .bind(repo_id)
                .bind(&m.digest)
                .bind(child)
                .execute(&mut *tx)
                .await?;
        }
        for tag in tags {
            sqlx::query(
                "INSERT INTO tags (repo_id, name, digest, updated_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (repo_id, name) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at",
            )
            .bind(repo_id)
            .bind(tag)
            .bind(&m.digest)
            .bind(t)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn manifest_by_digest(&self, repo: &str, digest: &str) -> Result<Option<ManifestRow>> {
        let row = sqlx::query(
            "SELECT m.digest, m.media_type, m.size FROM manifests m JOIN repos r ON r.id = m.repo_id \
             WHERE r.name = ? AND m.digest = ?",
        )
        .bind(repo)
        .bind(digest)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| manifest_row(&r)))
    }

    pub async fn manifest_by_tag(&self, repo: &str, tag: &str) -> Result<Option<ManifestRow>> {
        let row = sqlx::query(
            "SELECT m.digest, m.media_type, m.size FROM tags t JOIN repos r ON r.id = t.repo_id \
             JOIN manifests m ON m.repo_id = t.repo_id AND m.digest = t.digest WHERE r.name = ? AND t.name = ?",
        )
        .bind(repo)
        .bind(tag)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| manifest_row(&r)))
    }

    /// Removes a manifest and every tag pointing at it, atomically.
    pub async fn delete_manifest(&self, repo: &str, digest: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let Some(repo_id): Option<i64> =
            sqlx::query_scalar("SELECT id FROM repos WHERE name = ?").bind(repo).fetch_optional(&mut *tx).await?
        else {
            return Ok(false);
        };
        let r = sqlx::query("DELETE FROM manifests WHERE repo_id = ? AND digest = ?")
            .bind(repo_id)
            .bind(digest)
            .execute(&mut *tx)
            .await?;
        for sql in [
            "DELETE FROM tags WHERE repo_id = ? AND digest = ?",
            "DELETE FROM manifest_refs WHERE repo_id = ? AND parent = ?",
        ] {
            sqlx::query(sql).bind(repo_id).bind(digest).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(r.rows_affected() > 0)
    }

    /// Removes one tag; the manifest stays.
    pub async fn delete_tag(&self, repo: &str, tag: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM tags WHERE name = ? AND repo_id = (SELECT id FROM repos WHERE name = ?)")
            .bind(tag)
            .bind(repo)
            .execute(self.pool())
            .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Tags in byte order, after `last`, at most `n`.
    pub async fn list_tags(&self, repo: &str, last: Option<&str>, n: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT t.name FROM tags t JOIN repos r ON r.id = t.repo_id \
             WHERE r.name = ? AND t.name > ? ORDER BY t.name LIMIT ?",
        )
        .bind(repo)
        .bind(last.unwrap_or(""))
        .bind(n)
        .fetch_all(self.pool())
        .await?)
    }

    /// Manifests in `repo` whose `subject` is `digest`.
    pub async fn referrers(&self, repo: &str, digest: &str) -> Result<Vec<ReferrerRow>> {
        let rows = sqlx::query(
            "SELECT m.digest, m.media_type, m.size, m.artifact_type, m.annotations FROM manifests m \
             JOIN repos r ON r.id = m.repo_id WHERE r.name = ? AND m.subject = ? ORDER BY m.created_at, m.digest",
        )
        .bind(repo)
        .bind(digest)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| ReferrerRow {
                digest: r.get(0),
                media_type: r.get(1),
                size: r.get(2),
                artifact_type: r.get(3),
                annotations: r.get(4),
            })
            .collect())
    }
}

fn manifest_row(r: &sqlx::sqlite::SqliteRow) -> ManifestRow {
    ManifestRow { digest: r.get(0), media_type: r.get(1), size: r.get(2) }
}
