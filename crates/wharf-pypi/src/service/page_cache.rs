//! Rendered project pages, kept in memory and reused until the index's
//! change counter moves (any upload, yank or delete anywhere). A page of a
//! project with 10 000 files costs one build per change, not one per
//! request; at most [`BUILDERS`] pages are built at once, which also bounds
//! the memory that builds take.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use tokio::sync::Semaphore;

use crate::SimpleFormat;

/// Pages built at once. One: a build is CPU work that a second core would
/// only share with the requests it serves, and a 10 000-file build holds
/// tens of MiB while it runs.
pub const BUILDERS: usize = 1;

/// A rendered page and its strong ETag.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub body: Bytes,
    pub etag: String,
}

type Key = (String, String, SimpleFormat);

struct Entry {
    serial: i64,
    page: Rendered,
    last_used: u64,
}

/// An LRU of rendered pages bounded by their total size.
pub struct PageCache {
    max_bytes: usize,
    inner: Mutex<Inner>,
    pub(crate) builders: Semaphore,
}

#[derive(Default)]
struct Inner {
    map: HashMap<Key, Entry>,
    bytes: usize,
    clock: u64,
}

impl PageCache {
    pub fn new(max_bytes: usize) -> PageCache {
        PageCache { max_bytes, inner: Mutex::new(Inner::default()), builders: Semaphore::new(BUILDERS) }
    }

    /// The page for `key` if it was built at `serial`.
    pub fn get(&self, ns: &str, project: &str, format: SimpleFormat, serial: i64) -> Option<Rendered> {
        let mut inner = self.inner.lock().expect("page cache poisoned");
        inner.clock += 1;
        let now = inner.clock;
        let e = inner.map.get_mut(&(ns.to_string(), project.to_string(), format))?;
        if e.serial != serial {
            return None;
        }
        e.last_used = now;
        Some(e.page.clone())
    }

    /// Keeps `page` (built at `serial`), evicting the least recently used
    /// pages past the size bound. Pages larger than the bound are not kept.
    pub fn put(&self, ns: &str, project: &str, format: SimpleFormat, serial: i64, page: Rendered) {
        let size = page.body.len();
        if size > self.max_bytes {
            return;
        }
        let mut inner = self.inner.lock().expect("page cache poisoned");
        inner.clock += 1;
        let last_used = inner.clock;
        let key = (ns.to_string(), project.to_string(), format);
        if let Some(old) = inner.map.insert(key, Entry { serial, page, last_used }) {
            inner.bytes -= old.page.body.len();
        }
        inner.bytes += size;
        while inner.bytes > self.max_bytes {
            let Some(oldest) = inner.map.iter().min_by_key(|(_, e)| e.last_used).map(|(k, _)| k.clone()) else {
                break;
            };
            if let Some(e) = inner.map.remove(&oldest) {
                inner.bytes -= e.page.body.len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(n: usize) -> Rendered {
        Rendered { body: Bytes::from(vec![b'x'; n]), etag: format!("\"{n}\"") }
    }

    #[test]
    fn hits_only_at_the_same_serial_and_evicts_least_recently_used() {
        let c = PageCache::new(100);
        let f = SimpleFormat::JsonV1;
        c.put("ns", "a", f, 1, page(40));
        assert!(c.get("ns", "a", f, 1).is_some());
        assert!(c.get("ns", "a", f, 2).is_none(), "a newer serial misses");
        assert!(c.get("ns", "a", SimpleFormat::TextHtml, 1).is_none(), "formats are separate");
        c.put("ns", "b", f, 1, page(40));
        assert!(c.get("ns", "a", f, 1).is_some()); // a is now the most recent
        c.put("ns", "c", f, 1, page(40)); // 120 > 100: b goes
        assert!(c.get("ns", "b", f, 1).is_none());
        assert!(c.get("ns", "a", f, 1).is_some());
        assert!(c.get("ns", "c", f, 1).is_some());
        c.put("ns", "huge", f, 1, page(101));
        assert!(c.get("ns", "huge", f, 1).is_none(), "larger than the bound: not kept");
    }
}
