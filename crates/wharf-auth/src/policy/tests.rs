//! Focused tests of the rules the table (matrix.txt) only samples, and
//! properties checked over the table's whole world.

use super::matrix::{row, ROWS};
use super::*;
use Role::*;
use Visibility::*;

const API: Scopes = Scopes::of(&[Scope::Api]);
const EVERY_ROLE: [Option<Role>; 5] = [None, Some(Reader), Some(Developer), Some(Maintainer), Some(Owner)];
const EVERY_VISIBILITY: [Visibility; 3] = [Private, Internal, Public];

fn node(visibility: Visibility, role: Option<Role>) -> Node {
    Node { visibility, role }
}

fn user(token: Token<'_>) -> Caller<'_> {
    Caller::User { admin: false, token }
}

fn deny(denial: Denial) -> Decision {
    Decision::Deny(denial)
}

/// Every set of scopes.
fn every_scopes() -> impl Iterator<Item = Scopes> {
    (0u8..32)
        .map(|bits| Scopes::of(&Scope::ALL.into_iter().filter(|s| bits & (1 << *s as u8) != 0).collect::<Vec<_>>()))
}

/// The highest role a path gives, found by asking what it allows.
fn strongest(path: &[Node]) -> Option<Role> {
    let target = Target::new(Resource::Project("a/b/p"), path);
    let probes = [(Owner, Action::ChangeVisibility), (Maintainer, Action::Yank), (Developer, Action::Upload)];
    let allowed = |a| authorize(&user(Token::new(API)), a, &target) == Decision::Allow;
    probes.into_iter().find(|(_, a)| allowed(*a)).map(|(r, _)| r).or(allowed(Action::Install).then_some(Reader))
}

#[test]
fn a_role_applies_to_everything_below_and_the_highest_wins() {
    let p = |v| node(Private, v);
    let table = [
        ([Some(Developer), None, None], Some(Developer)),
        ([None, Some(Reader), None], Some(Reader)),
        ([None, None, Some(Owner)], Some(Owner)),
        ([Some(Reader), None, Some(Maintainer)], Some(Maintainer)),
        ([Some(Maintainer), None, Some(Reader)], Some(Maintainer)),
        ([Some(Owner), Some(Reader), Some(Developer)], Some(Owner)),
        ([None, None, None], None),
    ];
    for (roles, want) in table {
        assert_eq!(strongest(&roles.map(p)), want, "{roles:?}");
    }
}

/// The effective visibility, found by asking who may pull.
fn effective(path: &[Node], exists: bool) -> Visibility {
    let target = Target { resource: Resource::Repository("a/b/p"), path, exists, member_below: false };
    if authorize(&Caller::Anonymous, Action::Pull, &target) == Decision::Allow {
        Public
    } else if authorize(&user(Token::new(API)), Action::Pull, &target) == Decision::Allow {
        Internal
    } else {
        Private
    }
}

#[test]
fn visibility_is_the_lowest_on_the_path_and_missing_is_private() {
    let table: [(&[Visibility], bool, Visibility); 8] = [
        (&[Public, Public], true, Public),
        (&[Public, Private], true, Private),
        (&[Private, Public], true, Private),
        (&[Public, Internal], true, Internal),
        (&[Internal, Public], true, Internal),
        (&[Public, Internal, Public], true, Internal),
        (&[Public], false, Private),
        (&[Internal], false, Private),
    ];
    for (visibilities, exists, want) in table {
        let path: Vec<Node> = visibilities.iter().map(|v| node(*v, None)).collect();
        assert_eq!(effective(&path, exists), want, "{visibilities:?} exists={exists}");
    }
}

#[test]
fn deploy_tokens_never_write_whatever_their_scopes_or_the_path_says() {
    let parent = Token::new(API);
    for scopes in every_scopes() {
        for role in EVERY_ROLE {
            for vis in EVERY_VISIBILITY {
                for label in ROWS {
                    let (action, resource, depth, exists) = row(label);
                    if matches!(action, Action::Pull | Action::Install | Action::ViewNamespace) {
                        continue;
                    }
                    let nodes = [node(vis, role), node(vis, role)];
                    let target = Target { resource, path: &nodes[..depth], exists, member_below: true };
                    for home in ["team", "team/app", "team/new"] {
                        let token = Token::new(scopes);
                        for caller in
                            [Caller::Deploy { home, token }, Caller::Deploy { home, token: token.child_of(&parent) }]
                        {
                            let got = authorize(&caller, action, &target);
                            assert_ne!(got, Decision::Allow, "{scopes:?} {role:?} {vis:?} {label} {home}");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn child_tokens_never_exceed_their_parents() {
    let reaches: [Option<&[&str]>; 3] = [None, Some(&["team/app"]), Some(&["team/other"])];
    for parent_scopes in every_scopes() {
        for parent_reach in reaches {
            let parent = Token { scopes: parent_scopes, reach: parent_reach, parent: None };
            for child_reach in reaches {
                let child = Token { scopes: Scopes::of(&Scope::ALL), reach: child_reach, parent: Some(&parent) };
                for (role, vis, label) in world() {
                    let (action, resource, depth, exists) = row(label);
                    let nodes = [node(vis, role), node(vis, None)];
                    let target = Target { resource, path: &nodes[..depth], exists, member_below: false };
                    if authorize(&user(child), action, &target) == Decision::Allow {
                        let alone = authorize(&user(parent), action, &target);
                        assert_eq!(alone, Decision::Allow, "{parent:?} {child_reach:?} {role:?} {vis:?} {label}");
                    }
                }
            }
        }
    }
    // A child asking for more than its parent has gets only what the parent has.
    let parent = Token::new(Scopes::of(&[Scope::ReadRegistry]));
    let child = Token::new(API).child_of(&parent);
    let nodes = [node(Private, Some(Owner))];
    let repo = Target::new(Resource::Repository("team/app"), &nodes);
    assert_eq!(authorize(&user(child), Action::Pull, &repo), Decision::Allow);
    assert_eq!(
        authorize(&user(child), Action::Push, &repo),
        deny(Denial::InsufficientScope { needed: Scope::WriteRegistry })
    );
}

/// Every role and visibility with every row of the table.
fn world() -> impl Iterator<Item = (Option<Role>, Visibility, &'static str)> {
    EVERY_ROLE.into_iter().flat_map(|r| EVERY_VISIBILITY.into_iter().flat_map(move |v| ROWS.map(|l| (r, v, l))))
}

#[test]
fn hidden_and_missing_look_alike_and_forbidden_means_visible() {
    let other: &[&str] = &["elsewhere"];
    let grants = [Grant { subtree: "elsewhere", role: Developer }];
    let token = Token::new(Scopes::of(&Scope::ALL));
    let strangers = [
        user(token),
        Caller::Bot { token },
        Caller::Deploy { home: "elsewhere", token },
        Caller::Federated { grants: &grants, token },
        user(token.confined_to(other)),
    ];
    let cases = [(Private, Private), (Public, Private), (Internal, Private)];
    for caller in strangers {
        for (group, project) in cases {
            // The project is private, so the strangers must not learn whether it exists.
            let existing = [node(group, None), node(project, None)];
            for label in ROWS {
                let (action, resource, _, _) = row(label);
                if resource.path().is_none() {
                    continue;
                }
                let hidden = authorize(&caller, action, &Target::new(resource, &existing));
                let missing = authorize(&caller, action, &Target::missing(resource, &existing[..1]));
                assert_eq!(hidden, missing, "{caller:?} {label} {group:?}/{project:?}");
                assert_eq!(hidden, deny(Denial::NotFound), "{caller:?} {label} {group:?}/{project:?}");
            }
        }
    }
    // Seen but not allowed: forbidden, not hidden.
    let public = [node(Public, None), node(Public, None)];
    let repo = Target::new(Resource::Repository("team/app/web"), &public);
    assert_eq!(authorize(&user(token), Action::Push, &repo), deny(Denial::Forbidden));
    let internal = [node(Internal, None), node(Internal, None)];
    let repo = Target::new(Resource::Repository("team/app/web"), &internal);
    assert_eq!(authorize(&user(token), Action::Push, &repo), deny(Denial::Forbidden));
    let deploy = Caller::Deploy { home: "elsewhere", token };
    assert_eq!(authorize(&deploy, Action::Pull, &repo), deny(Denial::NotFound));
}

#[test]
fn anonymous_callers_are_challenged_or_read_what_is_public() {
    for (role, vis, label) in world() {
        let (action, resource, depth, exists) = row(label);
        let nodes = [node(vis, role), node(vis, role)];
        for member_below in [false, true] {
            let target = Target { resource, path: &nodes[..depth], exists, member_below };
            let public_read = vis == Public && exists && matches!(label, "pull" | "install" | "install-group" | "view");
            let want = if public_read { Decision::Allow } else { deny(Denial::Unauthenticated) };
            assert_eq!(authorize(&Caller::Anonymous, action, &target), want, "{role:?} {vis:?} {label}");
        }
    }
}

#[test]
fn more_scope_role_or_visibility_never_takes_a_right_away() {
    let allowed = |scopes: Scopes, role: Option<Role>, vis: Visibility, label: &str| {
        let (action, resource, depth, exists) = row(label);
        let nodes = [node(vis, role), node(vis, None)];
        let target = Target { resource, path: &nodes[..depth], exists, member_below: false };
        authorize(&user(Token::new(scopes)), action, &target) == Decision::Allow
    };
    let scopes: Vec<Scopes> = every_scopes().collect();
    for (role, vis, label) in world() {
        for &less in &scopes {
            for &more in scopes.iter().filter(|m| m.contains_all(less)) {
                assert!(
                    !allowed(less, role, vis, label) || allowed(more, role, vis, label),
                    "{label} {less:?}⊂{more:?}"
                );
            }
            for higher in EVERY_ROLE.into_iter().filter(|r| *r > role) {
                assert!(!allowed(less, role, vis, label) || allowed(less, higher, vis, label), "{label} {role:?}");
            }
            for wider in EVERY_VISIBILITY.into_iter().filter(|v| *v > vis) {
                assert!(!allowed(less, role, vis, label) || allowed(less, role, wider, label), "{label} {vis:?}");
            }
        }
    }
}

#[test]
fn workload_grants_cover_subtrees_up_to_developer() {
    let token = Token::new(Scopes::of(&[Scope::ReadRegistry, Scope::WriteRegistry]));
    let private = [node(Private, None), node(Private, None), node(Private, None)];
    let decide = |grants: &[Grant<'_>], action, repo| {
        authorize(&Caller::Federated { grants, token }, action, &Target::new(Resource::Repository(repo), &private))
    };
    let payments = [Grant { subtree: "payments", role: Reader }];
    assert_eq!(decide(&payments, Action::Pull, "payments/ledger/api"), Decision::Allow);
    assert_eq!(decide(&payments, Action::Push, "payments/ledger/api"), deny(Denial::Forbidden));
    assert_eq!(decide(&payments, Action::Pull, "paymentsx/ledger"), deny(Denial::NotFound));
    let both = [Grant { subtree: "team", role: Reader }, Grant { subtree: "team/app", role: Developer }];
    assert_eq!(decide(&both, Action::Push, "team/app/web"), Decision::Allow);
    assert_eq!(decide(&both, Action::Push, "team/application"), deny(Denial::Forbidden));
    // A grant naming a project that does not exist creates nothing.
    let nodes = [node(Private, None)];
    let new = Target::missing(Resource::Repository("team/new/web"), &nodes);
    let grants = [Grant { subtree: "team/new", role: Developer }];
    let got = authorize(&Caller::Federated { grants: &grants, token }, Action::Push, &new);
    assert_eq!(got, deny(Denial::NotFound));
    let owner = [Grant { subtree: "team/app", role: Owner }];
    assert_eq!(decide(&owner, Action::Push, "team/app"), Decision::Allow);
    assert_eq!(decide(&owner, Action::DeleteImage, "team/app"), deny(Denial::Forbidden));
}

#[test]
fn members_and_tokens_are_managed_up_to_ones_own_role() {
    let path = |role| [node(Private, Some(role))];
    let cases = [
        (Maintainer, Developer, true),
        (Maintainer, Maintainer, true),
        (Maintainer, Owner, false),
        (Developer, Reader, false),
        (Owner, Owner, true),
    ];
    for (mine, theirs, want) in cases {
        let nodes = path(mine);
        let target = Target::new(Resource::Project("team"), &nodes);
        for action in [Action::ManageMember { role: theirs }, Action::ManageTokens { role: theirs }] {
            let got = authorize(&user(Token::new(API)), action, &target) == Decision::Allow;
            assert_eq!(got, want, "{mine:?} {action:?}");
        }
    }
}

#[test]
fn reach_is_by_path_segment() {
    assert!(within("team/app", "team/app"));
    assert!(within("team/app/web", "team/app"));
    assert!(!within("team/application", "team/app"));
    assert!(!within("team", "team/app"));
    assert!(!within("team", ""));
}

#[test]
fn each_denial_has_one_answer_per_protocol() {
    let scope = Denial::InsufficientScope { needed: Scope::WriteRegistry };
    let table = [
        (Denial::Unauthenticated, [401, 401, 401]),
        (scope, [401, 403, 403]),
        (Denial::Forbidden, [403, 403, 403]),
        (Denial::NotFound, [404, 404, 404]),
    ];
    for (denial, statuses) in table {
        let got = [Protocol::Oci, Protocol::Pypi, Protocol::Api].map(|p| denial.status(p));
        assert_eq!(got, statuses, "{denial:?}");
    }
}

#[test]
fn instance_actions_need_an_admin_with_an_unconfined_api_token() {
    let api = Token::new(API);
    let admin = Caller::User { admin: true, token: api };
    assert_eq!(authorize(&admin, Action::Admin, &Target::INSTANCE), Decision::Allow);
    assert_eq!(authorize(&user(api), Action::Admin, &Target::INSTANCE), deny(Denial::Forbidden));
    assert_eq!(authorize(&user(api), Action::ManageOwnTokens, &Target::INSTANCE), Decision::Allow);
    let confined = Caller::User { admin: true, token: api.confined_to(&["team"]) };
    let needed = Scope::Api;
    assert_eq!(authorize(&confined, Action::Admin, &Target::INSTANCE), deny(Denial::InsufficientScope { needed }));
}
