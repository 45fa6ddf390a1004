//! The metadata database: SQLite (WAL, one pool), the only backend. Knows
//! rows, never HTTP types or blob bytes. Every write that must be atomic (a
//! manifest with its tags, a delete with its tags, a package file with its
//! project) is one transaction, begun with `BEGIN IMMEDIATE` so that it waits
//! for the write lock instead of failing when another writer holds it.

mod gc;
mod oci;
mod pypi;
mod schema;
mod uploads;

#[cfg(test)]
mod tests;

use std::path::Path;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

pub use gc::{BlobLink, StoredManifest};
pub use oci::{ManifestRow, NewManifest, ReferrerRow};
pub use pypi::{FileInsert, FileSelector, NewPackageFile, PackageFile};

/// A metadata error: always a storage problem, never a user error.
#[derive(Debug, thiserror::Error)]
#[error("metadata database error: {0}")]
pub struct MetaError(#[from] sqlx::Error);

impl MetaError {
    /// The database could not write because the disk or a quota is full
    /// (`SQLITE_FULL`, or the I/O error underneath).
    pub fn is_storage_full(&self) -> bool {
        match &self.0 {
            sqlx::Error::Io(e) => wharf_core::storage::is_full(e),
            // SQLITE_FULL (13), extended codes included.
            sqlx::Error::Database(d) => d.code().and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| c & 0xff == 13),
            _ => false,
        }
    }
}

pub type Result<T> = std::result::Result<T, MetaError>;

/// Handle to the metadata database.
#[derive(Clone)]
pub struct Meta {
    pool: SqlitePool,
}

impl Meta {
    /// Opens (creating and migrating) the SQLite database at `path`.
    pub async fn open_sqlite(path: &Path) -> Result<Meta> {
        let opts = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(10))
            .pragma("temp_store", "memory")
            // 1 MiB of page cache per connection (SQLite's default is 2): the
            // OS page cache holds the file anyway, and RSS stays small.
            .pragma("cache_size", "-1024");
        let pool = SqlitePoolOptions::new().max_connections(8).min_connections(1).connect_with(opts).await?;
        schema::migrate(&pool).await?;
        Ok(Meta { pool })
    }

    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Starts a transaction that writes. `BEGIN IMMEDIATE` takes the write
    /// lock up front, waiting up to the busy timeout; a deferred transaction
    /// that reads first cannot wait when it later writes ("database is locked").
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Cheap round trip for readiness checks.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

pub(crate) fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
