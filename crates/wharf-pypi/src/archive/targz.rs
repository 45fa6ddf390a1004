//! `.tar.gz` sdists, streamed: file → gzip → tar, never loaded whole.
//!
//! The tar stream is read in raw mode so that GNU long-name and PAX headers
//! are interpreted here, bounded, and cross-checked: a PAX `size` that
//! disagrees with the header, PAX mixed with GNU long names, sparse members,
//! devices, every symlink and hardlink, and any member outside the single
//! `<name>-<version>/` top directory are all rejected. The walk
//! covers the whole archive (so every member is checked; after the
//! end-of-archive marker only zero padding may follow) and stops as soon
//! as the decompressed byte budget or the compression ratio is exceeded.

use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use flate2::read::MultiGzDecoder;

use super::paths::{check_top_dir, components, TopDir};
use super::Limits;
use crate::{DistFilename, PypiError};

/// Longest GNU long-name or PAX extension body accepted.
const MAX_EXTENSION: u64 = 1 << 20;

/// Why the stream stopped, when it was not the archive's fault.
#[derive(Default)]
struct Trip {
    limit: Option<PypiError>,
    io: Option<io::Error>,
}

/// Counts compressed bytes read from the file; remembers real IO errors.
struct Compressed {
    file: File,
    read: Rc<Cell<u64>>,
    trip: Rc<RefCell<Trip>>,
}

impl Read for Compressed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.file.read(buf) {
            Ok(n) => {
                self.read.set(self.read.get() + n as u64);
                Ok(n)
            }
            Err(e) => {
                let copy = io::Error::new(e.kind(), e.to_string());
                self.trip.borrow_mut().io = Some(e);
                Err(copy)
            }
        }
    }
}

/// Enforces the decompressed-bytes budget and the ratio as bytes flow.
struct Budget<R> {
    inner: R,
    read: u64,
    compressed: Rc<Cell<u64>>,
    limits: Limits,
    trip: Rc<RefCell<Trip>>,
}

impl<R: Read> Read for Budget<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if let Err(e) = self.limits.check_sizes(self.read, self.compressed.get()) {
            self.trip.borrow_mut().limit = Some(e);
            return Err(io::Error::other("archive limit exceeded"));
        }
        Ok(n)
    }
}

/// Extension headers seen since the last member.
#[derive(Default)]
struct Pending {
    long_name: Option<Vec<u8>>,
    long_link: Option<Vec<u8>>,
    pax: Option<Vec<(String, Vec<u8>)>>,
}

impl Pending {
    fn any(&self) -> bool {
        self.long_name.is_some() || self.long_link.is_some() || self.pax.is_some()
    }
    fn pax(&self, key: &str) -> Option<&[u8]> {
        self.pax.as_ref()?.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_slice())
    }
}

/// `<top>/PKG-INFO` of a `.tar.gz` sdist.
pub(super) fn targz_metadata(path: &Path, filename: &DistFilename, limits: &Limits) -> Result<Vec<u8>, PypiError> {
    let trip = Rc::new(RefCell::new(Trip::default()));
    let compressed = Rc::new(Cell::new(0));
    let file = Compressed { file: File::open(path)?, read: compressed.clone(), trip: trip.clone() };
    let budget = Budget {
        inner: MultiGzDecoder::new(BufReader::new(file)),
        read: 0,
        compressed,
        limits: limits.clone(),
        trip: trip.clone(),
    };
    let mut archive = tar::Archive::new(budget);
    let result = walk(&mut archive, filename, limits).and_then(|metadata| {
        only_zeros_follow(archive.into_inner())?;
        Ok(metadata)
    });
    // A stream error may hide the real cause: the budget or the disk.
    let mut trip = trip.borrow_mut();
    match (result, trip.limit.take(), trip.io.take()) {
        (_, _, Some(io)) => Err(io.into()),
        (_, Some(limit), _) => Err(limit),
        (result, None, None) => result,
    }
}

fn tar_err(e: io::Error) -> PypiError {
    PypiError::invalid(format!("not a valid .tar.gz archive: {e}"))
}

fn walk<R: Read>(
    archive: &mut tar::Archive<R>,
    filename: &DistFilename,
    limits: &Limits,
) -> Result<Vec<u8>, PypiError> {
    let mut top = TopDir::default();
    let mut pending = Pending::default();
    let mut metadata: Option<(Vec<String>, Vec<u8>)> = None;
    let mut count = 0u64;
    for entry in archive.entries().map_err(tar_err)?.raw(true) {
        let mut entry = entry.map_err(tar_err)?;
        let kind = entry.header().entry_type();
        let size = entry.header().entry_size().map_err(tar_err)?;
        count += 1;
        limits.check_entries(count)?;
        if kind.is_pax_global_extensions() {
            if pending.any() {
                return Err(PypiError::invalid("PAX global header inside an extended member"));
            }
            read_extension(&mut entry, size)?;
            continue;
        }
        if kind.is_pax_local_extensions() {
            if pending.any() {
                return Err(PypiError::invalid("PAX header mixed with other extension headers"));
            }
            pending.pax = Some(parse_pax(&read_extension(&mut entry, size)?)?);
            continue;
        }
        if kind.is_gnu_longname() || kind.is_gnu_longlink() {
            let slot = if kind.is_gnu_longname() { &mut pending.long_name } else { &mut pending.long_link };
            if pending.pax.is_some() || slot.is_some() {
                return Err(PypiError::invalid("GNU long-name header mixed with other extension headers"));
            }
            let mut body = read_extension(&mut entry, size)?;
            while body.last() == Some(&0) {
                body.pop();
            }
            *slot = Some(body);
            continue;
        }

        // A real member: apply and clear the pending extensions.
        let ext = std::mem::take(&mut pending);
        if let Some(pax_size) = ext.pax("size") {
            if std::str::from_utf8(pax_size).ok().and_then(|s| s.parse::<u64>().ok()) != Some(size) {
                return Err(PypiError::invalid("PAX size disagrees with the tar header size"));
            }
        }
        if ext.pax.iter().flatten().any(|(k, _)| k.starts_with("GNU.sparse")) || kind.is_gnu_sparse() {
            return Err(PypiError::invalid("sparse tar members are not allowed"));
        }
        let path = match ext.pax("path").or(ext.long_name.as_deref()) {
            Some(p) => p.to_vec(),
            None => entry.path_bytes().into_owned(),
        };
        let parts = components(&path)?;
        let is_dir = kind.is_dir();
        top.see(&parts, is_dir)?;
        if kind.is_symlink() || kind.is_hard_link() {
            // Even a link that stays inside the tree is refused: installers
            // and unpackers disagree about links (tarfile's filters, pip,
            // uv), and no build backend needs them.
            let what = if kind.is_symlink() { "symlink" } else { "hardlink" };
            return Err(PypiError::invalid(format!(
                "sdist member '{}' is a {what}; links are not allowed",
                parts.join("/")
            )));
        }
        if !(kind.is_file() || kind.is_contiguous() || is_dir) {
            return Err(PypiError::invalid(format!(
                "tar member '{}' has unsupported type {:?}",
                parts.join("/"),
                kind
            )));
        }
        if parts.len() == 2 && parts[1] == "PKG-INFO" {
            if metadata.as_ref().is_some_and(|(p, _)| p[0] == parts[0]) {
                return Err(PypiError::invalid(format!("duplicate member {}/PKG-INFO", parts[0])));
            }
            if !(kind.is_file() || kind.is_contiguous()) {
                return Err(PypiError::invalid("PKG-INFO is not a regular file"));
            }
            limits.check_metadata_size(size)?;
            let mut bytes = Vec::with_capacity(size as usize);
            (&mut entry).take(size).read_to_end(&mut bytes).map_err(tar_err)?;
            if bytes.len() as u64 != size {
                return Err(PypiError::invalid("truncated PKG-INFO"));
            }
            metadata = Some((parts.iter().map(|s| s.to_string()).collect(), bytes));
        }
    }
    if pending.any() {
        return Err(PypiError::invalid("extension header without a member"));
    }
    let top_name = top.name().unwrap_or("<top>").to_string();
    if let Some(name) = top.name() {
        check_top_dir(name, filename)?;
    }
    match metadata {
        Some((_, bytes)) => Ok(bytes),
        None => Err(PypiError::MissingMetadata {
            filename: filename.as_str().to_string(),
            path: format!("{top_name}/PKG-INFO"),
        }),
    }
}

/// After the end-of-archive block only zero padding may follow: members
/// hidden behind it are skipped here but unpacked by tools that read on
/// (GNU tar `-i`, Python's `tarfile` after a zero block it takes for padding).
fn only_zeros_follow(mut rest: impl Read) -> Result<(), PypiError> {
    let mut buf = [0u8; 8192];
    loop {
        let n = rest.read(&mut buf).map_err(tar_err)?;
        if n == 0 {
            return Ok(());
        }
        if buf[..n].iter().any(|&b| b != 0) {
            return Err(PypiError::invalid("data after the tar end-of-archive marker; only zero padding may follow"));
        }
    }
}

fn read_extension<R: Read>(entry: &mut tar::Entry<'_, R>, size: u64) -> Result<Vec<u8>, PypiError> {
    if size > MAX_EXTENSION {
        return Err(PypiError::LimitExceeded("tar extension header too large".into()));
    }
    let mut body = Vec::with_capacity(size as usize);
    entry.take(size).read_to_end(&mut body).map_err(tar_err)?;
    Ok(body)
}

/// PAX records: `"<len> <key>=<value>\n"`, where `<len>` counts the whole record.
fn parse_pax(mut body: &[u8]) -> Result<Vec<(String, Vec<u8>)>, PypiError> {
    let bad = || PypiError::invalid("malformed PAX header");
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    while !body.is_empty() {
        let space = body.iter().position(|&b| b == b' ').ok_or_else(bad)?;
        let len: usize = std::str::from_utf8(&body[..space]).ok().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        if len <= space + 1 || len > body.len() || body[len - 1] != b'\n' {
            return Err(bad());
        }
        let record = &body[space + 1..len - 1];
        let eq = record.iter().position(|&b| b == b'=').ok_or_else(bad)?;
        let key = std::str::from_utf8(&record[..eq]).map_err(|_| bad())?.to_string();
        if out.iter().any(|(k, _)| *k == key) {
            return Err(PypiError::invalid(format!("duplicate PAX key '{key}'")));
        }
        out.push((key, record[eq + 1..].to_vec()));
        body = &body[len..];
    }
    Ok(out)
}
