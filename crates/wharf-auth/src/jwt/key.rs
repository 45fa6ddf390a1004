//! The Ed25519 key that signs bearer JWTs: generation, PKCS#8 PEM (the form
//! the server keeps in its data directory, readable by `openssl pkey`), the
//! public half as a JWK, and the key id: its RFC 7638 JWK thumbprint.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, KeypairBytes};
use ed25519_dalek::Signer;
use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::JwtError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("not an Ed25519 private key in PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`)")]
    Pkcs8,
    #[error("not an Ed25519 public key")]
    PublicKey,
}

/// The signing key. `Debug` shows only its key id.
pub struct SigningKey {
    key: ed25519_dalek::SigningKey,
    public: VerifyingKey,
}

impl SigningKey {
    /// A new key from the operating system's CSPRNG.
    pub fn generate() -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(&mut seed[..]);
        Self::from_seed(&seed)
    }

    /// The key whose RFC 8032 secret (seed) is `seed`.
    pub(crate) fn from_seed(seed: &[u8; 32]) -> Self {
        Self::from_dalek(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    fn from_dalek(key: ed25519_dalek::SigningKey) -> Self {
        let public = VerifyingKey::from_dalek(key.verifying_key());
        SigningKey { key, public }
    }

    /// Reads a PKCS#8 PEM private key (RFC 8410; v1 as `openssl genpkey
    /// -algorithm ed25519` writes, or v2 with the public key, which must match).
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        ed25519_dalek::SigningKey::from_pkcs8_pem(pem).map(Self::from_dalek).map_err(|_| KeyError::Pkcs8)
    }

    /// The key as PKCS#8 v1 PEM (the seed only, as OpenSSL writes it and
    /// reads it back: OpenSSL 3 refuses the v2 form with the public key), to
    /// write (mode 0600) to the data directory.
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        let seed = KeypairBytes { secret_key: self.key.to_bytes(), public_key: None };
        seed.to_pkcs8_pem(LineEnding::LF).expect("an Ed25519 key always encodes")
    }

    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.public
    }

    /// The key id (`kid`): the public key's RFC 7638 thumbprint.
    pub fn kid(&self) -> &str {
        self.public.kid()
    }

    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid()).finish_non_exhaustive()
    }
}

/// A public key that verifies bearer JWTs, with its key id.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifyingKey {
    key: ed25519_dalek::VerifyingKey,
    kid: String,
}

impl VerifyingKey {
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, KeyError> {
        let key = ed25519_dalek::VerifyingKey::from_bytes(bytes).map_err(|_| KeyError::PublicKey)?;
        if key.is_weak() {
            return Err(KeyError::PublicKey);
        }
        Ok(Self::from_dalek(key))
    }

    fn from_dalek(key: ed25519_dalek::VerifyingKey) -> Self {
        let kid = thumbprint(key.as_bytes());
        VerifyingKey { key, kid }
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The RFC 7638 JWK thumbprint (SHA-256, base64url): the `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public JWK (RFC 8037), for a JWKS document that external verifiers read.
    pub fn jwk(&self) -> serde_json::Value {
        serde_json::json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(self.key.as_bytes()),
            "kid": self.kid,
            "alg": super::ALGORITHM,
            "use": "sig",
        })
    }

    /// Strict Ed25519 verification (RFC 8032 §5.1.7 plus the checks against
    /// malleable signatures and small-order points).
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8; 64]) -> Result<(), JwtError> {
        let signature = ed25519_dalek::Signature::from_bytes(signature);
        self.key.verify_strict(message, &signature).map_err(|_| JwtError::Signature)
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// RFC 7638 over the required members of an OKP key, in lexicographic order.
fn thumbprint(public: &[u8; 32]) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, URL_SAFE_NO_PAD.encode(public));
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8037 appendix A.1: the secret `d` and public `x`; A.3 its thumbprint.
    const RFC8037_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
    const RFC8037_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    const RFC8037_KID: &str = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
    /// RFC 8410 §10.3: a PKCS#8 v1 private key as OpenSSL writes it; its public
    /// key (§10.1) is `Gb9ECWmE…`.
    const RFC8410_PEM: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC
-----END PRIVATE KEY-----
";

    fn rfc8037_key() -> SigningKey {
        let seed: [u8; 32] = URL_SAFE_NO_PAD.decode(RFC8037_D).unwrap().try_into().unwrap();
        SigningKey::from_seed(&seed)
    }

    #[test]
    fn rfc8037_vectors() {
        let key = rfc8037_key();
        assert_eq!(URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes()), RFC8037_X);
        assert_eq!(key.kid(), RFC8037_KID);
        // A.4: the signature of the JWS signing input (Ed25519 is deterministic).
        let signature = key.sign(b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc");
        assert_eq!(
            URL_SAFE_NO_PAD.encode(signature),
            "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
        );
        let jwk = key.verifying_key().jwk();
        assert_eq!(jwk["x"], RFC8037_X);
        assert_eq!(jwk["kid"], RFC8037_KID);
        assert_eq!(
            (jwk["kty"].as_str(), jwk["crv"].as_str(), jwk["alg"].as_str()),
            (Some("OKP"), Some("Ed25519"), Some("EdDSA"))
        );
    }

    #[test]
    fn pkcs8_pem_round_trips_and_reads_openssl_keys() {
        let key = SigningKey::generate();
        let pem = key.to_pkcs8_pem();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI"), "v1: {}", pem.as_str());
        assert_eq!(pem.len(), RFC8410_PEM.len());
        let back = SigningKey::from_pkcs8_pem(&pem).unwrap();
        assert_eq!(back.kid(), key.kid());
        assert_eq!(back.sign(b"m"), key.sign(b"m"));

        let openssl = SigningKey::from_pkcs8_pem(RFC8410_PEM).unwrap();
        assert_eq!(openssl.to_pkcs8_pem().as_str(), RFC8410_PEM, "written exactly as OpenSSL writes it");
        assert_eq!(
            URL_SAFE_NO_PAD.encode(openssl.verifying_key().to_bytes()),
            "Gb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE"
        );
        assert_eq!(openssl.kid(), "3YZxBJ12jO3n_mXt_q-j_Z-TFP1vt-NiI3OCf-fEnHQ");

        let truncated = &RFC8410_PEM[..40];
        let public_pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";
        for bad in ["", "garbage", truncated, public_pem] {
            assert_eq!(SigningKey::from_pkcs8_pem(bad).unwrap_err(), KeyError::Pkcs8, "{bad:?}");
        }
    }

    #[test]
    fn keys_debug_only_their_kid() {
        let key = rfc8037_key();
        let shown = format!("{key:?} {:?}", key.verifying_key());
        assert_eq!(
            shown,
            format!("SigningKey {{ kid: {RFC8037_KID:?}, .. }} VerifyingKey {{ kid: {RFC8037_KID:?}, .. }}")
        );
        assert!(!shown.contains(RFC8037_D));
    }

    #[test]
    fn public_keys_from_bytes() {
        let key = rfc8037_key();
        let public = VerifyingKey::from_bytes(&key.verifying_key().to_bytes()).unwrap();
        assert_eq!(&public, key.verifying_key());
        // The identity point (small order) is refused.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(VerifyingKey::from_bytes(&identity), Err(KeyError::PublicKey));
        assert_ne!(SigningKey::generate().kid(), SigningKey::generate().kid());
    }
}
