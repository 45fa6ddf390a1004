//! Reads the core metadata out of an uploaded distribution that the server
//! already streamed to a file on disk, and checks it against the filename.
//!
//! The only reader of uploaded archives: it opens the given path read-only
//! and never writes anywhere. Every read is bounded by [`Limits`]; nothing
//! is extracted to disk and only the metadata file is held in memory.
//!
//! * wheel → `<name>-<ver>.dist-info/METADATA` (`wheel.rs`), checked against
//!   `RECORD` (`record.rs`)
//! * sdist `.tar.gz` → `<top>/PKG-INFO`, streamed through gzip + tar (`targz.rs`)
//! * sdist `.zip` → `<top>/PKG-INFO` (`wheel.rs` shares the zip code)
//!
//! Zip framing is validated by `zipdir.rs` / `ziplocal.rs` before any member
//! is read.

mod paths;
mod record;
mod targz;
mod wheel;
mod zipdir;
mod ziplocal;

use std::path::Path;

use crate::{CoreMetadata, DistFilename, DistKind, PypiError};

/// Resource limits for archive inspection. The defaults suit a registry
/// with a few-hundred-MiB upload limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Most members (files, directories, links) an archive may have.
    pub max_entries: u64,
    /// Largest `METADATA` / `PKG-INFO` accepted.
    pub max_metadata_bytes: u64,
    /// Most uncompressed bytes: declared sizes summed for zips, bytes
    /// actually decompressed for `.tar.gz` (the walk stops there).
    pub max_uncompressed_bytes: u64,
    /// Largest uncompressed : compressed ratio, enforced once more than
    /// [`Limits::ratio_threshold_bytes`] are uncompressed.
    pub max_ratio: u64,
    /// Below this many uncompressed bytes the ratio is not checked (small
    /// text files legitimately compress very well).
    pub ratio_threshold_bytes: u64,
    /// Largest ratio of a single zip member, enforced on members larger
    /// than [`Limits::ratio_threshold_bytes`], so one bomb cannot hide
    /// behind incompressible padding that keeps the overall ratio low.
    pub max_member_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 100_000,
            max_metadata_bytes: 10 << 20,
            max_uncompressed_bytes: 2 << 30,
            max_ratio: 50,
            ratio_threshold_bytes: 64 << 20,
            max_member_ratio: 100,
        }
    }
}

impl Limits {
    /// Checks a running (uncompressed, compressed) byte count.
    pub(crate) fn check_sizes(&self, uncompressed: u64, compressed: u64) -> Result<(), PypiError> {
        if uncompressed > self.max_uncompressed_bytes {
            return Err(PypiError::LimitExceeded(format!(
                "archive expands to more than {} bytes",
                self.max_uncompressed_bytes
            )));
        }
        if uncompressed > self.ratio_threshold_bytes && uncompressed / compressed.max(1) > self.max_ratio {
            return Err(PypiError::LimitExceeded(format!(
                "compression ratio above {}:1 (decompression bomb?)",
                self.max_ratio
            )));
        }
        Ok(())
    }

    /// Checks one zip member's declared sizes.
    pub(crate) fn check_member(&self, name: &str, size: u64, compressed: u64) -> Result<(), PypiError> {
        if size > self.ratio_threshold_bytes && size / compressed.max(1) > self.max_member_ratio {
            return Err(PypiError::LimitExceeded(format!(
                "member '{name}' has a compression ratio above {}:1 (decompression bomb?)",
                self.max_member_ratio
            )));
        }
        Ok(())
    }

    pub(crate) fn check_entries(&self, count: u64) -> Result<(), PypiError> {
        if count > self.max_entries {
            return Err(PypiError::LimitExceeded(format!("more than {} archive members", self.max_entries)));
        }
        Ok(())
    }

    pub(crate) fn check_metadata_size(&self, size: u64) -> Result<(), PypiError> {
        if size > self.max_metadata_bytes {
            return Err(PypiError::LimitExceeded(format!(
                "metadata file larger than {} bytes",
                self.max_metadata_bytes
            )));
        }
        Ok(())
    }
}

/// Extracts and parses the core metadata of the distribution at `path`,
/// named `filename` by the uploader, and checks that the metadata's name
/// and version match the filename (after normalization).
///
/// Returns the raw metadata bytes (serve them byte-identical as the PEP 658
/// `.metadata` file; hash them for `core-metadata`) and their parsed form.
pub fn extract_metadata(
    path: &Path,
    filename: &DistFilename,
    limits: &Limits,
) -> Result<(Vec<u8>, CoreMetadata), PypiError> {
    let raw = match filename.kind {
        DistKind::Wheel => wheel::wheel_metadata(path, filename, limits)?,
        DistKind::SdistZip => wheel::zip_sdist_metadata(path, filename, limits)?,
        DistKind::SdistTarGz => targz::targz_metadata(path, filename, limits)?,
    };
    let metadata = CoreMetadata::parse(&raw)?;
    check_matches(filename, &metadata)?;
    Ok((raw, metadata))
}

/// Metadata name/version must match the filename's.
fn check_matches(filename: &DistFilename, meta: &CoreMetadata) -> Result<(), PypiError> {
    if filename.matches(&meta.name, &meta.version) {
        return Ok(());
    }
    let original = filename.as_str().to_string();
    Err(if filename.matches_name(&meta.name) {
        PypiError::MetadataMismatch { field: "version", metadata: meta.version.to_string(), filename: original }
    } else {
        PypiError::MetadataMismatch { field: "name", metadata: meta.name.clone(), filename: original }
    })
}

#[cfg(any(test, feature = "fixtures"))]
pub mod build;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_zip;
