//! Distribution filenames: wheels (`{name}-{ver}(-{build})?-{py}-{abi}-{plat}.whl`)
//! and sdists (`{name}-{version}.tar.gz` per PEP 625, legacy `.zip`).
//!
//! Pure string parsing; no IO. Legacy, non-normalized spellings are accepted
//! here (compare with [`crate::normalize`] and [`Version`] equality);
//! [`DistFilename::is_normalized`] lets the server demand the PEP 625 /
//! wheel-spec spelling for new uploads as a policy.

use crate::{normalize, validate_project_name, wheel_escape, PypiError, Version};

/// Longest filename accepted.
pub const MAX_FILENAME_LEN: usize = 255;

/// What kind of distribution a filename names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DistKind {
    /// `.whl`
    Wheel,
    /// `.tar.gz` (the only sdist format PEP 625 allows)
    SdistTarGz,
    /// legacy `.zip` sdist
    SdistZip,
}

impl DistKind {
    /// The legacy upload API `filetype` value.
    pub fn filetype(self) -> &'static str {
        match self {
            DistKind::Wheel => "bdist_wheel",
            DistKind::SdistTarGz | DistKind::SdistZip => "sdist",
        }
    }

    /// The extension including its dot.
    pub fn extension(self) -> &'static str {
        match self {
            DistKind::Wheel => ".whl",
            DistKind::SdistTarGz => ".tar.gz",
            DistKind::SdistZip => ".zip",
        }
    }

    /// `true` for both sdist kinds.
    pub fn is_sdist(self) -> bool {
        !matches!(self, DistKind::Wheel)
    }
}

/// The compatibility tags of a wheel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelTags {
    pub build: Option<String>,
    pub python: String,
    pub abi: String,
    pub platform: String,
}

/// A parsed, validated distribution filename.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistFilename {
    pub kind: DistKind,
    /// The name as spelled in the filename.
    pub name: String,
    /// The version as spelled in the filename.
    pub version_str: String,
    pub version: Version,
    /// Set for wheels only.
    pub wheel: Option<WheelTags>,
    /// The full filename as given.
    original: String,
}

impl DistFilename {
    /// The full filename as given.
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// The filename without its extension.
    fn stem(&self) -> &str {
        &self.original[..self.original.len() - self.kind.extension().len()]
    }

    /// `true` if `name` matches the filename's name after normalization;
    /// for legacy sdists, under any split of the stem.
    pub fn matches_name(&self, name: &str) -> bool {
        let want = normalize(name);
        self.normalized_name() == want
            || (self.kind.is_sdist() && stem_splits(self.stem()).any(|(n, _)| normalize(n) == want))
    }

    /// PEP 503 normalized project name.
    pub fn normalized_name(&self) -> String {
        normalize(&self.name)
    }

    /// `true` if the name is the escaped normalized form (`demo_pkg`) and the
    /// version string is normalized, as the wheel spec and PEP 625 require.
    pub fn is_normalized(&self) -> bool {
        self.name == wheel_escape(&self.name) && self.version_str == self.version.to_string()
    }

    /// `true` if `name` and `version` (from metadata) match this filename
    /// after normalization. For legacy sdists whose name contains `-`, every
    /// split of the stem is tried.
    pub fn matches(&self, name: &str, version: &Version) -> bool {
        let want = normalize(name);
        if self.normalized_name() == want && &self.version == version {
            return true;
        }
        self.kind.is_sdist() && stem_splits(self.stem()).any(|(n, v)| normalize(n) == want && &v == version)
    }
}

/// Rejects characters that never belong in a filename we store or render.
pub fn check_safe_filename(filename: &str) -> Result<(), PypiError> {
    let bad = |why: &str| Err(PypiError::InvalidFilename(format!("{why}: {filename:?}")));
    if filename.is_empty() {
        return bad("empty filename");
    }
    if filename.len() > MAX_FILENAME_LEN {
        return bad("filename too long");
    }
    if filename.contains(['/', '\\']) {
        return bad("cannot upload a file with '/' or '\\' in the name");
    }
    if filename.chars().any(|c| c.is_control()) {
        return bad("cannot upload a file with control characters in the name");
    }
    if filename.contains("..") || filename.starts_with('.') {
        return bad("cannot upload a file whose name contains '..' or starts with '.'");
    }
    if !filename.is_ascii() {
        return bad("cannot upload a file with non-ASCII characters in the name");
    }
    Ok(())
}

/// Parses and validates a distribution filename.
pub fn parse_filename(filename: &str) -> Result<DistFilename, PypiError> {
    check_safe_filename(filename)?;
    if let Some(stem) = filename.strip_suffix(".whl") {
        parse_wheel(filename, stem)
    } else if let Some(stem) = filename.strip_suffix(".tar.gz") {
        parse_sdist(filename, stem, DistKind::SdistTarGz)
    } else if let Some(stem) = filename.strip_suffix(".zip") {
        parse_sdist(filename, stem, DistKind::SdistZip)
    } else {
        Err(PypiError::InvalidExtension(filename.to_string()))
    }
}

fn invalid(filename: &str, why: &str) -> PypiError {
    PypiError::InvalidFilename(format!("{why}: '{filename}'"))
}

fn parse_wheel(filename: &str, stem: &str) -> Result<DistFilename, PypiError> {
    let parts: Vec<&str> = stem.split('-').collect();
    let (name, ver, build, tags) = match parts.as_slice() {
        [n, v, py, abi, plat] => (*n, *v, None, [*py, *abi, *plat]),
        [n, v, b, py, abi, plat] => (*n, *v, Some(*b), [*py, *abi, *plat]),
        _ => return Err(invalid(filename, "a wheel filename needs 5 or 6 '-'-separated parts")),
    };
    validate_project_name(name).map_err(|_| invalid(filename, "invalid project name in wheel filename"))?;
    let version = Version::parse(ver).map_err(|_| invalid(filename, "invalid version in wheel filename"))?;
    if let Some(b) = build {
        if !b.starts_with(|c: char| c.is_ascii_digit())
            || !b.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
        {
            return Err(invalid(filename, "invalid build tag in wheel filename"));
        }
    }
    for tag in tags {
        if tag.is_empty() || !tag.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.') {
            return Err(invalid(filename, "invalid compatibility tag in wheel filename"));
        }
    }
    Ok(DistFilename {
        kind: DistKind::Wheel,
        name: name.to_string(),
        version_str: ver.to_string(),
        version,
        wheel: Some(WheelTags {
            build: build.map(str::to_string),
            python: tags[0].to_string(),
            abi: tags[1].to_string(),
            platform: tags[2].to_string(),
        }),
        original: filename.to_string(),
    })
}

fn parse_sdist(filename: &str, stem: &str, kind: DistKind) -> Result<DistFilename, PypiError> {
    let (name, version) =
        stem_splits(stem).next().ok_or_else(|| invalid(filename, "an sdist filename must be '{name}-{version}'"))?;
    Ok(DistFilename {
        kind,
        name: name.to_string(),
        version_str: stem[name.len() + 1..].to_string(),
        version,
        wheel: None,
        original: filename.to_string(),
    })
}

/// Every way to read `stem` as `{valid name}-{valid version}`, leftmost
/// hyphen first (legacy names may contain hyphens).
pub(crate) fn stem_splits(stem: &str) -> impl Iterator<Item = (&str, Version)> {
    stem.match_indices('-').filter_map(move |(i, _)| {
        let (name, ver) = (&stem[..i], &stem[i + 1..]);
        validate_project_name(name).ok()?;
        Some((name, Version::parse(ver).ok()?))
    })
}

#[cfg(test)]
#[path = "filename_tests.rs"]
mod tests;
