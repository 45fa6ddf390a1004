//! Tests for [`super::CoreMetadata`].

use super::*;

const SAMPLE: &str = "Metadata-Version: 2.4\r\n\
Name: Demo_Pkg.Name\r\n\
Version: 1.0.post1\r\n\
Summary: A demo\r\n\
\x20 that folds\r\n\
Requires-Python: >=3.9\r\n\
Requires-Dist: requests>=2\r\n\
Requires-Dist: rich; extra == \"cli\"\r\n\
Provides-Extra: cli\r\n\
Dynamic: License\r\n\
Classifier: Programming Language :: Python\r\n\
Description-Content-Type: text/markdown\r\n\
\r\n\
# Demo\r\n\
\r\n\
Body: with a colon is not a header.\r\n";

#[test]
fn parses_all_fields() {
    let m = CoreMetadata::parse(SAMPLE.as_bytes()).unwrap();
    assert_eq!(m.metadata_version, "2.4");
    assert_eq!(m.name, "Demo_Pkg.Name");
    assert_eq!(m.version.to_string(), "1.0.post1");
    assert_eq!(m.summary.as_deref(), Some("A demo that folds"));
    assert_eq!(m.requires_python.as_deref(), Some(">=3.9"));
    assert_eq!(m.requires_dist, ["requests>=2", "rich; extra == \"cli\""]);
    assert_eq!(m.provides_extra, ["cli"]);
    assert_eq!(m.dynamic, ["License"]);
    assert_eq!(m.description_content_type.as_deref(), Some("text/markdown"));
    assert_eq!(m.description.as_deref(), Some("# Demo\r\n\r\nBody: with a colon is not a header.\r\n"));
    assert_eq!(m.get("classifier"), Some("Programming Language :: Python"));
    assert_eq!(m.get_all("REQUIRES-DIST").count(), 2);
    assert_eq!(m.get("Nope"), None);
}

#[test]
fn description_header_when_no_body() {
    let text = "Metadata-Version: 1.2\nName: old\nVersion: 0.1\nDescription: line one\n        line two\n";
    let m = CoreMetadata::parse(text.as_bytes()).unwrap();
    assert_eq!(m.description.as_deref(), Some("line one\n        line two"));
    assert_eq!(m.summary, None);
    assert_eq!(m.requires_python, None);
}

#[test]
fn accepts_every_metadata_version() {
    for v in ["1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7"] {
        let text = format!("Metadata-Version: {v}\nName: a\nVersion: 1\n");
        assert!(CoreMetadata::parse(text.as_bytes()).is_ok(), "{v}");
    }
}

#[test]
fn rejects_bad_metadata() {
    for (text, why) in [
        ("Metadata-Version: 2.0\nName: a\nVersion: 1\n", "2.0"),
        ("Metadata-Version: 3.0\nName: a\nVersion: 1\n", "major 3"),
        ("Name: a\nVersion: 1\n", "no metadata version"),
        ("Metadata-Version: 2.1\nVersion: 1\n", "no name"),
        ("Metadata-Version: 2.1\nName: a\n", "no version"),
        ("Metadata-Version: 2.1\nName: a\nVersion:\n", "empty version"),
        ("Metadata-Version: 2.1\nName: a-\nVersion: 1\n", "bad name"),
        ("Metadata-Version: 2.1\nName: a\nVersion: one\n", "bad version"),
        ("Metadata-Version: 2.1\nName: a\nName: b\nVersion: 1\n", "two names"),
        (" folded\nMetadata-Version: 2.1\nName: a\nVersion: 1\n", "leading fold"),
        ("Metadata-Version: 2.1\nName: a\nVersion: 1\ngarbage\n", "no colon"),
        ("Metadata-Version: 2.1\nName: a\nVersion: 1\nBad Key: x\n", "space in key"),
        ("", "empty"),
    ] {
        assert!(CoreMetadata::parse(text.as_bytes()).is_err(), "{why}");
    }
    assert!(CoreMetadata::parse(b"Metadata-Version: 2.1\nName: \xff\nVersion: 1\n").is_err());
    let e = CoreMetadata::parse(b"Name: a\nVersion: 1\n").unwrap_err();
    assert_eq!(e.to_string(), "Invalid metadata: missing required field 'Metadata-Version'");
}

#[test]
fn tolerates_bom_and_no_trailing_newline() {
    let m = CoreMetadata::parse("\u{feff}Metadata-Version: 2.1\nName: a\nVersion: 1".as_bytes()).unwrap();
    assert_eq!(m.name, "a");
    assert_eq!(m.description, None);
}
