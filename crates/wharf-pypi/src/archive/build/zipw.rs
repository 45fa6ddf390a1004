//! A hand-rolled zip writer, so tests can produce what no sane library
//! writes: duplicate names, lying sizes, symlinks, prepended data, gaps,
//! overlaps, disagreeing local headers, odd end records and zip64 records.

use std::io::Write;

use flate2::write::DeflateEncoder;
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
    /// A different name in the local header only.
    pub local_name: Option<String>,
    /// Already-compressed data standing in for `data` (see [`zeros_member`](super::zeros_member)).
    pub raw: Option<Raw>,
    /// Extra-field bytes, written into both headers.
    pub extra: Vec<u8>,
    /// General-purpose flags; by default bit 11 for non-ASCII names.
    pub flags: Option<u16>,
    pub descriptor: Descriptor,
}

/// Compressed bytes with the CRC and size of what they expand to.
#[derive(Clone)]
pub struct Raw {
    pub body: Vec<u8>,
    pub crc: u32,
    pub size: u64,
}

/// Whether sizes and CRC go into a data descriptor after the data.
#[derive(Clone, Default)]
pub enum Descriptor {
    #[default]
    None,
    /// With the optional `PK\x07\x08` signature.
    Signed,
    /// Without it.
    Unsigned,
    /// These exact bytes as the descriptor.
    Bytes(Vec<u8>),
}

pub fn z(name: &str, data: &[u8]) -> Z {
    Z {
        name: name.into(),
        data: data.to_vec(),
        deflate: true,
        declared_size: None,
        symlink: false,
        method: None,
        local_name: None,
        raw: None,
        extra: Vec::new(),
        flags: None,
        descriptor: Descriptor::None,
    }
}

pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    crc.sum()
}

/// Zip64 end record and locator to write before the end record.
#[derive(Clone, Default)]
pub struct Zip64 {
    /// Write 0xFFFF / 0xFFFFFFFF in the 32-bit end record.
    pub sentinels: bool,
    /// Lie about the member count in the zip64 record.
    pub count: Option<u64>,
    /// Lie about the central directory offset in the zip64 record.
    pub cd_offset: Option<u64>,
    /// Extensible data appended to the zip64 record.
    pub extensible: Vec<u8>,
    /// Lie about where the zip64 record is, in the locator.
    pub locator_offset: Option<u64>,
}

/// Knobs for the framing around the members.
#[derive(Clone, Default)]
pub struct Framing {
    /// Bytes before the first local header; offsets account for them, as
    /// in a self-extracting archive.
    pub prefix: Vec<u8>,
    /// Bytes written after member `.0`'s data.
    pub gap: Option<(usize, Vec<u8>)>,
    /// Bytes between the central directory and the end record(s).
    pub after_cd: Vec<u8>,
    /// Member count written in both count fields of the end record.
    pub count: Option<u16>,
    /// Member count in the "entries on this disk" field only.
    pub disk_count: Option<u16>,
    pub comment: Vec<u8>,
    /// A comment length that need not match `comment`.
    pub comment_len: Option<u16>,
    /// Bytes after the end record and its comment.
    pub trailing: Vec<u8>,
    pub zip64: Option<Zip64>,
}

/// A member's local record (header, name, extra, data, descriptor) and
/// the central record minus its offset.
struct Encoded {
    local: Vec<u8>,
    central: Vec<u8>,
}

fn encode(m: &Z) -> Encoded {
    let (body, crc, real_size) = match &m.raw {
        Some(r) => (r.body.clone(), r.crc, r.size),
        None if m.deflate => {
            let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
            enc.write_all(&m.data).unwrap();
            (enc.finish().unwrap(), crc32(&m.data), m.data.len() as u64)
        }
        None => (m.data.clone(), crc32(&m.data), m.data.len() as u64),
    };
    let method = m.method.unwrap_or(if m.deflate || m.raw.is_some() { 8 } else { 0 });
    let size = m.declared_size.unwrap_or(real_size) as u32;
    let csize = body.len() as u32;
    let described = !matches!(m.descriptor, Descriptor::None);
    let utf8 = if m.name.is_ascii() { 0 } else { 0x800 };
    let flags = m.flags.unwrap_or(utf8 | if described { 8 } else { 0 });
    let name = m.name.as_bytes();
    let local_name = m.local_name.as_deref().unwrap_or(&m.name).as_bytes();
    let mut local = Vec::new();
    local.extend(0x0403_4b50u32.to_le_bytes());
    local.extend(20u16.to_le_bytes());
    local.extend(flags.to_le_bytes());
    local.extend(method.to_le_bytes());
    local.extend([0u8; 4]); // time, date
    let sizes = [crc, csize, size];
    for v in if described { [0; 3] } else { sizes } {
        local.extend(v.to_le_bytes());
    }
    local.extend((local_name.len() as u16).to_le_bytes());
    local.extend((m.extra.len() as u16).to_le_bytes());
    local.extend(local_name);
    local.extend(&m.extra);
    local.extend(&body);
    match &m.descriptor {
        Descriptor::None => {}
        Descriptor::Signed | Descriptor::Unsigned => {
            if matches!(m.descriptor, Descriptor::Signed) {
                local.extend(0x0807_4b50u32.to_le_bytes());
            }
            for v in sizes {
                local.extend(v.to_le_bytes());
            }
        }
        Descriptor::Bytes(b) => local.extend(b),
    }
    let mode: u32 = if m.symlink { 0o120_777 } else { 0o100_644 };
    let mut central = Vec::new();
    central.extend(0x0201_4b50u32.to_le_bytes());
    central.extend([20u8, 3u8]); // made by: unix
    central.extend(20u16.to_le_bytes());
    central.extend(flags.to_le_bytes());
    central.extend(method.to_le_bytes());
    central.extend([0u8; 4]);
    for v in sizes {
        central.extend(v.to_le_bytes());
    }
    central.extend((name.len() as u16).to_le_bytes());
    central.extend((m.extra.len() as u16).to_le_bytes());
    central.extend([0u8; 6]); // comment len, disk, internal attrs
    central.extend((mode << 16).to_le_bytes());
    // The offset (4 bytes) goes here, then the name and the extra field.
    central.extend(name);
    central.extend(&m.extra);
    Encoded { local, central }
}

/// The local record of `m` alone: bytes for hiding inside a gap.
pub fn local_record(m: &Z) -> Vec<u8> {
    encode(m).local
}

fn central_at(e: &Encoded, offset: u64) -> Vec<u8> {
    let mut c = e.central[..42].to_vec();
    c.extend((offset as u32).to_le_bytes());
    c.extend(&e.central[42..]);
    c
}

/// A zip archive with exactly these members, in order.
pub fn zip(members: &[Z]) -> Vec<u8> {
    zip_with(members, &Framing::default())
}

/// A zip archive with these members and framing.
pub fn zip_with(members: &[Z], f: &Framing) -> Vec<u8> {
    let mut out = f.prefix.clone();
    let mut central = Vec::new();
    for (i, m) in members.iter().enumerate() {
        let e = encode(m);
        central.extend(central_at(&e, out.len() as u64));
        out.extend(&e.local);
        if let Some((_, gap)) = f.gap.as_ref().filter(|(at, _)| *at == i) {
            out.extend(gap);
        }
    }
    finish(out, &central, members.len() as u64, f)
}

/// A zip whose member `inner` lives inside the STORED data of `outer`: two
/// central records whose data overlap.
pub fn zip_nested(outer: &str, inner: &Z) -> Vec<u8> {
    let inner_e = encode(inner);
    let outer_e = encode(&Z { deflate: false, ..z(outer, &inner_e.local) });
    let mut central = central_at(&outer_e, 0);
    central.extend(central_at(&inner_e, 30 + outer.len() as u64));
    finish(outer_e.local, &central, 2, &Framing::default())
}

fn finish(mut out: Vec<u8>, central: &[u8], members: u64, f: &Framing) -> Vec<u8> {
    let cd_offset = out.len() as u64;
    out.extend(central);
    out.extend(&f.after_cd);
    let count = f.count.map_or(members, u64::from);
    if let Some(z64) = &f.zip64 {
        let rec_pos = out.len() as u64;
        out.extend(0x0606_4b50u32.to_le_bytes());
        out.extend((44 + z64.extensible.len() as u64).to_le_bytes());
        out.extend([45u8, 3, 45, 0]); // made by, needed
        out.extend([0u8; 8]); // disk numbers
        let count64 = z64.count.unwrap_or(count);
        out.extend(count64.to_le_bytes());
        out.extend(count64.to_le_bytes());
        out.extend((central.len() as u64).to_le_bytes());
        out.extend(z64.cd_offset.unwrap_or(cd_offset).to_le_bytes());
        out.extend(&z64.extensible);
        out.extend(0x0706_4b50u32.to_le_bytes());
        out.extend(0u32.to_le_bytes());
        out.extend(z64.locator_offset.unwrap_or(rec_pos).to_le_bytes());
        out.extend(1u32.to_le_bytes());
    }
    let sentinels = f.zip64.as_ref().is_some_and(|z| z.sentinels);
    let (count16, size32, offset32) = if sentinels {
        (0xFFFF, 0xFFFF_FFFF, 0xFFFF_FFFF)
    } else {
        (count as u16, central.len() as u32, cd_offset as u32)
    };
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend(f.disk_count.unwrap_or(count16).to_le_bytes());
    out.extend(count16.to_le_bytes());
    out.extend(size32.to_le_bytes());
    out.extend(offset32.to_le_bytes());
    out.extend(f.comment_len.unwrap_or(f.comment.len() as u16).to_le_bytes());
    out.extend(&f.comment);
    out.extend(&f.trailing);
    out
}
