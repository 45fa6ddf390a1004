//! A bounded cache of manifest bytes keyed by digest. Content addressing
//! makes it trivially coherent: bytes under a digest never change.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;

pub(crate) struct ManifestCache {
    budget: usize,
    inner: Mutex<(usize, HashMap<String, Bytes>)>,
}

impl ManifestCache {
    pub(crate) fn new(budget: usize) -> ManifestCache {
        ManifestCache { budget, inner: Mutex::new((0, HashMap::new())) }
    }

    pub(crate) fn get(&self, digest: &str) -> Option<Bytes> {
        self.inner.lock().expect("cache poisoned").1.get(digest).cloned()
    }

    pub(crate) fn put(&self, digest: &str, bytes: Bytes) {
        let mut g = self.inner.lock().expect("cache poisoned");
        if g.0 + bytes.len() > self.budget {
            g.1.clear(); // simple and bounded; refills from disk on demand
            g.0 = 0;
        }
        g.0 += bytes.len();
        g.1.insert(digest.to_string(), bytes);
    }
}
