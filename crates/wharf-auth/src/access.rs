//! The docker token service's scopes and the access list a bearer JWT carries.
//!
//! Grammar (distribution `docs/spec/auth/scope.md`):
//! `resourcetype[(class)] ":" resourcename ":" action ("," action)*`. A name
//! may itself contain `:` (`host:5000/ns/repo`), so the type ends at the first
//! colon and the actions start after the last one. Following distribution and
//! the clients (auth.md §1):
//!
//! - `repository:<name>:<actions>` with actions `pull`, `push`, `delete` and `*`
//!   (all three), in any order; unknown actions are dropped;
//! - `registry:catalog:*` for `/v2/_catalog`;
//! - the deprecated `(class)` suffix of the type is ignored;
//! - an unknown resource type, a name outside the OCI grammar
//!   ([`wharf_core::RepoName`]) or an entry with no known action is dropped,
//!   never an error: a token request grants the intersection of what was asked
//!   and what is allowed, and an empty grant is still a grant;
//! - `scope` may repeat (GET) or hold a space-separated list (POST); the same
//!   repository asked twice merges. Only the limits are errors (HTTP 400):
//!   [`MAX_SCOPES`] entries, [`MAX_SCOPE_LEN`] bytes per entry,
//!   [`MAX_QUERY_LEN`] bytes in all.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use wharf_core::RepoName;

/// Most scope entries in one token request (and access entries in one JWT).
pub const MAX_SCOPES: usize = 32;
/// Longest scope entry: a 255-byte name plus its type and actions fit.
pub const MAX_SCOPE_LEN: usize = 512;
/// Most bytes of scope text in one request; the HTTP layer should cap the
/// whole query string or form body at the same figure.
pub const MAX_QUERY_LEN: usize = 8 * 1024;

/// A set of repository actions.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Actions(u8);

impl Actions {
    pub const EMPTY: Actions = Actions(0);
    pub const PULL: Actions = Actions(1);
    pub const PUSH: Actions = Actions(2);
    pub const DELETE: Actions = Actions(4);
    pub const ALL: Actions = Actions(7);
    /// By name, in the order they are written (alphabetical, as buildkit sorts).
    const NAMED: [(&'static str, Actions); 3] = [("delete", Self::DELETE), ("pull", Self::PULL), ("push", Self::PUSH)];

    /// Whether every action of `needed` is here (a push needs `PULL | PUSH`).
    pub const fn contains(self, needed: Actions) -> bool {
        self.0 & needed.0 == needed.0
    }

    #[must_use]
    pub const fn union(self, other: Actions) -> Actions {
        Actions(self.0 | other.0)
    }

    #[must_use]
    pub const fn intersection(self, other: Actions) -> Actions {
        Actions(self.0 & other.0)
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The action names, alphabetically.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMED.into_iter().filter(move |(_, a)| self.contains(*a)).map(|(name, _)| name)
    }

    /// Reads a comma-separated action list; `*` is every action; unknown
    /// names are dropped.
    fn parse_lenient(list: &str) -> Actions {
        list.split(',').fold(Actions::EMPTY, |acc, name| match name {
            "*" => Actions::ALL,
            _ => acc.union(Self::named(name).unwrap_or(Actions::EMPTY)),
        })
    }

    fn named(name: &str) -> Option<Actions> {
        Self::NAMED.into_iter().find(|(n, _)| *n == name).map(|(_, a)| a)
    }
}

impl fmt::Display for Actions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().collect::<Vec<_>>().join(","))
    }
}

impl fmt::Debug for Actions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Actions({self})")
    }
}

/// One requested or granted entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    Repository {
        name: RepoName,
        actions: Actions,
    },
    /// `registry:catalog:*`.
    Catalog,
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Access::Repository { name, actions } => write!(f, "repository:{name}:{actions}"),
            Access::Catalog => f.write_str("registry:catalog:*"),
        }
    }
}

/// Why one scope entry was dropped from a request (for debug logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ignored {
    /// Not `type:name:actions`.
    Malformed,
    /// A resource type other than `repository` and `registry`.
    UnknownType,
    /// `registry:<anything but catalog>`.
    UnknownResource,
    /// A repository name outside the OCI grammar.
    InvalidName,
    /// No action this registry knows (for the catalog: not `*`).
    NoKnownAction,
}

/// Splits on the first and the last colon: `(type, name, actions)`.
fn split_scope(s: &str) -> Option<(&str, &str, &str)> {
    let (kind, rest) = s.split_once(':')?;
    let (name, actions) = rest.rsplit_once(':')?;
    Some((kind, name, actions))
}

/// Parses one scope entry.
pub fn parse_scope(s: &str) -> Result<Access, Ignored> {
    let (kind, name, actions) = split_scope(s).ok_or(Ignored::Malformed)?;
    // `repository(plugin)`: the class is deprecated and ignored.
    let kind = match kind.split_once('(') {
        Some((base, class)) if class.ends_with(')') => base,
        _ => kind,
    };
    match kind {
        "repository" => {
            let name: RepoName = name.parse().map_err(|_| Ignored::InvalidName)?;
            let actions = Actions::parse_lenient(actions);
            if actions.is_empty() {
                return Err(Ignored::NoKnownAction);
            }
            Ok(Access::Repository { name, actions })
        }
        "registry" if name != "catalog" => Err(Ignored::UnknownResource),
        "registry" if actions.split(',').any(|a| a == "*") => Ok(Access::Catalog),
        "registry" => Err(Ignored::NoKnownAction),
        _ => Err(Ignored::UnknownType),
    }
}

/// A request over the limits: answer 400.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("too many scopes (at most {MAX_SCOPES})")]
    TooMany,
    #[error("scope too long (at most {MAX_SCOPE_LEN} bytes each, {MAX_QUERY_LEN} in all)")]
    TooLong,
}

/// What a token request asked for, merged, plus what was dropped and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeRequest {
    pub access: AccessList,
    pub ignored: Vec<(String, Ignored)>,
}

impl ScopeRequest {
    /// Parses every `scope` value of a request: GET repeats the parameter,
    /// POST sends one value with entries separated by spaces; empty values
    /// (`docker login` asks with none) are skipped.
    pub fn parse<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<ScopeRequest, ScopeError> {
        let mut request = ScopeRequest::default();
        let (mut count, mut total) = (0usize, 0usize);
        for value in values {
            total += value.len();
            if total > MAX_QUERY_LEN {
                return Err(ScopeError::TooLong);
            }
            for entry in value.split(' ').filter(|e| !e.is_empty()) {
                count += 1;
                if count > MAX_SCOPES {
                    return Err(ScopeError::TooMany);
                }
                if entry.len() > MAX_SCOPE_LEN {
                    return Err(ScopeError::TooLong);
                }
                match parse_scope(entry) {
                    Ok(access) => request.access.insert(access),
                    Err(why) => request.ignored.push((entry.to_string(), why)),
                }
            }
        }
        Ok(request)
    }
}

/// Access to repositories (merged per name, sorted) and to the catalog: what a
/// token request asks for, what is granted, what a bearer JWT carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessList {
    repositories: BTreeMap<RepoName, Actions>,
    catalog: bool,
}

impl AccessList {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an entry, merging actions with what is already there.
    pub fn insert(&mut self, access: Access) {
        match access {
            Access::Repository { name, actions } if !actions.is_empty() => {
                let merged = self.repositories.entry(name).or_default();
                *merged = merged.union(actions);
            }
            Access::Repository { .. } => {}
            Access::Catalog => self.catalog = true,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.repositories.is_empty() && !self.catalog
    }

    pub fn len(&self) -> usize {
        self.repositories.len() + usize::from(self.catalog)
    }

    /// The actions held on `name` (empty if none).
    pub fn actions_for(&self, name: &RepoName) -> Actions {
        self.repositories.get(name).copied().unwrap_or_default()
    }

    /// Whether every action of `needed` is held on `name`.
    pub fn allows(&self, name: &RepoName, needed: Actions) -> bool {
        !needed.is_empty() && self.actions_for(name).contains(needed)
    }

    pub fn allows_catalog(&self) -> bool {
        self.catalog
    }

    /// The grant: per repository, the requested actions intersected with
    /// `allowed(name)`; the catalog only if requested and `catalog_allowed`.
    /// Entries left with no action are dropped.
    pub fn grant(&self, mut allowed: impl FnMut(&RepoName) -> Actions, catalog_allowed: bool) -> AccessList {
        let repositories = self
            .repositories
            .iter()
            .map(|(name, asked)| (name.clone(), asked.intersection(allowed(name))))
            .filter(|(_, actions)| !actions.is_empty())
            .collect();
        AccessList { repositories, catalog: self.catalog && catalog_allowed }
    }

    pub fn iter(&self) -> impl Iterator<Item = Access> + '_ {
        let repos = self.repositories.iter().map(|(name, &actions)| Access::Repository { name: name.clone(), actions });
        repos.chain(self.catalog.then_some(Access::Catalog))
    }

    /// Space-separated scope text: the OAuth2 `scope` response field and the
    /// `scope` of a `WWW-Authenticate` challenge.
    pub fn to_scope_string(&self) -> String {
        self.iter().map(|access| access.to_string()).collect::<Vec<_>>().join(" ")
    }
}

/// The JWT `access` claim entry (distribution's `ResourceActions`), written.
#[derive(Serialize)]
struct Entry<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    name: &'a str,
    actions: Vec<&'a str>,
}

/// The same, read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryIn {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    actions: Vec<String>,
}

impl Serialize for AccessList {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let repos = self.repositories.iter().map(|(name, a)| Entry {
            kind: "repository",
            name: name.as_str(),
            actions: a.names().collect(),
        });
        let catalog = self.catalog.then(|| Entry { kind: "registry", name: "catalog", actions: vec!["*"] });
        serializer.collect_seq(repos.chain(catalog))
    }
}

/// Strict: the claim is only ever written by [`Serialize`] above, so anything
/// else (an unknown type or action, `*` on a repository, an invalid name, an
/// empty action list, more than [`MAX_SCOPES`] entries) is refused.
impl<'de> Deserialize<'de> for AccessList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let entries = Vec::<EntryIn>::deserialize(deserializer)?;
        if entries.len() > MAX_SCOPES {
            return Err(D::Error::custom("too many access entries"));
        }
        let mut list = AccessList::new();
        for entry in &entries {
            let actions: Vec<&str> = entry.actions.iter().map(String::as_str).collect();
            match (entry.kind.as_str(), entry.name.as_str(), actions.as_slice()) {
                ("registry", "catalog", ["*"]) => list.insert(Access::Catalog),
                ("repository", name, actions) if !actions.is_empty() => {
                    let name = name.parse().map_err(|_| D::Error::custom("invalid repository name"))?;
                    let actions = actions.iter().try_fold(Actions::EMPTY, |acc, a| {
                        Actions::named(a).map(|a| acc.union(a)).ok_or_else(|| D::Error::custom("unknown action"))
                    })?;
                    list.insert(Access::Repository { name, actions });
                }
                _ => return Err(D::Error::custom("unknown access entry")),
            }
        }
        Ok(list)
    }
}

#[cfg(test)]
mod tests;
