//! What the database stores for a token: `HMAC-SHA-256(server secret, token)`.
//!
//! Tokens carry 256 random bits, so a fast keyed hash is enough (no password
//! hashing on the request path) and allows an indexed lookup by digest. The
//! key (the "pepper") lives outside the database — a file in the data
//! directory for the embedded default, or config/env/`*_FILE` — so a dump of
//! the database alone neither reveals a token nor lets anyone test guesses.
//! A different secret makes every stored digest miss: tokens fail, never pass.
//!
//! This module does no IO: the caller reads the secret (hex or base64 text,
//! or raw bytes) and hands it to [`ServerSecret`].

use std::fmt;
use std::hash::{Hash, Hasher};

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// The key of every token digest. `Debug` never shows it.
pub struct ServerSecret(Zeroizing<Vec<u8>>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("the server secret must be at least 32 bytes")]
    TooShort,
    #[error("the server secret must be at most 1024 bytes")]
    TooLong,
    #[error("the server secret must be written in hex or base64")]
    Encoding,
}

impl ServerSecret {
    pub const MIN_LEN: usize = 32;
    pub const MAX_LEN: usize = 1024;

    /// A new 32-byte secret from the operating system's CSPRNG, for a data
    /// directory that has none yet (persist it with [`ServerSecret::to_hex`]).
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new(vec![0u8; Self::MIN_LEN]);
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        ServerSecret(bytes)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SecretError> {
        match bytes.len() {
            n if n < Self::MIN_LEN => Err(SecretError::TooShort),
            n if n > Self::MAX_LEN => Err(SecretError::TooLong),
            _ => Ok(ServerSecret(Zeroizing::new(bytes.to_vec()))),
        }
    }

    /// Reads a secret written as text, as a file or variable holds it:
    /// surrounding whitespace is ignored; a string of hex digits of even length
    /// is hex, anything else must be base64 (standard or URL-safe alphabet,
    /// padded or not).
    pub fn from_encoded(text: &str) -> Result<Self, SecretError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(SecretError::Encoding);
        }
        let bytes = if text.len().is_multiple_of(2) && text.bytes().all(|c| c.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|_| SecretError::Encoding)?
        } else {
            [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
                .iter()
                .find_map(|engine| engine.decode(text).ok())
                .ok_or(SecretError::Encoding)?
        };
        Self::from_bytes(&Zeroizing::new(bytes))
    }

    /// The secret as lower-case hex, to write to the data directory.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0.as_slice()))
    }

    /// `HMAC-SHA-256(self, token)`.
    pub fn digest(&self, token: &str) -> TokenDigest {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(token.as_bytes());
        TokenDigest(mac.finalize().into_bytes().into())
    }
}

impl fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServerSecret(<{} bytes, redacted>)", self.0.len())
    }
}

/// A token's keyed digest: the only form in which a token is stored. Equality
/// is constant-time.
#[derive(Clone, Copy, Eq)]
pub struct TokenDigest([u8; 32]);

impl TokenDigest {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        TokenDigest(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Reads 64 hex digits (as `to_hex` writes them).
    pub fn from_hex(text: &str) -> Option<Self> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(TokenDigest(bytes))
    }
}

impl ConstantTimeEq for TokenDigest {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.0[..].ct_eq(&other.0[..])
    }
}

impl Hash for TokenDigest {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl PartialEq for TokenDigest {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenDigest({}…)", hex::encode(&self.0[..4]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(byte: u8, len: usize) -> ServerSecret {
        ServerSecret::from_bytes(&vec![byte; len]).unwrap()
    }

    #[test]
    fn digest_is_hmac_sha256() {
        // RFC 4231 test cases 6 and 7 (the ones whose key is long enough to be a server secret).
        let key = secret(0xaa, 131);
        let table = [
            (
                "Test Using Larger Than Block-Size Key - Hash Key First",
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            (
                "This is a test using a larger than block-size key and a larger than block-size data. \
                 The key needs to be hashed before being used by the HMAC algorithm.",
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ];
        for (data, want) in table {
            assert_eq!(key.digest(data).to_hex(), want);
        }
        assert_eq!(
            secret(0x0b, 32).digest("wharf_pat_x").to_hex(),
            "a2410b6497264895e645967448cb7d22b313f0ea50c6de0fdef4948c6b713265"
        );
    }

    #[test]
    fn another_secret_or_token_gives_another_digest() {
        let (a, b) = (secret(1, 32), secret(2, 32));
        assert_eq!(a.digest("t"), a.digest("t"));
        assert_ne!(a.digest("t"), b.digest("t"), "a lost or replaced secret must make every lookup miss");
        assert_ne!(a.digest("t"), a.digest("u"));
        assert_ne!(a.digest("t"), a.digest("t "));
        let generated = (ServerSecret::generate(), ServerSecret::generate());
        assert_ne!(generated.0.digest("t"), generated.1.digest("t"));
    }

    #[test]
    fn secrets_are_read_from_hex_or_base64_text() {
        let bytes: Vec<u8> = (0u8..32).collect();
        let want = ServerSecret::from_bytes(&bytes).unwrap().digest("probe");
        let hex = hex::encode(&bytes);
        let accepted = [
            hex.clone(),
            hex.to_uppercase(),
            format!("{hex}\n"),
            format!("  {hex}\r\n"),
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_string(),
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8".to_string(),
            URL_SAFE_NO_PAD.encode(&bytes),
        ];
        for text in accepted {
            assert_eq!(ServerSecret::from_encoded(&text).unwrap().digest("probe"), want, "{text:?}");
        }
        let round_trip = ServerSecret::from_encoded(&ServerSecret::from_bytes(&bytes).unwrap().to_hex()).unwrap();
        assert_eq!(round_trip.digest("probe"), want);

        let refused = [
            ("", SecretError::Encoding),
            ("not base64!", SecretError::Encoding),
            ("AAEC AwQF", SecretError::Encoding),
            (&hex[..62], SecretError::TooShort),
            ("AAAA", SecretError::TooShort),
        ];
        for (text, want) in refused {
            assert_eq!(ServerSecret::from_encoded(text).unwrap_err(), want, "{text:?}");
        }
        assert_eq!(ServerSecret::from_bytes(&[7; 31]).unwrap_err(), SecretError::TooShort);
        assert_eq!(ServerSecret::from_bytes(&[7; 1025]).unwrap_err(), SecretError::TooLong);
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let s = secret(0xab, 40);
        assert_eq!(format!("{s:?}"), "ServerSecret(<40 bytes, redacted>)");
        let d = s.digest("t");
        assert_eq!(format!("{d:?}"), format!("TokenDigest({}…)", &d.to_hex()[..8]));
    }

    #[test]
    fn digests_round_trip_through_hex_and_compare_by_value() {
        let d = secret(3, 32).digest("t");
        assert_eq!(TokenDigest::from_hex(&d.to_hex()), Some(d));
        assert_eq!(TokenDigest::from_bytes(*d.as_bytes()), d);
        assert!(bool::from(d.ct_eq(&d)));
        let mut other = *d.as_bytes();
        other[31] ^= 1;
        assert!(!bool::from(d.ct_eq(&TokenDigest::from_bytes(other))));
        for bad in ["", "00", &"g".repeat(64), &"0".repeat(63), &"0".repeat(66)] {
            assert_eq!(TokenDigest::from_hex(bad), None, "{bad:?}");
        }
    }
}
