//! Test-only builders of small real (and deliberately broken) wheels and
//! sdists. The zip writer is hand-rolled so tests can produce what no sane
//! library writes: duplicate names, lying sizes, symlinks, junk.

use std::io::Write;

use flate2::write::{DeflateEncoder, GzEncoder};
use flate2::Compression;

/// One zip member to write.
#[derive(Clone)]
pub struct Z {
    pub name: String,
    pub data: Vec<u8>,
    pub deflate: bool,
    /// Lie about the uncompressed size (in both headers).
    pub declared_size: Option<u64>,
    pub symlink: bool,
    pub method: Option<u16>,
}

pub fn z(name: &str, data: &[u8]) -> Z {
    Z { name: name.into(), data: data.to_vec(), deflate: true, declared_size: None, symlink: false, method: None }
}

pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A zip archive with exactly these members, in order.
pub fn zip(members: &[Z]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for m in members {
        let body = if m.deflate {
            let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
            enc.write_all(&m.data).unwrap();
            enc.finish().unwrap()
        } else {
            m.data.clone()
        };
        let method = m.method.unwrap_or(if m.deflate { 8 } else { 0 });
        let size = m.declared_size.unwrap_or(m.data.len() as u64) as u32;
        let crc = crc32(&m.data);
        let offset = out.len() as u32;
        let name = m.name.as_bytes();
        // Local header.
        out.extend(0x0403_4b50u32.to_le_bytes());
        out.extend(20u16.to_le_bytes());
        out.extend(0u16.to_le_bytes()); // flags
        out.extend(method.to_le_bytes());
        out.extend([0u8; 4]); // time, date
        out.extend(crc.to_le_bytes());
        out.extend((body.len() as u32).to_le_bytes());
        out.extend(size.to_le_bytes());
        out.extend((name.len() as u16).to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out.extend(name);
        out.extend(&body);
        // Central record.
        let mode: u32 = if m.symlink { 0o120_777 } else { 0o100_644 };
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend([20u8, 3u8]); // made by: unix
        central.extend(20u16.to_le_bytes());
        central.extend(0u16.to_le_bytes());
        central.extend(method.to_le_bytes());
        central.extend([0u8; 4]);
        central.extend(crc.to_le_bytes());
        central.extend((body.len() as u32).to_le_bytes());
        central.extend(size.to_le_bytes());
        central.extend((name.len() as u16).to_le_bytes());
        central.extend([0u8; 8]); // extra len, comment len, disk, internal attrs
        central.extend((mode << 16).to_le_bytes());
        central.extend(offset.to_le_bytes());
        central.extend(name);
    }
    let cd_offset = out.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((members.len() as u16).to_le_bytes());
    out.extend((members.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

pub fn metadata(name: &str, version: &str) -> Vec<u8> {
    format!("Metadata-Version: 2.4\nName: {name}\nVersion: {version}\nRequires-Python: >=3.9\n\nHello.\n").into_bytes()
}

/// A well-formed wheel whose `.dist-info` is `dist_info` and metadata says
/// `name` / `version`, plus `extra` members.
pub fn wheel(dist_info: &str, name: &str, version: &str, extra: &[Z]) -> Vec<u8> {
    let mut members = vec![
        z("demo/__init__.py", b"print('hi')\n"),
        z(&format!("{dist_info}/METADATA"), &metadata(name, version)),
        z(&format!("{dist_info}/WHEEL"), b"Wheel-Version: 1.0\n"),
        z(&format!("{dist_info}/RECORD"), b""),
    ];
    members.extend_from_slice(extra);
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

/// An uncompressed tar stream with exactly these members.
pub fn tar(members: &[T]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for m in members {
        let mut h = tar::Header::new_ustar();
        {
            let old = h.as_old_mut();
            old.name[..m.path.len()].copy_from_slice(&m.path);
            old.linkname[..m.link.len()].copy_from_slice(&m.link);
        }
        h.set_size(m.data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::new(m.kind));
        h.set_cksum();
        builder.append(&h, m.data.as_slice()).unwrap();
    }
    builder.into_inner().unwrap()
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
