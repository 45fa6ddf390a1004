//! Test-only builders of small real (and deliberately broken) wheels and
//! sdists, and of decompression bombs that are cheap to build. The zip
//! writer (`build/zipw.rs`) is hand-rolled so tests can produce what no sane
//! library writes.

use std::io::Write;

use flate2::write::{DeflateEncoder, GzEncoder};
use flate2::{Compression, Crc};

use super::record::record_hash;

mod zipw;
pub use zipw::*;

pub fn metadata(name: &str, version: &str) -> Vec<u8> {
    format!("Metadata-Version: 2.4\nName: {name}\nVersion: {version}\nRequires-Python: >=3.9\n\nHello.\n").into_bytes()
}

/// One CSV field as Python's `csv` writer spells it.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A correct `RECORD` for `members` (directories skipped), the way wheel
/// builders write it: `path,sha256=<urlsafe b64>,size` per file, then
/// `<record_path>,,`. Members with [`Raw`] data get no hash.
pub fn record(members: &[Z], record_path: &str) -> Vec<u8> {
    let mut out = String::new();
    for m in members.iter().filter(|m| !m.name.ends_with('/') && m.name != record_path) {
        let (hash, size) = match &m.raw {
            Some(raw) => (String::new(), raw.size),
            None => (record_hash(&m.data), m.data.len() as u64),
        };
        out.push_str(&format!("{},{hash},{size}\n", csv_field(&m.name)));
    }
    out.push_str(&format!("{},,\n", csv_field(record_path)));
    out.into_bytes()
}

/// The members of a well-formed wheel: a module, `METADATA` saying `name` /
/// `version`, `WHEEL`, then `extra`, then a `RECORD` listing all of them.
pub fn wheel_members(dist_info: &str, name: &str, version: &str, extra: &[Z]) -> Vec<Z> {
    let mut members = vec![
        z("demo/__init__.py", b"print('hi')\n"),
        z(&format!("{dist_info}/METADATA"), &metadata(name, version)),
        z(&format!("{dist_info}/WHEEL"), b"Wheel-Version: 1.0\n"),
    ];
    members.extend_from_slice(extra);
    let record_path = format!("{dist_info}/RECORD");
    let record = record(&members, &record_path);
    members.push(z(&record_path, &record));
    members
}

/// A well-formed wheel whose `.dist-info` is `dist_info` and metadata says
/// `name` / `version`, plus `extra` members, with a correct `RECORD`.
pub fn wheel(dist_info: &str, name: &str, version: &str, extra: &[Z]) -> Vec<u8> {
    zip(&wheel_members(dist_info, name, version, extra))
}

/// Like [`wheel`], but its `RECORD` holds exactly `record` (for wrong ones).
pub fn wheel_with_record(dist_info: &str, name: &str, version: &str, extra: &[Z], record: &[u8]) -> Vec<u8> {
    let mut members = wheel_members(dist_info, name, version, extra);
    members.last_mut().expect("RECORD").data = record.to_vec();
    zip(&members)
}

/// One tar member to write; `path` and `link` go raw into the header.
#[derive(Clone)]
pub struct T {
    pub path: Vec<u8>,
    pub kind: u8,
    pub data: Vec<u8>,
    pub link: Vec<u8>,
}

pub fn file(path: &str, data: &[u8]) -> T {
    T { path: path.into(), kind: b'0', data: data.to_vec(), link: Vec::new() }
}

pub fn dir(path: &str) -> T {
    T { path: path.into(), kind: b'5', data: Vec::new(), link: Vec::new() }
}

pub fn link(path: &str, kind: u8, target: &str) -> T {
    T { path: path.into(), kind, data: Vec::new(), link: target.into() }
}

/// A PAX extended header carrying `records` (key, value).
pub fn pax(kind: u8, records: &[(&str, &str)]) -> T {
    let mut data = Vec::new();
    for (k, v) in records {
        let body = format!(" {k}={v}\n");
        let mut len = body.len() + 1;
        while body.len() + len.to_string().len() != len {
            len = body.len() + len.to_string().len();
        }
        data.extend(format!("{len}{body}").into_bytes());
    }
    T { path: b"././@PaxHeader".to_vec(), kind, data, link: Vec::new() }
}

/// The 512-byte ustar header of `m`, declaring `size` bytes of data.
fn tar_header(m: &T, size: u64) -> Vec<u8> {
    let mut h = tar::Header::new_ustar();
    {
        let old = h.as_old_mut();
        old.name[..m.path.len()].copy_from_slice(&m.path);
        old.linkname[..m.link.len()].copy_from_slice(&m.link);
    }
    h.set_size(size);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::new(m.kind));
    h.set_cksum();
    h.as_bytes().to_vec()
}

/// Tar members without the end-of-archive blocks.
fn tar_members(members: &[T]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in members {
        out.extend(tar_header(m, m.data.len() as u64));
        out.extend(&m.data);
        out.resize(out.len().next_multiple_of(512), 0);
    }
    out
}

/// An uncompressed tar stream with exactly these members.
pub fn tar(members: &[T]) -> Vec<u8> {
    let mut out = tar_members(members);
    out.extend([0u8; 1024]);
    out
}

pub fn gz(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// A well-formed sdist `top/` with PKG-INFO saying `name` / `version`.
pub fn sdist(top: &str, name: &str, version: &str, extra: &[T]) -> Vec<u8> {
    let mut members = vec![
        dir(&format!("{top}/")),
        file(&format!("{top}/PKG-INFO"), &metadata(name, version)),
        file(&format!("{top}/setup.py"), b"\n"),
    ];
    members.extend_from_slice(extra);
    gz(&tar(&members))
}

const MIB: u64 = 1 << 20;

/// A raw deflate stream of `prefix`, `zeros` zero bytes and `suffix`, and
/// its CRC-32. Built in milliseconds whatever `zeros` is: two 1 MiB chunks
/// are compressed with a sync flush after each, and the second (which only
/// refers back to zeros) is repeated. `zeros` is a multiple of 1 MiB, ≥ 2 MiB.
pub fn deflate_zeros(prefix: &[u8], zeros: u64, suffix: &[u8]) -> (Vec<u8>, u32) {
    assert!(zeros.is_multiple_of(MIB) && zeros >= 2 * MIB, "zeros must be a multiple of 1 MiB, at least 2 MiB");
    let block = vec![0u8; MIB as usize];
    let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
    enc.write_all(prefix).unwrap();
    enc.write_all(&block).unwrap();
    enc.flush().unwrap();
    let mark = enc.get_ref().len();
    enc.write_all(&block).unwrap();
    enc.flush().unwrap();
    let repeat = enc.get_ref()[mark..].to_vec();
    for _ in 2..zeros / MIB {
        enc.get_mut().extend_from_slice(&repeat);
    }
    enc.write_all(suffix).unwrap();
    let body = enc.finish().unwrap();
    let mut crc = Crc::new();
    crc.update(prefix);
    let mut chunk = Crc::new();
    chunk.update(&block);
    for _ in 0..zeros / MIB {
        crc.combine(&chunk);
    }
    let mut tail = Crc::new();
    tail.update(suffix);
    crc.combine(&tail);
    (body, crc.sum())
}

/// A deflated zip member expanding to `len` zero bytes (see [`deflate_zeros`]).
pub fn zeros_member(name: &str, len: u64) -> Z {
    let (body, crc) = deflate_zeros(b"", len, b"");
    Z { raw: Some(Raw { body, crc, size: len }), ..z(name, b"") }
}

/// A valid `.tar.gz` sdist `top/` whose member `top/zeros` holds `zeros`
/// zero bytes, followed by a good PKG-INFO: a gzip bomb.
pub fn targz_bomb(top: &str, name: &str, version: &str, zeros: u64) -> Vec<u8> {
    let mut prefix = tar_members(&[dir(&format!("{top}/"))]);
    prefix.extend(tar_header(&file(&format!("{top}/zeros"), b""), zeros));
    let suffix = tar(&[file(&format!("{top}/PKG-INFO"), &metadata(name, version))]);
    let (body, crc) = deflate_zeros(&prefix, zeros, &suffix);
    let total = prefix.len() as u64 + zeros + suffix.len() as u64;
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend(body);
    out.extend(crc.to_le_bytes());
    out.extend((total as u32).to_le_bytes());
    out
}
