//! Promotion against a real metadata database and blob store.

use std::sync::Arc;

use bytes::Bytes;
use wharf_blob::BlobStore;
use wharf_core::{Digest, Reference, RepoName, Tag};
use wharf_meta::Meta;

use super::{Copied, ManifestPut};
use crate::service::manifest::{OCI_INDEX, OCI_MANIFEST};
use crate::service::{Registry, RegistryConfig};

const CONFIG: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000001";
const LAYER: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000002";

async fn put(reg: &Registry, repo: &RepoName, media_type: &str, body: String) -> Digest {
    let digest = Digest::of(wharf_core::Algorithm::Sha256, body.as_bytes());
    let put = ManifestPut {
        repo,
        reference: &Reference::Digest(digest.clone()),
        extra_tags: Vec::new(),
        content_type: Some(media_type),
        body: Bytes::from(body),
    };
    reg.put_manifest(put).await.unwrap();
    digest
}

fn index(children: &[Digest], n: usize) -> String {
    let list: Vec<String> =
        children.iter().map(|d| format!(r#"{{"mediaType":"{OCI_MANIFEST}","digest":"{d}","size":1}}"#)).collect();
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{}],"annotations":{{"n":"{n}"}}}}"#,
        list.join(",")
    )
}

/// 100 sub-indexes, each naming the same 100 images: 201 distinct manifests
/// (10 101 if every path through the graph were copied).
#[tokio::test]
async fn promotion_copies_each_manifest_once() {
    let dir = tempfile::tempdir().unwrap();
    let meta = Meta::open_sqlite(&dir.path().join("wharf.db")).await.unwrap();
    let blobs = Arc::new(BlobStore::open(dir.path().join("data")).await.unwrap());
    let reg = Registry::new(meta, blobs, RegistryConfig::default());
    let src: RepoName = "ci/app".parse().unwrap();
    let dst: RepoName = "prod/app".parse().unwrap();
    for d in [CONFIG, LAYER] {
        reg.meta.link_blob(src.as_str(), d, 1).await.unwrap();
    }
    let mut images = Vec::new();
    for i in 0..100 {
        let m = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/x","digest":"{CONFIG}","size":1}},"layers":[{{"mediaType":"application/y","digest":"{LAYER}","size":1}}],"annotations":{{"n":"{i}"}}}}"#
        );
        images.push(put(&reg, &src, OCI_MANIFEST, m).await);
    }
    let mut subs = Vec::new();
    for i in 0..100 {
        subs.push(put(&reg, &src, OCI_INDEX, index(&images, i)).await);
    }
    let top = put(&reg, &src, OCI_INDEX, index(&subs, 0)).await;

    let tag: Tag = "prod".parse().unwrap();
    let mut copied = Copied::default();
    reg.copy_manifest(&src, &dst, &top, Some(&tag), &mut copied).await.unwrap();
    assert_eq!(copied.writes, 201);
    assert_eq!(copied.blobs.len(), 2);
    let got = reg.stat_manifest(&dst, &Reference::Tag(tag)).await.unwrap().unwrap();
    assert_eq!(got.digest, top.to_string());
    for d in images.iter().chain(&subs) {
        assert!(reg.stat_manifest(&dst, &Reference::Digest(d.clone())).await.unwrap().is_some());
    }
    assert_eq!(reg.meta.repo_blob(dst.as_str(), LAYER).await.unwrap(), Some(1));
}
