//! Base62 (`0-9A-Za-z`) of big-endian unsigned integers, at a fixed width:
//! the body and the checksum of a token. Nothing here is secret-dependent in
//! a way that matters: the encoder runs once per generated token and the
//! decoder only on what a client presented.

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Appends `bytes` (a big-endian integer) as exactly `width` base62 digits,
/// left-padded with `0`. `width` must be large enough for any value of
/// `bytes.len()` bytes (a debug assertion checks it).
pub(crate) fn encode(bytes: &[u8], width: usize, out: &mut String) {
    let mut num = bytes.to_vec();
    let mut digits = vec![b'0'; width];
    for slot in digits.iter_mut().rev() {
        // Long division of the big-endian number by 62; the remainder is the digit.
        let mut rem = 0u32;
        for b in num.iter_mut() {
            let acc = (rem << 8) | u32::from(*b);
            *b = (acc / 62) as u8;
            rem = acc % 62;
        }
        *slot = ALPHABET[rem as usize];
    }
    debug_assert!(num.iter().all(|&b| b == 0), "base62 width too small");
    out.extend(digits.iter().map(|&d| char::from(d)));
}

/// Decodes base62 digits into the big-endian integer `out` (whose length fixes
/// the range). `None` for a character outside the alphabet or a value that
/// does not fit.
pub(crate) fn decode(text: &[u8], out: &mut [u8]) -> Option<()> {
    out.fill(0);
    for &c in text {
        let mut carry = u32::from(digit(c)?);
        for b in out.iter_mut().rev() {
            let acc = u32::from(*b) * 62 + carry;
            *b = (acc & 0xff) as u8;
            carry = acc >> 8;
        }
        if carry != 0 {
            return None;
        }
    }
    Some(())
}

fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'Z' => Some(c - b'A' + 10),
        b'a'..=b'z' => Some(c - b'a' + 36),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(bytes: &[u8], width: usize) -> String {
        let mut s = String::new();
        encode(bytes, width, &mut s);
        s
    }

    #[test]
    fn known_values() {
        let table: [(&[u8], usize, &str); 6] = [
            (&[0], 2, "00"),
            (&[61], 2, "0z"),
            (&[62], 2, "10"),
            (&[0xff], 2, "47"),
            (&[0, 0, 0, 0], 6, "000000"),
            (&[0xff, 0xff, 0xff, 0xff], 6, "4gfFC3"),
        ];
        for (bytes, width, want) in table {
            assert_eq!(enc(bytes, width), want, "{bytes:?}");
            let mut back = vec![0u8; bytes.len()];
            assert_eq!(decode(want.as_bytes(), &mut back), Some(()));
            assert_eq!(back, bytes);
        }
    }

    #[test]
    fn widths_used_by_tokens_are_tight() {
        // 43 digits hold any 32-byte value and 42 do not; 6 hold any u32 and 5 do not.
        let mut out = [0u8; 32];
        assert_eq!(decode(enc(&[0xff; 32], 43).as_bytes(), &mut out), Some(()));
        assert_eq!(out, [0xff; 32]);
        assert_eq!(decode("z".repeat(43).as_bytes(), &mut out), None, "62^43 - 1 exceeds 2^256 - 1");
        assert_ne!(decode("z".repeat(42).as_bytes(), &mut out), None, "62^42 - 1 fits");
        assert!(62f64.powi(42) < 2f64.powi(256));
        assert!(62u64.pow(5) < 1 << 32 && 62u64.pow(6) > 1 << 32);
    }

    #[test]
    fn round_trips_and_rejects_foreign_characters() {
        for seed in 0u8..=255 {
            let bytes: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(seed).wrapping_add(seed)).collect();
            let text = enc(&bytes, 43);
            assert_eq!(text.len(), 43);
            let mut back = [0u8; 32];
            assert_eq!(decode(text.as_bytes(), &mut back), Some(()));
            assert_eq!(back.as_slice(), bytes.as_slice());
        }
        let mut out = [0u8; 4];
        for bad in ["_", "-", " ", "é", "+", "/", "="] {
            assert_eq!(decode(bad.as_bytes(), &mut out), None, "{bad:?}");
        }
    }
}
