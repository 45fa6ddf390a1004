//! Archive tests: real small wheels and sdists, and every rejected case.

use std::io::Write;

use super::build::*;
use super::*;
use crate::parse_filename;

pub(super) fn run(filename: &str, bytes: &[u8], limits: &Limits) -> Result<(Vec<u8>, CoreMetadata), PypiError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(filename);
    std::fs::File::create(&path).unwrap().write_all(bytes).unwrap();
    extract_metadata(&path, &parse_filename(filename).unwrap(), limits)
}

pub(super) fn ok(filename: &str, bytes: &[u8]) -> (Vec<u8>, CoreMetadata) {
    run(filename, bytes, &Limits::default()).unwrap_or_else(|e| panic!("{filename}: {e}"))
}

/// Asserts rejection and that the message contains `needle`.
pub(super) fn rejects(filename: &str, bytes: &[u8], needle: &str) -> PypiError {
    rejects_with(filename, bytes, &Limits::default(), needle)
}

pub(super) fn rejects_with(filename: &str, bytes: &[u8], limits: &Limits, needle: &str) -> PypiError {
    match run(filename, bytes, limits) {
        Ok(_) => panic!("{filename} was accepted; expected '{needle}'"),
        Err(e) => {
            assert!(e.to_string().contains(needle), "'{e}' lacks '{needle}'");
            assert!(e.is_client_error(), "{e}");
            e
        }
    }
}

pub(super) const WHL: &str = "demo_pkg-1.0-py3-none-any.whl";
pub(super) const DI: &str = "demo_pkg-1.0.dist-info";

// ---- wheels ----

#[test]
fn reads_a_wheel() {
    let (raw, meta) = ok(WHL, &wheel(DI, "Demo-Pkg", "1.0", &[]));
    assert_eq!(raw, metadata("Demo-Pkg", "1.0"));
    assert_eq!(meta.name, "Demo-Pkg");
    assert_eq!(meta.requires_python.as_deref(), Some(">=3.9"));
    // Legacy spellings compare normalized; stored members may be STORED.
    let mut m = z("Demo_Pkg-1.0.0.dist-info/METADATA", &metadata("demo.pkg", "1.0.0"));
    m.deflate = false;
    let mut members = vec![m, z("Demo_Pkg-1.0.0.dist-info/WHEEL", b""), z("demo/", b"")];
    let record_path = "Demo_Pkg-1.0.0.dist-info/RECORD";
    members.push(z(record_path, &record(&members, record_path)));
    ok(WHL, &zip(&members));
}

#[test]
fn wheel_metadata_must_match_the_filename() {
    let e = rejects(WHL, &wheel(DI, "other", "1.0", &[]), "metadata name 'other' does not match filename");
    assert!(matches!(e, PypiError::MetadataMismatch { field: "name", .. }));
    let e = rejects(
        WHL,
        &wheel(DI, "demo-pkg", "1.1", &[]),
        "metadata version '1.1' does not match filename 'demo_pkg-1.0-py3-none-any.whl'",
    );
    assert!(matches!(e, PypiError::MetadataMismatch { field: "version", .. }));
    rejects(
        WHL,
        &wheel("other-1.0.dist-info", "demo-pkg", "1.0", &[]),
        "'other-1.0.dist-info' does not match filename",
    );
    rejects(WHL, &wheel("demo_pkg-2.0.dist-info", "demo-pkg", "1.0", &[]), "does not match filename");
}

#[test]
fn wheel_structure_is_checked() {
    rejects(WHL, &wheel(DI, "demo-pkg", "1.0", &[z("demo_pkg-1.0.data.dist-info/x", b"")]), "more than one .dist-info");
    let no_metadata = zip(&[z(&format!("{DI}/WHEEL"), b""), z(&format!("{DI}/RECORD"), b"")]);
    let e = rejects(WHL, &no_metadata, "does not contain the required metadata file demo_pkg-1.0.dist-info/METADATA");
    assert!(matches!(e, PypiError::MissingMetadata { .. }));
    rejects(WHL, &zip(&[z("demo/__init__.py", b"")]), "required metadata file");
    rejects(WHL, &zip(&[]), "required metadata file");
    let no_record = zip(&[z(&format!("{DI}/METADATA"), &metadata("demo-pkg", "1.0")), z(&format!("{DI}/WHEEL"), b"")]);
    rejects(WHL, &no_record, "missing demo_pkg-1.0.dist-info/RECORD");
}

#[test]
fn wheel_unsafe_paths_and_links() {
    for bad in ["../evil.py", "/etc/passwd", "demo\\evil.py", "demo/../../x", "C:/x"] {
        rejects(WHL, &wheel(DI, "demo-pkg", "1.0", &[z(bad, b"")]), "unsafe member path");
    }
    let mut link = z("demo/link", b"/etc/passwd");
    link.symlink = true;
    rejects(WHL, &wheel(DI, "demo-pkg", "1.0", &[link]), "symlink member 'demo/link'");
}

#[test]
fn wheel_duplicates_are_rejected() {
    let dup = z(&format!("{DI}/METADATA"), &metadata("evil", "6.6.6"));
    rejects(WHL, &wheel(DI, "demo-pkg", "1.0", &[dup]), "duplicate zip member 'demo_pkg-1.0.dist-info/METADATA'");
    let alias = z(&format!("./{DI}//METADATA"), &metadata("evil", "6.6.6"));
    rejects(WHL, &wheel(DI, "demo-pkg", "1.0", &[alias]), "duplicate member");
}

#[test]
fn wheel_sizes_must_not_lie() {
    for deflate in [true, false] {
        for declared in [5, 500] {
            let mut m = z(&format!("{DI}/METADATA"), &metadata("demo-pkg", "1.0"));
            m.deflate = deflate;
            m.declared_size = Some(declared);
            let bytes = zip(&[m, z(&format!("{DI}/WHEEL"), b""), z(&format!("{DI}/RECORD"), b"")]);
            assert!(run(WHL, &bytes, &Limits::default()).is_err(), "deflate={deflate} declared={declared}");
        }
    }
}

#[test]
fn wheel_bombs_and_limits() {
    let zeros = vec![0u8; 1 << 20];
    let small = Limits { ratio_threshold_bytes: 64 << 10, ..Limits::default() };
    let bomb = wheel(DI, "demo-pkg", "1.0", &[z("demo/zeros.bin", &zeros)]);
    let e = rejects_with(WHL, &bomb, &small, "compression ratio above 50:1");
    assert!(matches!(e, PypiError::LimitExceeded(_)));
    // A declared size far beyond the budget is refused without inflating.
    let mut huge = z("demo/huge.bin", b"x");
    huge.declared_size = Some(u32::MAX as u64 - 1);
    rejects_with(
        WHL,
        &wheel(DI, "demo-pkg", "1.0", &[huge]),
        &Limits { max_uncompressed_bytes: 1 << 30, ..Limits::default() },
        "expands to more than",
    );
    let many: Vec<Z> = (0..20).map(|i| z(&format!("demo/{i}.py"), b"")).collect();
    rejects_with(
        WHL,
        &wheel(DI, "demo-pkg", "1.0", &many),
        &Limits { max_entries: 10, ..Limits::default() },
        "more than 10 archive members",
    );
    rejects_with(
        WHL,
        &wheel(DI, "demo-pkg", "1.0", &[]),
        &Limits { max_metadata_bytes: 10, ..Limits::default() },
        "metadata file larger than 10 bytes",
    );
}

// ---- .tar.gz sdists ----

const TGZ: &str = "demo_pkg-1.0.tar.gz";
const TOP: &str = "demo_pkg-1.0";

#[test]
fn reads_a_tar_gz_sdist() {
    let (raw, meta) = ok(TGZ, &sdist(TOP, "demo-pkg", "1.0", &[]));
    assert_eq!(raw, metadata("demo-pkg", "1.0"));
    assert_eq!(meta.version.to_string(), "1.0");
    // git-archive style global header, PAX long path, ./ prefix.
    let long = format!("{TOP}/{}/x.py", "d".repeat(150));
    let bytes = gz(&tar(&[
        pax(b'g', &[("comment", "abc")]),
        file(&format!("./{TOP}/PKG-INFO"), &metadata("Demo_Pkg", "1.0.0")),
        pax(b'x', &[("path", &long)]),
        file("placeholder", b"print()\n"),
    ]));
    ok(TGZ, &bytes);
    // Legacy hyphenated name; a top directory spelled differently but equal
    // after normalization.
    ok("Foo-Bar-2.0.tar.gz", &sdist("Foo-Bar-2.0", "foo_bar", "2.0", &[]));
    ok(TGZ, &sdist("Demo.Pkg-1.0.0", "demo-pkg", "1.0", &[]));
}

#[test]
fn tar_gz_metadata_must_match() {
    rejects(
        TGZ,
        &sdist(TOP, "other", "1.0", &[]),
        "metadata name 'other' does not match filename 'demo_pkg-1.0.tar.gz'",
    );
    rejects(TGZ, &sdist(TOP, "demo-pkg", "1.0.1", &[]), "metadata version '1.0.1' does not match");
    rejects(TGZ, &gz(&tar(&[file(&format!("{TOP}/setup.py"), b"")])), "required metadata file demo_pkg-1.0/PKG-INFO");
    let dup = file(&format!("{TOP}/PKG-INFO"), &metadata("evil", "1.0"));
    rejects(TGZ, &sdist(TOP, "demo-pkg", "1.0", &[dup]), "duplicate member demo_pkg-1.0/PKG-INFO");
}

#[test]
fn tar_gz_unsafe_members() {
    for (member, needle) in [
        (file("../evil", b""), "unsafe member path"),
        (file("/etc/passwd", b""), "unsafe member path"),
        (file(&format!("{TOP}/../../evil"), b""), "unsafe member path"),
        (file("other-1.0/x", b""), "more than one top-level directory"),
        (file("setup.cfg", b""), "not inside the top-level directory"),
        (dir("other-1.0/"), "more than one top-level directory"),
        // Every link is refused, even one that stays inside the tree.
        (link(&format!("{TOP}/l"), b'2', "../../etc/passwd"), "'demo_pkg-1.0/l' is a symlink"),
        (link(&format!("{TOP}/l"), b'2', "/etc/passwd"), "is a symlink; links are not allowed"),
        (link(&format!("{TOP}/docs/readme"), b'2', "../setup.py"), "is a symlink; links are not allowed"),
        (link(&format!("{TOP}/l"), b'1', "/etc/passwd"), "is a hardlink; links are not allowed"),
        (link(&format!("{TOP}/hard"), b'1', &format!("{TOP}/PKG-INFO")), "is a hardlink"),
        (link("setup-link", b'2', &format!("{TOP}/setup.py")), "not inside the top-level directory"),
        (T { path: format!("{TOP}/dev").into(), kind: b'3', data: vec![], link: vec![] }, "unsupported type"),
        (T { path: format!("{TOP}/sparse").into(), kind: b'S', data: vec![], link: vec![] }, "sparse"),
    ] {
        rejects(TGZ, &sdist(TOP, "demo-pkg", "1.0", &[member]), needle);
    }
    let pkg_link = gz(&tar(&[link(&format!("{TOP}/PKG-INFO"), b'2', "setup.py")]));
    rejects(TGZ, &pkg_link, "links are not allowed");
    let long_link = [
        T { path: "././@LongLink".into(), kind: b'K', data: format!("{TOP}/setup.py").into(), link: vec![] },
        link(&format!("{TOP}/l"), b'1', "x"),
    ];
    rejects(TGZ, &sdist(TOP, "demo-pkg", "1.0", &long_link), "is a hardlink");
}

#[test]
fn tar_gz_top_directory_must_be_name_version() {
    for top in ["evil", "demo_pkg-2.0", "other-1.0", "src"] {
        rejects(TGZ, &sdist(top, "demo-pkg", "1.0", &[]), "does not match filename 'demo_pkg-1.0.tar.gz'");
    }
    // Only the top directory, or files at the top level.
    rejects(TGZ, &gz(&tar(&[file("PKG-INFO", &metadata("demo-pkg", "1.0"))])), "not inside the top-level");
    let two = gz(&tar(&[file(&format!("{TOP}/PKG-INFO"), &metadata("demo-pkg", "1.0")), file("b-1.0/x", b"")]));
    let e = rejects(TGZ, &two, "more than one top-level directory ('demo_pkg-1.0' and 'b-1.0')");
    assert!(e.to_string().starts_with("Invalid distribution file: "), "{e}");
}

#[test]
fn tar_gz_header_differentials() {
    let size_lie = [pax(b'x', &[("size", "999")]), file(&format!("{TOP}/a"), b"abc")];
    rejects(TGZ, &sdist(TOP, "demo-pkg", "1.0", &size_lie), "PAX size disagrees");
    let pax_then_long = [
        pax(b'x', &[("path", "x")]),
        T { path: "././@LongLink".into(), kind: b'L', data: b"demo_pkg-1.0/y".to_vec(), link: vec![] },
        file(&format!("{TOP}/a"), b""),
    ];
    rejects(TGZ, &sdist(TOP, "demo-pkg", "1.0", &pax_then_long), "mixed with other extension headers");
    let dangling = [pax(b'x', &[("path", "x")])];
    rejects(TGZ, &sdist(TOP, "demo-pkg", "1.0", &dangling), "without a member");
    let sparse = [pax(b'x', &[("GNU.sparse.major", "1")]), file(&format!("{TOP}/a"), b"")];
    rejects(TGZ, &sdist(TOP, "demo-pkg", "1.0", &sparse), "sparse");
    let traversal = [pax(b'x', &[("path", "../../etc/cron.d/x")]), file(&format!("{TOP}/a"), b"")];
    rejects(TGZ, &sdist(TOP, "demo-pkg", "1.0", &traversal), "unsafe member path");
    rejects(TGZ, b"\x1f\x8b garbage", "not a valid .tar.gz archive");
    rejects(TGZ, &gz(b"plain text, not a tar archive at all"), "not a valid .tar.gz archive");
}

#[test]
fn tar_members_after_end_of_archive_are_refused() {
    let valid = tar(&[dir(&format!("{TOP}/")), file(&format!("{TOP}/PKG-INFO"), &metadata("demo-pkg", "1.0"))]);
    // Zero padding after the marker (tarfile and GNU tar pad to 10 KiB records) is fine.
    let mut padded = valid.clone();
    padded.resize(padded.len().next_multiple_of(10240) + 10240, 0);
    ok(TGZ, &gz(&padded));
    for hidden in
        [file("/etc/passwd", b"x"), link(&format!("{TOP}/l"), b'2', "/etc/passwd"), file(&format!("{TOP}/ok"), b"")]
    {
        let smuggled = [valid.clone(), vec![0u8; 4096], tar(&[hidden])].concat();
        rejects(TGZ, &gz(&smuggled), "data after the tar end-of-archive marker");
    }
    // A second gzip member holding the rest is the same stream.
    let two_members = [gz(&valid), gz(&tar(&[file("/etc/passwd", b"x")]))].concat();
    rejects(TGZ, &two_members, "data after the tar end-of-archive marker");
}

#[test]
fn tar_gz_bombs_stop_early() {
    let zeros = vec![0u8; 4 << 20];
    let bomb = sdist(TOP, "demo-pkg", "1.0", &[file(&format!("{TOP}/zeros"), &zeros)]);
    let ratio = Limits { ratio_threshold_bytes: 64 << 10, ..Limits::default() };
    let e = rejects_with(TGZ, &bomb, &ratio, "compression ratio above 50:1");
    assert!(matches!(e, PypiError::LimitExceeded(_)));
    let budget = Limits { max_uncompressed_bytes: 1 << 20, ..Limits::default() };
    rejects_with(TGZ, &bomb, &budget, "expands to more than 1048576 bytes");
    let many: Vec<T> = (0..20).map(|i| file(&format!("{TOP}/{i}"), b"")).collect();
    rejects_with(
        TGZ,
        &sdist(TOP, "demo-pkg", "1.0", &many),
        &Limits { max_entries: 10, ..Limits::default() },
        "more than 10 archive members",
    );
    rejects_with(
        TGZ,
        &sdist(TOP, "demo-pkg", "1.0", &[]),
        &Limits { max_metadata_bytes: 10, ..Limits::default() },
        "metadata file larger than 10 bytes",
    );
}

// ---- .zip sdists ----

#[test]
fn reads_a_zip_sdist() {
    let bytes = zip(&[z("demo_pkg-1.0/", b""), z("demo_pkg-1.0/PKG-INFO", &metadata("demo-pkg", "1.0"))]);
    ok("demo_pkg-1.0.zip", &bytes);
    let two_tops = zip(&[z("demo_pkg-1.0/PKG-INFO", &metadata("demo-pkg", "1.0")), z("x/y", b"")]);
    rejects("demo_pkg-1.0.zip", &two_tops, "more than one top-level directory");
    rejects(
        "demo_pkg-1.0.zip",
        &zip(&[z("demo_pkg-1.0/setup.py", b"")]),
        "required metadata file demo_pkg-1.0/PKG-INFO",
    );
    let mut link = z("demo_pkg-1.0/l", b"/etc/passwd");
    link.symlink = true;
    rejects("demo_pkg-1.0.zip", &zip(&[link]), "symlink member");
    let elsewhere = zip(&[z("demo_pkg-2.0/PKG-INFO", &metadata("demo-pkg", "1.0"))]);
    rejects("demo_pkg-1.0.zip", &elsewhere, "top-level directory 'demo_pkg-2.0/' does not match");
}

#[test]
fn io_errors_are_server_errors() {
    let f = parse_filename(WHL).unwrap();
    let e = extract_metadata(std::path::Path::new("/nonexistent/x.whl"), &f, &Limits::default()).unwrap_err();
    assert!(!e.is_client_error());
}
