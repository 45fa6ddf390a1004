//! `Range: bytes=…` requests on stored files (single ranges only), shared by
//! blob GETs and package file GETs.

/// Outcome of reading a `Range` header against a blob of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum ByteRange {
    /// Serve the whole blob (no header, or a form we do not honour).
    Full,
    /// Serve `start..=end`.
    Partial { start: u64, end: u64 },
    /// 416 Range Not Satisfiable.
    Unsatisfiable,
}

pub fn parse(header: Option<&str>, size: u64) -> ByteRange {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return ByteRange::Full;
    };
    if spec.contains(',') {
        return ByteRange::Full; // multipart ranges: answer with the whole blob
    }
    let Some((a, b)) = spec.trim().split_once('-') else { return ByteRange::Unsatisfiable };
    let num = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())).then(|| s.parse().ok()).flatten()
    };
    match (a.is_empty(), b.is_empty()) {
        (true, false) => match num(b) {
            Some(n) if n > 0 && size > 0 => ByteRange::Partial { start: size.saturating_sub(n), end: size - 1 },
            _ => ByteRange::Unsatisfiable,
        },
        (false, true) => match num(a) {
            Some(s) if s < size => ByteRange::Partial { start: s, end: size - 1 },
            _ => ByteRange::Unsatisfiable,
        },
        (false, false) => match (num(a), num(b)) {
            (Some(s), Some(e)) if s <= e && s < size => ByteRange::Partial { start: s, end: e.min(size - 1) },
            _ => ByteRange::Unsatisfiable,
        },
        (true, true) => ByteRange::Unsatisfiable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conformance_range_cases() {
        let p = |h: &str| parse(Some(h), 2048);
        assert_eq!(p("bytes=500-1499"), ByteRange::Partial { start: 500, end: 1499 });
        assert_eq!(p("bytes=500-"), ByteRange::Partial { start: 500, end: 2047 });
        assert_eq!(p("bytes=-500"), ByteRange::Partial { start: 1548, end: 2047 });
        assert_eq!(p("bytes=2000-5000"), ByteRange::Partial { start: 2000, end: 2047 });
        assert_eq!(p("bytes=-5000"), ByteRange::Partial { start: 0, end: 2047 });
        assert_eq!(p("bytes=500-0"), ByteRange::Unsatisfiable);
        assert_eq!(p("bytes=5000-10000"), ByteRange::Unsatisfiable);
        assert_eq!(p("bytes=-0"), ByteRange::Unsatisfiable);
        assert_eq!(p("bytes=x-1"), ByteRange::Unsatisfiable);
        assert_eq!(parse(None, 10), ByteRange::Full);
        assert_eq!(p("items=1-2"), ByteRange::Full);
    }
}
