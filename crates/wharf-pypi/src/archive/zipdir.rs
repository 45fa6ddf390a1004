//! An independent reader of a zip file's framing: end-of-central-directory
//! record (and its zip64 twin), every central-directory record, and every
//! local header (`ziplocal.rs`).
//!
//! The `zip` crate keys members by name and silently keeps the last of two
//! same-named members, and, like every zip library, it trusts the central
//! directory. A wheel that reads differently in two parsers (the "ZIP
//! confusion" class, CVE-2025-54368) is therefore rejected here first. The
//! file must be exactly: members tiled from offset 0, the central directory,
//! an optional zip64 record and locator, the end record and its comment —
//! no byte unaccounted for, no two readings of any field. Only reads; holds
//! names, not data.

use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use super::ziplocal::check_local_headers;
use super::Limits;
use crate::PypiError;

const EOCD_SIG: u32 = 0x0605_4b50;
const EOCD64_SIG: u32 = 0x0606_4b50;
const EOCD64_LOCATOR_SIG: u32 = 0x0706_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
/// General-purpose flag bit 11: the name is UTF-8.
pub(super) const FLAG_UTF8: u16 = 0x800;
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
    pub crc: u32,
    pub flags: u16,
    pub method: u16,
}

impl ZipEntry {
    pub fn is_dir(&self) -> bool {
        self.name.ends_with('/')
    }
}

pub(super) fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}
pub(super) fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"))
}
pub(super) fn u64_at(b: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"))
}

pub(super) fn bad(why: impl std::fmt::Display) -> PypiError {
    PypiError::invalid(format!("malformed zip archive: {why}"))
}

pub(super) fn read_at(file: &mut File, offset: u64, len: usize) -> Result<Vec<u8>, PypiError> {
    file.seek(SeekFrom::Start(offset))?;
    let mut buf = vec![0; len];
    file.read_exact(&mut buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => bad("truncated"),
        _ => e.into(),
    })?;
    Ok(buf)
}

/// Where the central directory is, per the end record(s).
struct End {
    count: u64,
    cd_offset: u64,
    cd_size: u64,
    /// Where the central directory must end: the zip64 record or the EOCD.
    cd_end: u64,
}

/// Reads and cross-checks the whole framing; returns members in
/// central-directory order.
pub(crate) fn read_entries(file: &mut File, limits: &Limits) -> Result<Vec<ZipEntry>, PypiError> {
    let len = file.metadata()?.len();
    let end = find_end(file, len)?;
    limits.check_entries(end.count)?;
    if end.cd_size > MAX_CENTRAL_DIRECTORY {
        return Err(PypiError::LimitExceeded("zip central directory too large".into()));
    }
    if end.cd_offset.checked_add(end.cd_size) != Some(end.cd_end) {
        return Err(bad("the central directory's offset and size disagree with the end record"));
    }
    let cd = read_at(file, end.cd_offset, end.cd_size as usize)?;
    let mut entries = Vec::with_capacity(end.count.min(1 << 16) as usize);
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
    if entries.len() as u64 != end.count {
        return Err(bad(format!(
            "the end record counts {} members but the central directory holds {}",
            end.count,
            entries.len()
        )));
    }
    check_local_headers(file, &entries, end.cd_offset)?;
    Ok(entries)
}

/// Finds the one end-of-central-directory record and, when a zip64 locator
/// precedes it, the zip64 record, which must agree with it.
fn find_end(file: &mut File, len: u64) -> Result<End, PypiError> {
    let tail_len = len.min(22 + 0xFFFF);
    if tail_len < 22 {
        return Err(bad("too short"));
    }
    let tail = read_at(file, len - tail_len, tail_len as usize)?;
    // The record must end exactly where its comment says: no trailing data,
    // no comment length that disagrees, and no second candidate that another
    // reader could pick instead.
    let mut found = (0..=tail.len() - 22)
        .rev()
        .filter(|&i| u32_at(&tail, i) == EOCD_SIG && i + 22 + u16_at(&tail, i + 20) as usize == tail.len());
    let at = found.next().ok_or_else(|| {
        bad("no end-of-central-directory record at the end of the file (trailing data or a wrong comment length?)")
    })?;
    if found.next().is_some() {
        return Err(bad("more than one end-of-central-directory record"));
    }
    let eocd_pos = len - tail_len + at as u64;
    let e = &tail[at..];
    if u16_at(e, 4) != 0 || u16_at(e, 6) != 0 {
        return Err(bad("multi-disk archives are not supported"));
    }
    if u16_at(e, 8) != u16_at(e, 10) {
        return Err(bad("the end record's two member counts disagree"));
    }
    let count = u16_at(e, 10) as u64;
    let (size, offset) = (u32_at(e, 12) as u64, u32_at(e, 16) as u64);
    let has_locator = eocd_pos >= 20 && u32_at(&read_at(file, eocd_pos - 20, 4)?, 0) == EOCD64_LOCATOR_SIG;
    if !has_locator {
        if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
            return Err(bad("zip64 locator missing"));
        }
        return Ok(End { count, cd_offset: offset, cd_size: size, cd_end: eocd_pos });
    }
    // Zip64: the locator sits right before the end record and points at a
    // plain (no extensible data) zip64 record right before itself.
    let loc = read_at(file, eocd_pos - 20, 20)?;
    if u32_at(&loc, 4) != 0 || u32_at(&loc, 16) > 1 {
        return Err(bad("multi-disk archives are not supported"));
    }
    let rec_pos = u64_at(&loc, 8);
    if eocd_pos < 20 + 56 || rec_pos != eocd_pos - 20 - 56 {
        return Err(bad("the zip64 end record is not where its locator points"));
    }
    let rec = read_at(file, rec_pos, 56)?;
    if u32_at(&rec, 0) != EOCD64_SIG {
        return Err(bad("zip64 end record missing"));
    }
    if u64_at(&rec, 4) != 44 {
        return Err(bad("zip64 end record with extensible data"));
    }
    if u32_at(&rec, 16) != 0 || u32_at(&rec, 20) != 0 {
        return Err(bad("multi-disk archives are not supported"));
    }
    let (count64, size64, offset64) = (u64_at(&rec, 32), u64_at(&rec, 40), u64_at(&rec, 48));
    if u64_at(&rec, 24) != count64 {
        return Err(bad("the zip64 end record's two member counts disagree"));
    }
    // Each 32-bit field is either the zip64 sentinel or the same value.
    if (count != 0xFFFF && count != count64)
        || (size != 0xFFFF_FFFF && size != size64)
        || (offset != 0xFFFF_FFFF && offset != offset64)
    {
        return Err(bad("the zip64 end record disagrees with the 32-bit end record"));
    }
    Ok(End { count: count64, cd_offset: offset64, cd_size: size64, cd_end: rec_pos })
}

/// One extra field: (header id, body).
pub(super) type Extra<'a> = (u16, &'a [u8]);

/// Splits an extra-field area into fields; it must hold whole fields only,
/// each header id at most once.
pub(super) fn parse_extras<'a>(mut area: &'a [u8], name: &str) -> Result<Vec<Extra<'a>>, PypiError> {
    let mut out: Vec<Extra<'a>> = Vec::new();
    while !area.is_empty() {
        let body = (area.len() >= 4).then(|| area.get(4..4 + u16_at(area, 2) as usize)).flatten();
        let Some(body) = body else {
            return Err(bad(format!("corrupt extra field for '{name}'")));
        };
        let id = u16_at(area, 0);
        if out.iter().any(|(seen, _)| *seen == id) {
            return Err(bad(format!("duplicate extra field {id:#06x} for '{name}'")));
        }
        out.push((id, body));
        area = &area[4 + body.len()..];
    }
    Ok(out)
}

/// Extra fields other readers use to rename a member: the Info-ZIP Unicode
/// Path field (0x7075) must carry the same name as the header.
pub(super) fn check_name_extras(extras: &[Extra<'_>], name: &[u8], shown: &str) -> Result<(), PypiError> {
    for (id, body) in extras {
        if *id == 0x7075 && (body.len() < 5 || body[0] != 1 || &body[5..] != name) {
            return Err(bad(format!("Unicode path extra field disagrees with the name '{shown}'")));
        }
    }
    Ok(())
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
    if !name.is_ascii() && flags & FLAG_UTF8 == 0 {
        // Without the flag, readers decode the name as CP437: another name.
        return Err(bad(format!("non-ASCII member name '{name}' is not flagged as UTF-8")));
    }
    if flags & 1 != 0 {
        return Err(PypiError::invalid(format!("encrypted zip member '{name}'")));
    }
    if method != 0 && method != 8 {
        return Err(PypiError::invalid(format!(
            "zip member '{name}' uses compression method {method}; only STORED and DEFLATED are allowed"
        )));
    }
    if u16_at(h, 34) != 0 {
        return Err(bad("multi-disk archives are not supported"));
    }
    let extras = parse_extras(&rest[n..n + m], &name)?;
    check_name_extras(&extras, name.as_bytes(), &name)?;
    let mut compressed = u32_at(h, 20) as u64;
    let mut size = u32_at(h, 24) as u64;
    let mut offset = u32_at(h, 42) as u64;
    // The zip64 field holds exactly the values whose 32-bit field is the
    // sentinel, in this order; anything else reads differently elsewhere.
    let wanted = [size, compressed, offset].iter().filter(|v| **v == 0xFFFF_FFFF).count();
    match extras.iter().find(|(id, _)| *id == 1) {
        Some((_, body)) if body.len() == 8 * wanted => {
            let mut values = body.chunks_exact(8).map(|c| u64_at(c, 0));
            for field in [&mut size, &mut compressed, &mut offset] {
                if *field == 0xFFFF_FFFF {
                    *field = values.next().expect("length checked");
                }
            }
        }
        Some((_, body)) => {
            return Err(bad(format!("zip64 extra field of '{name}' has {} bytes; expected {}", body.len(), 8 * wanted)))
        }
        None if wanted > 0 => return Err(bad(format!("zip64 extra field missing for '{name}'"))),
        None => {}
    }
    if method == 0 && compressed != size {
        return Err(bad(format!("stored member '{name}' has different compressed and uncompressed sizes")));
    }
    let mode = u32_at(h, 38) >> 16;
    let is_symlink = made_by_os == 3 && mode & 0o170_000 == 0o120_000;
    let crc = u32_at(h, 16);
    Ok((ZipEntry { name, compressed, size, offset, is_symlink, crc, flags, method }, next))
}
