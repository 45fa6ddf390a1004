//! The one authorization decision: `(principal, action, resource) → allow/deny`.
//!
//! Until the access-control issue lands the server is open (and listens on
//! loopback by default), so every request is allowed; the point of this
//! module is that every protocol calls `authorize` from exactly one place.

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Anonymous,
}

/// What they want to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Pull,
    Push,
    Delete,
    /// List every repository (`/v2/_catalog`).
    Catalog,
    /// Administrative operations (`/api/v1/…`).
    Admin,
}

/// What they want to do it to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource<'a> {
    Registry,
    Repository(&'a str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny,
}

/// The policy function. Pure; table-tested.
pub fn authorize(principal: &Principal, action: Action, resource: &Resource<'_>) -> Decision {
    match (principal, action, resource) {
        (Principal::Anonymous, _, _) => Decision::Allow,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_registry_allows_everything_for_now() {
        let table = [
            (Action::Pull, Resource::Repository("a/b")),
            (Action::Push, Resource::Repository("a/b")),
            (Action::Delete, Resource::Repository("a/b")),
            (Action::Catalog, Resource::Registry),
            (Action::Admin, Resource::Registry),
        ];
        for (action, resource) in table {
            assert_eq!(authorize(&Principal::Anonymous, action, &resource), Decision::Allow);
        }
    }
}
