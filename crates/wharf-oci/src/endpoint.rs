//! `/v2/…` paths parsed into a typed [`Endpoint`]. Repository names contain
//! slashes, so the path is matched from its end.

use wharf_core::RepoName;

use crate::error::{Code, OciError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Base,
    Catalog,
    Tags { name: RepoName },
    Manifest { name: RepoName, reference: String },
    Blob { name: RepoName, digest: String },
    Uploads { name: RepoName },
    Upload { name: RepoName, id: String },
    Referrers { name: RepoName, digest: String },
}

impl Endpoint {
    /// Parses the part after `/v2/` (`path` is the full request path).
    pub fn parse(path: &str) -> Result<Endpoint, OciError> {
        let rest = path.strip_prefix("/v2").ok_or_else(not_found)?;
        if rest.is_empty() || rest == "/" {
            return Ok(Endpoint::Base);
        }
        let rest = rest.strip_prefix('/').ok_or_else(not_found)?;
        if rest == "_catalog" {
            return Ok(Endpoint::Catalog);
        }
        let segs: Vec<&str> = rest.split('/').collect();
        let n = segs.len();
        let name = |k: usize| -> Result<RepoName, OciError> {
            segs[..n - k].join("/").parse().map_err(|_| OciError::new(Code::NameInvalid, "invalid repository name"))
        };
        let tail = |k: usize| &segs[n - k..];
        if n >= 4 && tail(3) == ["blobs", "uploads", ""] {
            return Ok(Endpoint::Uploads { name: name(3)? });
        }
        if n >= 3 && tail(2) == ["blobs", "uploads"] {
            return Ok(Endpoint::Uploads { name: name(2)? });
        }
        if n >= 4 && tail(3)[..2] == ["blobs", "uploads"] {
            return Ok(Endpoint::Upload { name: name(3)?, id: segs[n - 1].to_string() });
        }
        if n >= 3 {
            let last = segs[n - 1].to_string();
            match (segs[n - 2], last.as_str()) {
                ("tags", "list") => return Ok(Endpoint::Tags { name: name(2)? }),
                ("manifests", _) => return Ok(Endpoint::Manifest { name: name(2)?, reference: last }),
                ("blobs", _) => return Ok(Endpoint::Blob { name: name(2)?, digest: last }),
                ("referrers", _) => return Ok(Endpoint::Referrers { name: name(2)?, digest: last }),
                _ => {}
            }
        }
        Err(not_found())
    }

    /// The repository the endpoint addresses, if any.
    pub fn repo(&self) -> Option<&RepoName> {
        match self {
            Endpoint::Base | Endpoint::Catalog => None,
            Endpoint::Tags { name }
            | Endpoint::Manifest { name, .. }
            | Endpoint::Blob { name, .. }
            | Endpoint::Uploads { name }
            | Endpoint::Upload { name, .. }
            | Endpoint::Referrers { name, .. } => Some(name),
        }
    }
}

fn not_found() -> OciError {
    OciError::new(Code::NameUnknown, "no such endpoint")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> RepoName {
        s.parse().unwrap()
    }

    #[test]
    fn endpoint_table() {
        let table = [
            ("/v2/", Endpoint::Base),
            ("/v2", Endpoint::Base),
            ("/v2/_catalog", Endpoint::Catalog),
            ("/v2/a/b/tags/list", Endpoint::Tags { name: n("a/b") }),
            ("/v2/a/manifests/latest", Endpoint::Manifest { name: n("a"), reference: "latest".into() }),
            ("/v2/a/manifests/manifests/x", Endpoint::Manifest { name: n("a/manifests"), reference: "x".into() }),
            ("/v2/g/p/blobs/sha256:ab", Endpoint::Blob { name: n("g/p"), digest: "sha256:ab".into() }),
            ("/v2/g/p/blobs/uploads/", Endpoint::Uploads { name: n("g/p") }),
            ("/v2/g/p/blobs/uploads", Endpoint::Uploads { name: n("g/p") }),
            ("/v2/g/p/blobs/uploads/abc-1", Endpoint::Upload { name: n("g/p"), id: "abc-1".into() }),
            ("/v2/g/referrers/sha256:ab", Endpoint::Referrers { name: n("g"), digest: "sha256:ab".into() }),
            ("/v2/tags/tags/list", Endpoint::Tags { name: n("tags") }),
        ];
        for (path, want) in table {
            assert_eq!(Endpoint::parse(path).unwrap(), want, "{path}");
        }
    }

    #[test]
    fn bad_paths() {
        assert_eq!(Endpoint::parse("/v2/A/tags/list").unwrap_err().code, Code::NameInvalid);
        assert_eq!(Endpoint::parse("/v2/a/../b/tags/list").unwrap_err().code, Code::NameInvalid);
        assert_eq!(Endpoint::parse("/v2/a//b/manifests/x").unwrap_err().code, Code::NameInvalid);
        assert_eq!(Endpoint::parse("/v2/a/whatever").unwrap_err().code, Code::NameUnknown);
        assert_eq!(Endpoint::parse("/v2x").unwrap_err().code, Code::NameUnknown);
    }
}
