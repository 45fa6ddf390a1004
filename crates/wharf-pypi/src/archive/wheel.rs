//! Zip-based distributions: wheels and legacy `.zip` sdists.
//!
//! [`zipdir`](super::zipdir) validates the framing first; the `zip` crate
//! then decompresses only the metadata member (and a wheel's `RECORD`, which
//! must list exactly the wheel's members), bounded by [`Limits`].

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::paths::{check_top_dir, components, TopDir};
use super::record::check_record;
use super::zipdir::{read_entries, ZipEntry};
use super::Limits;
use crate::filename::stem_splits;
use crate::{normalize, DistFilename, PypiError};

/// `<name>-<version>.dist-info/METADATA` of a wheel.
pub(super) fn wheel_metadata(path: &Path, filename: &DistFilename, limits: &Limits) -> Result<Vec<u8>, PypiError> {
    let (mut file, entries) = open(path, limits)?;
    let mut dist_infos = BTreeSet::new();
    for e in &entries {
        let parts = components(e.name.as_bytes())?;
        if e.is_symlink {
            return Err(PypiError::invalid(format!("symlink member '{}' in wheel", e.name)));
        }
        if parts.len() > 1 && parts[0].ends_with(".dist-info") {
            dist_infos.insert(parts[0].to_string());
        }
    }
    let dist_info = match dist_infos.len() {
        1 => dist_infos.pop_first().expect("one element"),
        0 => {
            return Err(PypiError::MissingMetadata {
                filename: filename.as_str().to_string(),
                path: format!("{}-{}.dist-info/METADATA", filename.name, filename.version_str),
            })
        }
        _ => {
            let all: Vec<_> = dist_infos.into_iter().collect();
            return Err(PypiError::invalid(format!(
                "wheel has more than one .dist-info directory: {}",
                all.join(", ")
            )));
        }
    };
    let stem = &dist_info[..dist_info.len() - ".dist-info".len()];
    let want = filename.normalized_name();
    if !stem_splits(stem).any(|(n, v)| normalize(n) == want && v == filename.version) {
        return Err(PypiError::invalid(format!("'{dist_info}' does not match filename '{}'", filename.as_str())));
    }
    if find(&entries, &dist_info, "WHEEL")?.is_none() {
        return Err(PypiError::invalid(format!("wheel is missing {dist_info}/WHEEL")));
    }
    let record = find(&entries, &dist_info, "RECORD")?
        .ok_or_else(|| PypiError::invalid(format!("wheel is missing {dist_info}/RECORD")))?;
    let entry = find(&entries, &dist_info, "METADATA")?.ok_or_else(|| PypiError::MissingMetadata {
        filename: filename.as_str().to_string(),
        path: format!("{dist_info}/METADATA"),
    })?;
    let metadata = read_member(&mut file, entry, limits)?;
    if record.size > limits.max_metadata_bytes {
        return Err(PypiError::LimitExceeded(format!(
            "{dist_info}/RECORD larger than {} bytes",
            limits.max_metadata_bytes
        )));
    }
    let record = read_member(&mut file, record, limits)?;
    check_record(&record, &dist_info, &entries, &metadata)?;
    Ok(metadata)
}

/// `<top>/PKG-INFO` of a legacy zip sdist.
pub(super) fn zip_sdist_metadata(path: &Path, filename: &DistFilename, limits: &Limits) -> Result<Vec<u8>, PypiError> {
    let (mut file, entries) = open(path, limits)?;
    let mut top = TopDir::default();
    for e in &entries {
        let parts = components(e.name.as_bytes())?;
        if e.is_symlink {
            return Err(PypiError::invalid(format!("symlink member '{}' in sdist", e.name)));
        }
        top.see(&parts, e.is_dir())?;
    }
    let missing = || PypiError::MissingMetadata {
        filename: filename.as_str().to_string(),
        path: format!("{}/PKG-INFO", top.name().unwrap_or("<top>")),
    };
    let dir = top.name().ok_or_else(missing)?;
    check_top_dir(dir, filename)?;
    let entry = find(&entries, dir, "PKG-INFO")?.ok_or_else(missing)?;
    read_member(&mut file, entry, limits)
}

/// Opens the file, validates the framing and the declared sizes.
fn open(path: &Path, limits: &Limits) -> Result<(File, Vec<ZipEntry>), PypiError> {
    let mut file = File::open(path)?;
    let entries = read_entries(&mut file, limits)?;
    let compressed = file.metadata()?.len();
    let total = entries.iter().try_fold(0u64, |acc, e| acc.checked_add(e.size)).unwrap_or(u64::MAX);
    limits.check_sizes(total, compressed)?;
    for e in &entries {
        limits.check_member(&e.name, e.size, e.compressed)?;
    }
    Ok((file, entries))
}

/// The member at `<dir>/<name>` (a regular file), if any; two spellings of
/// the same path (`a/METADATA`, `./a//METADATA`) are rejected.
fn find<'a>(entries: &'a [ZipEntry], dir: &str, name: &str) -> Result<Option<&'a ZipEntry>, PypiError> {
    let mut found = None;
    for e in entries {
        if !e.is_dir() && components(e.name.as_bytes())? == [dir, name] {
            if found.is_some() {
                return Err(PypiError::invalid(format!("duplicate member {dir}/{name}")));
            }
            found = Some(e);
        }
    }
    Ok(found)
}

/// Decompresses one member, refusing sizes that differ from the declared one.
fn read_member(file: &mut File, entry: &ZipEntry, limits: &Limits) -> Result<Vec<u8>, PypiError> {
    limits.check_metadata_size(entry.size)?;
    let zip_err = |e: zip::result::ZipError| match e {
        zip::result::ZipError::Io(io) if io.kind() != std::io::ErrorKind::InvalidData => io.into(),
        other => PypiError::invalid(format!("unreadable zip member '{}': {other}", entry.name)),
    };
    let mut archive = zip::ZipArchive::new(file.try_clone()?).map_err(zip_err)?;
    let mut member = archive.by_name(&entry.name).map_err(zip_err)?;
    if member.header_start() != entry.offset || member.size() != entry.size {
        return Err(PypiError::invalid(format!("zip readers disagree about member '{}'", entry.name)));
    }
    let mut out = Vec::with_capacity(entry.size as usize);
    let read = (&mut member).take(limits.max_metadata_bytes + 1).read_to_end(&mut out);
    match read {
        Ok(_) if out.len() as u64 == entry.size => Ok(out),
        Ok(_) => Err(PypiError::invalid(format!(
            "zip member '{}' declares {} bytes but holds {}",
            entry.name,
            entry.size,
            out.len()
        ))),
        Err(e) => Err(PypiError::invalid(format!("corrupt zip member '{}': {e}", entry.name))),
    }
}
