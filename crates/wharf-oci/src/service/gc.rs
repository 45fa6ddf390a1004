//! The container half of garbage collection: which blob links no manifest
//! references any more. A link stays while a manifest of its repository
//! names it (as config, layer or child manifest), while it is a manifest of
//! that repository, or while it is younger than the grace period (a push
//! whose manifest has not arrived yet). Manifests themselves are never
//! collected: untagged manifests stay pullable by digest.

use std::collections::{HashMap, HashSet};

use super::manifest;
use super::Registry;
use crate::error::{OciError, Result};
use crate::Code;

/// What the registry still needs, and the links it no longer does.
#[derive(Debug, Default)]
pub struct OciMark {
    /// `(repository, digest)` links to remove.
    pub unreferenced_links: Vec<(String, String)>,
    /// Every digest whose bytes must stay (`alg:hex`).
    pub live: HashSet<String>,
}

impl Registry {
    /// Marks what the stored manifests reference. `now` and `grace_secs` are
    /// Unix seconds. Any manifest that cannot be read or parsed stops the
    /// collection: nothing is removed on a guess.
    pub async fn gc_mark(&self, now: i64, grace_secs: i64) -> Result<OciMark> {
        let mut mark = OciMark::default();
        let mut referenced: HashMap<String, HashSet<String>> = HashMap::new();
        for m in self.meta.gc_manifests().await? {
            let bytes = self.manifest_bytes(&m.digest).await?;
            let parsed = manifest::parse(&bytes, Some(&m.media_type)).map_err(|e| {
                let msg = format!("manifest {} in {} cannot be parsed: {}", m.digest, m.repo, e.message);
                OciError::new(Code::Unknown, msg)
            })?;
            let refs = referenced.entry(m.repo.clone()).or_default();
            refs.insert(m.digest.clone());
            refs.extend(parsed.blobs.iter().chain(&parsed.manifests).map(ToString::to_string));
            mark.live.insert(m.digest);
        }
        for link in self.meta.gc_blob_links().await? {
            let needed = referenced.get(&link.repo).is_some_and(|r| r.contains(&link.digest))
                || link.created_at > now - grace_secs;
            if needed {
                mark.live.insert(link.digest);
            } else {
                mark.unreferenced_links.push((link.repo, link.digest));
            }
        }
        Ok(mark)
    }

    /// Removes links found by [`Registry::gc_mark`]; returns how many.
    pub async fn gc_unlink(&self, links: &[(String, String)]) -> Result<u64> {
        Ok(self.meta.gc_unlink(links).await?)
    }
}
