//! The local side of the zip framing: every member's local header must
//! agree with its central record (name, method, flags, sizes, CRC, zip64
//! values), any data descriptor must repeat the central values, and the
//! members must tile the file from offset 0 up to the central directory
//! with no gap (prepended data, hidden local headers) and no overlap.

use std::fs::File;

use super::zipdir::{bad, check_name_extras, parse_extras, read_at, u16_at, u32_at, u64_at, ZipEntry, FLAG_UTF8};
use crate::PypiError;

const LOCAL_SIG: u32 = 0x0403_4b50;
const DESCRIPTOR_SIG: u32 = 0x0807_4b50;
/// General-purpose flag bit 3: sizes and CRC follow the data.
const FLAG_DESCRIPTOR: u16 = 0x8;

/// Checks every local header and the tiling; `cd_offset` is where the
/// central directory starts.
pub(super) fn check_local_headers(file: &mut File, entries: &[ZipEntry], cd_offset: u64) -> Result<(), PypiError> {
    let mut order: Vec<&ZipEntry> = entries.iter().collect();
    order.sort_by_key(|e| e.offset);
    let mut expected = 0u64;
    for e in order {
        if e.offset != expected {
            return Err(bad(if expected == 0 {
                format!("{} bytes of data before the first member", e.offset)
            } else if e.offset < expected {
                format!("member '{}' overlaps the member before it", e.name)
            } else {
                format!("{} unaccounted bytes before member '{}'", e.offset - expected, e.name)
            }));
        }
        expected = check_member(file, e, cd_offset)?;
    }
    if expected != cd_offset {
        return Err(bad(if expected > cd_offset {
            "member data overlaps the central directory".to_string()
        } else {
            format!("{} unaccounted bytes before the central directory", cd_offset - expected)
        }));
    }
    Ok(())
}

/// Checks one local header (and descriptor); returns where the member ends.
fn check_member(file: &mut File, e: &ZipEntry, cd_offset: u64) -> Result<u64, PypiError> {
    if e.offset.checked_add(30).is_none_or(|end| end > cd_offset) {
        return Err(bad(format!("no local header for '{}'", e.name)));
    }
    let h = read_at(file, e.offset, 30)?;
    if u32_at(&h, 0) != LOCAL_SIG {
        return Err(bad(format!("no local header for '{}'", e.name)));
    }
    let (n, m) = (u16_at(&h, 26) as u64, u16_at(&h, 28) as u64);
    if e.offset + 30 + n + m > cd_offset {
        return Err(bad(format!("local header of '{}' runs into the central directory", e.name)));
    }
    let name_extra = read_at(file, e.offset + 30, (n + m) as usize)?;
    let (local_name, extra) = name_extra.split_at(n as usize);
    if local_name != e.name.as_bytes() {
        return Err(bad(format!("local header name differs for '{}'", e.name)));
    }
    let flags = u16_at(&h, 6);
    if (flags ^ e.flags) & (1 | FLAG_DESCRIPTOR | FLAG_UTF8) != 0 || u16_at(&h, 8) != e.method {
        return Err(bad(format!("local header flags or method differ for '{}'", e.name)));
    }
    let extras = parse_extras(extra, &e.name)?;
    check_name_extras(&extras, local_name, &e.name)?;
    let (crc, mut lc, mut ls) = (u32_at(&h, 14), u32_at(&h, 18) as u64, u32_at(&h, 22) as u64);
    // A local zip64 field holds both sizes (uncompressed first).
    let zip64 = extras.iter().find(|(id, _)| *id == 1).map(|(_, b)| *b);
    if let Some(body) = zip64 {
        if body.len() != 16 {
            return Err(bad(format!("local zip64 extra field of '{}' has {} bytes; expected 16", e.name, body.len())));
        }
        let (s64, c64) = (u64_at(body, 0), u64_at(body, 8));
        if ls == 0xFFFF_FFFF {
            ls = s64;
        } else if ls != s64 {
            return Err(bad(format!("local zip64 sizes differ for '{}'", e.name)));
        }
        if lc == 0xFFFF_FFFF {
            lc = c64;
        } else if lc != c64 {
            return Err(bad(format!("local zip64 sizes differ for '{}'", e.name)));
        }
    } else if lc == 0xFFFF_FFFF || ls == 0xFFFF_FFFF {
        return Err(bad(format!("local zip64 extra field missing for '{}'", e.name)));
    }
    let agrees = crc == e.crc && lc == e.compressed && ls == e.size;
    // With a descriptor the local fields may be zero; they must not lie.
    let zeroed = flags & FLAG_DESCRIPTOR != 0 && crc == 0 && lc == 0 && ls == 0;
    if !agrees && !zeroed {
        return Err(bad(format!("local header sizes or CRC differ for '{}'", e.name)));
    }
    let data_end = (e.offset + 30 + n + m).checked_add(e.compressed).filter(|end| *end <= cd_offset);
    let data_end =
        data_end.ok_or_else(|| bad(format!("member data of '{}' runs into the central directory", e.name)))?;
    if flags & FLAG_DESCRIPTOR == 0 {
        return Ok(data_end);
    }
    let wide = zip64.is_some() || e.compressed >= 0xFFFF_FFFF || e.size >= 0xFFFF_FFFF;
    Ok(data_end + descriptor_len(file, e, data_end, cd_offset, wide)?)
}

/// Length of the data descriptor at `at`, which must repeat the central
/// CRC and sizes; with or without its optional signature.
fn descriptor_len(file: &mut File, e: &ZipEntry, at: u64, cd_offset: u64, wide: bool) -> Result<u64, PypiError> {
    let width = if wide { 8 } else { 4 };
    let room = (cd_offset - at).min(4 + 4 + 2 * width as u64) as usize;
    let d = read_at(file, at, room)?;
    let matches = |skip: usize| {
        let field = |i: usize| if wide { u64_at(&d, i) } else { u32_at(&d, i) as u64 };
        d.len() >= skip + 4 + 2 * width
            && u32_at(&d, skip) == e.crc
            && field(skip + 4) == e.compressed
            && field(skip + 4 + width) == e.size
    };
    if d.len() >= 4 && u32_at(&d, 0) == DESCRIPTOR_SIG && matches(4) {
        Ok((8 + 2 * width) as u64)
    } else if matches(0) {
        Ok((4 + 2 * width) as u64)
    } else {
        Err(bad(format!("data descriptor of '{}' disagrees with the central directory", e.name)))
    }
}
