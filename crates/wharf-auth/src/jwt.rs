//! The docker bearer token: a short-lived JWT that the token service
//! (`/v2/token`) signs and the registry verifies, never calling back.
//!
//! Header `{"alg":"EdDSA","typ":"JWT","kid":<RFC 7638 thumbprint>}`; claims
//! `iss`, `sub` (principal, `""` when anonymous), `aud` (the service), `iat`,
//! `nbf`, `exp` (at most [`MAX_TTL_SECS`] after `iat`), `jti`, `access` (the
//! granted [`AccessList`]) and the private `cid`: the credential the token was
//! minted from, so revoking a credential can stop its bearer tokens within
//! their life through a small revoked-`cid` set.
//!
//! Verification is strict, because this server is the only issuer and the
//! only verifier: exactly three base64url segments without padding; a header
//! with exactly `alg`, `typ` and `kid` (so `jwk`, `jku`, `x5u`, `x5c`, `crit`
//! and every other member are refused, and key material named in a token is
//! never used — CVE-2025-24976); `alg` pinned to `EdDSA`; the key chosen by
//! `kid` among trusted keys only; strict Ed25519 verification; then claims of
//! exact types (a single-string `aud`, integer times, no unknown claims — no
//! type confusion) checked against the expected issuer, audience and clock.
//!
//! Why a small codec on `ed25519-dalek` rather than `jsonwebtoken`: with one
//! algorithm and one issuer, the whole format is ~100 lines that can be read
//! in one sitting and refuse everything unexpected by construction, where a
//! general library must be configured into the same strictness (it ignores
//! `jwk`/`jku` headers rather than refusing them, accepts array audiences, and
//! changed API in each of its last three majors). `jsonwebtoken`'s
//! `rust_crypto` backend also builds RSA and both NIST curves, whose `rsa`
//! crate carries an open advisory (RUSTSEC-2023-0071) that a registry
//! signing only Ed25519 need not ship. Verifying *foreign* ID tokens (OIDC,
//! RS256/ES256 from a JWKS: the next issue) is where `jsonwebtoken` ≥ 12
//! belongs.

mod key;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::access::AccessList;

pub use key::{KeyError, SigningKey, VerifyingKey};

/// The one signature algorithm.
pub const ALGORITHM: &str = "EdDSA";
/// Longest life of a bearer token (GitLab's default too).
pub const MAX_TTL_SECS: u64 = 300;
/// Shortest: clients treat anything below 60 s as 60 s.
pub const MIN_TTL_SECS: u64 = 60;
/// Clock skew tolerated on `nbf`, `iat` and `exp` by default.
pub const DEFAULT_LEEWAY_SECS: u64 = 30;
/// Longest JWT the verifier reads (32 access entries of 255-byte names fit).
pub const MAX_JWT_LEN: usize = 16 * 1024;

/// Why a bearer token was refused (for logs: the registry answers every one
/// with 401 `error="invalid_token"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("token too long")]
    TooLong,
    #[error("not a compact JWS of three base64url segments")]
    Malformed,
    #[error("unexpected JWT header")]
    Header,
    #[error("algorithm not allowed")]
    Algorithm,
    #[error("unknown signing key")]
    UnknownKey,
    #[error("bad signature")]
    Signature,
    #[error("invalid claims")]
    Claims,
    #[error("wrong issuer")]
    Issuer,
    #[error("wrong audience")]
    Audience,
    #[error("lifetime not allowed")]
    Lifetime,
    #[error("expired")]
    Expired,
    #[error("not yet valid")]
    NotYetValid,
    #[error("lifetime must be {MIN_TTL_SECS} to {MAX_TTL_SECS} seconds")]
    Ttl,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    alg: String,
    typ: String,
    kid: String,
}

/// The claims of a bearer token. Times are seconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claims {
    pub iss: String,
    /// The principal; `""` when anonymous.
    pub sub: String,
    pub aud: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    pub jti: String,
    pub access: AccessList,
    /// The credential the token was minted from (`""` when anonymous).
    pub cid: String,
}

/// A signed bearer token. `Debug` shows the claims, never the token.
pub struct IssuedToken {
    pub claims: Claims,
    jwt: String,
}

impl IssuedToken {
    /// The JWT, for the token response (`token` and `access_token`).
    pub fn expose_secret(&self) -> &str {
        &self.jwt
    }

    /// `expires_in` for the token response.
    pub fn expires_in(&self) -> u64 {
        self.claims.exp.saturating_sub(self.claims.iat)
    }
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken").field("claims", &self.claims).finish_non_exhaustive()
    }
}

/// Signs bearer tokens for one service.
#[derive(Debug)]
pub struct Issuer {
    key: SigningKey,
    issuer: String,
    service: String,
    ttl: u64,
}

impl Issuer {
    /// `issuer` names the token service (`iss`), `service` the registry
    /// (`aud`, the `service` of the challenge). Tokens live [`MAX_TTL_SECS`].
    pub fn new(key: SigningKey, issuer: impl Into<String>, service: impl Into<String>) -> Self {
        Issuer { key, issuer: issuer.into(), service: service.into(), ttl: MAX_TTL_SECS }
    }

    /// Another lifetime, within [`MIN_TTL_SECS`]..=[`MAX_TTL_SECS`].
    pub fn with_ttl(mut self, secs: u64) -> Result<Self, JwtError> {
        if !(MIN_TTL_SECS..=MAX_TTL_SECS).contains(&secs) {
            return Err(JwtError::Ttl);
        }
        self.ttl = secs;
        Ok(self)
    }

    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// A token for `subject`, minted from credential `cid`, granting `access`.
    pub fn issue(&self, subject: &str, cid: &str, access: AccessList, now: u64) -> IssuedToken {
        let mut jti = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut jti);
        let claims = Claims {
            iss: self.issuer.clone(),
            sub: subject.to_string(),
            aud: self.service.clone(),
            iat: now,
            nbf: now,
            exp: now.saturating_add(self.ttl),
            jti: URL_SAFE_NO_PAD.encode(jti),
            access,
            cid: cid.to_string(),
        };
        let jwt = sign(&self.key, &claims);
        IssuedToken { claims, jwt }
    }

    /// A verifier that trusts this issuer's key.
    pub fn verifier(&self) -> Verifier {
        Verifier::new(&self.issuer, &self.service, [self.key.verifying_key().clone()])
    }
}

/// Writes a compact JWS. Also used by the tests to forge tokens.
fn encode_jws(header: &[u8], payload: &[u8], signer: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    let mut jwt = URL_SAFE_NO_PAD.encode(header);
    jwt.push('.');
    jwt.push_str(&URL_SAFE_NO_PAD.encode(payload));
    let signature = signer(jwt.as_bytes());
    jwt.push('.');
    jwt.push_str(&URL_SAFE_NO_PAD.encode(signature));
    jwt
}

fn sign(key: &SigningKey, claims: &Claims) -> String {
    let header = Header { alg: ALGORITHM.into(), typ: "JWT".into(), kid: key.kid().into() };
    let header = serde_json::to_vec(&header).expect("a header always serializes");
    let payload = serde_json::to_vec(claims).expect("claims always serialize");
    encode_jws(&header, &payload, |input| key.sign(input).to_vec())
}

/// Verifies bearer tokens for one service.
#[derive(Debug, Clone)]
pub struct Verifier {
    keys: Vec<VerifyingKey>,
    issuer: String,
    service: String,
    leeway: u64,
}

impl Verifier {
    /// Trusts `keys` (more than one while a key is being rotated out).
    pub fn new(issuer: &str, service: &str, keys: impl IntoIterator<Item = VerifyingKey>) -> Self {
        let keys = keys.into_iter().collect();
        Verifier { keys, issuer: issuer.to_string(), service: service.to_string(), leeway: DEFAULT_LEEWAY_SECS }
    }

    #[must_use]
    pub fn with_leeway(mut self, secs: u64) -> Self {
        self.leeway = secs;
        self
    }

    /// Verifies `jwt` at time `now`; the claims if it holds.
    pub fn verify(&self, jwt: &str, now: u64) -> Result<Claims, JwtError> {
        if jwt.len() > MAX_JWT_LEN {
            return Err(JwtError::TooLong);
        }
        let mut parts = jwt.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwtError::Malformed);
        };
        let header_json: Header = serde_json::from_slice(&b64(header)?).map_err(|_| JwtError::Header)?;
        if header_json.alg != ALGORITHM {
            return Err(JwtError::Algorithm);
        }
        if header_json.typ != "JWT" {
            return Err(JwtError::Header);
        }
        let key = self.keys.iter().find(|k| k.kid() == header_json.kid).ok_or(JwtError::UnknownKey)?;
        let signature: [u8; 64] = b64(signature)?.try_into().map_err(|_| JwtError::Signature)?;
        key.verify(&jwt.as_bytes()[..header.len() + 1 + payload.len()], &signature)?;
        let claims: Claims = serde_json::from_slice(&b64(payload)?).map_err(|_| JwtError::Claims)?;
        self.check(&claims, now)?;
        Ok(claims)
    }

    fn check(&self, claims: &Claims, now: u64) -> Result<(), JwtError> {
        if claims.iss != self.issuer {
            return Err(JwtError::Issuer);
        }
        if claims.aud != self.service {
            return Err(JwtError::Audience);
        }
        if claims.exp <= claims.iat || claims.exp - claims.iat > MAX_TTL_SECS || claims.nbf >= claims.exp {
            return Err(JwtError::Lifetime);
        }
        if now >= claims.exp.saturating_add(self.leeway) {
            return Err(JwtError::Expired);
        }
        if claims.nbf > now.saturating_add(self.leeway) || claims.iat > now.saturating_add(self.leeway) {
            return Err(JwtError::NotYetValid);
        }
        Ok(())
    }
}

/// Base64url without padding, canonical (no stray trailing bits).
fn b64(segment: &str) -> Result<Vec<u8>, JwtError> {
    URL_SAFE_NO_PAD.decode(segment).map_err(|_| JwtError::Malformed)
}

#[cfg(test)]
mod tests;
