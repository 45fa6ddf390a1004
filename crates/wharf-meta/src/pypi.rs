//! Python packages: projects per namespace and their distribution files.
//! A namespace's index also covers every namespace below it (a group), so
//! lookups take a namespace and match it and its descendants.

use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use crate::{Meta, Result};

/// A file being recorded after its bytes were verified and stored.
#[derive(Debug, Clone)]
pub struct NewPackageFile {
    pub namespace: String,
    /// PEP 503 normalized project name.
    pub project: String,
    /// The project name as the metadata spells it.
    pub name: String,
    pub version: String,
    pub filename: String,
    pub sha256: String,
    pub blake2_256: String,
    pub md5: String,
    pub size: i64,
    pub requires_python: Option<String>,
    pub metadata_sha256: Option<String>,
    /// Unix time in microseconds.
    pub upload_time: i64,
}

/// What recording a file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileInsert {
    /// Recorded (or the same bytes were already there, or revived).
    Recorded,
    /// The namespace holds this filename with other bytes, or a tombstone.
    NameTaken,
    /// Another namespace of the same top-level group holds this filename
    /// with other bytes: the group's index could not serve both.
    GroupConflict(Box<PackageFile>),
}

/// A stored distribution file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageFile {
    pub namespace: String,
    pub project: String,
    pub version: String,
    pub filename: String,
    pub sha256: String,
    pub blake2_256: String,
    pub size: i64,
    pub requires_python: Option<String>,
    pub metadata_sha256: Option<String>,
    pub upload_time: i64,
    pub yanked: bool,
    pub yanked_reason: Option<String>,
    pub deleted: bool,
}

/// Which files of a project a yank or delete applies to.
#[derive(Debug, Clone)]
pub enum FileSelector {
    Project,
    Release(String),
    File(String),
}

const FILE_COLUMNS: &str = "namespace, project, version, filename, sha256, blake2_256, size, requires_python, \
     metadata_sha256, upload_time, yanked, yanked_reason, deleted";

fn file_row(r: &SqliteRow) -> PackageFile {
    PackageFile {
        namespace: r.get(0),
        project: r.get(1),
        version: r.get(2),
        filename: r.get(3),
        sha256: r.get(4),
        blake2_256: r.get(5),
        size: r.get(6),
        requires_python: r.get(7),
        metadata_sha256: r.get(8),
        upload_time: r.get(9),
        yanked: r.get::<i64, _>(10) != 0,
        yanked_reason: r.get(11),
        deleted: r.get::<i64, _>(12) != 0,
    }
}

/// `(namespace = ns OR namespace under ns/)` as an index-friendly range:
/// '0' is the byte after '/'.
/// A live file of project ?2 named ?3 with bytes other than ?4 in the tree
/// ?1, outside namespace ?5.
fn conflict_sql() -> String {
    format!(
        "SELECT {FILE_COLUMNS} FROM pypi_files WHERE project = ?2 AND filename = ?3 AND sha256 != ?4 \
         AND deleted = 0 AND {IN_TREE} AND namespace != ?5 LIMIT 1"
    )
}

const IN_TREE: &str = "(namespace = ?1 OR (namespace >= ?1 || '/' AND namespace < ?1 || '0'))";

impl Meta {
    /// A file by exact namespace and filename, deleted ones included.
    pub async fn pypi_file(&self, namespace: &str, filename: &str) -> Result<Option<PackageFile>> {
        let sql = format!("SELECT {FILE_COLUMNS} FROM pypi_files WHERE namespace = ? AND filename = ?");
        let row = sqlx::query(&sql).bind(namespace).bind(filename).fetch_optional(self.pool()).await?;
        Ok(row.as_ref().map(file_row))
    }

    /// Records a new file (or revives a deleted one with identical bytes).
    /// Returns false when another file already holds the name.
    pub async fn pypi_insert_file(&self, f: &NewPackageFile) -> Result<FileInsert> {
        let mut tx = self.begin_write().await?;
        // Checked under the write lock, so two conflicting uploads to sibling
        // projects cannot both pass.
        let group = f.namespace.split('/').next().unwrap_or_default();
        let conflict = sqlx::query(&conflict_sql())
            .bind(group)
            .bind(&f.project)
            .bind(&f.filename)
            .bind(&f.sha256)
            .bind(&f.namespace)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = conflict {
            return Ok(FileInsert::GroupConflict(Box::new(file_row(&row))));
        }
        sqlx::query("INSERT INTO pypi_projects (namespace, project, name) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
            .bind(&f.namespace)
            .bind(&f.project)
            .bind(&f.name)
            .execute(&mut *tx)
            .await?;
        let r = sqlx::query(
            "INSERT INTO pypi_files (namespace, project, version, filename, sha256, blake2_256, md5, size, \
             requires_python, metadata_sha256, upload_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (namespace, filename) DO UPDATE SET deleted = 0, yanked = 0, yanked_reason = NULL, \
             upload_time = excluded.upload_time WHERE pypi_files.sha256 = excluded.sha256",
        )
        .bind(&f.namespace)
        .bind(&f.project)
        .bind(&f.version)
        .bind(&f.filename)
        .bind(&f.sha256)
        .bind(&f.blake2_256)
        .bind(&f.md5)
        .bind(f.size)
        .bind(&f.requires_python)
        .bind(&f.metadata_sha256)
        .bind(f.upload_time)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(if r.rows_affected() > 0 { FileInsert::Recorded } else { FileInsert::NameTaken })
    }

    /// Live files of `project` in `namespace` and every namespace below it,
    /// sorted by filename, then namespace.
    pub async fn pypi_project_files(&self, namespace: &str, project: &str) -> Result<Vec<PackageFile>> {
        let mut files = Vec::new();
        self.pypi_each_project_file(namespace, project, |f| files.push(f)).await?;
        Ok(files)
    }

    /// [`Meta::pypi_project_files`], one file at a time, as rows arrive: a
    /// 10 000-file project page never holds every row at once.
    pub async fn pypi_each_project_file(
        &self,
        namespace: &str,
        project: &str,
        mut each: impl FnMut(PackageFile),
    ) -> Result<()> {
        let sql = format!(
            "SELECT {FILE_COLUMNS} FROM pypi_files WHERE project = ?2 AND deleted = 0 AND {IN_TREE} \
             ORDER BY filename, namespace"
        );
        let mut rows = sqlx::query(&sql).bind(namespace).bind(project).fetch(self.pool());
        while let Some(r) = futures_util::TryStreamExt::try_next(&mut rows).await? {
            each(file_row(&r));
        }
        Ok(())
    }

    /// Projects (normalized, display name) with live files in the tree,
    /// sorted, after `after`, at most `limit` (keyset pagination).
    ///
    /// A tree that is one namespace (the common case) is a range of the
    /// primary key. A group spanning several namespaces walks the project
    /// index in order instead, so neither case sorts the whole tree per batch.
    pub async fn pypi_projects(&self, namespace: &str, after: &str, limit: i64) -> Result<Vec<(String, String)>> {
        let live = "p.live_files > 0";
        let spans = self.pypi_tree_namespaces(namespace, 2).await?;
        let rows = match spans.as_slice() {
            [] => return Ok(Vec::new()),
            [only] => {
                let sql = format!(
                    "SELECT project, name FROM pypi_projects p WHERE namespace = ?1 AND project > ?2 AND {live} \
                     ORDER BY project LIMIT ?3"
                );
                sqlx::query(&sql).bind(only).bind(after).bind(limit).fetch_all(self.pool()).await?
            }
            _ => {
                let sql = format!(
                    "SELECT project, MIN(name) FROM pypi_projects p INDEXED BY pypi_projects_project \
                     WHERE project > ?2 AND {IN_TREE} AND {live} GROUP BY project ORDER BY project LIMIT ?3"
                );
                sqlx::query(&sql).bind(namespace).bind(after).bind(limit).fetch_all(self.pool()).await?
            }
        };
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// Up to `max` distinct namespaces of the tree that hold projects, by
    /// index seeks on the primary key (a skip scan), never a scan.
    async fn pypi_tree_namespaces(&self, namespace: &str, max: usize) -> Result<Vec<String>> {
        let mut found = Vec::new();
        let exact: Option<i64> = sqlx::query_scalar("SELECT 1 FROM pypi_projects WHERE namespace = ? LIMIT 1")
            .bind(namespace)
            .fetch_optional(self.pool())
            .await?;
        if exact.is_some() {
            found.push(namespace.to_string());
        }
        // Descendants sort between "<ns>/" and "<ns>0" ('0' follows '/').
        let below = format!("{namespace}0");
        let mut after: Option<String> = None;
        while found.len() < max {
            let next: Option<String> = match &after {
                None => sqlx::query_scalar(
                    "SELECT MIN(namespace) FROM pypi_projects WHERE namespace >= ?1 AND namespace < ?2",
                )
                .bind(format!("{namespace}/")),
                Some(prev) => sqlx::query_scalar(
                    "SELECT MIN(namespace) FROM pypi_projects WHERE namespace > ?1 AND namespace < ?2",
                )
                .bind(prev.clone()),
            }
            .bind(&below)
            .fetch_one(self.pool())
            .await?;
            let Some(ns) = next else { break };
            found.push(ns.clone());
            after = Some(ns);
        }
        Ok(found)
    }

    /// A live file by content and name, anywhere in the tree.
    pub async fn pypi_file_in_tree(
        &self,
        namespace: &str,
        sha256: &str,
        filename: &str,
    ) -> Result<Option<PackageFile>> {
        let sql = format!(
            "SELECT {FILE_COLUMNS} FROM pypi_files WHERE sha256 = ?2 AND filename = ?3 AND deleted = 0 AND {IN_TREE} LIMIT 1"
        );
        let row = sqlx::query(&sql).bind(namespace).bind(sha256).bind(filename).fetch_optional(self.pool()).await?;
        Ok(row.as_ref().map(file_row))
    }

    /// The package index's change counter: it moves whenever any file is
    /// added, yanked, un-yanked, deleted or revived.
    pub async fn pypi_serial(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT serial FROM pypi_serial WHERE id = 1").fetch_one(self.pool()).await?)
    }

    /// Sets or clears the yank flag; returns how many files changed.
    pub async fn pypi_yank(
        &self,
        namespace: &str,
        project: &str,
        which: &FileSelector,
        yanked: bool,
        reason: Option<&str>,
    ) -> Result<u64> {
        let (clause, arg) = selector_clause(which);
        let sql = format!(
            "UPDATE pypi_files SET yanked = ?3, yanked_reason = ?4 WHERE namespace = ?1 AND project = ?2 \
             AND deleted = 0 {clause}"
        );
        let r = sqlx::query(&sql)
            .bind(namespace)
            .bind(project)
            .bind(yanked as i64)
            .bind(if yanked { reason } else { None })
            .bind(arg)
            .execute(self.pool())
            .await?;
        Ok(r.rows_affected())
    }

    /// Marks files deleted (the filename stays reserved); returns the count.
    pub async fn pypi_delete(&self, namespace: &str, project: &str, which: &FileSelector) -> Result<u64> {
        let (clause, arg) = selector_clause(which);
        let sql = format!(
            "UPDATE pypi_files SET deleted = 1 WHERE namespace = ?1 AND project = ?2 AND deleted = 0 {}",
            clause.replace("?5", "?3")
        );
        let r = sqlx::query(&sql).bind(namespace).bind(project).bind(arg).execute(self.pool()).await?;
        Ok(r.rows_affected())
    }
}

fn selector_clause(which: &FileSelector) -> (&'static str, Option<String>) {
    match which {
        FileSelector::Project => ("AND ?5 IS NULL", None),
        FileSelector::Release(v) => ("AND version = ?5", Some(v.clone())),
        FileSelector::File(f) => ("AND filename = ?5", Some(f.clone())),
    }
}
