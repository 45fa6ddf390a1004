//! What a verified credential carries into the policy: its scopes, the paths
//! it is confined to, and the token it was minted from.

/// A token scope, by GitLab's names so that migrated tokens map 1:1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    ReadRegistry,
    WriteRegistry,
    ReadPackageRegistry,
    WritePackageRegistry,
    Api,
}

impl Scope {
    pub const ALL: [Scope; 5] = [
        Scope::ReadRegistry,
        Scope::WriteRegistry,
        Scope::ReadPackageRegistry,
        Scope::WritePackageRegistry,
        Scope::Api,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ReadRegistry => "read_registry",
            Scope::WriteRegistry => "write_registry",
            Scope::ReadPackageRegistry => "read_package_registry",
            Scope::WritePackageRegistry => "write_package_registry",
            Scope::Api => "api",
        }
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of scopes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Scopes(u8);

impl Scopes {
    pub const NONE: Scopes = Scopes(0);

    pub const fn of(list: &[Scope]) -> Scopes {
        let mut bits = 0;
        let mut i = 0;
        while i < list.len() {
            bits |= list[i].bit();
            i += 1;
        }
        Scopes(bits)
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// Whether every scope of `other` is here too (what a child may ask for).
    pub fn contains_all(self, other: Scopes) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether these scopes allow what `needed` allows: `api` allows
    /// everything (as in GitLab: it includes both registries). A write scope
    /// does not imply the matching read: GitLab asks for `read_registry` and
    /// `write_registry` to push, so a migrated token does here what it did there.
    pub fn allow(self, needed: Scope) -> bool {
        self.contains(needed) || self.contains(Scope::Api)
    }
}

impl std::fmt::Debug for Scopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(Scope::ALL.iter().filter(|s| self.contains(**s)).map(|s| s.as_str())).finish()
    }
}

/// What a verified credential allows, whoever holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    pub scopes: Scopes,
    /// The paths (groups, projects, repositories; each with everything below
    /// it) the token is confined to; `None`: wherever its holder reaches.
    /// Instance-wide actions need an unconfined token.
    pub reach: Option<&'a [&'a str]>,
    /// The token a short-lived child token was minted from. The child never
    /// does more than its parent: both are checked, whatever minting allowed.
    pub parent: Option<&'a Token<'a>>,
}

impl<'a> Token<'a> {
    pub const fn new(scopes: Scopes) -> Token<'a> {
        Token { scopes, reach: None, parent: None }
    }

    pub const fn confined_to(self, reach: &'a [&'a str]) -> Token<'a> {
        Token { reach: Some(reach), ..self }
    }

    pub const fn child_of(self, parent: &'a Token<'a>) -> Token<'a> {
        Token { parent: Some(parent), ..self }
    }

    pub(super) fn allows(&self, needed: Scope, path: Option<&str>) -> bool {
        let reaches = match (self.reach, path) {
            (None, _) => true,
            (Some(roots), Some(path)) => roots.iter().any(|root| within(path, root)),
            (Some(_), None) => false,
        };
        self.scopes.allow(needed) && reaches && self.parent.is_none_or(|p| p.allows(needed, path))
    }
}

/// Whether `path` is `root` or lies below it (`team/app` is not below `team/ap`).
pub(super) fn within(path: &str, root: &str) -> bool {
    path.strip_prefix(root).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}
