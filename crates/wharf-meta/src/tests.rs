//! The metadata contract against a real SQLite database.

use crate::{FileInsert, FileSelector, Meta, NewManifest, NewPackageFile};

async fn meta() -> (tempfile::TempDir, Meta) {
    let dir = tempfile::tempdir().unwrap();
    let m = Meta::open_sqlite(&dir.path().join("wharf.db")).await.unwrap();
    (dir, m)
}

fn manifest(digest: &str) -> NewManifest {
    NewManifest {
        digest: digest.into(),
        media_type: "application/vnd.oci.image.manifest.v1+json".into(),
        size: 10,
        artifact_type: None,
        subject: None,
        annotations: None,
        children: vec![],
    }
}

#[tokio::test]
async fn migrations_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wharf.db");
    Meta::open_sqlite(&path).await.unwrap().link_blob("a", "sha256:x", 1).await.unwrap();
    let again = Meta::open_sqlite(&path).await.unwrap();
    assert_eq!(again.repo_blob("a", "sha256:x").await.unwrap(), Some(1));
}

#[tokio::test]
async fn tags_and_deletes() {
    let (_d, m) = meta().await;
    m.put_manifest("r", &manifest("sha256:m1"), &["v1".into(), "latest".into()]).await.unwrap();
    assert_eq!(m.list_tags("r", None, 10).await.unwrap(), ["latest", "v1"]);
    assert_eq!(m.list_tags("r", Some("latest"), 10).await.unwrap(), ["v1"]);
    assert!(m.delete_tag("r", "v1").await.unwrap());
    assert!(m.manifest_by_digest("r", "sha256:m1").await.unwrap().is_some());
    assert!(m.delete_manifest("r", "sha256:m1").await.unwrap());
    assert!(m.manifest_by_tag("r", "latest").await.unwrap().is_none());
    assert!(m.list_tags("r", None, 10).await.unwrap().is_empty());
    assert!(!m.delete_manifest("r", "sha256:m1").await.unwrap());
}

fn file(ns: &str, filename: &str, sha: &str) -> NewPackageFile {
    NewPackageFile {
        namespace: ns.into(),
        project: "demo".into(),
        name: "Demo".into(),
        version: "1.0".into(),
        filename: filename.into(),
        sha256: sha.into(),
        blake2_256: "b".into(),
        md5: "m".into(),
        size: 1,
        requires_python: None,
        metadata_sha256: None,
        upload_time: 1,
    }
}

#[tokio::test]
async fn package_files_group_ranges_and_tombstones() {
    let (_d, m) = meta().await;
    let recorded = FileInsert::Recorded;
    assert_eq!(m.pypi_insert_file(&file("g/a", "demo-1.0.tar.gz", "s1")).await.unwrap(), recorded);
    assert_eq!(m.pypi_insert_file(&file("g/a", "demo-1.0.tar.gz", "s1")).await.unwrap(), recorded, "same bytes: no-op");
    let other = m.pypi_insert_file(&file("g/a", "demo-1.0.tar.gz", "s2")).await.unwrap();
    assert_eq!(other, FileInsert::NameTaken, "other bytes refused");
    // The same filename with other bytes in a sibling project of the group.
    let sibling = m.pypi_insert_file(&file("g/z", "demo-1.0.tar.gz", "s7")).await.unwrap();
    assert!(matches!(sibling, FileInsert::GroupConflict(f) if f.namespace == "g/a"));
    m.pypi_insert_file(&file("g/b/c", "demo-2.0.tar.gz", "s3")).await.unwrap();
    m.pypi_insert_file(&file("g0", "demo-3.0.tar.gz", "s4")).await.unwrap();
    m.pypi_insert_file(&file("gx", "demo-4.0.tar.gz", "s5")).await.unwrap();
    let names = |fs: Vec<crate::PackageFile>| fs.into_iter().map(|f| f.filename).collect::<Vec<_>>();
    assert_eq!(names(m.pypi_project_files("g", "demo").await.unwrap()), ["demo-1.0.tar.gz", "demo-2.0.tar.gz"]);
    assert_eq!(m.pypi_projects("g", "", 10).await.unwrap(), [("demo".to_string(), "Demo".to_string())]);
    assert_eq!(m.pypi_delete("g/a", "demo", &FileSelector::Release("1.0".into())).await.unwrap(), 1);
    assert!(m.pypi_file("g/a", "demo-1.0.tar.gz").await.unwrap().unwrap().deleted);
    let reuse = m.pypi_insert_file(&file("g/a", "demo-1.0.tar.gz", "s9")).await.unwrap();
    assert_eq!(reuse, FileInsert::NameTaken, "tombstone keeps the name");
    // The project list follows live files: g/a has none left, the group still has g/b/c's.
    assert!(m.pypi_projects("g/a", "", 10).await.unwrap().is_empty());
    assert_eq!(m.pypi_projects("g", "", 10).await.unwrap().len(), 1);
    let revive = m.pypi_insert_file(&file("g/a", "demo-1.0.tar.gz", "s1")).await.unwrap();
    assert_eq!(revive, recorded, "identical bytes revive");
    assert_eq!(m.pypi_projects("g/a", "", 10).await.unwrap().len(), 1);
    assert_eq!(m.pypi_yank("g/b/c", "demo", &FileSelector::Project, true, Some("r")).await.unwrap(), 1);
    let f = m.pypi_file("g/b/c", "demo-2.0.tar.gz").await.unwrap().unwrap();
    assert_eq!((f.yanked, f.yanked_reason.as_deref()), (true, Some("r")));
}

/// Transactions that read before they write (delete: look up the repo, then
/// delete) must wait for the write lock, not fail with "database is locked".
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_write_transactions_wait_for_the_lock() {
    let (_d, m) = meta().await;
    let writers = (0..16).map(|w| {
        let m = m.clone();
        tokio::spawn(async move {
            for i in 0..25 {
                let d = format!("sha256:w{w}i{i}");
                m.put_manifest("r", &manifest(&d), &[format!("t{w}")]).await?;
                m.link_blob("r", &d, 1).await?;
                m.delete_manifest("r", &d).await?;
                m.gc_unlink(&[("r".into(), d.clone())]).await?;
                m.pypi_insert_file(&file("ns", &format!("demo-{w}.{i}.tar.gz"), &d)).await?;
            }
            Ok::<_, crate::MetaError>(())
        })
    });
    for w in writers.collect::<Vec<_>>() {
        w.await.unwrap().unwrap();
    }
}
