//! Index namespaces (`group[/subgroup…]/project`) and the `/pypi/…` paths
//! that address them.

use std::fmt;

/// Path segments that can never be part of a namespace.
pub const RESERVED: &[&str] = &["simple", "+simple", "files", "legacy"];

/// A validated namespace: lowercase segments joined by `/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Namespace(String);

impl Namespace {
    pub fn parse(segments: &[&str]) -> Option<Namespace> {
        let ok = !segments.is_empty()
            && segments.iter().all(|s| !RESERVED.contains(s) && valid_segment(s))
            && segments.iter().map(|s| s.len() + 1).sum::<usize>() <= 256;
        ok.then(|| Namespace(segments.join("/")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The top-level group: its index serves every namespace below it.
    pub fn top(&self) -> &str {
        self.0.split('/').next().unwrap_or(&self.0)
    }
}

impl std::str::FromStr for Namespace {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Namespace::parse(&s.split('/').collect::<Vec<_>>()).ok_or(())
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `[a-z0-9]+([._-][a-z0-9]+)*`
fn valid_segment(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty()
        && alnum(b[0])
        && alnum(b[b.len() - 1])
        && b.iter().all(|c| alnum(*c) || b"._-".contains(c))
        && !b.windows(2).any(|w| !alnum(w[0]) && !alnum(w[1]))
}

/// What a `/pypi/<rest>` path addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /pypi/<ns>/` or `/pypi/<ns>/legacy/` (with or without slash).
    Upload { ns: Namespace },
    /// `/pypi/<ns>/simple/`
    Root { ns: Namespace },
    /// `/pypi/<ns>/simple/<name>/` (`name` as requested, maybe not normalized).
    Project { ns: Namespace, name: String },
    /// A path that only lacks its trailing slash.
    AddSlash { to: String },
    /// `/pypi/<ns>/files/<sha256>/<filename>`
    File { ns: Namespace, sha256: String, filename: String },
    /// `/pypi/<ns>/files/<sha256>/<filename>.metadata` (PEP 658)
    Metadata { ns: Namespace, sha256: String, filename: String },
}

impl Endpoint {
    /// Parses the path after `/pypi/`; `None` means 404. Segments are
    /// percent-decoded first: pip re-encodes `+` and `!` in file links
    /// (`demo-1.0%2Blocal-….whl`) and hatch sends devpi's `%2Bsimple`.
    pub fn parse(rest: &str) -> Option<Endpoint> {
        let decoded: Vec<String> = rest.split('/').map(decode_segment).collect::<Option<_>>()?;
        let segs: Vec<&str> = decoded.iter().map(String::as_str).collect();
        let Some(i) = segs.iter().position(|s| RESERVED.contains(s)) else {
            let body: Vec<&str> = segs.iter().copied().filter(|s| !s.is_empty()).collect();
            return Some(Endpoint::Upload { ns: Namespace::parse(&body)? });
        };
        let ns = Namespace::parse(&segs[..i])?;
        let after = &segs[i + 1..];
        match (segs[i], after) {
            ("legacy", [] | [""]) => Some(Endpoint::Upload { ns }),
            ("simple" | "+simple", []) => Some(Endpoint::AddSlash { to: format!("/pypi/{rest}/") }),
            ("simple" | "+simple", [""]) => Some(Endpoint::Root { ns }),
            ("simple" | "+simple", [name]) if !name.is_empty() => {
                Some(Endpoint::AddSlash { to: format!("/pypi/{rest}/") })
            }
            ("simple" | "+simple", [name, ""]) if !name.is_empty() => {
                Some(Endpoint::Project { ns, name: name.to_string() })
            }
            ("files", [sha, file]) if sha.len() == 64 && sha.bytes().all(|c| c.is_ascii_hexdigit()) => {
                let sha256 = sha.to_ascii_lowercase();
                match file.strip_suffix(".metadata") {
                    Some(f) => Some(Endpoint::Metadata { ns, sha256, filename: f.to_string() }),
                    None => Some(Endpoint::File { ns, sha256, filename: file.to_string() }),
                }
            }
            _ => None,
        }
    }
}

/// One percent-decoded path segment; `None` (404) for invalid UTF-8 or a
/// decoded slash, backslash or control character, which no name or filename holds.
fn decode_segment(s: &str) -> Option<String> {
    let d = percent_encoding::percent_decode_str(s).decode_utf8().ok()?;
    (!d.chars().any(|c| c == '/' || c == '\\' || c.is_control())).then(|| d.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(s: &str) -> Namespace {
        s.parse().unwrap()
    }

    #[test]
    fn endpoint_table() {
        let sha = "a".repeat(64);
        let table = [
            ("team/app/", Some(Endpoint::Upload { ns: ns("team/app") })),
            ("team/app", Some(Endpoint::Upload { ns: ns("team/app") })),
            ("team/app/legacy/", Some(Endpoint::Upload { ns: ns("team/app") })),
            ("team/simple/", Some(Endpoint::Root { ns: ns("team") })),
            ("team/simple", Some(Endpoint::AddSlash { to: "/pypi/team/simple/".into() })),
            ("team/app/simple/Foo_Bar/", Some(Endpoint::Project { ns: ns("team/app"), name: "Foo_Bar".into() })),
            ("team/app/+simple/foo/", Some(Endpoint::Project { ns: ns("team/app"), name: "foo".into() })),
            ("team/app/%2Bsimple/foo/", Some(Endpoint::Project { ns: ns("team/app"), name: "foo".into() })),
            ("team/app/simple/foo", Some(Endpoint::AddSlash { to: "/pypi/team/app/simple/foo/".into() })),
            (
                &format!("g/files/{sha}/x-1.0.tar.gz") as &str,
                Some(Endpoint::File { ns: ns("g"), sha256: sha.clone(), filename: "x-1.0.tar.gz".into() }),
            ),
            (
                &format!("g/files/{sha}/x-1.0-py3-none-any.whl.metadata"),
                Some(Endpoint::Metadata {
                    ns: ns("g"),
                    sha256: sha.clone(),
                    filename: "x-1.0-py3-none-any.whl".into(),
                }),
            ),
            (
                &format!("g/files/{sha}/x-1.0%2Bcu121-py3-none-any.whl") as &str,
                Some(Endpoint::File {
                    ns: ns("g"),
                    sha256: sha.clone(),
                    filename: "x-1.0+cu121-py3-none-any.whl".into(),
                }),
            ),
            (&format!("g/files/{sha}/a%2Fb.whl"), None),
            (&format!("g/files/{sha}/a%FF.whl"), None),
            ("simple/", None),
            ("Team/simple/", None),
            ("team/../simple/", None),
            ("team/simple/a/b/", None),
            ("g/files/abc/x.whl", None),
            ("", None),
        ];
        for (path, want) in table {
            assert_eq!(Endpoint::parse(path), want, "{path}");
        }
    }
}
