//! Wharf's credentials, as pure building blocks (issue 8). No IO: callers read
//! secrets and keys from files or the environment and pass them in, and pass in
//! the current time where it matters, so every function here is table-testable.
//!
//! - [`token`]: opaque tokens (`wharf_pat_…`): generation, the strict offline
//!   parser (prefix, length, charset, CRC32 checksum) and redacted display;
//!   the validator for an externally supplied `WHARF_ADMIN_TOKEN`.
//! - [`credential`]: `Authorization: Basic …` / `Bearer …` as clients send
//!   them (any username; the token as password, or as username with an empty
//!   password).
//! - [`digest`]: what the database stores: `HMAC-SHA-256(server secret, token)`,
//!   compared in constant time.
//! - [`scope`]: token scopes with GitLab's names (`read_registry`, …).
//! - [`access`]: the docker token service's scope grammar
//!   (`repository:<name>:<actions>`) and the access list a bearer JWT carries.
//! - [`challenge`]: the `WWW-Authenticate` values (Bearer with `scope` and
//!   `error`, Basic).
//! - [`jwt`]: the docker bearer token: Ed25519-signed, short-lived JWTs, the
//!   signing key and its PKCS#8 form, the strict verifier.
//! - [`policy`]: the authorization function.
//!
//! Nothing here is wired into a request path yet. The intended use:
//!
//! - a request with `Authorization: Basic` → [`BasicCredentials::parse`] →
//!   `token()` → [`Token::parse_presented`] (typos refused offline) →
//!   [`ServerSecret::digest`] → look the [`TokenDigest`] up → kind, owner,
//!   [`TokenScopes`], expiry, revocation → the policy;
//! - `Authorization: Bearer` with a JWT (three `.`-separated segments) →
//!   [`Verifier::verify`] → refuse a revoked `cid` → [`AccessList::allows`];
//!   any other bearer value is a token, as above;
//! - the token service: [`ScopeRequest::parse`] on the `scope` values →
//!   [`AccessList::grant`] with what the policy allows → [`Issuer::issue`].

pub mod access;
mod base62;
pub mod challenge;
pub mod credential;
pub mod digest;
pub mod jwt;
pub mod policy;
pub mod scope;
pub mod token;

pub use access::{Access, AccessList, Actions, ScopeError, ScopeRequest};
pub use challenge::BearerError;
pub use credential::{bearer_token, BasicCredentials, CredentialError};
pub use digest::{SecretError, ServerSecret, TokenDigest};
pub use jwt::{Claims, IssuedToken, Issuer, JwtError, KeyError, SigningKey, Verifier, VerifyingKey};
pub use scope::{TokenScope, TokenScopeError, TokenScopes};
pub use token::{ParsedToken, Token, TokenError, TokenKind};
