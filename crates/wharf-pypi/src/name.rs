//! Project names: PEP 503 normalization and the PEP 508 name grammar.
//!
//! Pure string functions; no IO. Versions live in [`crate::version`].

use crate::PypiError;

/// The longest project name accepted. PyPI has no hard limit, but nothing
/// legitimate comes close and it bounds what we store and render.
pub const MAX_NAME_LEN: usize = 200;

/// PEP 503 normalization: runs of `-`, `_`, `.` become one `-`, lowercase.
///
/// `normalize("Foo.Bar__baz") == "foo-bar-baz"`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_run = false;
        }
    }
    out
}

/// The form a name takes inside wheel filenames and `.dist-info` folders:
/// normalized, with `_` instead of `-` (`Foo.Bar` → `foo_bar`).
pub fn wheel_escape(name: &str) -> String {
    normalize(name).replace('-', "_")
}

/// `true` if `name` matches `^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])\z`
/// (case-insensitive) and is at most [`MAX_NAME_LEN`] bytes.
pub fn is_valid_project_name(name: &str) -> bool {
    validate_project_name(name).is_ok()
}

/// Like [`is_valid_project_name`], with a reason suitable for the client.
pub fn validate_project_name(name: &str) -> Result<(), PypiError> {
    let fail = |reason: &str| Err(PypiError::InvalidName { name: name.to_string(), reason: reason.to_string() });
    let bytes = name.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return fail("the name is empty");
    };
    if bytes.len() > MAX_NAME_LEN {
        return fail("the name is too long");
    }
    if !bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) {
        return fail("only ASCII letters, digits, '.', '_' and '-' are allowed");
    }
    if !first.is_ascii_alphanumeric() || !last.is_ascii_alphanumeric() {
        return fail("the name must start and end with a letter or digit");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_pep_503() {
        for (input, want) in [
            ("friendly-bard", "friendly-bard"),
            ("Friendly-Bard", "friendly-bard"),
            ("FRIENDLY-BARD", "friendly-bard"),
            ("friendly.bard", "friendly-bard"),
            ("friendly_bard", "friendly-bard"),
            ("friendly--bard", "friendly-bard"),
            ("FrIeNdLy-._.-bArD", "friendly-bard"),
            ("a", "a"),
        ] {
            assert_eq!(normalize(input), want, "{input}");
        }
        assert_eq!(wheel_escape("Demo_Pkg.Name"), "demo_pkg_name");
    }

    #[test]
    fn accepts_valid_names() {
        for name in ["a", "A1", "demo-pkg", "Demo_Pkg.Name", "0", "x.y_z-9"] {
            assert!(is_valid_project_name(name), "{name}");
        }
    }

    #[test]
    fn rejects_invalid_names() {
        let long = "a".repeat(MAX_NAME_LEN + 1);
        for name in ["", "-a", "a-", ".a", "a_", "a b", "a/b", "ä", "a\n", "a\0b", "<script>", &long] {
            assert!(!is_valid_project_name(name), "{name:?}");
        }
        let err = validate_project_name("a-").unwrap_err().to_string();
        assert!(err.starts_with("'a-' is an invalid value for Name."), "{err}");
    }
}
