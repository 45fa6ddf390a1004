//! Token scopes, with GitLab's names so that migrations map 1:1:
//! `read_registry`, `write_registry`, `read_package_registry`,
//! `write_package_registry`, `api`.
//!
//! A scope narrows a token; it never widens the owner's role. The effective
//! right is scope ∩ role ∩ visibility, decided by [`crate::policy`] on every
//! request; this module only says what each scope can ever allow:
//!
//! | scope                    | container images | packages      | admin API |
//! |--------------------------|------------------|---------------|-----------|
//! | `read_registry`          | read             |               |           |
//! | `write_registry`         | read + write     |               |           |
//! | `read_package_registry`  |                  | read          |           |
//! | `write_package_registry` |                  | read + write  |           |
//! | `api`                    | read + write     | read + write  | yes       |
//!
//! Write implies read: the docker protocol needs `pull` and `push` to push at
//! all, and GitLab users always pair the two scopes, so this accepts every
//! GitLab configuration and only drops a combination that cannot work.
//!
//! Deploy tokens are read-only by construction: [`TokenScopes::ceiling`] is the
//! most a token of each kind may ever hold, checked when it is created.

use std::fmt;
use std::str::FromStr;

use crate::token::TokenKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenScope {
    ReadRegistry,
    WriteRegistry,
    ReadPackageRegistry,
    WritePackageRegistry,
    Api,
}

impl TokenScope {
    pub const ALL: [TokenScope; 5] =
        [Self::ReadRegistry, Self::WriteRegistry, Self::ReadPackageRegistry, Self::WritePackageRegistry, Self::Api];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ReadRegistry => "read_registry",
            Self::WriteRegistry => "write_registry",
            Self::ReadPackageRegistry => "read_package_registry",
            Self::WritePackageRegistry => "write_package_registry",
            Self::Api => "api",
        }
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for TokenScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenScope {
    type Err = TokenScopeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == s).ok_or_else(|| {
            let shown: String = s.chars().take(64).collect();
            TokenScopeError::Unknown(shown)
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenScopeError {
    #[error("unknown token scope `{0}`")]
    Unknown(String),
    #[error("a {kind} token cannot have the `{scope}` scope")]
    NotAllowed { kind: TokenKind, scope: TokenScope },
}

/// A set of [`TokenScope`]s. Displays as a comma-separated list in a fixed
/// order (`read_registry,write_registry`), which [`FromStr`] reads back.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TokenScopes(u8);

impl TokenScopes {
    pub const EMPTY: TokenScopes = TokenScopes(0);
    pub const ALL: TokenScopes = TokenScopes(0x1f);
    /// The most a deploy token may ever hold: reading images and packages.
    pub const DEPLOY_MAX: TokenScopes =
        TokenScopes(TokenScope::ReadRegistry.bit() | TokenScope::ReadPackageRegistry.bit());

    /// The most a token of `kind` may ever hold.
    pub const fn ceiling(kind: TokenKind) -> TokenScopes {
        match kind {
            TokenKind::Deploy => Self::DEPLOY_MAX,
            TokenKind::Personal | TokenKind::Project | TokenKind::Group | TokenKind::Child | TokenKind::Admin => {
                Self::ALL
            }
        }
    }

    /// Refuses scopes beyond [`TokenScopes::ceiling`] (at token creation).
    pub fn check_for(self, kind: TokenKind) -> Result<(), TokenScopeError> {
        let ceiling = Self::ceiling(kind);
        match self.iter().find(|scope| !ceiling.contains(*scope)) {
            Some(scope) => Err(TokenScopeError::NotAllowed { kind, scope }),
            None => Ok(()),
        }
    }

    pub const fn contains(self, scope: TokenScope) -> bool {
        self.0 & scope.bit() != 0
    }

    #[must_use]
    pub const fn with(self, scope: TokenScope) -> TokenScopes {
        TokenScopes(self.0 | scope.bit())
    }

    #[must_use]
    pub const fn intersection(self, other: TokenScopes) -> TokenScopes {
        TokenScopes(self.0 & other.0)
    }

    /// Whether every scope here is also in `other` (a child token's scopes
    /// must be a subset of its parent's).
    pub const fn is_subset_of(self, other: TokenScopes) -> bool {
        self.0 & !other.0 == 0
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = TokenScope> {
        TokenScope::ALL.into_iter().filter(move |scope| self.contains(*scope))
    }

    fn any(self, scopes: &[TokenScope]) -> bool {
        scopes.iter().any(|scope| self.contains(*scope))
    }

    pub fn can_read_registry(self) -> bool {
        self.any(&[TokenScope::ReadRegistry, TokenScope::WriteRegistry, TokenScope::Api])
    }

    pub fn can_write_registry(self) -> bool {
        self.any(&[TokenScope::WriteRegistry, TokenScope::Api])
    }

    pub fn can_read_packages(self) -> bool {
        self.any(&[TokenScope::ReadPackageRegistry, TokenScope::WritePackageRegistry, TokenScope::Api])
    }

    pub fn can_write_packages(self) -> bool {
        self.any(&[TokenScope::WritePackageRegistry, TokenScope::Api])
    }

    pub fn can_use_api(self) -> bool {
        self.contains(TokenScope::Api)
    }
}

impl FromIterator<TokenScope> for TokenScopes {
    fn from_iter<I: IntoIterator<Item = TokenScope>>(iter: I) -> Self {
        iter.into_iter().fold(TokenScopes::EMPTY, TokenScopes::with)
    }
}

/// Reads a list separated by commas and/or whitespace (`read_registry,api`,
/// `read_registry write_registry`); repeats are harmless, an unknown name is
/// an error (a token never gets other scopes than were asked for). The empty
/// string is the empty set: whether that is acceptable is the caller's call.
impl FromStr for TokenScopes {
    type Err = TokenScopeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split(|c: char| c == ',' || c.is_ascii_whitespace())
            .filter(|part| !part.is_empty())
            .map(str::parse::<TokenScope>)
            .collect()
    }
}

impl fmt::Display for TokenScopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

impl fmt::Debug for TokenScopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenScopes({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TokenScope::*;

    fn set(scopes: &[TokenScope]) -> TokenScopes {
        scopes.iter().copied().collect()
    }

    #[test]
    fn names_round_trip() {
        for scope in TokenScope::ALL {
            assert_eq!(scope.as_str().parse::<TokenScope>(), Ok(scope));
            assert_eq!(scope.to_string(), scope.as_str());
        }
        for bad in ["", "READ_REGISTRY", "read-registry", "registry:read", "read_api", "sudo", " api"] {
            assert!(bad.parse::<TokenScope>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn lists_parse_and_display() {
        let table: [(&str, Result<TokenScopes, ()>, &str); 8] = [
            ("", Ok(TokenScopes::EMPTY), ""),
            ("api", Ok(set(&[Api])), "api"),
            ("write_registry,read_registry", Ok(set(&[ReadRegistry, WriteRegistry])), "read_registry,write_registry"),
            ("read_registry write_registry", Ok(set(&[ReadRegistry, WriteRegistry])), "read_registry,write_registry"),
            (
                " api, api ,,\tread_package_registry\n",
                Ok(set(&[ReadPackageRegistry, Api])),
                "read_package_registry,api",
            ),
            (
                "api,write_package_registry,read_package_registry,write_registry,read_registry",
                Ok(TokenScopes::ALL),
                "read_registry,write_registry,read_package_registry,write_package_registry,api",
            ),
            ("read_registry,admin", Err(()), ""),
            ("read_registry;api", Err(()), ""),
        ];
        for (input, want, shown) in table {
            let got = input.parse::<TokenScopes>();
            assert_eq!(got.clone().map_err(|_| ()), want, "{input:?}");
            if let Ok(scopes) = got {
                assert_eq!(scopes.to_string(), shown);
                assert_eq!(shown.parse::<TokenScopes>(), Ok(scopes), "display reads back");
            }
        }
        assert_eq!(format!("{:?}", set(&[Api])), "TokenScopes(api)");
    }

    #[test]
    fn what_each_scope_can_allow() {
        // (scopes, read registry, write registry, read packages, write packages, api)
        let table = [
            (set(&[]), [false, false, false, false, false]),
            (set(&[ReadRegistry]), [true, false, false, false, false]),
            (set(&[WriteRegistry]), [true, true, false, false, false]),
            (set(&[ReadPackageRegistry]), [false, false, true, false, false]),
            (set(&[WritePackageRegistry]), [false, false, true, true, false]),
            (set(&[Api]), [true, true, true, true, true]),
            (TokenScopes::DEPLOY_MAX, [true, false, true, false, false]),
        ];
        for (scopes, want) in table {
            let got = [
                scopes.can_read_registry(),
                scopes.can_write_registry(),
                scopes.can_read_packages(),
                scopes.can_write_packages(),
                scopes.can_use_api(),
            ];
            assert_eq!(got, want, "{scopes:?}");
        }
    }

    #[test]
    fn deploy_tokens_are_read_only_by_construction() {
        let ceiling = TokenScopes::ceiling(TokenKind::Deploy);
        assert!(!ceiling.can_write_registry() && !ceiling.can_write_packages() && !ceiling.can_use_api());
        for scope in TokenScope::ALL {
            let requested = TokenScopes::EMPTY.with(scope);
            let deploy = requested.check_for(TokenKind::Deploy);
            if matches!(scope, ReadRegistry | ReadPackageRegistry) {
                assert_eq!(deploy, Ok(()));
            } else {
                assert_eq!(deploy, Err(TokenScopeError::NotAllowed { kind: TokenKind::Deploy, scope }));
            }
            for kind in TokenKind::ALL.into_iter().filter(|k| *k != TokenKind::Deploy) {
                assert_eq!(requested.check_for(kind), Ok(()), "{kind} {scope}");
            }
        }
        let err = set(&[ReadRegistry, WriteRegistry]).check_for(TokenKind::Deploy).unwrap_err();
        assert_eq!(err.to_string(), "a deploy token cannot have the `write_registry` scope");
    }

    #[test]
    fn set_algebra() {
        let parent = set(&[ReadRegistry, WriteRegistry]);
        assert!(set(&[ReadRegistry]).is_subset_of(parent));
        assert!(TokenScopes::EMPTY.is_subset_of(parent));
        assert!(parent.is_subset_of(parent));
        assert!(!set(&[Api]).is_subset_of(parent), "a child may not widen its parent");
        assert!(!set(&[ReadRegistry, ReadPackageRegistry]).is_subset_of(parent));
        assert_eq!(parent.intersection(set(&[WriteRegistry, Api])), set(&[WriteRegistry]));
        assert!(parent.intersection(set(&[Api])).is_empty());
        assert_eq!(parent.iter().collect::<Vec<_>>(), [ReadRegistry, WriteRegistry]);
        assert_eq!(TokenScope::ALL.into_iter().collect::<TokenScopes>(), TokenScopes::ALL);
    }
}
