//! Core metadata (`METADATA` in wheels, `PKG-INFO` in sdists): the
//! RFC 822-style header block plus an optional body holding the description.
//!
//! Pure parsing of bytes already read (and size-bounded) by
//! [`crate::archive`]; no IO. Metadata-Version 1.0 – 2.6 is accepted, and
//! later 2.x minors too (the spec says consumers should only warn).

use crate::{validate_project_name, PypiError, Version};

/// Metadata versions that were ever standardized (2.0 never was).
const KNOWN_VERSIONS: &[&str] = &["1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6"];

/// Fields that may appear at most once.
const SINGLE_USE: &[&str] =
    &["metadata-version", "name", "version", "summary", "requires-python", "description-content-type"];

/// The parsed core metadata of one distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreMetadata {
    pub metadata_version: String,
    /// The name as written (not normalized).
    pub name: String,
    pub version: Version,
    pub summary: Option<String>,
    pub requires_python: Option<String>,
    pub requires_dist: Vec<String>,
    pub provides_extra: Vec<String>,
    pub dynamic: Vec<String>,
    pub description: Option<String>,
    pub description_content_type: Option<String>,
    /// Every header in file order, names as written, values unfolded
    /// (continuation lines joined with `\n`).
    pub headers: Vec<(String, String)>,
}

impl CoreMetadata {
    /// Parses UTF-8 core metadata. `\r\n` and `\n` line endings both work.
    pub fn parse(bytes: &[u8]) -> Result<CoreMetadata, PypiError> {
        let text =
            std::str::from_utf8(bytes).map_err(|_| PypiError::InvalidMetadata("metadata is not valid UTF-8".into()))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let (headers, body) = split_headers(text)?;

        for field in SINGLE_USE {
            if headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(field)).count() > 1 {
                return Err(PypiError::InvalidMetadata(format!("field '{field}' appears more than once")));
            }
        }
        let get = |key: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| unfold(v));
        let all = |key: &str| -> Vec<String> {
            headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| unfold(v)).collect()
        };
        let required = |key: &str| {
            get(key)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| PypiError::InvalidMetadata(format!("missing required field '{key}'")))
        };

        let metadata_version = required("Metadata-Version")?;
        check_metadata_version(&metadata_version)?;
        let name = required("Name")?;
        validate_project_name(&name)?;
        let version = Version::parse(&required("Version")?)?;
        let description = match body {
            Some(b) if !b.trim().is_empty() => Some(b.to_string()),
            _ => headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("description")).map(|(_, v)| v.clone()),
        };
        Ok(CoreMetadata {
            summary: get("Summary"),
            requires_python: get("Requires-Python").filter(|v| !v.is_empty()),
            requires_dist: all("Requires-Dist"),
            provides_extra: all("Provides-Extra"),
            dynamic: all("Dynamic"),
            description_content_type: get("Description-Content-Type"),
            description,
            metadata_version,
            name,
            version,
            headers,
        })
    }

    /// The first value of a header (case-insensitive name).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }

    /// Every value of a header (case-insensitive name), in file order.
    pub fn get_all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers.iter().filter(move |(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }
}

/// Header (name, value) pairs in file order.
type Headers = Vec<(String, String)>;

/// Splits into headers and the body after the first blank line.
fn split_headers(text: &str) -> Result<(Headers, Option<&str>), PypiError> {
    let mut headers: Headers = Vec::new();
    let mut rest = text;
    let mut lineno = 0;
    while !rest.is_empty() {
        let (line, next) = match rest.find('\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        let line = line.strip_suffix('\r').unwrap_or(line);
        lineno += 1;
        if line.is_empty() {
            return Ok((headers, Some(next)));
        }
        rest = next;
        if line.starts_with([' ', '\t']) {
            let Some((_, value)) = headers.last_mut() else {
                return Err(PypiError::InvalidMetadata(format!("line {lineno}: continuation line before any header")));
            };
            value.push('\n');
            value.push_str(line);
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(PypiError::InvalidMetadata(format!("line {lineno}: expected 'Field: value'")));
        };
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(PypiError::InvalidMetadata(format!("line {lineno}: invalid field name")));
        }
        headers.push((key.to_string(), value.trim().to_string()));
    }
    Ok((headers, None))
}

/// Folded header → one line: newlines plus indentation become one space.
fn unfold(value: &str) -> String {
    value.split('\n').map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ")
}

fn check_metadata_version(v: &str) -> Result<(), PypiError> {
    if KNOWN_VERSIONS.contains(&v) {
        return Ok(());
    }
    // A later 2.x minor is fine; a new major or anything else is not.
    let later_minor = v.strip_prefix("2.").and_then(|m| m.parse::<u32>().ok()).is_some_and(|m| m > 6);
    if later_minor {
        Ok(())
    } else {
        Err(PypiError::InvalidMetadata(format!("'{v}' is an invalid value for Metadata-Version")))
    }
}

#[cfg(test)]
#[path = "metadata_tests.rs"]
mod tests;
