use super::*;

fn repo(name: &str, actions: Actions) -> Access {
    Access::Repository { name: name.parse().unwrap(), actions }
}

fn name(s: &str) -> RepoName {
    s.parse().unwrap()
}

const PP: Actions = Actions::PULL.union(Actions::PUSH);

#[test]
fn one_scope_entry() {
    let long_name = "a".repeat(256);
    let table: Vec<(String, Result<Access, Ignored>)> = vec![
        ("repository:team/app:pull".into(), Ok(repo("team/app", Actions::PULL))),
        ("repository:team/app:pull,push".into(), Ok(repo("team/app", PP))),
        ("repository:team/app:push,pull".into(), Ok(repo("team/app", PP))),
        ("repository:team/app:pull,push,pull".into(), Ok(repo("team/app", PP))),
        ("repository:team/app:delete".into(), Ok(repo("team/app", Actions::DELETE))),
        ("repository:team/app:*".into(), Ok(repo("team/app", Actions::ALL))),
        ("repository:team/app:pull,bogus".into(), Ok(repo("team/app", Actions::PULL))),
        ("repository:team/sub/app:pull".into(), Ok(repo("team/sub/app", Actions::PULL))),
        ("repository(plugin):team/app:pull".into(), Ok(repo("team/app", Actions::PULL))),
        ("registry:catalog:*".into(), Ok(Access::Catalog)),
        ("registry:catalog:pull,*".into(), Ok(Access::Catalog)),
        // Dropped, never an error and never more than asked.
        ("repository:team/app:".into(), Err(Ignored::NoKnownAction)),
        ("repository:team/app:bogus".into(), Err(Ignored::NoKnownAction)),
        ("repository:team/app:PULL".into(), Err(Ignored::NoKnownAction)),
        ("repository:team/app:pull push".into(), Err(Ignored::NoKnownAction)),
        ("repository::pull".into(), Err(Ignored::InvalidName)),
        ("repository:../x:pull".into(), Err(Ignored::InvalidName)),
        ("repository:a/../b:pull".into(), Err(Ignored::InvalidName)),
        ("repository:UPPER:pull".into(), Err(Ignored::InvalidName)),
        ("repository:a//b:pull".into(), Err(Ignored::InvalidName)),
        ("repository:/a:pull".into(), Err(Ignored::InvalidName)),
        ("repository:a%2Fb:pull".into(), Err(Ignored::InvalidName)),
        ("repository:host:5000/ns/repo:pull".into(), Err(Ignored::InvalidName)),
        (format!("repository:{long_name}:pull"), Err(Ignored::InvalidName)),
        ("registry:catalog:pull".into(), Err(Ignored::NoKnownAction)),
        ("registry:catalog:".into(), Err(Ignored::NoKnownAction)),
        ("registry:other:*".into(), Err(Ignored::UnknownResource)),
        ("plugin:team/app:pull".into(), Err(Ignored::UnknownType)),
        ("REPOSITORY:team/app:pull".into(), Err(Ignored::UnknownType)),
        (":team/app:pull".into(), Err(Ignored::UnknownType)),
        ("repository(plugin:team/app:pull".into(), Err(Ignored::UnknownType)),
        ("repository".into(), Err(Ignored::Malformed)),
        ("repository:team/app".into(), Err(Ignored::Malformed)),
    ];
    for (input, want) in table {
        assert_eq!(parse_scope(&input), want, "{input:?}");
    }
}

#[test]
fn names_with_colons_split_on_the_last_colon() {
    assert_eq!(
        split_scope("repository:host:5000/ns/repo:pull,push"),
        Some(("repository", "host:5000/ns/repo", "pull,push"))
    );
    assert_eq!(split_scope("repository:a:b:c:"), Some(("repository", "a:b:c", "")));
    assert_eq!(split_scope("registry:catalog:*"), Some(("registry", "catalog", "*")));
    assert_eq!(split_scope("a:b"), None);
}

#[test]
fn a_request_merges_repeats_and_space_separated_lists() {
    let request = ScopeRequest::parse([
        "repository:b/app:pull",
        "repository:a/app:push repository:a/app:pull",
        "",
        "  repository:b/app:push  bogus:x:y repository:UPPER:pull ",
    ])
    .unwrap();
    let mut want = AccessList::new();
    want.insert(repo("a/app", PP));
    want.insert(repo("b/app", PP));
    assert_eq!(request.access, want);
    assert_eq!(
        request.ignored,
        [("bogus:x:y".to_string(), Ignored::UnknownType), ("repository:UPPER:pull".to_string(), Ignored::InvalidName)]
    );
    assert_eq!(request.access.to_scope_string(), "repository:a/app:pull,push repository:b/app:pull,push");

    // The docker/podman login path: no scope at all, or an empty one.
    for values in [vec![], vec![""], vec!["   "]] {
        assert_eq!(ScopeRequest::parse(values).unwrap(), ScopeRequest::default());
    }
}

#[test]
fn requests_over_the_limits_are_refused() {
    let one = "repository:a/b:pull";
    assert!(ScopeRequest::parse(std::iter::repeat_n(one, MAX_SCOPES)).is_ok());
    assert_eq!(ScopeRequest::parse(std::iter::repeat_n(one, MAX_SCOPES + 1)), Err(ScopeError::TooMany));
    let spaced = vec![one; MAX_SCOPES + 1].join(" ");
    assert_eq!(ScopeRequest::parse([spaced.as_str()]), Err(ScopeError::TooMany));
    // Dropped entries count too: the limit bounds work, not grants.
    assert_eq!(ScopeRequest::parse(std::iter::repeat_n("x:y:z", MAX_SCOPES + 1)), Err(ScopeError::TooMany));

    let long = format!("repository:{}:pull", "a".repeat(MAX_SCOPE_LEN));
    assert_eq!(ScopeRequest::parse([long.as_str()]), Err(ScopeError::TooLong));
    let huge = " ".repeat(100 * 1024);
    assert_eq!(ScopeRequest::parse([huge.as_str()]), Err(ScopeError::TooLong));
    let many_small = vec![" "; MAX_QUERY_LEN + 1];
    assert_eq!(ScopeRequest::parse(many_small), Err(ScopeError::TooLong));
}

#[test]
fn actions_are_a_set_and_display_in_one_order() {
    let names = ["pull", "push", "delete"];
    for mask in 1u8..8 {
        let chosen: Vec<&str> = (0..3).filter(|i| mask & (1 << i) != 0).map(|i| names[i]).collect();
        let forward = chosen.join(",");
        let backward = chosen.iter().rev().copied().collect::<Vec<_>>().join(",");
        let a = Actions::parse_lenient(&forward);
        assert_eq!(a, Actions::parse_lenient(&backward), "{forward} vs {backward}");
        assert_eq!(Actions::parse_lenient(&a.to_string()), a, "display reads back");
    }
    assert_eq!(Actions::ALL.to_string(), "delete,pull,push");
    assert_eq!(PP.to_string(), "pull,push");
    assert_eq!(format!("{:?}", Actions::PULL), "Actions(pull)");
}

#[test]
fn allows_needs_every_action_asked() {
    let mut list = AccessList::new();
    list.insert(repo("team/app", Actions::PUSH));
    list.insert(repo("team/lib", PP));
    let (app, lib, other) = (name("team/app"), name("team/lib"), name("team/other"));
    assert!(!list.allows(&app, PP), "push alone cannot push: a PUT needs pull and push");
    assert!(list.allows(&app, Actions::PUSH));
    assert!(list.allows(&lib, PP) && list.allows(&lib, Actions::PULL));
    assert!(!list.allows(&lib, Actions::DELETE));
    assert!(!list.allows(&other, Actions::PULL));
    assert!(!list.allows(&lib, Actions::EMPTY), "an empty need is a bug, not a pass");
    assert!(!list.allows_catalog());
    assert_eq!(list.len(), 2);
}

#[test]
fn grant_is_the_intersection() {
    let asked =
        ScopeRequest::parse(["repository:mine/app:pull,push,delete repository:theirs/app:pull registry:catalog:*"])
            .unwrap()
            .access;
    let allowed = |n: &RepoName| if n.as_str().starts_with("mine/") { PP } else { Actions::EMPTY };
    let granted = asked.grant(allowed, false);
    assert_eq!(granted.to_scope_string(), "repository:mine/app:pull,push");
    assert!(!granted.allows_catalog());
    assert_eq!(asked.grant(allowed, true).to_scope_string(), "repository:mine/app:pull,push registry:catalog:*");
    assert!(asked.grant(|_| Actions::EMPTY, false).is_empty(), "an empty grant is still a grant");
    assert!(AccessList::new().grant(|_| Actions::ALL, true).is_empty(), "never more than asked");
}

#[test]
fn the_jwt_claim_round_trips() {
    let mut list = AccessList::new();
    list.insert(repo("team/app", PP));
    list.insert(repo("a/b", Actions::ALL));
    list.insert(Access::Catalog);
    let json = serde_json::to_string(&list).unwrap();
    assert_eq!(
        json,
        r#"[{"type":"repository","name":"a/b","actions":["delete","pull","push"]},{"type":"repository","name":"team/app","actions":["pull","push"]},{"type":"registry","name":"catalog","actions":["*"]}]"#
    );
    assert_eq!(serde_json::from_str::<AccessList>(&json).unwrap(), list);
    assert_eq!(serde_json::to_string(&AccessList::new()).unwrap(), "[]");
}

#[test]
fn the_jwt_claim_is_read_strictly() {
    let too_many: Vec<String> =
        (0..=MAX_SCOPES).map(|i| format!(r#"{{"type":"repository","name":"r{i}","actions":["pull"]}}"#)).collect();
    let too_many = format!("[{}]", too_many.join(","));
    let refused = [
        r#"{"type":"repository","name":"a","actions":["pull"]}"#,
        r#"[{"type":"repository","name":"a","actions":["*"]}]"#,
        r#"[{"type":"repository","name":"a","actions":["pull","sudo"]}]"#,
        r#"[{"type":"repository","name":"a","actions":[]}]"#,
        r#"[{"type":"repository","name":"A","actions":["pull"]}]"#,
        r#"[{"type":"repository","name":"a","actions":"pull"}]"#,
        r#"[{"type":"repository","name":"a","actions":["pull"],"extra":1}]"#,
        r#"[{"type":"repository","type":"registry","name":"a","actions":["pull"]}]"#,
        r#"[{"type":"repository","actions":["pull"]}]"#,
        r#"[{"type":"registry","name":"catalog","actions":["pull"]}]"#,
        r#"[{"type":"registry","name":"other","actions":["*"]}]"#,
        r#"[{"type":"plugin","name":"a","actions":["pull"]}]"#,
        too_many.as_str(),
    ];
    for json in refused {
        assert!(serde_json::from_str::<AccessList>(json).is_err(), "{json}");
    }
}

#[test]
fn random_scope_text_never_panics_and_what_parses_reads_back() {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    let mut rng = StdRng::seed_from_u64(8);
    let mut pick = |alphabet: &[u8], max: usize| -> String {
        let len = rng.gen_range(0..=max);
        (0..len).map(|_| char::from(alphabet[rng.gen_range(0..alphabet.len())])).collect()
    };
    let mut words_rng = StdRng::seed_from_u64(9);
    let mut words = |words: &[&str], sep: &str| -> String {
        let len = words_rng.gen_range(0..=4);
        (0..len).map(|_| words[words_rng.gen_range(0..words.len())]).collect::<Vec<_>>().join(sep)
    };
    let mut parsed = 0;
    for _ in 0..20_000 {
        let raw = pick(b"repositorygcatl:*,/._-( )PUSH", 40);
        let structured = format!(
            "{}:{}:{}",
            ["repository", "registry", "repository(x)", "repo"][raw.len() % 4],
            words(&["a", "b0", "a.b", "a_b", "a__b", "a--b", "A", "", "..", "a:b", "-a"], "/"),
            words(&["pull", "push", "delete", "*", "x", "", "PULL"], ",")
        );
        for text in [raw, structured] {
            if let Ok(access) = parse_scope(&text) {
                parsed += 1;
                assert_eq!(parse_scope(&access.to_string()), Ok(access.clone()), "{text:?}");
                let mut list = AccessList::new();
                list.insert(access);
                let json = serde_json::to_string(&list).unwrap();
                assert_eq!(serde_json::from_str::<AccessList>(&json).unwrap(), list, "{json}");
                let narrowed = list.grant(|_| Actions::PULL, true);
                assert!(narrowed.iter().all(|a| match a {
                    Access::Repository { name, actions } => list.actions_for(&name).contains(actions),
                    Access::Catalog => list.allows_catalog(),
                }));
            }
            let _ = ScopeRequest::parse([text.as_str()]);
        }
    }
    assert!(parsed > 1000, "the generator must reach the valid grammar ({parsed})");
}
