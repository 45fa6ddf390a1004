//! Opaque tokens: `wharf_<kind>_<secret><check>`.
//!
//! - `<kind>` names what the token is (`pat`, `prj`, `grp`, `dpl`, `chd`, `adm`),
//!   so a leaked token says what it unlocks and the server knows it before any
//!   lookup;
//! - `<secret>` is 32 bytes from the operating system's CSPRNG (256 bits), as
//!   exactly 43 base62 characters;
//! - `<check>` is the CRC32 of everything before it (prefix and secret), as
//!   exactly 6 base62 characters, so a mistyped or truncated token is refused
//!   offline, and secret scanners can tell a real token from random text.
//!
//! Every token is 59 characters of `[A-Za-z0-9_]`: safe in URLs, `auth`
//! strings, shell variables, and selected whole by a double click. The regex
//! for secret scanners (GitHub push protection, gitleaks, GitLab secret
//! detection) is [`SCANNER_REGEX`]:
//!
//! ```text
//! \bwharf_(?:pat|prj|grp|dpl|chd|adm)_[0-9A-Za-z]{49}\b
//! ```
//!
//! The one exception is the admin bootstrap credential taken from
//! `WHARF_ADMIN_TOKEN`: deployment tooling may generate it, so any string of
//! 32 to 255 characters of `[A-Za-z0-9_]` is accepted there ([`Token::parse_admin`]).
//!
//! A token's plaintext is reachable only through `expose_secret()`; `Debug` and
//! `Display` print the prefix and the last four characters (`wharf_pat_…Ab3x`).
//! Nothing here stores or compares tokens: see [`crate::digest`].

use std::fmt;
use std::str::FromStr;

use rand::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use crate::base62;

/// The pattern of every generated Wharf token, for secret scanners.
pub const SCANNER_REGEX: &str = r"\bwharf_(?:pat|prj|grp|dpl|chd|adm)_[0-9A-Za-z]{49}\b";
/// Length of the `wharf_xxx_` prefix.
pub const PREFIX_LEN: usize = 10;
/// Random bytes in a token.
pub const SECRET_BYTES: usize = 32;
const SECRET_CHARS: usize = 43;
const CHECK_CHARS: usize = 6;
/// Length of every generated token.
pub const TOKEN_LEN: usize = PREFIX_LEN + SECRET_CHARS + CHECK_CHARS;
/// Bounds of an externally supplied admin token (`WHARF_ADMIN_TOKEN`).
pub const ADMIN_MIN_LEN: usize = 32;
pub const ADMIN_MAX_LEN: usize = 255;

/// What a token is. The prefix is part of the token, so the kind cannot be
/// changed without changing the token (and its checksum and digest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenKind {
    /// A user's personal access token: the user's rights, narrowed by scopes.
    Personal,
    /// A project access token (a bot member of the project with a role).
    Project,
    /// A group access token (a bot member of the group with a role).
    Group,
    /// A deploy token: read-only by construction (see [`crate::scope`]).
    Deploy,
    /// A short-lived child token minted from another token (≤ 1 h).
    Child,
    /// The instance admin's bootstrap credential.
    Admin,
}

impl TokenKind {
    pub const ALL: [TokenKind; 6] =
        [Self::Personal, Self::Project, Self::Group, Self::Deploy, Self::Child, Self::Admin];

    /// The token prefix, `wharf_xxx_`.
    pub const fn prefix(self) -> &'static str {
        match self {
            Self::Personal => "wharf_pat_",
            Self::Project => "wharf_prj_",
            Self::Group => "wharf_grp_",
            Self::Deploy => "wharf_dpl_",
            Self::Child => "wharf_chd_",
            Self::Admin => "wharf_adm_",
        }
    }

    /// A stable lower-case name, for the database and logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Personal => "personal",
            Self::Project => "project",
            Self::Group => "group",
            Self::Deploy => "deploy",
            Self::Child => "child",
            Self::Admin => "admin",
        }
    }

    fn from_prefix(prefix: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.prefix() == prefix)
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenKind {
    type Err = TokenError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or(TokenError::Prefix)
    }
}

/// Why a string is not an acceptable token. For logs and the CLI only: the
/// server answers every failed authentication the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("not a Wharf token: wrong length")]
    Length,
    #[error("not a Wharf token: characters outside [A-Za-z0-9_]")]
    Charset,
    #[error("not a Wharf token: unknown prefix")]
    Prefix,
    #[error("not a Wharf token: secret out of range")]
    Secret,
    #[error("mistyped Wharf token: checksum mismatch")]
    Checksum,
    #[error("an admin token must be 32 to 255 characters of [A-Za-z0-9_]")]
    AdminFormat,
    #[error("an admin token that starts with `wharf_` must be a valid `wharf_adm_` token")]
    AdminReserved,
}

/// A freshly generated token that owns its plaintext (zeroed on drop). Show it
/// once, store its [`crate::TokenDigest`], drop it.
pub struct Token {
    kind: TokenKind,
    text: Zeroizing<String>,
}

impl Token {
    /// A new token from the operating system's CSPRNG.
    pub fn generate(kind: TokenKind) -> Token {
        Self::generate_with(kind, &mut rand::rngs::OsRng)
    }

    /// A new token from `rng` (tests pass a seeded one).
    pub fn generate_with<R: RngCore + CryptoRng>(kind: TokenKind, rng: &mut R) -> Token {
        let mut secret = Zeroizing::new([0u8; SECRET_BYTES]);
        rng.fill_bytes(&mut secret[..]);
        let mut text = Zeroizing::new(String::with_capacity(TOKEN_LEN));
        text.push_str(kind.prefix());
        base62::encode(&secret[..], SECRET_CHARS, &mut text);
        let check = crc32fast::hash(text.as_bytes());
        base62::encode(&check.to_be_bytes(), CHECK_CHARS, &mut text);
        Token { kind, text }
    }

    /// Strictly parses a Wharf token: exact length, charset, a known prefix, a
    /// secret in range and a matching checksum. No trimming: callers that want
    /// to forgive surrounding whitespace trim first.
    pub fn parse(s: &str) -> Result<ParsedToken<'_>, TokenError> {
        let b = s.as_bytes();
        if b.len() != TOKEN_LEN {
            return Err(TokenError::Length);
        }
        if !b.iter().all(is_token_char) {
            return Err(TokenError::Charset);
        }
        // All ASCII from here on, so slicing the str at byte offsets is safe.
        let kind = TokenKind::from_prefix(&s[..PREFIX_LEN]).ok_or(TokenError::Prefix)?;
        let rest = &b[PREFIX_LEN..];
        if !rest.iter().all(u8::is_ascii_alphanumeric) {
            return Err(TokenError::Charset);
        }
        let (secret, check) = rest.split_at(SECRET_CHARS);
        let mut bytes = Zeroizing::new([0u8; SECRET_BYTES]);
        base62::decode(secret, &mut bytes[..]).ok_or(TokenError::Secret)?;
        let mut want = [0u8; 4];
        base62::decode(check, &mut want).ok_or(TokenError::Checksum)?;
        if crc32fast::hash(&b[..TOKEN_LEN - CHECK_CHARS]) != u32::from_be_bytes(want) {
            return Err(TokenError::Checksum);
        }
        Ok(ParsedToken { kind, text: s })
    }

    /// Validates the admin bootstrap credential (`WHARF_ADMIN_TOKEN`, or one
    /// presented on a request that is not a Wharf token): a valid `wharf_adm_`
    /// token, or 32 to 255 characters of `[A-Za-z0-9_]` not starting with
    /// `wharf_` (so a mistyped Wharf token is never mistaken for one).
    pub fn parse_admin(s: &str) -> Result<ParsedToken<'_>, TokenError> {
        if s.starts_with("wharf_") {
            return match Token::parse(s) {
                Ok(t) if t.kind == TokenKind::Admin => Ok(t),
                _ => Err(TokenError::AdminReserved),
            };
        }
        if !(ADMIN_MIN_LEN..=ADMIN_MAX_LEN).contains(&s.len()) || !s.as_bytes().iter().all(is_token_char) {
            return Err(TokenError::AdminFormat);
        }
        Ok(ParsedToken { kind: TokenKind::Admin, text: s })
    }

    /// Parses a credential presented on a request: a string starting with
    /// `wharf_` must be a valid Wharf token; anything else can only be an
    /// externally supplied admin token (which only a digest lookup confirms).
    pub fn parse_presented(s: &str) -> Result<ParsedToken<'_>, TokenError> {
        if s.starts_with("wharf_") {
            Token::parse(s)
        } else {
            Token::parse_admin(s)
        }
    }

    pub fn kind(&self) -> TokenKind {
        self.kind
    }

    /// The plaintext: to show the user once, or to digest.
    pub fn expose_secret(&self) -> &str {
        &self.text
    }

    /// `wharf_pat_…Ab3x`: safe to log and to show in listings.
    pub fn redacted(&self) -> String {
        redact(&self.text)
    }

    /// The token as a parsed (borrowed) one.
    pub fn as_parsed(&self) -> ParsedToken<'_> {
        ParsedToken { kind: self.kind, text: &self.text }
    }
}

/// A token presented by a client that passed [`Token::parse`] (or
/// [`Token::parse_admin`]). Borrows the request's string: parsing allocates
/// nothing.
#[derive(Clone, Copy)]
pub struct ParsedToken<'a> {
    kind: TokenKind,
    text: &'a str,
}

impl<'a> ParsedToken<'a> {
    pub fn kind(&self) -> TokenKind {
        self.kind
    }

    /// The plaintext, to digest.
    pub fn expose_secret(&self) -> &'a str {
        self.text
    }

    /// `wharf_pat_…Ab3x`: safe to log.
    pub fn redacted(&self) -> String {
        redact(self.text)
    }
}

fn is_token_char(c: &u8) -> bool {
    c.is_ascii_alphanumeric() || *c == b'_'
}

/// The Wharf prefix (if any) and the last four characters.
fn redact(text: &str) -> String {
    let prefix = if text.starts_with("wharf_") { text.get(..PREFIX_LEN).unwrap_or("") } else { "" };
    let tail = text.len().saturating_sub(4);
    format!("{prefix}…{}", text.get(tail..).unwrap_or(""))
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token").field("kind", &self.kind).field("token", &self.redacted()).finish()
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for ParsedToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedToken").field("kind", &self.kind).field("token", &self.redacted()).finish()
    }
}

impl fmt::Display for ParsedToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests;
