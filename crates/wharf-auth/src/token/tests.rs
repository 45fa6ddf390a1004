use rand::rngs::StdRng;
use rand::SeedableRng;

use super::*;

const TOKEN_CHARS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";

fn seeded(kind: TokenKind, seed: u64) -> Token {
    Token::generate_with(kind, &mut StdRng::seed_from_u64(seed))
}

/// `body` followed by its correct checksum.
fn with_check(body: &str) -> String {
    let mut s = body.to_string();
    base62::encode(&crc32fast::hash(body.as_bytes()).to_be_bytes(), CHECK_CHARS, &mut s);
    s
}

/// What `SCANNER_REGEX` says, spelled out (the crate has no regex engine).
fn matches_scanner_pattern(s: &str) -> bool {
    let kinds = ["pat", "prj", "grp", "dpl", "chd", "adm"];
    s.len() == TOKEN_LEN
        && s.starts_with("wharf_")
        && kinds.contains(&&s[6..9])
        && &s[9..10] == "_"
        && s[10..].bytes().all(|c| c.is_ascii_alphanumeric())
}

#[test]
fn generated_tokens_have_the_published_shape_and_parse_back() {
    let mut seen = std::collections::HashSet::new();
    for kind in TokenKind::ALL {
        for seed in 0..200 {
            let token = seeded(kind, seed * 7 + kind as u64);
            let text = token.expose_secret();
            assert!(matches_scanner_pattern(text), "{text}");
            assert!(text.starts_with(kind.prefix()));
            let parsed = Token::parse(text).unwrap();
            assert_eq!(parsed.kind(), kind);
            assert_eq!(parsed.expose_secret(), text);
            assert!(seen.insert(text.to_string()), "duplicate token");
        }
        let fresh = Token::generate(kind);
        assert_eq!(Token::parse(fresh.expose_secret()).unwrap().kind(), kind);
        assert_eq!(token_kind_round_trip(kind), kind);
    }
    assert_eq!(SCANNER_REGEX, r"\bwharf_(?:pat|prj|grp|dpl|chd|adm)_[0-9A-Za-z]{49}\b");
    assert_eq!(TOKEN_LEN - PREFIX_LEN, 49);
}

fn token_kind_round_trip(kind: TokenKind) -> TokenKind {
    kind.to_string().parse().unwrap()
}

#[test]
fn every_single_character_change_and_swap_is_refused_offline() {
    for kind in TokenKind::ALL {
        let token = seeded(kind, 42);
        let text = token.expose_secret().as_bytes();
        for i in 0..text.len() {
            for &c in TOKEN_CHARS.iter().filter(|&&c| c != text[i]) {
                let mut typo = text.to_vec();
                typo[i] = c;
                let typo = String::from_utf8(typo).unwrap();
                assert!(Token::parse(&typo).is_err(), "accepted {typo} (position {i})");
            }
            if i + 1 < text.len() && text[i] != text[i + 1] {
                let mut swapped = text.to_vec();
                swapped.swap(i, i + 1);
                assert!(Token::parse(std::str::from_utf8(&swapped).unwrap()).is_err(), "swap at {i}");
            }
        }
    }
}

#[test]
fn malformed_strings_are_refused_with_their_reason() {
    let good = seeded(TokenKind::Personal, 1);
    let good = good.expose_secret();
    let body = &good[PREFIX_LEN..TOKEN_LEN - CHECK_CHARS];
    let table: Vec<(String, TokenError)> = vec![
        (String::new(), TokenError::Length),
        (format!(" {good}"), TokenError::Length),
        (format!("{good}\n"), TokenError::Length),
        (good[..TOKEN_LEN - 1].to_string(), TokenError::Length),
        (format!("{good}0"), TokenError::Length),
        (format!("{}é", &good[..TOKEN_LEN - 2]), TokenError::Charset),
        (format!("{}é", &good[..TOKEN_LEN - 1]), TokenError::Length),
        (format!("{}-", &good[..TOKEN_LEN - 1]), TokenError::Charset),
        (format!("{} ", &good[..TOKEN_LEN - 1]), TokenError::Charset),
        (format!("{}_", &good[..TOKEN_LEN - 1]), TokenError::Charset),
        (with_check(&format!("WHARF_PAT_{body}")), TokenError::Prefix),
        (with_check(&format!("wharf_xyz_{body}")), TokenError::Prefix),
        (with_check(&format!("gharf_pat_{body}")), TokenError::Prefix),
        (with_check(&format!("wharf_pat{body}0")), TokenError::Prefix),
        // A secret no generator produces (62^43 - 1 > 2^256 - 1), even with a correct checksum.
        (with_check(&format!("wharf_pat_{}", "z".repeat(SECRET_CHARS))), TokenError::Secret),
        (format!("{}{}", &good[..TOKEN_LEN - CHECK_CHARS], "zzzzzz"), TokenError::Checksum),
        // Another kind's prefix on this secret: the checksum covers the prefix.
        (format!("wharf_dpl_{}", &good[PREFIX_LEN..]), TokenError::Checksum),
    ];
    for (input, want) in table {
        assert_eq!(Token::parse(&input).unwrap_err(), want, "{input:?}");
    }
    // The checksum is what makes these two differ: same shape, one is valid.
    assert!(Token::parse(&with_check(&format!("wharf_pat_{body}"))).is_ok());
}

#[test]
fn debug_and_display_never_show_the_secret() {
    for kind in TokenKind::ALL {
        let token = seeded(kind, 7);
        let text = token.expose_secret().to_string();
        let parsed = Token::parse(&text).unwrap();
        let want = format!("{}…{}", kind.prefix(), &text[TOKEN_LEN - 4..]);
        assert_eq!(token.redacted(), want);
        assert_eq!(parsed.redacted(), want);
        let secret = &text[PREFIX_LEN..TOKEN_LEN - 4];
        for shown in [format!("{token:?}"), format!("{token}"), format!("{parsed:?}"), format!("{parsed}")] {
            assert!(shown.contains(&want), "{shown}");
            for window in secret.as_bytes().windows(5) {
                assert!(!shown.contains(std::str::from_utf8(window).unwrap()), "{shown} leaks the secret");
            }
        }
        assert_eq!(format!("{}", token.as_parsed()), want);
    }
    let admin = "A".repeat(28) + "wxyz";
    assert_eq!(format!("{:?}", Token::parse_admin(&admin).unwrap()), r#"ParsedToken { kind: Admin, token: "…wxyz" }"#);
}

#[test]
fn externally_supplied_admin_tokens() {
    let adm = seeded(TokenKind::Admin, 3);
    let pat = seeded(TokenKind::Personal, 3);
    let mut typo = adm.expose_secret().to_string();
    typo.replace_range(20..21, if &typo[20..21] == "a" { "b" } else { "a" });
    let table: Vec<(String, Result<(), TokenError>)> = vec![
        ("a".repeat(32), Ok(())),
        ("_".repeat(32), Ok(())),
        ("Ab3_".repeat(63) + "xyz", Ok(())),
        (adm.expose_secret().to_string(), Ok(())),
        ("a".repeat(31), Err(TokenError::AdminFormat)),
        ("a".repeat(256), Err(TokenError::AdminFormat)),
        ("a".repeat(31) + "-", Err(TokenError::AdminFormat)),
        ("a".repeat(31) + "=", Err(TokenError::AdminFormat)),
        (format!(" {}", "a".repeat(32)), Err(TokenError::AdminFormat)),
        ("a".repeat(31) + "é", Err(TokenError::AdminFormat)),
        (String::new(), Err(TokenError::AdminFormat)),
        // Wharf-shaped strings must be real admin tokens: a typo or another kind is refused.
        (typo, Err(TokenError::AdminReserved)),
        (pat.expose_secret().to_string(), Err(TokenError::AdminReserved)),
        ("wharf_".to_string() + &"a".repeat(40), Err(TokenError::AdminReserved)),
    ];
    for (input, want) in table {
        let got = Token::parse_admin(&input).map(|t| assert_eq!(t.kind(), TokenKind::Admin));
        assert_eq!(got, want, "{input:?}");
    }
}

#[test]
fn presented_credentials_dispatch_on_the_wharf_prefix() {
    let pat = seeded(TokenKind::Personal, 9);
    let mut typo = pat.expose_secret().to_string();
    typo.replace_range(30..31, if &typo[30..31] == "a" { "b" } else { "a" });
    assert_eq!(Token::parse_presented(pat.expose_secret()).unwrap().kind(), TokenKind::Personal);
    assert_eq!(Token::parse_presented(&typo).unwrap_err(), TokenError::Checksum);
    assert_eq!(Token::parse_presented(&"k".repeat(40)).unwrap().kind(), TokenKind::Admin);
    assert_eq!(Token::parse_presented("hunter2").unwrap_err(), TokenError::AdminFormat);
    assert!("pat".parse::<TokenKind>().is_err());
}
