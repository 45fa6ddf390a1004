//! HTTP-level tests of the uploaded-archive checks: decompression bombs are
//! refused within a time budget, bad filenames are refused before the body
//! is stored, and sdist links, top directories, wheel RECORDs and zip
//! framing are checked end to end.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use wharf_pypi::archive::build::{self as fx, z};

use crate::common::*;
use crate::pypi_http::{upload, upload_with};

const WHL: &str = "demo_pkg-1.0-py3-none-any.whl";
const DI: &str = "demo_pkg-1.0.dist-info";
/// Generous: debug builds on a busy 2-core machine.
const BUDGET: Duration = Duration::from_secs(10);

/// Uploads, and returns (status, body, time to the response).
async fn timed(c: &Oci, filename: &str, bytes: &[u8]) -> (StatusCode, String, Duration) {
    let start = Instant::now();
    let r = upload(c, "bombs", filename, bytes).await;
    let status = r.status();
    let text = r.text().await.unwrap();
    (status, text, start.elapsed())
}

fn no_staged_uploads(s: &wharf_test_support::TestServer) {
    let left = std::fs::read_dir(s.data_dir().join("uploads")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "staged bytes left behind");
}

#[tokio::test]
async fn tar_gz_bomb_is_refused_within_budget() {
    let s = server();
    let c = Oci::new(&s);
    // 1 GiB of zeros in about 1 MiB of gzip.
    let bomb = fx::targz_bomb("demo_pkg-1.0", "Demo-Pkg", "1.0", 1 << 30);
    assert!(bomb.len() < 4 << 20, "{}", bomb.len());
    let (status, text, took) = timed(&c, "demo_pkg-1.0.tar.gz", &bomb).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.starts_with("Invalid distribution file: compression ratio above 50:1"), "{text}");
    assert!(took < BUDGET, "took {took:?}");
    assert_eq!(c.get("/pypi/bombs/simple/demo-pkg/").await.status(), StatusCode::NOT_FOUND);
    no_staged_uploads(&s);
}

#[tokio::test]
async fn zip_bombs_are_refused_within_budget() {
    let s = server();
    let c = Oci::new(&s);
    // One member of 1 GiB of zeros: the whole archive's ratio gives it away.
    let whole = fx::wheel(DI, "Demo-Pkg", "1.0", &[fx::zeros_member("demo/zeros.bin", 1 << 30)]);
    let (status, text, took) = timed(&c, WHL, &whole).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("compression ratio above 50:1"), "{text}");
    assert!(took < BUDGET, "took {took:?}");
    // 128 MiB of zeros hidden behind 4 MiB of stored padding: the overall
    // ratio stays near 32:1, the member alone is about 1000:1.
    let pad = fx::Z { deflate: false, ..z("demo/pad.bin", &vec![0u8; 4 << 20]) };
    let hidden = fx::wheel(DI, "Demo-Pkg", "1.0", &[fx::zeros_member("demo/zeros.bin", 128 << 20), pad]);
    let (status, text, took) = timed(&c, WHL, &hidden).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("member 'demo/zeros.bin' has a compression ratio above 100:1"), "{text}");
    assert!(took < BUDGET, "took {took:?}");
    no_staged_uploads(&s);
}

#[tokio::test]
async fn bad_filenames_are_refused_before_the_body_is_stored() {
    // A body over the size limit would be refused with 413 once streamed;
    // a 400 about the name proves the name was checked first.
    let s = server_with(&["--max-package-bytes", "10000"]);
    let c = Oci::new(&s);
    let body = vec![b'x'; 64 << 10];
    for (filename, needle) in [
        (".demo_pkg-1.0.tar.gz", "Invalid filename"),
        ("demo_pkg-1.0.tar.gz..", "Invalid filename"),
        ("demo_pkg.whl", "Invalid filename"),
        ("demo_pkg-1.0.exe", "Invalid file extension"),
        ("demo_pkg-1.0.tar.bz2", "Invalid file extension"),
    ] {
        let r = upload_with(&c, "names", filename, &body, &[("sha256_digest", "0".repeat(64))]).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{filename}");
        let text = r.text().await.unwrap();
        assert!(text.contains(needle), "{filename}: {text}");
    }
    // A good name with the same body still hits the size limit.
    let r = upload(&c, "names", "demo_pkg-1.0.tar.gz", &body).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    no_staged_uploads(&s);
    // A large body behind a bad name is answered without being stored.
    let s = server();
    let c = Oci::new(&s);
    let (status, text, took) = timed(&c, "demo_pkg-1.0.exe", &vec![0u8; 32 << 20]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(took < BUDGET, "took {took:?}");
    no_staged_uploads(&s);
}

#[tokio::test]
async fn archive_structure_is_checked_end_to_end() {
    let s = server();
    let c = Oci::new(&s);
    let top = "demo_pkg-1.0";
    let sdist = |extra: &[fx::T]| fx::sdist(top, "Demo-Pkg", "1.0", extra);
    let members = fx::wheel_members(DI, "Demo-Pkg", "1.0", &[]);
    let partial = fx::record(&members[..2], &format!("{DI}/RECORD"));
    let wrong_hash = format!(
        "demo/__init__.py,,\n{DI}/METADATA,{},\n{DI}/WHEEL,,\n{DI}/RECORD,,\n",
        "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
    );
    let cases: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        (
            "symlink inside the tree",
            "demo_pkg-1.0.tar.gz",
            sdist(&[fx::link(&format!("{top}/l"), b'2', "setup.py")]),
            "is a symlink; links are not allowed",
        ),
        (
            "hardlink inside the tree",
            "demo_pkg-1.0.tar.gz",
            sdist(&[fx::link(&format!("{top}/h"), b'1', &format!("{top}/setup.py"))]),
            "is a hardlink",
        ),
        (
            "second top directory",
            "demo_pkg-1.0.tar.gz",
            sdist(&[fx::file("other-1.0/x.py", b"")]),
            "more than one top-level directory",
        ),
        (
            "top-level file",
            "demo_pkg-1.0.tar.gz",
            sdist(&[fx::file("setup.cfg", b"")]),
            "not inside the top-level directory",
        ),
        (
            "wrong top directory",
            "demo_pkg-1.0.tar.gz",
            fx::sdist("src", "Demo-Pkg", "1.0", &[]),
            "top-level directory 'src/' does not match",
        ),
        (
            "member missing from RECORD",
            WHL,
            fx::wheel_with_record(DI, "Demo-Pkg", "1.0", &[], &partial),
            "is not listed in demo_pkg-1.0.dist-info/RECORD",
        ),
        (
            "wrong METADATA hash",
            WHL,
            fx::wheel_with_record(DI, "Demo-Pkg", "1.0", &[], wrong_hash.as_bytes()),
            "METADATA does not match its sha256 hash in RECORD",
        ),
        (
            "prepended data",
            WHL,
            fx::zip_with(&members, &fx::Framing { prefix: b"MZ".to_vec(), ..Default::default() }),
            "data before the first member",
        ),
        (
            "overlapping members",
            WHL,
            fx::zip_nested("demo/a.bin", &z("demo/b.py", b"")),
            "overlaps the member before it",
        ),
    ];
    for (what, filename, bytes, needle) in cases {
        let r = upload(&c, "shape", filename, &bytes).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{what}");
        let text = r.text().await.unwrap();
        assert!(text.starts_with("Invalid distribution file: "), "{what}: {text}");
        assert!(text.contains(needle), "{what}: {text}");
    }
    assert_eq!(c.get("/pypi/shape/simple/demo-pkg/").await.status(), StatusCode::NOT_FOUND);
    no_staged_uploads(&s);
    // The builders' own wheel and sdist, with correct RECORDs, still publish.
    let ok = fx::wheel(DI, "Demo-Pkg", "1.0", &[z("demo/a,b.py", b"x = 1\n")]);
    assert_eq!(upload(&c, "shape", WHL, &ok).await.status(), StatusCode::OK);
    assert_eq!(upload(&c, "shape", "demo_pkg-1.0.tar.gz", &sdist(&[])).await.status(), StatusCode::OK);
}
