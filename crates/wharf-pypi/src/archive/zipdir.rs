//! An independent reader of a zip file's framing: end-of-central-directory
//! record, every central-directory record, and every local header.
//!
//! The `zip` crate keys members by name and silently keeps the last of two
//! same-named members, and, like every zip library, it trusts the central
//! directory. A wheel that reads differently in two parsers (the "ZIP
//! confusion" class, CVE-2025-54368) is therefore rejected here first:
//! duplicate names, prepended or overlapping data, local headers that
//! disagree with the central directory, encryption, and compression methods
//! other than STORED and DEFLATED. Only reads; holds names, not data.

use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use super::Limits;
use crate::PypiError;

const EOCD_SIG: u32 = 0x0605_4b50;
const EOCD64_SIG: u32 = 0x0606_4b50;
const EOCD64_LOCATOR_SIG: u32 = 0x0706_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const LOCAL_SIG: u32 = 0x0403_4b50;
/// A central directory larger than this is refused outright.
const MAX_CENTRAL_DIRECTORY: u64 = 64 << 20;

/// One member as the central directory describes it.
#[derive(Debug, Clone)]
pub(crate) struct ZipEntry {
    pub name: String,
    pub compressed: u64,
    pub size: u64,
    pub offset: u64,
    pub is_symlink: bool,
}

impl ZipEntry {
    pub fn is_dir(&self) -> bool {
        self.name.ends_with('/')
    }
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}
fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"))
}
fn u64_at(b: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"))
}

fn bad(why: impl std::fmt::Display) -> PypiError {
    PypiError::invalid(format!("malformed zip archive: {why}"))
}

fn read_at(file: &mut File, offset: u64, len: usize) -> Result<Vec<u8>, PypiError> {
    file.seek(SeekFrom::Start(offset))?;
    let mut buf = vec![0; len];
    file.read_exact(&mut buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => bad("truncated"),
        _ => PypiError::Io(e),
    })?;
    Ok(buf)
}

/// Reads and cross-checks the whole framing; returns members in
/// central-directory order.
pub(crate) fn read_entries(file: &mut File, limits: &Limits) -> Result<Vec<ZipEntry>, PypiError> {
    let len = file.metadata()?.len();
    let (count, cd_offset, cd_size, cd_end_limit) = find_eocd(file, len)?;
    limits.check_entries(count)?;
    if cd_size > MAX_CENTRAL_DIRECTORY {
        return Err(PypiError::LimitExceeded("zip central directory too large".into()));
    }
    if cd_offset.checked_add(cd_size).is_none_or(|end| end > cd_end_limit) {
        return Err(bad("central directory out of bounds"));
    }
    let cd = read_at(file, cd_offset, cd_size as usize)?;
    let mut entries = Vec::with_capacity(count.min(1 << 16) as usize);
    let mut names = HashSet::new();
    let mut pos = 0usize;
    while pos < cd.len() {
        let (entry, next) = parse_central(&cd, pos)?;
        if !names.insert(entry.name.clone()) {
            return Err(PypiError::invalid(format!("duplicate zip member '{}'", entry.name)));
        }
        entries.push(entry);
        limits.check_entries(entries.len() as u64)?;
        pos = next;
    }
    if entries.len() as u64 != count {
        return Err(bad("member count disagrees with the central directory"));
    }
    check_local_headers(file, &entries, cd_offset)?;
    Ok(entries)
}

/// Returns (entry count, central directory offset, size, end bound).
fn find_eocd(file: &mut File, len: u64) -> Result<(u64, u64, u64, u64), PypiError> {
    let tail_len = len.min(22 + 0xFFFF);
    if tail_len < 22 {
        return Err(bad("too short"));
    }
    let tail = read_at(file, len - tail_len, tail_len as usize)?;
    // The EOCD record must end exactly where its comment says: no trailing data.
    let at = (0..=tail.len() - 22)
        .rev()
        .find(|&i| u32_at(&tail, i) == EOCD_SIG && i + 22 + u16_at(&tail, i + 20) as usize == tail.len())
        .ok_or_else(|| bad("no end-of-central-directory record"))?;
    let eocd_pos = len - tail_len + at as u64;
    let e = &tail[at..];
    if u16_at(e, 4) != 0 || u16_at(e, 6) != 0 {
        return Err(bad("multi-disk archives are not supported"));
    }
    let count = u16_at(e, 10) as u64;
    let (size, offset) = (u32_at(e, 12) as u64, u32_at(e, 16) as u64);
    if count != 0xFFFF && size != 0xFFFF_FFFF && offset != 0xFFFF_FFFF {
        return Ok((count, offset, size, eocd_pos));
    }
    // Zip64: a locator sits right before the EOCD and points at the record.
    if eocd_pos < 20 {
        return Err(bad("zip64 locator missing"));
    }
    let loc = read_at(file, eocd_pos - 20, 20)?;
    if u32_at(&loc, 0) != EOCD64_LOCATOR_SIG {
        return Err(bad("zip64 locator missing"));
    }
    let rec_pos = u64_at(&loc, 8);
    if rec_pos.checked_add(56).is_none_or(|end| end > eocd_pos - 20) {
        return Err(bad("zip64 record out of bounds"));
    }
    let rec = read_at(file, rec_pos, 56)?;
    if u32_at(&rec, 0) != EOCD64_SIG {
        return Err(bad("zip64 record missing"));
    }
    Ok((u64_at(&rec, 32), u64_at(&rec, 48), u64_at(&rec, 40), rec_pos))
}

/// Parses the central record at `pos`; returns it and the next position.
fn parse_central(cd: &[u8], pos: usize) -> Result<(ZipEntry, usize), PypiError> {
    let h = cd.get(pos..pos + 46).ok_or_else(|| bad("truncated central directory"))?;
    if u32_at(h, 0) != CENTRAL_SIG {
        return Err(bad("bad central directory signature"));
    }
    let made_by_os = h[5];
    let flags = u16_at(h, 8);
    let method = u16_at(h, 10);
    let (n, m, k) = (u16_at(h, 28) as usize, u16_at(h, 30) as usize, u16_at(h, 32) as usize);
    let next = pos + 46 + n + m + k;
    let rest = cd.get(pos + 46..next).ok_or_else(|| bad("truncated central directory"))?;
    let name = std::str::from_utf8(&rest[..n]).map_err(|_| bad("member name is not UTF-8"))?.to_string();
    if flags & 1 != 0 {
        return Err(PypiError::invalid(format!("encrypted zip member '{name}'")));
    }
    if method != 0 && method != 8 {
        return Err(PypiError::invalid(format!(
            "zip member '{name}' uses compression method {method}; only STORED and DEFLATED are allowed"
        )));
    }
    let mut compressed = u32_at(h, 20) as u64;
    let mut size = u32_at(h, 24) as u64;
    let mut offset = u32_at(h, 42) as u64;
    if compressed == 0xFFFF_FFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
        let mut z = zip64_extra(&rest[n..n + m]).ok_or_else(|| bad("zip64 field missing"))?;
        for field in [&mut size, &mut compressed, &mut offset] {
            if *field == 0xFFFF_FFFF {
                *field = z.next().ok_or_else(|| bad("zip64 field too short"))?;
            }
        }
    }
    let mode = u32_at(h, 38) >> 16;
    let is_symlink = made_by_os == 3 && mode & 0o170_000 == 0o120_000;
    Ok((ZipEntry { name, compressed, size, offset, is_symlink }, next))
}

/// The u64 values of the zip64 extended-information extra field.
fn zip64_extra(mut extra: &[u8]) -> Option<impl Iterator<Item = u64> + '_> {
    while extra.len() >= 4 {
        let (id, len) = (u16_at(extra, 0), u16_at(extra, 2) as usize);
        let body = extra.get(4..4 + len)?;
        if id == 1 {
            return Some(body.chunks_exact(8).map(|c| u64_at(c, 0)));
        }
        extra = &extra[4 + len..];
    }
    None
}

/// Every local header must exist, carry the central name (and sizes unless
/// a data descriptor follows), and the members must tile the file from
/// offset 0 without overlapping each other or the central directory.
fn check_local_headers(file: &mut File, entries: &[ZipEntry], cd_offset: u64) -> Result<(), PypiError> {
    let mut spans = Vec::with_capacity(entries.len());
    for e in entries {
        let h = read_at(file, e.offset, 30)?;
        if u32_at(&h, 0) != LOCAL_SIG {
            return Err(bad(format!("no local header for '{}'", e.name)));
        }
        let (n, m) = (u16_at(&h, 26) as u64, u16_at(&h, 28) as u64);
        let local_name = read_at(file, e.offset + 30, n as usize)?;
        if local_name != e.name.as_bytes() {
            return Err(bad(format!("local header name differs for '{}'", e.name)));
        }
        let flags = u16_at(&h, 6);
        let (lc, ls) = (u32_at(&h, 18) as u64, u32_at(&h, 22) as u64);
        if flags & 8 == 0 && lc != 0xFFFF_FFFF && (lc != e.compressed || ls != e.size) {
            return Err(bad(format!("local header sizes differ for '{}'", e.name)));
        }
        let end = e.offset + 30 + n + m + e.compressed;
        spans.push((e.offset, end));
    }
    spans.sort_unstable();
    let mut expected_start = 0;
    for (i, (start, end)) in spans.iter().enumerate() {
        if (i == 0 && *start != 0) || *start < expected_start {
            return Err(bad(if i == 0 { "data before the first member" } else { "overlapping members" }));
        }
        expected_start = *end;
    }
    if expected_start > cd_offset {
        return Err(bad("member data overlaps the central directory"));
    }
    Ok(())
}
