//! The one authorization decision: `(caller, action, target) → Decision`.
//!
//! Pure: no IO, no async, no clock. Everything arrives resolved: the
//! authentication layer says who the caller is and what its credential allows
//! ([`Caller`], [`Token`]); the metadata layer says which groups and projects
//! lie on the resource's path, how visible each is and which role the caller
//! holds on each ([`Target`], [`Node`]). A denial says why and how to retry, so
//! each protocol answers 401, 403 or 404 without deciding again ([`Denial`]).
//!
//! The model (issue 8): nested groups contain projects; a project owns the
//! container repositories below its path and its package index. Roles are
//! inherited downwards and the highest on the path wins; the effective
//! visibility is the lowest on the path. What a caller may do is
//! scope ∩ role ∩ visibility ∩ the token's reach, except that reading what is
//! public never needs a credential, so presenting one never loses anything.
//!
//! How requests map (the protocols call this; nothing here sees HTTP):
//!
//! | request | action | resource |
//! |---|---|---|
//! | OCI `GET`/`HEAD` manifest, blob, tags list, referrers | `Pull` | `Repository` |
//! | OCI upload `POST`/`PATCH`/`PUT`/`GET`/`DELETE`, manifest `PUT` | `Push` | `Repository` |
//! | OCI mount: `from` | `Pull` (refused ⇒ a plain upload, not an error) | `Repository` |
//! | OCI `DELETE` manifest (by digest or tag), blob | `DeleteImage` | `Repository` |
//! | OCI `/v2/_catalog`; a mount without `from` | `Catalog` | `Instance` |
//! | API tag/promote: source, target | `Pull`, `Promote` | `Repository` |
//! | PyPI project index, pages, files, metadata | `Install` | `Project` |
//! | PyPI group index (then `Install` per project, to filter) | `Install` | `Group` |
//! | PyPI upload (to a new project: its parent's roles decide) | `Upload` | `Project` |
//! | API yank/unyank, delete a package file | `Yank`, `DeletePackageFile` | `Project` |
//! | API namespaces, members, tokens, visibility | see [`Action`] | `Group`/`Project` |
//! | API users, audit log, instance settings | `Admin` | `Instance` |
//!
//! `GET /v2/` is answered by authentication alone (anonymous ⇒ challenge).

mod credential;
mod decision;

pub use credential::{Scope, Scopes, Token};
pub use decision::{Decision, Denial, Protocol};

use credential::within;

/// A member's role on a group or project. Inherited downwards; the higher wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Pull images, install packages.
    Reader,
    /// Also push images, upload packages, create projects in the group.
    Developer,
    /// Also delete images and package files, yank, promote tags, manage
    /// tokens and members below owner, create subgroups.
    Maintainer,
    /// Also change visibility, delete, manage owners.
    Owner,
}

/// Who may read a group or project without a role on it. Ordered from least
/// to most visible; the effective visibility is the minimum along the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Visibility {
    /// Members only (the default).
    Private,
    /// Any signed-in account: users and access-token bots, not deploy tokens
    /// or workload identities, which reach only what they were given.
    Internal,
    /// Anyone, anonymous included (pull and install).
    Public,
}

/// A role that a workload identity's matched rules give on a subtree
/// (identity-federation.md §7: `grant = [{ resource = "team/app", role = … }]`;
/// `payments/*` arrives here as the subtree `payments`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant<'a> {
    pub subtree: &'a str,
    pub role: Role,
}

/// Who is asking, after authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller<'a> {
    /// No credential.
    Anonymous,
    /// A user, through a personal access token (or a UI session: a token
    /// with `api`), or a child token of one. Roles come from [`Node::role`].
    User { admin: bool, token: Token<'a> },
    /// The bot member behind a project or group access token; its role is
    /// its membership, in [`Node::role`] like a user's.
    Bot { token: Token<'a> },
    /// A deploy token of the group or project at `home`: a reader there and
    /// nothing more, by construction (roles in the path are ignored).
    Deploy { home: &'a str, token: Token<'a> },
    /// A workload identity (issue 9): the roles its matched rules grant,
    /// at most developer. Roles in the path are ignored.
    Federated { grants: &'a [Grant<'a>], token: Token<'a> },
}

/// What the caller wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read images: manifests, blobs, tags, referrers.
    Pull,
    /// Write images (and create the project on a first push).
    Push,
    /// Delete a manifest, a tag or a blob.
    DeleteImage,
    /// Tag an existing manifest through the API (the source needs `Pull`).
    Promote,
    /// List every repository.
    Catalog,
    /// Read a package index, its pages and files.
    Install,
    /// Upload a package file (and create the project on a first upload).
    Upload,
    /// Yank or unyank a release or file.
    Yank,
    DeletePackageFile,
    /// See a group or project and its members through the API.
    ViewNamespace,
    /// Create a project explicitly; the resource is the new project.
    CreateProject,
    /// Create a group; the resource is the new group (top level: admin only).
    CreateGroup,
    /// Add, change or remove a member whose role, before or after, is at
    /// most `role` (owners are touched only by owners).
    ManageMember {
        role: Role,
    },
    /// Create, rotate or revoke project/group access tokens with a role of
    /// at most `role`, and deploy tokens (`role: Reader`).
    ManageTokens {
        role: Role,
    },
    ChangeVisibility,
    /// Delete a project or group.
    DeleteNamespace,
    /// Create, list, rotate, revoke one's own personal access tokens.
    ManageOwnTokens,
    /// Users, the audit log, instance settings.
    Admin,
}

/// What the action is done to. A PyPI namespace (`/pypi/<ns>/`) is the
/// project or group it names; an upload to a namespace that does not exist
/// yet is to a (missing) project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource<'a> {
    /// The instance itself.
    Instance,
    /// A group (its package index is the group index).
    Group(&'a str),
    /// A project: its package index, settings and members.
    Project(&'a str),
    /// A container repository, owned by the project at the end of the path.
    Repository(&'a str),
}

impl<'a> Resource<'a> {
    pub fn path(&self) -> Option<&'a str> {
        match *self {
            Resource::Instance => None,
            Resource::Group(p) | Resource::Project(p) | Resource::Repository(p) => Some(p),
        }
    }
}

/// A group or project on the resource's path, as the metadata layer found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    pub visibility: Visibility,
    /// The caller's own membership here (users and bots; `None` otherwise).
    pub role: Option<Role>,
}

/// The resource and what the metadata layer knows about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<'a> {
    pub resource: Resource<'a>,
    /// The groups and projects on the resource's path that exist, top-level
    /// group first, ending with the resource's own group or project (the
    /// project owning a repository) when that exists.
    pub path: &'a [Node],
    /// Whether the resource's own group or project exists. A missing one
    /// counts as private, so that it answers like a hidden one.
    pub exists: bool,
    /// The caller is a member of something below this group, so it may see
    /// the group (a group index then lists only what the caller may read).
    pub member_below: bool,
}

impl Target<'static> {
    pub const INSTANCE: Target<'static> =
        Target { resource: Resource::Instance, path: &[], exists: true, member_below: false };
}

impl<'a> Target<'a> {
    /// An existing resource with its path.
    pub const fn new(resource: Resource<'a>, path: &'a [Node]) -> Target<'a> {
        Target { resource, path, exists: true, member_below: false }
    }

    /// A resource whose group or project does not exist; `path` holds its
    /// existing ancestors.
    pub const fn missing(resource: Resource<'a>, path: &'a [Node]) -> Target<'a> {
        Target { resource, path, exists: false, member_below: false }
    }

    pub const fn with_member_below(self) -> Target<'a> {
        Target { member_below: true, ..self }
    }

    /// The lowest visibility on the path; private when anything is missing.
    pub fn visibility(&self) -> Visibility {
        match self.path.iter().map(|n| n.visibility).min() {
            Some(v) if self.exists && self.resource != Resource::Instance => v,
            _ => Visibility::Private,
        }
    }

    /// The highest role on the path.
    fn role(&self) -> Option<Role> {
        self.path.iter().filter_map(|n| n.role).max()
    }
}

/// What an action needs from the caller's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    /// Seeing the resource.
    Read,
    Role(Role),
    /// A user account (not a bot, a deploy token or a workload).
    Account,
    Admin,
}

impl Action {
    /// The scope a token needs for this action.
    pub fn scope(self) -> Scope {
        use Action::*;
        match self {
            Pull | Catalog => Scope::ReadRegistry,
            Push | DeleteImage | Promote => Scope::WriteRegistry,
            Install => Scope::ReadPackageRegistry,
            Upload | Yank | DeletePackageFile => Scope::WritePackageRegistry,
            ViewNamespace
            | CreateProject
            | CreateGroup
            | ManageMember { .. }
            | ManageTokens { .. }
            | ChangeVisibility
            | DeleteNamespace
            | ManageOwnTokens
            | Admin => Scope::Api,
        }
    }

    fn level(self) -> Level {
        use Action::*;
        match self {
            Pull | Install | ViewNamespace => Level::Read,
            Push | Upload | CreateProject => Level::Role(Role::Developer),
            DeleteImage | Promote | Yank | DeletePackageFile | CreateGroup => Level::Role(Role::Maintainer),
            ManageMember { role } | ManageTokens { role } => Level::Role(role.max(Role::Maintainer)),
            ChangeVisibility | DeleteNamespace => Level::Role(Role::Owner),
            ManageOwnTokens => Level::Account,
            Catalog | Admin => Level::Admin,
        }
    }
}

/// The policy function.
pub fn authorize(caller: &Caller<'_>, action: Action, target: &Target<'_>) -> Decision {
    let level = action.level();
    let path = target.resource.path();
    // Reading what is public never needs a credential, whatever one says.
    if level == Level::Read && target.visibility() == Visibility::Public {
        return Decision::Allow;
    }
    let (token, standing) = match *caller {
        Caller::Anonymous => return Decision::Deny(Denial::Unauthenticated),
        Caller::User { admin, token } => (token, Standing::account(admin, target)),
        Caller::Bot { token } => (token, Standing { bot: true, ..Standing::account(false, target) }),
        Caller::Deploy { home, token } => {
            (token, Standing::given(&[Grant { subtree: home, role: Role::Reader }], target))
        }
        Caller::Federated { grants, token } => (token, Standing::given(grants, target).capped(Role::Developer)),
    };
    let visible = standing.admin
        || standing.role.is_some()
        || standing.below
        || path.is_none()
        || match target.visibility() {
            Visibility::Public => true,
            Visibility::Internal => standing.account,
            Visibility::Private => false,
        };
    let permitted = match level {
        Level::Read => visible,
        Level::Role(needed) => standing.admin || standing.role.is_some_and(|r| r >= needed),
        Level::Account => standing.account && !standing.bot,
        Level::Admin => standing.admin,
    };
    if !permitted {
        return Decision::Deny(if visible { Denial::Forbidden } else { Denial::NotFound });
    }
    let needed = action.scope();
    if !token.allows(needed, path) {
        return Decision::Deny(Denial::InsufficientScope { needed });
    }
    Decision::Allow
}

/// What the caller's identity (not its token) may do on the target.
struct Standing {
    admin: bool,
    /// A user or bot account (sees internal namespaces).
    account: bool,
    bot: bool,
    role: Option<Role>,
    /// A member (or grantee) of something below the resource.
    below: bool,
}

impl Standing {
    fn account(admin: bool, target: &Target<'_>) -> Standing {
        Standing { admin, account: true, bot: false, role: target.role(), below: target.member_below }
    }

    /// Roles that come with the credential, by subtree, not from the path.
    /// They never create: a rule or deploy token naming a project that is
    /// gone (or never was) gives nothing there.
    fn given(grants: &[Grant<'_>], target: &Target<'_>) -> Standing {
        let none = Standing { admin: false, account: false, bot: false, role: None, below: false };
        let Some(path) = target.resource.path().filter(|_| target.exists) else { return none };
        let role = grants.iter().filter(|g| within(path, g.subtree)).map(|g| g.role).max();
        let below = grants.iter().any(|g| g.subtree != path && within(g.subtree, path));
        Standing { role, below, ..none }
    }

    fn capped(self, ceiling: Role) -> Standing {
        Standing { role: self.role.map(|r| r.min(ceiling)), ..self }
    }
}

#[cfg(test)]
mod matrix;

#[cfg(test)]
mod tests;
