//! Member-path rules shared by the zip and tar readers: what a safe path
//! looks like, and the single top-level directory of an sdist. Pure
//! functions over byte strings.

use crate::filename::stem_splits;
use crate::{DistFilename, PypiError};

/// Splits a member path into its components, rejecting absolute paths,
/// `..`, backslashes, drive letters, NUL and other control characters.
/// Empty and `.` components are dropped (`./a//b/` → `["a", "b"]`).
pub(crate) fn components(path: &[u8]) -> Result<Vec<&str>, PypiError> {
    let shown = String::from_utf8_lossy(path);
    let bad = |why: &str| Err(PypiError::invalid(format!("unsafe member path '{shown}': {why}")));
    let Ok(text) = std::str::from_utf8(path) else {
        return bad("not UTF-8");
    };
    if text.is_empty() {
        return bad("empty");
    }
    if text.starts_with('/') {
        return bad("absolute path");
    }
    if text.contains('\\') {
        return bad("backslash");
    }
    if text.chars().any(char::is_control) {
        return bad("control character");
    }
    let parts: Vec<&str> = text.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
    if parts.contains(&"..") {
        return bad("'..' component");
    }
    if let Some(first) = parts.first() {
        let b = first.as_bytes();
        if b.len() >= 2 && b[1] == b':' && b[0].is_ascii_alphabetic() {
            return bad("drive letter");
        }
    }
    if parts.is_empty() {
        return bad("no name");
    }
    Ok(parts)
}

/// Tracks that every member of an sdist lives under one top-level directory.
#[derive(Default)]
pub(crate) struct TopDir {
    name: Option<String>,
}

impl TopDir {
    /// Records a member; `is_dir` members may be the top directory itself.
    pub(crate) fn see(&mut self, parts: &[&str], is_dir: bool) -> Result<(), PypiError> {
        if parts.len() == 1 && !is_dir {
            return Err(PypiError::invalid(format!(
                "sdist member '{}' is not inside the top-level directory",
                parts[0]
            )));
        }
        match &self.name {
            None => self.name = Some(parts[0].to_string()),
            Some(top) if top == parts[0] => {}
            Some(top) => {
                return Err(PypiError::invalid(format!(
                    "sdist has more than one top-level directory ('{top}' and '{}')",
                    parts[0]
                )))
            }
        }
        Ok(())
    }

    pub(crate) fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

/// The one top-level directory of an sdist must be `<name>-<version>` of
/// the filename (compared normalized, so `Foo.Bar-1.0.0/` fits
/// `foo_bar-1.0.tar.gz`), never an arbitrary name.
pub(crate) fn check_top_dir(top: &str, filename: &DistFilename) -> Result<(), PypiError> {
    if stem_splits(top).any(|(name, version)| filename.matches(name, &version)) {
        return Ok(());
    }
    Err(PypiError::invalid(format!(
        "sdist top-level directory '{top}/' does not match filename '{}'; expected '<name>-<version>/'",
        filename.as_str()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_components() {
        assert_eq!(components(b"a/b/c").unwrap(), ["a", "b", "c"]);
        assert_eq!(components(b"./a//b/").unwrap(), ["a", "b"]);
        for bad in [
            &b""[..],
            b"/etc/passwd",
            b"a/../../x",
            b"..",
            b"a\\b",
            b"C:/x",
            b"c:x",
            b"a/\0b",
            b"a/\nb",
            b"\xff",
            b"./",
            b".",
        ] {
            assert!(components(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn top_dir() {
        let mut t = TopDir::default();
        t.see(&["p-1.0"], true).unwrap();
        t.see(&["p-1.0", "PKG-INFO"], false).unwrap();
        assert_eq!(t.name(), Some("p-1.0"));
        assert!(t.see(&["other", "x"], false).is_err());
        assert!(TopDir::default().see(&["setup.py"], false).is_err());
    }

    #[test]
    fn top_dir_names() {
        let f = crate::parse_filename("foo_bar-1.0.tar.gz").unwrap();
        for ok in ["foo_bar-1.0", "Foo.Bar-1.0.0", "foo-bar-1.0"] {
            check_top_dir(ok, &f).unwrap();
        }
        for bad in ["foo_bar", "foo_bar-1.1", "other-1.0", "src", "foo_bar-1.0-extra"] {
            assert!(check_top_dir(bad, &f).is_err(), "{bad}");
        }
        check_top_dir("Foo-Bar-2.0", &crate::parse_filename("Foo-Bar-2.0.tar.gz").unwrap()).unwrap();
    }
}
