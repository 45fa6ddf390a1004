//! The expectation table (`matrix.txt`): every action × role × caller/token
//! kind × scope × visibility, written by hand, checked cell by cell.

use super::*;

const TABLE: &str = include_str!("matrix.txt");

const G: &str = "team";
const P: &str = "team/app";

/// Each row's action and target: resource, how many of [G, P] exist on its
/// path, and whether the resource's own group or project exists.
pub(super) fn row(label: &str) -> (Action, Resource<'static>, usize, bool) {
    use Action::*;
    let repo = Resource::Repository("team/app/web");
    let project = Resource::Project(P);
    match label {
        "pull" => (Pull, repo, 2, true),
        "push" => (Push, repo, 2, true),
        "push-new" => (Push, Resource::Repository("team/new/web"), 1, false),
        "delete-image" => (DeleteImage, repo, 2, true),
        "promote" => (Promote, repo, 2, true),
        "catalog" => (Catalog, Resource::Instance, 0, true),
        "install" => (Install, project, 2, true),
        "install-group" => (Install, Resource::Group(G), 1, true),
        "upload" => (Upload, project, 2, true),
        "upload-new" => (Upload, Resource::Project("team/new"), 1, false),
        "yank" => (Yank, project, 2, true),
        "delete-file" => (DeletePackageFile, project, 2, true),
        "view" => (ViewNamespace, project, 2, true),
        "create-project" => (CreateProject, Resource::Project("team/new"), 1, false),
        "create-group" => (CreateGroup, Resource::Group("team/sub"), 1, false),
        "members" => (ManageMember { role: Role::Maintainer }, project, 2, true),
        "members-owner" => (ManageMember { role: Role::Owner }, project, 2, true),
        "tokens" => (ManageTokens { role: Role::Developer }, project, 2, true),
        "visibility" => (ChangeVisibility, project, 2, true),
        "delete" => (DeleteNamespace, project, 2, true),
        "own-tokens" => (ManageOwnTokens, Resource::Instance, 0, true),
        "admin" => (Admin, Resource::Instance, 0, true),
        other => panic!("unknown row {other:?}"),
    }
}

/// Exhaustive, so that adding an action means coming here, to give it rows
/// in matrix.txt (each row's label starts with its action's).
fn label(action: Action) -> &'static str {
    use Action::*;
    match action {
        Pull => "pull",
        Push => "push",
        DeleteImage => "delete-image",
        Promote => "promote",
        Catalog => "catalog",
        Install => "install",
        Upload => "upload",
        Yank => "yank",
        DeletePackageFile => "delete-file",
        ViewNamespace => "view",
        CreateProject => "create-project",
        CreateGroup => "create-group",
        ManageMember { .. } => "members",
        ManageTokens { .. } => "tokens",
        ChangeVisibility => "visibility",
        DeleteNamespace => "delete",
        ManageOwnTokens => "own-tokens",
        Admin => "admin",
    }
}

pub(super) const ROWS: [&str; 22] = [
    "pull",
    "push",
    "push-new",
    "delete-image",
    "promote",
    "catalog",
    "install",
    "install-group",
    "upload",
    "upload-new",
    "yank",
    "delete-file",
    "view",
    "create-project",
    "create-group",
    "members",
    "members-owner",
    "tokens",
    "visibility",
    "delete",
    "own-tokens",
    "admin",
];

const COLUMN_ROLES: [Option<Role>; 6] =
    [None, Some(Role::Reader), Some(Role::Developer), Some(Role::Maintainer), Some(Role::Owner), None];

fn code(d: Decision) -> char {
    match d {
        Decision::Allow => 'A',
        Decision::Deny(Denial::Unauthenticated) => 'U',
        Decision::Deny(Denial::InsufficientScope { .. }) => 'S',
        Decision::Deny(Denial::Forbidden) => 'F',
        Decision::Deny(Denial::NotFound) => 'N',
    }
}

fn scope_named(name: &str) -> Scope {
    *Scope::ALL.iter().find(|s| s.as_str() == name).unwrap_or_else(|| panic!("unknown scope {name:?}"))
}

/// One cell: `kind` with `scopes`, `role` per the block's placement, on
/// `row`'s target with visibility `vis` everywhere.
fn decide(kind: &str, scopes: Scopes, row_label: &str, vis: Visibility, role: Option<Role>, admin: bool) -> Decision {
    let (action, resource, depth, exists) = row(row_label);
    let on_group = if matches!(kind, "bot-project" | "federated") { None } else { role };
    let on_project = if kind == "bot-project" { role } else { None };
    let nodes = [Node { visibility: vis, role: on_group }, Node { visibility: vis, role: on_project }];
    let mut target = Target { resource, path: &nodes[..depth], exists, member_below: false };
    if kind == "bot-project" && role.is_some() && resource == Resource::Group(G) {
        target = target.with_member_below();
    }
    let token = Token::new(scopes);
    let parent = Token::new(Scopes::of(&[Scope::Api]));
    let grants = role.map(|role| [Grant { subtree: P, role }]);
    let caller = match kind {
        "anonymous" => Caller::Anonymous,
        "user" => Caller::User { admin, token },
        "bot-project" | "bot-group" => Caller::Bot { token },
        "deploy" => Caller::Deploy { home: P, token },
        "child" => Caller::User { admin, token: token.confined_to(&[P]).child_of(&parent) },
        "federated" => Caller::Federated { grants: grants.as_ref().map_or(&[][..], |g| &g[..]), token },
        other => panic!("unknown caller {other:?}"),
    };
    let decision = authorize(&caller, action, &target);
    if let Decision::Deny(Denial::InsufficientScope { needed }) = decision {
        assert_eq!(needed, action.scope(), "{kind} {row_label}: the scope to ask for");
    }
    decision
}

#[test]
fn every_cell_of_the_table() {
    let mut failures = Vec::new();
    let mut cells = 0;
    let mut blocks = Vec::new();
    let mut block: Option<(String, Scopes, Vec<String>)> = None;
    for line in TABLE.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        if let Some(header) = line.strip_prefix("== ") {
            let (kind, scopes) = header.split_once(':').expect("`== caller : scopes`");
            let list: Vec<Scope> = scopes.split_whitespace().map(scope_named).collect();
            blocks.extend(block.take());
            block = Some((kind.trim().to_string(), Scopes::of(&list), Vec::new()));
            continue;
        }
        let (kind, scopes, rows) = block.as_mut().expect("a row before any block");
        let mut fields = line.split_whitespace();
        let row_label = fields.next().unwrap();
        assert!(row_label.starts_with(label(row(row_label).0)), "{row_label}: its action");
        rows.push(row_label.to_string());
        let groups: Vec<&str> = fields.collect();
        assert_eq!(groups.len(), 3, "{kind} {row_label}: three visibilities");
        for (vis, expected) in [Visibility::Private, Visibility::Internal, Visibility::Public].into_iter().zip(groups) {
            assert_eq!(expected.len(), 6, "{kind} {row_label}: six roles");
            for (column, want) in expected.chars().enumerate() {
                if want == '.' {
                    continue;
                }
                cells += 1;
                let got = code(decide(kind, *scopes, row_label, vis, COLUMN_ROLES[column], column == 5));
                if got != want {
                    let col = ["none", "reader", "developer", "maintainer", "owner", "admin"][column];
                    failures.push(format!("{kind} {scopes:?} {row_label} {vis:?} {col}: want {want}, got {got}"));
                }
            }
        }
    }
    blocks.extend(block);
    for (kind, scopes, rows) in &blocks {
        assert_eq!(rows, &ROWS, "{kind} {scopes:?}: every row, in order");
    }
    assert_eq!(blocks.len(), 11);
    assert!(failures.is_empty(), "{} of {cells} cells differ:\n{}", failures.len(), failures.join("\n"));
}
