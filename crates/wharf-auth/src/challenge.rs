//! `WWW-Authenticate` values (RFC 6750 §3, distribution's token auth):
//!
//! - `Bearer realm="<public URL>/v2/token",service="<service>"` on `/v2/` and
//!   on any registry request without credentials, plus `scope="…"` naming what
//!   the request needs, plus `error="invalid_token"` (a bad, expired or revoked
//!   token) or `error="insufficient_scope"` (a valid token lacking access) —
//!   always with 401, which containerd and buildkit rely on;
//! - `Basic realm="…"` for the Python index, so pip consults netrc/keyring.
//!
//! The realm comes from configuration, never from `Host` or `X-Forwarded-*`.
//! Values are written as quoted strings (`"` and `\` escaped, control
//! characters dropped), so a configured value cannot inject parameters.

use crate::access::AccessList;

/// The `error` parameter of a Bearer challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerError {
    InvalidToken,
    InsufficientScope,
}

impl BearerError {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
        }
    }
}

/// `Bearer realm="…",service="…"[,scope="…"][,error="…"]`; the scope is left
/// out when `needed` is empty.
pub fn bearer(realm: &str, service: &str, needed: &AccessList, error: Option<BearerError>) -> String {
    let mut value = format!("Bearer realm={},service={}", quoted(realm), quoted(service));
    if !needed.is_empty() {
        value.push_str(",scope=");
        value.push_str(&quoted(&needed.to_scope_string()));
    }
    if let Some(error) = error {
        value.push_str(",error=");
        value.push_str(&quoted(error.as_str()));
    }
    value
}

/// `Basic realm="…"`.
pub fn basic(realm: &str) -> String {
    format!("Basic realm={}", quoted(realm))
}

/// An RFC 9110 quoted-string.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars().filter(|c| !c.is_control()) {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::ScopeRequest;

    const REALM: &str = "https://registry.example:5000/v2/token";

    #[test]
    fn bearer_challenges() {
        let push = ScopeRequest::parse(["repository:team/app:push,pull"]).unwrap().access;
        let two = ScopeRequest::parse(["repository:b/x:pull registry:catalog:*"]).unwrap().access;
        let none = AccessList::new();
        let table = [
            (&none, None, r#"Bearer realm="https://registry.example:5000/v2/token",service="registry.example""#),
            (
                &push,
                None,
                r#"Bearer realm="https://registry.example:5000/v2/token",service="registry.example",scope="repository:team/app:pull,push""#,
            ),
            (
                &push,
                Some(BearerError::InsufficientScope),
                r#"Bearer realm="https://registry.example:5000/v2/token",service="registry.example",scope="repository:team/app:pull,push",error="insufficient_scope""#,
            ),
            (
                &none,
                Some(BearerError::InvalidToken),
                r#"Bearer realm="https://registry.example:5000/v2/token",service="registry.example",error="invalid_token""#,
            ),
            (
                &two,
                None,
                r#"Bearer realm="https://registry.example:5000/v2/token",service="registry.example",scope="repository:b/x:pull registry:catalog:*""#,
            ),
        ];
        for (needed, error, want) in table {
            assert_eq!(bearer(REALM, "registry.example", needed, error), want);
        }
    }

    #[test]
    fn configured_values_cannot_inject_parameters() {
        let value = bearer("https://x/\"\\,error=\"none", "svc\r\nSet-Cookie: a=b", &AccessList::new(), None);
        assert_eq!(value, r#"Bearer realm="https://x/\"\\,error=\"none",service="svcSet-Cookie: a=b""#);
        assert!(!value.contains('\r') && !value.contains('\n'));
        assert_eq!(basic("Wharf \"private\""), r#"Basic realm="Wharf \"private\"""#);
    }
}
