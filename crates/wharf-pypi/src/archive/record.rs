//! A wheel's `*.dist-info/RECORD`: a CSV file of `path,hash,size` rows
//! (binary-distribution-format spec, "The RECORD file").
//!
//! The upload check is that RECORD and the zip agree exactly: every member
//! except RECORD and its signatures (`RECORD.jws`, `RECORD.p7s`) is listed,
//! every listed path is a member, and where a `sha256=` hash or a size is
//! given for `METADATA` it matches the bytes the index will serve.

use std::collections::{HashMap, HashSet};

use sha2::{Digest as _, Sha256};

use super::paths::components;
use super::zipdir::ZipEntry;
use crate::PypiError;

/// URL-safe base64 without padding, the hash encoding RECORD uses.
pub(crate) fn urlsafe_b64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
        }
    }
    out
}

/// `sha256=<urlsafe base64>` of `data`, as a RECORD row spells it.
pub(crate) fn record_hash(data: &[u8]) -> String {
    format!("sha256={}", urlsafe_b64(&Sha256::digest(data)))
}

fn bad(why: impl std::fmt::Display) -> PypiError {
    PypiError::invalid(format!("wheel RECORD: {why}"))
}

/// Splits CSV text into rows of fields, the way Python's `csv` module reads
/// the default (excel) dialect: `,` separates, `"` quotes, `""` inside
/// quotes is one `"`, quoted fields may hold commas and newlines, lines end
/// with `\n`, `\r\n` or `\r`, and blank lines are skipped.
pub(crate) fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, PypiError> {
    let mut rows = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    // `true` once the current row has any content (even an empty field).
    let mut started = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if field.is_empty() => {
                started = true;
                loop {
                    match chars.next() {
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            field.push('"');
                        }
                        Some('"') => break,
                        Some(other) => field.push(other),
                        None => return Err(bad("unterminated quoted field")),
                    }
                }
                if !matches!(chars.peek(), None | Some(',' | '\n' | '\r')) {
                    return Err(bad("text after a closing quote"));
                }
            }
            ',' => {
                started = true;
                row.push(std::mem::take(&mut field));
            }
            '\n' | '\r' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                if started || !field.is_empty() {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                started = false;
            }
            other => {
                started = true;
                field.push(other);
            }
        }
    }
    if started || !field.is_empty() {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

/// Checks RECORD (`record`, the file's bytes) against the zip members and
/// the METADATA bytes. `dist_info` is the `.dist-info` directory name.
pub(crate) fn check_record(
    record: &[u8],
    dist_info: &str,
    entries: &[ZipEntry],
    metadata: &[u8],
) -> Result<(), PypiError> {
    let text = std::str::from_utf8(record).map_err(|_| bad("not UTF-8"))?;
    let mut listed: HashMap<String, (String, String)> = HashMap::new();
    for (i, row) in parse_csv(text)?.into_iter().enumerate() {
        let [path, hash, size]: [String; 3] = row.try_into().map_err(|r: Vec<String>| {
            bad(format!("line {} has {} fields; expected 3 (path,hash,size)", i + 1, r.len()))
        })?;
        let parts = components(path.as_bytes()).map_err(|_| bad(format!("line {}: unsafe path '{path}'", i + 1)))?;
        if listed.insert(parts.join("/"), (hash, size)).is_some() {
            return Err(bad(format!("'{path}' is listed more than once")));
        }
    }
    let exempt: Vec<String> =
        ["RECORD", "RECORD.jws", "RECORD.p7s"].iter().map(|f| format!("{dist_info}/{f}")).collect();
    let mut members = HashSet::new();
    for e in entries.iter().filter(|e| !e.is_dir()) {
        let path = components(e.name.as_bytes())?.join("/");
        if !listed.contains_key(&path) && !exempt.contains(&path) {
            return Err(bad(format!("member '{}' is not listed in {dist_info}/RECORD", e.name)));
        }
        members.insert(path);
    }
    let mut missing: Vec<&String> = listed.keys().filter(|p| !members.contains(*p)).collect();
    missing.sort();
    if let Some(path) = missing.first() {
        return Err(bad(format!("{dist_info}/RECORD lists '{path}', which is not in the wheel")));
    }
    if let Some((hash, size)) = listed.get(&format!("{dist_info}/METADATA")) {
        // Padding is tolerated; "sha256=" alone trims to "sha256" and fails.
        if hash.starts_with("sha256=") && hash.trim_end_matches('=') != record_hash(metadata) {
            return Err(bad(format!("{dist_info}/METADATA does not match its sha256 hash in RECORD")));
        }
        if !size.is_empty() && size.parse::<u64>().ok() != Some(metadata.len() as u64) {
            return Err(bad(format!("{dist_info}/METADATA is {} bytes but RECORD says '{size}'", metadata.len())));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_spec_examples() {
        assert_eq!(urlsafe_b64(b""), "");
        assert_eq!(urlsafe_b64(b"f"), "Zg");
        assert_eq!(urlsafe_b64(b"fo"), "Zm8");
        assert_eq!(urlsafe_b64(b"foo"), "Zm9v");
        assert_eq!(urlsafe_b64(b"foob"), "Zm9vYg");
        assert_eq!(urlsafe_b64(&[0xfb, 0xff, 0xbf]), "-_-_");
        // sha256 of the empty string, as pip writes it into RECORD.
        assert_eq!(record_hash(b""), "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
    }

    #[test]
    fn csv_like_python() {
        let rows = parse_csv("a,b,c\r\n\"x,y\",\"say \"\"hi\"\"\",3\n\nRECORD,,\n\"multi\nline\",,").unwrap();
        assert_eq!(
            rows,
            [vec!["a", "b", "c"], vec!["x,y", "say \"hi\"", "3"], vec!["RECORD", "", ""], vec!["multi\nline", "", ""],]
        );
        assert_eq!(parse_csv("a,b,c").unwrap(), [vec!["a", "b", "c"]]);
        assert_eq!(parse_csv("\n\r\n").unwrap(), Vec::<Vec<String>>::new());
        assert!(parse_csv("\"open,,").is_err());
        assert!(parse_csv("\"a\"b,,").is_err());
    }
}
