//! Zip framing ("ZIP confusion", CVE-2025-54368), wheel RECORD checks and
//! per-member bomb limits, all on synthetic archives from `build.rs`.

use std::io::Read;

use super::build::*;
use super::tests::{ok, rejects, rejects_with, DI, WHL};
use super::*;

fn members() -> Vec<Z> {
    wheel_members(DI, "demo-pkg", "1.0", &[])
}

fn framed(f: Framing) -> Vec<u8> {
    zip_with(&members(), &f)
}

fn extra(id: u16, body: &[u8]) -> Vec<u8> {
    let mut out = id.to_le_bytes().to_vec();
    out.extend((body.len() as u16).to_le_bytes());
    out.extend(body);
    out
}

/// An Info-ZIP Unicode Path extra field naming `name`.
fn unicode_path(name: &str) -> Vec<u8> {
    let mut body = vec![1];
    body.extend(crc32(name.as_bytes()).to_le_bytes());
    body.extend(name.as_bytes());
    extra(0x7075, &body)
}

#[test]
fn accepted_framings() {
    ok(WHL, &framed(Framing::default()));
    ok(WHL, &framed(Framing { comment: b"built by hand".to_vec(), ..Framing::default() }));
    // Zip64 end records that agree, with and without 32-bit sentinels.
    ok(WHL, &framed(Framing { zip64: Some(Zip64 { sentinels: true, ..Zip64::default() }), ..Framing::default() }));
    ok(WHL, &framed(Framing { zip64: Some(Zip64::default()), ..Framing::default() }));
    // Data descriptors that repeat the central values, either spelling.
    let mut m = members();
    m[0].descriptor = Descriptor::Signed;
    m[1].descriptor = Descriptor::Signed;
    m[2].descriptor = Descriptor::Unsigned;
    ok(WHL, &zip(&m));
    // A UTF-8 name (flagged) with a Unicode path field that agrees.
    let name = "demo/caf\u{e9}.py";
    ok(WHL, &wheel(DI, "demo-pkg", "1.0", &[Z { extra: unicode_path(name), ..z(name, b"") }]));
}

#[test]
fn prepended_data_gaps_and_overlaps() {
    let good = wheel(DI, "demo-pkg", "1.0", &[]);
    let mut shifted = b"#!/bin/sh\n".to_vec();
    shifted.extend(&good);
    rejects(WHL, &shifted, "malformed zip archive");
    // A self-extractor style prefix, offsets adjusted.
    let prefix = framed(Framing { prefix: b"#!/bin/sh\n".to_vec(), ..Framing::default() });
    rejects(WHL, &prefix, "10 bytes of data before the first member");
    rejects(WHL, &framed(Framing { gap: Some((0, b"junk".to_vec())), ..Framing::default() }), "4 unaccounted bytes");
    // A local header that the central directory does not list.
    let hidden = local_record(&z("demo/evil.py", b"import os\n"));
    let e = rejects(WHL, &framed(Framing { gap: Some((1, hidden.clone())), ..Framing::default() }), "unaccounted");
    assert!(e.to_string().contains("before member 'demo_pkg-1.0.dist-info/WHEEL'"), "{e}");
    let last = members().len() - 1;
    let tail = framed(Framing { gap: Some((last, hidden)), ..Framing::default() });
    rejects(WHL, &tail, "unaccounted bytes before the central directory");
    let nested = zip_nested("demo/outer.bin", &z("demo/inner.py", b"x = 1\n"));
    rejects(WHL, &nested, "member 'demo/inner.py' overlaps the member before it");
}

#[test]
fn local_headers_must_agree_with_the_central_directory() {
    let mut m = members();
    m[0].local_name = Some("demo/evil.py".into());
    rejects(WHL, &zip(&m), "local header name differs for 'demo/__init__.py'");
    let good = wheel(DI, "demo-pkg", "1.0", &[]);
    let mut renamed = good.clone();
    renamed[31] = b'E'; // "demo/" -> "dEmo/" in the first local header only
    rejects(WHL, &renamed, "local header name differs");
    let mut stored = good.clone();
    stored[8] = 0; // DEFLATE -> STORED in the first local header
    rejects(WHL, &stored, "local header flags or method differ");
    let mut flagged = good.clone();
    flagged[7] = 0x08; // UTF-8 flag in the local header only
    rejects(WHL, &flagged, "local header flags or method differ");
    let mut crc = good.clone();
    crc[14] ^= 1;
    rejects(WHL, &crc, "local header sizes or CRC differ");
    let mut m = members();
    m[0].descriptor = Descriptor::Bytes([0x50, 0x4b, 7, 8, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0].to_vec());
    rejects(WHL, &zip(&m), "data descriptor of 'demo/__init__.py' disagrees");
}

#[test]
fn end_records_must_be_unambiguous() {
    let n = members().len() as u16;
    for count in [n - 1, n + 1] {
        let e = rejects(WHL, &framed(Framing { count: Some(count), ..Framing::default() }), "the end record counts");
        assert!(e.to_string().contains(&format!("counts {count} members but the central directory holds {n}")));
    }
    let disk = framed(Framing { disk_count: Some(n - 1), ..Framing::default() });
    rejects(WHL, &disk, "the end record's two member counts disagree");
    let no_eocd = "no end-of-central-directory record";
    rejects(WHL, &framed(Framing { trailing: b"junk".to_vec(), ..Framing::default() }), no_eocd);
    let beyond = Framing { comment: b"abc".to_vec(), trailing: b"def".to_vec(), ..Framing::default() };
    rejects(WHL, &framed(beyond), no_eocd);
    for len in [3, 10] {
        let lie = Framing { comment: b"hello".to_vec(), comment_len: Some(len), ..Framing::default() };
        rejects(WHL, &framed(lie), no_eocd);
    }
    // A second, self-consistent end record hidden in the comment.
    let fake = zip(&[]);
    assert_eq!(fake.len(), 22);
    let two = framed(Framing { comment: fake, ..Framing::default() });
    rejects(WHL, &two, "more than one end-of-central-directory record");
    let between = framed(Framing { after_cd: b"xx".to_vec(), ..Framing::default() });
    rejects(WHL, &between, "offset and size disagree with the end record");
    rejects(WHL, &framed(Framing { count: Some(0xFFFF), ..Framing::default() }), "zip64 locator missing");
}

#[test]
fn zip64_records_must_agree() {
    let with = |z64: Zip64| framed(Framing { zip64: Some(z64), ..Framing::default() });
    rejects(WHL, &with(Zip64 { count: Some(99), ..Zip64::default() }), "disagrees with the 32-bit end record");
    rejects(WHL, &with(Zip64 { cd_offset: Some(1), ..Zip64::default() }), "disagrees with the 32-bit end record");
    rejects(WHL, &with(Zip64 { sentinels: true, count: Some(99), ..Zip64::default() }), "counts 99 members");
    let moved = Zip64 { sentinels: true, cd_offset: Some(0), ..Zip64::default() };
    rejects(WHL, &with(moved), "offset and size disagree");
    rejects(WHL, &with(Zip64 { locator_offset: Some(0), ..Zip64::default() }), "not where its locator points");
    let ext = Zip64 { sentinels: true, extensible: vec![0; 8], ..Zip64::default() };
    rejects(WHL, &with(ext), "zip64 end record");
}

#[test]
fn member_fields_must_read_one_way() {
    let bad = |m: Z, needle: &str| {
        rejects(WHL, &wheel(DI, "demo-pkg", "1.0", &[m]), needle);
    };
    let zip64 = extra(1, &[0; 8]);
    bad(Z { extra: zip64, ..z("demo/a.py", b"") }, "zip64 extra field of 'demo/a.py' has 8 bytes; expected 0");
    bad(Z { extra: vec![0x34, 0x12, 9, 0, 1, 2, 3], ..z("demo/a.py", b"") }, "corrupt extra field");
    bad(Z { extra: vec![1, 2, 3], ..z("demo/a.py", b"") }, "corrupt extra field");
    let twice = [extra(0xcafe, b"a"), extra(0xcafe, b"b")].concat();
    bad(Z { extra: twice, ..z("demo/a.py", b"") }, "duplicate extra field 0xcafe");
    bad(Z { extra: unicode_path("demo/evil.py"), ..z("demo/a.py", b"") }, "Unicode path extra field disagrees");
    bad(Z { flags: Some(0), ..z("demo/caf\u{e9}.py", b"") }, "is not flagged as UTF-8");
    bad(Z { flags: Some(1), ..z("demo/a.py", b"") }, "encrypted zip member");
    let stored_lie = Z { deflate: false, declared_size: Some(5), ..z("demo/a.py", b"abc") };
    bad(stored_lie, "different compressed and uncompressed sizes");
}

// ---- RECORD ----

#[test]
fn record_must_list_exactly_the_members() {
    // Quoted CSV fields and signature files.
    let odd = [z("demo/a,b.py", b""), z("demo/say \"hi\".py", b"")];
    ok(WHL, &wheel(DI, "demo-pkg", "1.0", &odd));
    let all = members();
    let record_path = format!("{DI}/RECORD");
    let without = |skip: &str| {
        let kept: Vec<Z> = all.iter().filter(|m| m.name != skip).cloned().collect();
        record(&kept, &record_path)
    };
    let e = rejects(WHL, &wheel_with_record(DI, "demo-pkg", "1.0", &[], &without("demo/__init__.py")), "is not listed");
    assert!(e.to_string().contains("member 'demo/__init__.py' is not listed in demo_pkg-1.0.dist-info/RECORD"));
    // RECORD itself and its signatures need no row.
    let sigs = [z(&format!("{DI}/RECORD.jws"), b"{}"), z(&format!("{DI}/RECORD.p7s"), b"x")];
    let mut m = wheel_members(DI, "demo-pkg", "1.0", &sigs);
    let rows = String::from_utf8(record(&all[..3], &record_path)).unwrap().replace(&format!("{record_path},,\n"), "");
    m.last_mut().unwrap().data = rows.into_bytes();
    ok(WHL, &zip(&m));
    let mut ghost = without("");
    ghost.extend(b"demo/ghost.py,sha256=AAAA,1\n");
    let e = rejects(WHL, &wheel_with_record(DI, "demo-pkg", "1.0", &[], &ghost), "demo/ghost.py");
    assert!(e.to_string().contains("RECORD lists 'demo/ghost.py', which is not in the wheel"), "{e}");
    let mut twice = without("");
    twice.extend(b"./demo//__init__.py,,\n");
    rejects(WHL, &wheel_with_record(DI, "demo-pkg", "1.0", &[], &twice), "is listed more than once");
    for (bad, needle) in [
        (&b"demo/__init__.py,sha256=x\n"[..], "line 1 has 2 fields"),
        (b"../evil.py,,\n", "line 1: unsafe path '../evil.py'"),
        (b"\xff,,\n", "not UTF-8"),
        (b"\"open,,\n", "unterminated quoted field"),
    ] {
        rejects(WHL, &wheel_with_record(DI, "demo-pkg", "1.0", &[], bad), needle);
    }
}

#[test]
fn record_hash_of_metadata_must_match() {
    let meta = metadata("demo-pkg", "1.0");
    let with_row = |row: String| {
        let record = format!("demo/__init__.py,,\n{DI}/METADATA,{row}\n{DI}/WHEEL,,\n{DI}/RECORD,,\n");
        wheel_with_record(DI, "demo-pkg", "1.0", &[], record.as_bytes())
    };
    let hash = super::record::record_hash(&meta);
    ok(WHL, &with_row(format!("{hash},{}", meta.len())));
    ok(WHL, &with_row(format!("{hash}=,"))); // padded base64 is tolerated
    ok(WHL, &with_row("sha512=not-checked,".into()));
    let other = super::record::record_hash(b"something else");
    rejects(WHL, &with_row(format!("{other},")), "METADATA does not match its sha256 hash in RECORD");
    rejects(WHL, &with_row("sha256=,".into()), "does not match its sha256 hash");
    rejects(WHL, &with_row(format!("{hash},{}", meta.len() + 1)), "but RECORD says");
    // RECORD is read under the metadata size limit.
    let small = Limits { max_metadata_bytes: meta.len() as u64 + 10, ..Limits::default() };
    rejects_with(WHL, &wheel(DI, "demo-pkg", "1.0", &[]), &small, "dist-info/RECORD larger than");
}

// ---- bombs ----

#[test]
fn bomb_builders_produce_valid_archives() {
    let bomb = targz_bomb("demo_pkg-1.0", "demo-pkg", "1.0", 4 << 20);
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bomb.as_slice()).read_to_end(&mut out).unwrap();
    assert_eq!(out.len(), 512 * 2 + (4 << 20) + 512 * 2 + 1024);
    ok("demo_pkg-1.0.tar.gz", &bomb);
    let m = zeros_member("demo/zeros.bin", 4 << 20);
    let raw = m.raw.clone().unwrap();
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(raw.body.as_slice()).read_to_end(&mut out).unwrap();
    assert!(out.len() == 4 << 20 && out.iter().all(|b| *b == 0) && crc32(&out) == raw.crc);
    ok(WHL, &wheel(DI, "demo-pkg", "1.0", &[m]));
}

#[test]
fn one_member_bomb_behind_padding() {
    // Overall 8.5 MiB / ~0.5 MiB is under 50:1; the member alone is ~1000:1.
    let pad = Z { deflate: false, ..z("demo/pad.bin", &vec![7u8; 512 << 10]) };
    let bytes = wheel(DI, "demo-pkg", "1.0", &[zeros_member("demo/zeros.bin", 8 << 20), pad]);
    let limits = Limits { ratio_threshold_bytes: 1 << 20, ..Limits::default() };
    let e = rejects_with(WHL, &bytes, &limits, "member 'demo/zeros.bin' has a compression ratio above 100:1");
    assert!(matches!(e, PypiError::LimitExceeded(_)));
    ok(WHL, &bytes); // under the default 64 MiB threshold
}
