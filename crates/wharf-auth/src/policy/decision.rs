//! The policy's answer: allow, or why not and how to retry.

use super::Scope;

/// The answer, with the reason and the way to retry when it is no.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny(Denial),
}

/// Why a request is refused, which tells each protocol what to answer:
///
/// | denial | OCI `/v2/` | PyPI `/pypi/` | JSON API |
/// |---|---|---|---|
/// | `Unauthenticated` | 401 `UNAUTHORIZED` + `WWW-Authenticate: Bearer realm=…,service=…,scope=…` | 401 + `WWW-Authenticate: Basic realm=…` | 401 + `WWW-Authenticate: Bearer` |
/// | `InsufficientScope` | 401 + `Bearer …,error="insufficient_scope",scope=…` | 403 naming the scope | 403 naming the scope |
/// | `Forbidden` | 403 `DENIED` | 403 | 403 |
/// | `NotFound` | 404 `NAME_UNKNOWN` | 404 | 404 |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// No credential, and one could help. Always the answer to anonymous
    /// callers, whether or not the resource exists: a challenge.
    Unauthenticated,
    /// The caller could do this, but not with this token: it lacks `needed`
    /// on this resource (the scope, or a reach that covers the resource).
    /// Another token can help.
    InsufficientScope { needed: Scope },
    /// The caller sees the resource but its role does not allow this; no
    /// other token of theirs can help.
    Forbidden,
    /// The caller may not see the resource (or it does not exist; the two
    /// must look alike).
    NotFound,
}

/// Which protocol is answering a denial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Oci,
    Pypi,
    Api,
}

impl Denial {
    /// The HTTP status to answer with (headers: see the table on [`Denial`]).
    pub fn status(self, protocol: Protocol) -> u16 {
        match (self, protocol) {
            (Denial::Unauthenticated, _) | (Denial::InsufficientScope { .. }, Protocol::Oci) => 401,
            (Denial::InsufficientScope { .. } | Denial::Forbidden, _) => 403,
            (Denial::NotFound, _) => 404,
        }
    }

    /// A short name for logs and the audit trail.
    pub fn as_str(self) -> &'static str {
        match self {
            Denial::Unauthenticated => "unauthenticated",
            Denial::InsufficientScope { .. } => "insufficient_scope",
            Denial::Forbidden => "forbidden",
            Denial::NotFound => "not_found",
        }
    }
}
