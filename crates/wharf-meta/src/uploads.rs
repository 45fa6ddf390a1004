//! Upload sessions: which repository an upload belongs to and when it was
//! last touched (for the abandoned-upload reaper).

use crate::{now, Meta, Result};

impl Meta {
    pub async fn create_upload(&self, id: &str, repo: &str) -> Result<()> {
        let t = now();
        sqlx::query("INSERT INTO uploads (id, repo, created_at, updated_at) VALUES (?, ?, ?, ?)")
            .bind(id)
            .bind(repo)
            .bind(t)
            .bind(t)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The repository an upload session belongs to.
    pub async fn upload_repo(&self, id: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT repo FROM uploads WHERE id = ?").bind(id).fetch_optional(self.pool()).await?)
    }

    pub async fn touch_upload(&self, id: &str) -> Result<()> {
        sqlx::query("UPDATE uploads SET updated_at = ? WHERE id = ?").bind(now()).bind(id).execute(self.pool()).await?;
        Ok(())
    }

    pub async fn delete_upload(&self, id: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM uploads WHERE id = ?").bind(id).execute(self.pool()).await?;
        Ok(r.rows_affected() > 0)
    }

    /// Upload sessions not touched for `max_age_secs`.
    pub async fn stale_uploads(&self, max_age_secs: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT id FROM uploads WHERE updated_at < ? LIMIT 1000")
            .bind(now() - max_age_secs)
            .fetch_all(self.pool())
            .await?)
    }
}
