//! Upload sessions: which repository an upload belongs to and when it was
//! last touched (for the abandoned-upload reaper).

use crate::{now, Meta, Result};

/// Activity on an upload session is written at most this often.
pub const TOUCH_EVERY_SECS: i64 = 30;

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

    /// Records activity on a session. Throttled to one write per
    /// `TOUCH_EVERY_SECS`: a chunked upload's PATCHes then cost no commit
    /// (and no fsync) each, and the reaper's ages are days, not seconds.
    pub async fn touch_upload(&self, id: &str) -> Result<()> {
        let now = now();
        sqlx::query("UPDATE uploads SET updated_at = ?1 WHERE id = ?2 AND updated_at <= ?1 - ?3")
            .bind(now)
            .bind(id)
            .bind(TOUCH_EVERY_SECS)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn delete_upload(&self, id: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM uploads WHERE id = ?").bind(id).execute(self.pool()).await?;
        Ok(r.rows_affected() > 0)
    }

    /// Upload sessions not touched for `max_age_secs` (activity is recorded
    /// at most every `TOUCH_EVERY_SECS`).
    pub async fn stale_uploads(&self, max_age_secs: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT id FROM uploads WHERE updated_at < ? LIMIT 1000")
            .bind(now() - max_age_secs)
            .fetch_all(self.pool())
            .await?)
    }
}
