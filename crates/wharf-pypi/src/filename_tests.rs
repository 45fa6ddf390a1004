//! Tests for [`super::parse_filename`].

use super::*;

fn ok(f: &str) -> DistFilename {
    parse_filename(f).unwrap_or_else(|e| panic!("{f}: {e}"))
}

#[test]
fn parses_wheels() {
    let w = ok("demo_pkg-1.0.post1-py3-none-any.whl");
    assert_eq!(w.kind, DistKind::Wheel);
    assert_eq!(w.name, "demo_pkg");
    assert_eq!(w.normalized_name(), "demo-pkg");
    assert_eq!(w.version.to_string(), "1.0.post1");
    assert!(w.is_normalized());
    let tags = w.wheel.unwrap();
    assert_eq!((tags.python.as_str(), tags.abi.as_str()), ("py3", "none"));
    assert_eq!(tags.platform, "any");
    assert_eq!(tags.build, None);

    let w = ok("numpy-2.1.0-1build-cp311.cp312-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
    assert_eq!(w.wheel.unwrap().build.as_deref(), Some("1build"));

    let w = ok("Demo_Pkg-1.0-py3-none-any.whl");
    assert_eq!(w.normalized_name(), "demo-pkg");
    assert!(!w.is_normalized());
    assert!(!ok("demo-1.0_post1-py3-none-any.whl").is_normalized());
    assert_eq!(ok("torch-2.4.0+cu121-cp311-cp311-linux_x86_64.whl").version.to_string(), "2.4.0+cu121");
}

#[test]
fn parses_sdists() {
    let s = ok("demo_pkg-1.0.tar.gz");
    assert_eq!(s.kind, DistKind::SdistTarGz);
    assert_eq!(s.kind.filetype(), "sdist");
    assert_eq!((s.name.as_str(), s.version_str.as_str()), ("demo_pkg", "1.0"));
    assert!(s.is_normalized());

    // Legacy: hyphenated name, non-normalized version, .zip.
    let s = ok("Demo-Pkg-1.0-1.zip");
    assert_eq!(s.kind, DistKind::SdistZip);
    assert_eq!(s.normalized_name(), "demo-pkg");
    assert!(!s.is_normalized());
    let v = Version::parse("1.0").unwrap();
    assert!(s.matches("demo.pkg", &Version::parse("1.0.post1").unwrap()));
    assert!(!s.matches("demo-pkg", &v));
    // "a-1-2" reads as "a" + "1-2" (= 1.post2) or as "a-1" + "2". The parse
    // takes the leftmost split; `matches` tries every split against metadata.
    let s = ok("a-1-2.tar.gz");
    assert_eq!(s.name, "a");
    assert!(s.matches("a-1", &Version::parse("2").unwrap()));
    assert!(s.matches("a", &Version::parse("1.post2").unwrap()));
    let s = ok("foo-bar-2.0.tar.gz");
    assert!(s.matches("Foo_Bar", &Version::parse("2").unwrap()));
    assert!(!s.matches("foo", &Version::parse("2").unwrap()));
}

#[test]
fn rejects_bad_filenames() {
    for f in [
        "",
        "../demo-1.0.tar.gz",
        "a/demo-1.0.tar.gz",
        "a\\demo-1.0.tar.gz",
        "demo-1.0.tar.gz\0",
        "demo\n-1.0.tar.gz",
        "demo\x7f-1.0.tar.gz",
        "demo-1.0..tar.gz",
        ".demo-1.0.tar.gz",
        "démo-1.0.tar.gz",
        "demo-1.0.tar.gz.exe",
        "demo-1.0-py3.8.egg",
        "demo-1.0.win32.exe",
        "demo-1.0.tar.bz2",
        "demo-1.0.tgz",
        "demo-1.0.WHL",
        "demo-1.0.tar",
        "demo-1.0-py3-none-any.whl.metadata",
        "demo.tar.gz",
        "demo-.tar.gz",
        "demo-notaversion.tar.gz",
        "-1.0.tar.gz",
        "demo-1.0.whl",
        "demo-1.0-py3-none.whl",
        "demo-1.0-x-y-py3-none-any.whl",
        "demo-1.0-build-py3-none-any.whl",
        "demo-1.0-py3--any.whl",
        "demo-bad_ver-py3-none-any.whl",
        "de!mo-1.0-py3-none-any.whl",
    ] {
        assert!(parse_filename(f).is_err(), "{f:?} should be rejected");
    }
    let long = format!("{}-1.0.tar.gz", "a".repeat(300));
    assert!(parse_filename(&long).is_err());
}

#[test]
fn error_messages() {
    let e = parse_filename("demo-1.0.egg").unwrap_err();
    assert!(matches!(e, PypiError::InvalidExtension(_)));
    assert!(e.to_string().starts_with("Invalid file extension"));
    let e = parse_filename("a/b.whl").unwrap_err().to_string();
    assert!(e.starts_with("Invalid filename: cannot upload a file with '/'"), "{e}");
}
