use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use super::*;
use crate::access::{Actions, ScopeRequest};

const ISS: &str = "https://registry.example/v2/token";
const AUD: &str = "registry.example";
const NOW: u64 = 1_800_000_000;

fn our_key() -> SigningKey {
    SigningKey::from_seed(&[7; 32])
}

fn verifier() -> Verifier {
    Verifier::new(ISS, AUD, [our_key().verifying_key().clone()])
}

fn header(kid: &str) -> Value {
    json!({"alg": "EdDSA", "typ": "JWT", "kid": kid})
}

fn claims() -> Value {
    json!({
        "iss": ISS, "sub": "alice", "aud": AUD, "iat": NOW, "nbf": NOW, "exp": NOW + 300, "jti": "j1",
        "access": [{"type": "repository", "name": "team/app", "actions": ["pull", "push"]}],
        "cid": "tok_1",
    })
}

/// `claims()` with `changes` applied (`null` removes a claim).
fn claims_with(changes: Value) -> Value {
    let mut c = claims();
    for (k, v) in changes.as_object().unwrap() {
        match v {
            Value::Null => c.as_object_mut().unwrap().remove(k),
            _ => c.as_object_mut().unwrap().insert(k.clone(), v.clone()),
        };
    }
    c
}

fn header_with(extra: Value) -> Value {
    let mut h = header(our_key().kid());
    h.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    h
}

fn ed25519(key: &SigningKey) -> impl FnOnce(&[u8]) -> Vec<u8> + '_ {
    move |input: &[u8]| key.sign(input).to_vec()
}

fn forge_raw(header: &str, claims: &str, signer: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    encode_jws(header.as_bytes(), claims.as_bytes(), signer)
}

fn forge(header: &Value, claims: &Value, signer: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    forge_raw(&header.to_string(), &claims.to_string(), signer)
}

/// A validly signed token with our key, our kid and these claims.
fn signed(claims: &Value) -> String {
    let key = our_key();
    forge(&header(key.kid()), claims, ed25519(&key))
}

fn replace_segment(jwt: &str, index: usize, with: &str) -> String {
    let mut parts: Vec<&str> = jwt.split('.').collect();
    parts[index] = with;
    parts.join(".")
}

/// Adds the group order L to the signature's S: the classic malleated twin.
fn malleate(jwt: &str) -> String {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut sig = URL_SAFE_NO_PAD.decode(jwt.rsplit('.').next().unwrap()).unwrap();
    let mut carry = 0u16;
    for (s, l) in sig[32..].iter_mut().zip(L) {
        let sum = u16::from(*s) + u16::from(l) + carry;
        *s = (sum & 0xff) as u8;
        carry = sum >> 8;
    }
    replace_segment(jwt, 2, &URL_SAFE_NO_PAD.encode(sig))
}

#[test]
fn forged_and_damaged_tokens_are_refused() {
    let key = our_key();
    let kid = key.kid().to_string();
    let foreign = SigningKey::from_seed(&[9; 32]);
    let public = key.verifying_key().to_bytes();
    let valid = signed(&claims());
    let (h, p, s) = {
        let parts: Vec<&str> = valid.split('.').collect();
        (parts[0].to_string(), parts[1].to_string(), parts[2].to_string())
    };
    let hs256 = |input: &[u8]| -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&public).unwrap();
        mac.update(input);
        mac.finalize().into_bytes().to_vec()
    };
    let attacker_jwk =
        json!({"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(foreign.verifying_key().to_bytes())});
    let more_access = claims_with(
        json!({"access": [{"type": "repository", "name": "team/app", "actions": ["delete", "pull", "push"]}]}),
    );
    let mut flipped_sig = s.clone().into_bytes();
    flipped_sig[0] = if flipped_sig[0] == b'A' { b'B' } else { b'A' };

    use JwtError as E;
    let table: Vec<(&str, String, Result<(), JwtError>)> = vec![
        ("valid", valid.clone(), Ok(())),
        (
            "valid, expired within the leeway",
            signed(&claims_with(json!({"iat": NOW - 310, "nbf": NOW - 310, "exp": NOW - 10}))),
            Ok(()),
        ),
        (
            "alg none, no signature",
            forge(&header_with(json!({"alg": "none"})), &claims(), |_| vec![]),
            Err(E::Algorithm),
        ),
        (
            "alg none, valid signature",
            forge(&header_with(json!({"alg": "none"})), &claims(), ed25519(&key)),
            Err(E::Algorithm),
        ),
        ("alg None", forge(&header_with(json!({"alg": "None"})), &claims(), |_| vec![]), Err(E::Algorithm)),
        (
            "HS256 keyed with the public key",
            forge(&header_with(json!({"alg": "HS256"})), &claims(), hs256),
            Err(E::Algorithm),
        ),
        ("HMAC bytes under an EdDSA header", forge(&header(&kid), &claims(), hs256), Err(E::Signature)),
        ("ES256", forge(&header_with(json!({"alg": "ES256"})), &claims(), ed25519(&key)), Err(E::Algorithm)),
        ("foreign key under our kid", forge(&header(&kid), &claims(), ed25519(&foreign)), Err(E::Signature)),
        (
            "foreign key, its own kid (another instance)",
            forge(&header(foreign.kid()), &claims(), ed25519(&foreign)),
            Err(E::UnknownKey),
        ),
        (
            "attacker jwk with our kid (CVE-2025-24976)",
            forge(&header_with(json!({"jwk": attacker_jwk})), &claims(), ed25519(&foreign)),
            Err(E::Header),
        ),
        (
            "even our own jwk in the header",
            forge(&header_with(json!({"jwk": key.verifying_key().jwk()})), &claims(), ed25519(&key)),
            Err(E::Header),
        ),
        (
            "jku",
            forge(&header_with(json!({"jku": "https://evil.example/jwks"})), &claims(), ed25519(&key)),
            Err(E::Header),
        ),
        (
            "x5u",
            forge(&header_with(json!({"x5u": "https://evil.example/cert"})), &claims(), ed25519(&key)),
            Err(E::Header),
        ),
        ("x5c", forge(&header_with(json!({"x5c": ["MIIB"]})), &claims(), ed25519(&key)), Err(E::Header)),
        (
            "unknown crit",
            forge(&header_with(json!({"crit": ["exp"], "exp": 1})), &claims(), ed25519(&key)),
            Err(E::Header),
        ),
        (
            "b64 false",
            forge(&header_with(json!({"b64": false, "crit": ["b64"]})), &claims(), ed25519(&key)),
            Err(E::Header),
        ),
        ("typ other than JWT", forge(&header_with(json!({"typ": "at+jwt"})), &claims(), ed25519(&key)), Err(E::Header)),
        ("no typ", forge(&json!({"alg": "EdDSA", "kid": kid}), &claims(), ed25519(&key)), Err(E::Header)),
        ("no kid", forge(&json!({"alg": "EdDSA", "typ": "JWT"}), &claims(), ed25519(&key)), Err(E::Header)),
        (
            "duplicate alg",
            forge_raw(
                &format!(r#"{{"alg":"none","alg":"EdDSA","typ":"JWT","kid":"{kid}"}}"#),
                &claims().to_string(),
                ed25519(&key),
            ),
            Err(E::Header),
        ),
        ("header not JSON", forge_raw("alg=EdDSA", &claims().to_string(), ed25519(&key)), Err(E::Header)),
        ("wrong aud", signed(&claims_with(json!({"aud": "other.example"}))), Err(E::Audience)),
        ("aud as an array", signed(&claims_with(json!({"aud": [AUD]}))), Err(E::Claims)),
        ("wrong iss", signed(&claims_with(json!({"iss": "https://evil.example/token"}))), Err(E::Issuer)),
        (
            "expired",
            signed(&claims_with(json!({"iat": NOW - 400, "nbf": NOW - 400, "exp": NOW - 100}))),
            Err(E::Expired),
        ),
        (
            "nbf in the future",
            signed(&claims_with(json!({"iat": NOW + 100, "nbf": NOW + 100, "exp": NOW + 400}))),
            Err(E::NotYetValid),
        ),
        ("nbf only in the future", signed(&claims_with(json!({"nbf": NOW + 100}))), Err(E::NotYetValid)),
        ("lives longer than 300 s", signed(&claims_with(json!({"exp": NOW + 301}))), Err(E::Lifetime)),
        ("exp not after iat", signed(&claims_with(json!({"exp": NOW}))), Err(E::Lifetime)),
        ("exp as a float", signed(&claims_with(json!({"exp": 1.8e9}))), Err(E::Claims)),
        ("exp as a string", signed(&claims_with(json!({"exp": (NOW + 300).to_string()}))), Err(E::Claims)),
        ("negative iat", signed(&claims_with(json!({"iat": -1}))), Err(E::Claims)),
        ("no access", signed(&claims_with(json!({"access": null}))), Err(E::Claims)),
        ("no cid", signed(&claims_with(json!({"cid": null}))), Err(E::Claims)),
        (
            "* on a repository",
            signed(&claims_with(json!({"access": [{"type": "repository", "name": "team/app", "actions": ["*"]}]}))),
            Err(E::Claims),
        ),
        ("unknown claim", signed(&claims_with(json!({"admin": true}))), Err(E::Claims)),
        (
            "altered signature",
            replace_segment(&valid, 2, std::str::from_utf8(&flipped_sig).unwrap()),
            Err(E::Signature),
        ),
        ("malleated signature (S + L)", malleate(&valid), Err(E::Signature)),
        (
            "altered payload",
            replace_segment(&valid, 1, &URL_SAFE_NO_PAD.encode(more_access.to_string())),
            Err(E::Signature),
        ),
        (
            "header of another token",
            replace_segment(&valid, 0, &URL_SAFE_NO_PAD.encode(header_with(json!({"typ": "JWT"})).to_string() + " ")),
            Err(E::Signature),
        ),
        ("signature truncated by one character", valid[..valid.len() - 1].to_string(), Err(E::Malformed)),
        ("signature truncated by two characters", valid[..valid.len() - 2].to_string(), Err(E::Signature)),
        ("signature removed", format!("{h}.{p}."), Err(E::Signature)),
        ("two segments", format!("{h}.{p}"), Err(E::Malformed)),
        ("one segment", h.clone(), Err(E::Malformed)),
        ("empty", String::new(), Err(E::Malformed)),
        ("extra segment", format!("{valid}.{s}"), Err(E::Malformed)),
        ("trailing dot", format!("{valid}."), Err(E::Malformed)),
        ("padded signature", format!("{valid}="), Err(E::Malformed)),
        ("trailing newline", format!("{valid}\n"), Err(E::Malformed)),
        ("too long", format!("{h}.{}.{s}", "A".repeat(MAX_JWT_LEN)), Err(E::TooLong)),
    ];
    let verifier = verifier();
    for (name, jwt, want) in table {
        assert_eq!(verifier.verify(&jwt, NOW).map(|_| ()), want, "{name}: {jwt}");
    }
}

#[test]
fn any_single_character_change_is_refused() {
    let valid = signed(&claims());
    let verifier = verifier();
    for i in 0..valid.len() {
        let mut bytes = valid.clone().into_bytes();
        bytes[i] = match bytes[i] {
            b'.' => continue,
            b'A' => b'B',
            _ => b'A',
        };
        let changed = String::from_utf8(bytes).unwrap();
        assert!(verifier.verify(&changed, NOW).is_err(), "position {i}: {changed}");
    }
}

#[test]
fn issued_tokens_verify_until_they_expire() {
    let issuer = Issuer::new(our_key(), ISS, AUD);
    let access = ScopeRequest::parse(["repository:team/app:pull,push"]).unwrap().access;
    let token = issuer.issue("alice", "tok_1", access.clone(), NOW);
    assert_eq!(token.expires_in(), MAX_TTL_SECS);
    let claims = issuer.verifier().verify(token.expose_secret(), NOW).unwrap();
    assert_eq!(claims, token.claims);
    assert_eq!((claims.sub.as_str(), claims.cid.as_str(), claims.aud.as_str()), ("alice", "tok_1", AUD));
    assert!(claims.access.allows(&"team/app".parse().unwrap(), Actions::PULL.union(Actions::PUSH)));
    assert_eq!((claims.iat, claims.nbf, claims.exp), (NOW, NOW, NOW + 300));

    let verifier = issuer.verifier().with_leeway(0);
    assert!(verifier.verify(token.expose_secret(), NOW + 299).is_ok());
    assert_eq!(verifier.verify(token.expose_secret(), NOW + 300), Err(JwtError::Expired));
    assert_eq!(issuer.verifier().verify(token.expose_secret(), NOW + 330), Err(JwtError::Expired));
    assert_eq!(verifier.verify(token.expose_secret(), NOW - 1), Err(JwtError::NotYetValid));

    let header: Value =
        serde_json::from_slice(&b64(token.expose_secret().split('.').next().unwrap()).unwrap()).unwrap();
    assert_eq!(header, json!({"alg": "EdDSA", "typ": "JWT", "kid": our_key().kid()}));

    let anonymous = issuer.issue("", "", AccessList::new(), NOW);
    let claims = issuer.verifier().verify(anonymous.expose_secret(), NOW).unwrap();
    assert!(claims.access.is_empty() && claims.sub.is_empty());
    assert_ne!(anonymous.claims.jti, token.claims.jti, "every token has its own jti");
}

#[test]
fn issued_tokens_never_show_in_debug() {
    let issuer = Issuer::new(our_key(), ISS, AUD);
    let token = issuer.issue("alice", "tok_1", AccessList::new(), NOW);
    let shown = format!("{token:?} {issuer:?}");
    let signature = token.expose_secret().rsplit('.').next().unwrap();
    assert!(!shown.contains(signature) && !shown.contains(token.expose_secret()), "{shown}");
    assert!(shown.contains("alice"));
}

#[test]
fn lifetimes_are_bounded() {
    let issuer = || Issuer::new(our_key(), ISS, AUD);
    for ttl in [0, 59, 301, 3600] {
        assert_eq!(issuer().with_ttl(ttl).unwrap_err(), JwtError::Ttl, "{ttl}");
    }
    for ttl in [60, 120, 300] {
        assert_eq!(issuer().with_ttl(ttl).unwrap().issue("a", "c", AccessList::new(), NOW).expires_in(), ttl);
    }
}

#[test]
fn rotation_trusts_every_listed_key_and_only_those() {
    let (old, new) = (SigningKey::from_seed(&[1; 32]), SigningKey::from_seed(&[2; 32]));
    let verifier = Verifier::new(ISS, AUD, [old.verifying_key().clone(), new.verifying_key().clone()]);
    for key in [old, new] {
        let token = Issuer::new(key, ISS, AUD).issue("a", "c", AccessList::new(), NOW);
        assert!(verifier.verify(token.expose_secret(), NOW).is_ok());
    }
    let retired = Issuer::new(SigningKey::from_seed(&[3; 32]), ISS, AUD).issue("a", "c", AccessList::new(), NOW);
    assert_eq!(verifier.verify(retired.expose_secret(), NOW), Err(JwtError::UnknownKey));
    assert_eq!(Verifier::new(ISS, AUD, []).verify(retired.expose_secret(), NOW), Err(JwtError::UnknownKey));
}
