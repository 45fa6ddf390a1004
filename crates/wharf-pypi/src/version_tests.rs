//! Tests for [`super::Version`]: normalization and ordering tables taken
//! from the examples in PEP 440.

use super::*;

fn v(s: &str) -> Version {
    Version::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn normalizes_spellings() {
    for (input, want) in [
        ("1.0", "1.0"),
        ("v1.0", "1.0"),
        ("V1.0", "1.0"),
        ("  1.0\n", "1.0"),
        ("01.002.0", "1.2.0"),
        ("0!1.0", "1.0"),
        ("2!1.0", "2!1.0"),
        ("1.0a1", "1.0a1"),
        ("1.0alpha1", "1.0a1"),
        ("1.0-a.1", "1.0a1"),
        ("1.0_beta_2", "1.0b2"),
        ("1.0c1", "1.0rc1"),
        ("1.0pre1", "1.0rc1"),
        ("1.0preview1", "1.0rc1"),
        ("1.0RC1", "1.0rc1"),
        ("1.0a", "1.0a0"),
        ("1.0-1", "1.0.post1"),
        ("1.0post", "1.0.post0"),
        ("1.0.rev2", "1.0.post2"),
        ("1.0-r3", "1.0.post3"),
        ("1.0_post_4", "1.0.post4"),
        ("1.0dev", "1.0.dev0"),
        ("1.0-dev-5", "1.0.dev5"),
        ("1.0a1.post2.dev3", "1.0a1.post2.dev3"),
        ("1.0+Ubuntu-1", "1.0+ubuntu.1"),
        ("1.0+cu121", "1.0+cu121"),
        ("1.0+abc_007", "1.0+abc.7"),
        ("1.0a.post1", "1.0a0.post1"),
    ] {
        assert_eq!(v(input).to_string(), want, "{input}");
    }
}

#[test]
fn rejects_non_pep440() {
    for input in [
        "",
        "v",
        "1.0.",
        "1..0",
        "a1.0",
        "1.0-",
        "1.0+",
        "1.0+a..b",
        "1.0+a b",
        "1.0 a1",
        "1.0a1a2",
        "1.0.post1.post2",
        "1.0-dev-",
        "french toast",
        "1.0\u{0}",
        "99999999999999999999999",
        "1.0+99999999999999999999999",
        "1!",
    ] {
        assert!(Version::parse(input).is_err(), "{input:?} should fail");
    }
    let err = Version::parse("x").unwrap_err().to_string();
    assert!(err.starts_with("'x' is an invalid value for Version."), "{err}");
    assert!(Version::parse(&"1.".repeat(100)).is_err());
}

#[test]
fn orders_like_pep_440() {
    let ordered = [
        "1.0.dev456",
        "1.0a1",
        "1.0a2.dev456",
        "1.0a12.dev456",
        "1.0a12",
        "1.0b1.dev456",
        "1.0b2",
        "1.0b2.post345.dev456",
        "1.0b2.post345",
        "1.0rc1.dev456",
        "1.0rc1",
        "1.0",
        "1.0+abc.5",
        "1.0+abc.7",
        "1.0+5",
        "1.0.post456.dev34",
        "1.0.post456",
        "1.0.15",
        "1.1.dev1",
        "2.0",
        "1!0.1",
    ];
    for pair in ordered.windows(2) {
        assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
    }
    let mut shuffled: Vec<Version> = ordered.iter().rev().map(|s| v(s)).collect();
    shuffled.sort();
    let back: Vec<String> = shuffled.iter().map(|x| x.to_string()).collect();
    assert_eq!(back, ordered);
}

#[test]
fn trailing_zeros_are_insignificant() {
    use std::collections::HashSet;
    assert_eq!(v("1.0"), v("1.0.0"));
    assert_eq!(v("1"), v("1.0.0.0"));
    assert_ne!(v("1.0"), v("1.0+local"));
    let set: HashSet<Version> = [v("1.0"), v("1.0.0"), v("1")].into_iter().collect();
    assert_eq!(set.len(), 1);
    assert_eq!(v("1.0.0").to_string(), "1.0.0");
}

#[test]
fn accessors() {
    let x = v("2!1.2.3rc1+cu121");
    assert_eq!(x.epoch(), 2);
    assert_eq!(x.release(), &[1, 2, 3]);
    assert!(x.is_prerelease());
    assert!(x.is_local());
    assert_eq!(x.public().to_string(), "2!1.2.3rc1");
    assert!(v("1.0.dev1").is_prerelease());
    assert!(!v("1.0.post1").is_prerelease());
}
