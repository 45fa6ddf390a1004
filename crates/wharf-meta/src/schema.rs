//! Schema and migrations (SQLite dialect). Each migration runs once, in
//! order, inside a transaction; `schema_version` records the last one.

use sqlx::SqlitePool;

const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE repos (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);
CREATE TABLE blobs (
    digest      TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE TABLE repo_blobs (
    repo_id     INTEGER NOT NULL,
    digest      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (repo_id, digest)
) WITHOUT ROWID;
CREATE INDEX repo_blobs_digest ON repo_blobs (digest);
CREATE TABLE manifests (
    repo_id       INTEGER NOT NULL,
    digest        TEXT NOT NULL,
    media_type    TEXT NOT NULL,
    size          INTEGER NOT NULL,
    artifact_type TEXT,
    subject       TEXT,
    annotations   TEXT,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (repo_id, digest)
) WITHOUT ROWID;
CREATE INDEX manifests_subject ON manifests (repo_id, subject) WHERE subject IS NOT NULL;
CREATE TABLE manifest_refs (
    repo_id     INTEGER NOT NULL,
    parent      TEXT NOT NULL,
    child       TEXT NOT NULL,
    PRIMARY KEY (repo_id, parent, child)
) WITHOUT ROWID;
CREATE INDEX manifest_refs_child ON manifest_refs (child);
CREATE TABLE tags (
    repo_id     INTEGER NOT NULL,
    name        TEXT NOT NULL,
    digest      TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (repo_id, name)
) WITHOUT ROWID;
CREATE INDEX tags_digest ON tags (repo_id, digest);
CREATE TABLE uploads (
    id          TEXT PRIMARY KEY,
    repo        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX uploads_updated ON uploads (updated_at);
"#,
    r#"
CREATE TABLE pypi_projects (
    namespace   TEXT NOT NULL,
    project     TEXT NOT NULL,
    name        TEXT NOT NULL,
    PRIMARY KEY (namespace, project)
) WITHOUT ROWID;
CREATE INDEX pypi_projects_project ON pypi_projects (project);
CREATE TABLE pypi_files (
    id              INTEGER PRIMARY KEY,
    namespace       TEXT NOT NULL,
    project         TEXT NOT NULL,
    version         TEXT NOT NULL,
    filename        TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    blake2_256      TEXT NOT NULL,
    md5             TEXT NOT NULL,
    size            INTEGER NOT NULL,
    requires_python TEXT,
    metadata_sha256 TEXT,
    upload_time     INTEGER NOT NULL,
    yanked          INTEGER NOT NULL DEFAULT 0,
    yanked_reason   TEXT,
    deleted         INTEGER NOT NULL DEFAULT 0,
    UNIQUE (namespace, filename)
);
CREATE INDEX pypi_files_project ON pypi_files (project, namespace);
"#,
    // A change counter for the package index: any insert, yank, delete or
    // revival of a file bumps it, so the project list can answer 304s.
    r#"
CREATE TABLE pypi_serial (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    serial  INTEGER NOT NULL
);
INSERT INTO pypi_serial (id, serial) VALUES (1, 0);
CREATE TRIGGER pypi_files_insert_serial AFTER INSERT ON pypi_files
    BEGIN UPDATE pypi_serial SET serial = serial + 1 WHERE id = 1; END;
CREATE TRIGGER pypi_files_update_serial AFTER UPDATE ON pypi_files
    BEGIN UPDATE pypi_serial SET serial = serial + 1 WHERE id = 1; END;
CREATE TRIGGER pypi_files_delete_serial AFTER DELETE ON pypi_files
    BEGIN UPDATE pypi_serial SET serial = serial + 1 WHERE id = 1; END;
"#,
    // How many live files each project has in its namespace, kept by
    // triggers, so the project list is an index scan with no subquery.
    r#"
ALTER TABLE pypi_projects ADD COLUMN live_files INTEGER NOT NULL DEFAULT 0;
UPDATE pypi_projects SET live_files = (SELECT COUNT(*) FROM pypi_files f
    WHERE f.namespace = pypi_projects.namespace AND f.project = pypi_projects.project AND f.deleted = 0);
CREATE TRIGGER pypi_files_live_insert AFTER INSERT ON pypi_files WHEN NEW.deleted = 0
    BEGIN UPDATE pypi_projects SET live_files = live_files + 1
          WHERE namespace = NEW.namespace AND project = NEW.project; END;
CREATE TRIGGER pypi_files_live_update AFTER UPDATE OF deleted ON pypi_files WHEN OLD.deleted != NEW.deleted
    BEGIN UPDATE pypi_projects SET live_files = live_files + (CASE WHEN NEW.deleted = 0 THEN 1 ELSE -1 END)
          WHERE namespace = NEW.namespace AND project = NEW.project; END;
CREATE TRIGGER pypi_files_live_delete AFTER DELETE ON pypi_files WHEN OLD.deleted = 0
    BEGIN UPDATE pypi_projects SET live_files = live_files - 1
          WHERE namespace = OLD.namespace AND project = OLD.project; END;
"#,
];

pub(crate) async fn migrate(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    sqlx::query("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)").execute(pool).await?;
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let current: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM schema_version").fetch_one(&mut *tx).await?;
    let current = current.unwrap_or(0) as usize;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO schema_version (version) VALUES (?)").bind((i + 1) as i64).execute(&mut *tx).await?;
        tracing::info!(version = i + 1, "applied metadata migration");
    }
    tx.commit().await
}
