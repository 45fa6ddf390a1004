//! Credentials as clients send them in `Authorization`: `Basic
//! base64(username:password)` (docker at the token endpoint, curl, twine, pip,
//! uv, poetry) and `Bearer <token>` (the registry's JWTs; Python tools with a
//! token, and `Token <token>` as Warehouse accepts).
//!
//! With Basic, the username is free-form (`__token__`, `gitlab-ci-token`,
//! `oauth2accesstoken`, a user name…) and the token is the password; a token
//! given as the username with an empty password is accepted too. Surrounding
//! whitespace around the token is ignored, as Warehouse does. Anything
//! malformed (bad base64, not UTF-8, no `:`) is an error that the server
//! answers with 401, never 500.

use std::fmt;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use zeroize::Zeroizing;

/// Longest `Authorization` value read.
pub const MAX_HEADER_LEN: usize = 8 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("Authorization header too long")]
    TooLong,
    #[error("not Basic credentials")]
    Scheme,
    #[error("Basic credentials are not base64")]
    Base64,
    #[error("Basic credentials are not UTF-8")]
    Utf8,
    #[error("Basic credentials have no `:`")]
    NoColon,
}

/// Decoded Basic credentials. `Debug` never shows the password.
pub struct BasicCredentials {
    username: String,
    password: Zeroizing<String>,
}

impl BasicCredentials {
    /// Parses an `Authorization` value (bytes, as HTTP delivers them).
    pub fn parse(value: &[u8]) -> Result<Self, CredentialError> {
        if value.len() > MAX_HEADER_LEN {
            return Err(CredentialError::TooLong);
        }
        let value = std::str::from_utf8(value).map_err(|_| CredentialError::Scheme)?;
        let encoded = strip_scheme(value, "Basic").ok_or(CredentialError::Scheme)?;
        let decoded = Zeroizing::new(
            STANDARD
                .decode(encoded)
                .or_else(|_| STANDARD_NO_PAD.decode(encoded))
                .map_err(|_| CredentialError::Base64)?,
        );
        let text = std::str::from_utf8(&decoded).map_err(|_| CredentialError::Utf8)?;
        // RFC 7617: the user-id cannot contain a colon; the password can.
        let (username, password) = text.split_once(':').ok_or(CredentialError::NoColon)?;
        Ok(BasicCredentials { username: username.to_string(), password: Zeroizing::new(password.to_string()) })
    }

    /// The username, for logs only: it never chooses the identity.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The token: the password, or the username when the password is empty
    /// (`https://<token>@host/simple/`); trimmed. `None` when both are empty.
    pub fn token(&self) -> Option<&str> {
        let password = self.password.trim();
        let token = if password.is_empty() { self.username.trim() } else { password };
        (!token.is_empty()).then_some(token)
    }
}

impl fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicCredentials").field("username", &self.username).finish_non_exhaustive()
    }
}

/// The token of a `Bearer <token>` or `Token <token>` value, trimmed.
pub fn bearer_token(value: &str) -> Option<&str> {
    if value.len() > MAX_HEADER_LEN {
        return None;
    }
    let token = strip_scheme(value, "Bearer").or_else(|| strip_scheme(value, "Token"))?.trim();
    (!token.is_empty()).then_some(token)
}

/// `<scheme> <rest>` with the scheme matched case-insensitively (RFC 9110 §11.1).
fn strip_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (name, rest) = value.split_once(' ')?;
    name.eq_ignore_ascii_case(scheme).then(|| rest.trim_start_matches(' '))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(userpass: &[u8]) -> Vec<u8> {
        format!("Basic {}", STANDARD.encode(userpass)).into_bytes()
    }

    #[test]
    fn every_username_form_yields_the_same_token() {
        let token = "wharf_pat_secret";
        for user in ["__token__", "gitlab-ci-token", "oauth2accesstoken", "alice", "anything", ""] {
            let creds = BasicCredentials::parse(&basic(format!("{user}:{token}").as_bytes())).unwrap();
            assert_eq!((creds.username(), creds.token()), (user, Some(token)));
        }
        let as_username = BasicCredentials::parse(&basic(format!("{token}:").as_bytes())).unwrap();
        assert_eq!(as_username.token(), Some(token));
        let padded = BasicCredentials::parse(&basic(format!("__token__: {token}\n").as_bytes())).unwrap();
        assert_eq!(padded.token(), Some(token));
        let colon_in_password = BasicCredentials::parse(&basic(b"u:a:b")).unwrap();
        assert_eq!((colon_in_password.username(), colon_in_password.token()), ("u", Some("a:b")));
        assert_eq!(BasicCredentials::parse(&basic(b":")).unwrap().token(), None);
        let lower = format!("basic   {}", STANDARD_NO_PAD.encode("u:t"));
        assert_eq!(BasicCredentials::parse(lower.as_bytes()).unwrap().token(), Some("t"));
    }

    #[test]
    fn malformed_basic_credentials_are_errors_not_panics() {
        let long = basic("u:".repeat(MAX_HEADER_LEN).as_bytes());
        let table: Vec<(Vec<u8>, CredentialError)> = vec![
            (b"".to_vec(), CredentialError::Scheme),
            (b"Basic".to_vec(), CredentialError::Scheme),
            (b"Bearer abc".to_vec(), CredentialError::Scheme),
            (b"Basic \xff\xfe".to_vec(), CredentialError::Scheme),
            (b"Basic !!!!".to_vec(), CredentialError::Base64),
            (b"Basic dTp0=x".to_vec(), CredentialError::Base64),
            (basic(b"\xff\xfe:\xfd"), CredentialError::Utf8),
            (basic(b"no-colon"), CredentialError::NoColon),
            (long, CredentialError::TooLong),
        ];
        for (value, want) in table {
            assert_eq!(BasicCredentials::parse(&value).unwrap_err(), want, "{:?}", String::from_utf8_lossy(&value));
        }
    }

    #[test]
    fn debug_never_shows_the_password() {
        let creds = BasicCredentials::parse(&basic(b"__token__:wharf_pat_secret")).unwrap();
        assert_eq!(format!("{creds:?}"), r#"BasicCredentials { username: "__token__", .. }"#);
    }

    #[test]
    fn bearer_tokens() {
        let table = [
            ("Bearer abc", Some("abc")),
            ("bearer abc ", Some("abc")),
            ("Token abc", Some("abc")),
            ("Bearer  abc", Some("abc")),
            ("Bearer ", None),
            ("Bearer", None),
            ("Basic abc", None),
            ("Bearerabc", None),
        ];
        for (value, want) in table {
            assert_eq!(bearer_token(value), want, "{value:?}");
        }
        assert_eq!(bearer_token(&format!("Bearer {}", "a".repeat(MAX_HEADER_LEN))), None);
    }
}
