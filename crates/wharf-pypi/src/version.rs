//! PEP 440 versions: parsing (with the spec's normalization rules),
//! the normalized string form, and the spec's total order.
//!
//! Pure; no IO. Equality and ordering follow PEP 440, so `1.0 == 1.0.0`
//! although their normalized strings differ (trailing zeros are kept in
//! the string, as `packaging` does).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use crate::PypiError;

/// Longest version string accepted; bounds parsing and storage.
pub const MAX_VERSION_LEN: usize = 128;

/// The kind of a pre-release, in PEP 440 order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PreKind {
    Alpha,
    Beta,
    Rc,
}

impl PreKind {
    fn as_str(self) -> &'static str {
        match self {
            PreKind::Alpha => "a",
            PreKind::Beta => "b",
            PreKind::Rc => "rc",
        }
    }
}

/// One dot-separated part of a local version label (`+ubuntu.1`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LocalSegment {
    /// An alphanumeric part, lowercased.
    Text(String),
    /// An all-digit part.
    Number(u64),
}

impl Ord for LocalSegment {
    fn cmp(&self, other: &Self) -> Ordering {
        use LocalSegment::*;
        match (self, other) {
            (Number(a), Number(b)) => a.cmp(b),
            (Text(a), Text(b)) => a.cmp(b),
            // Numeric segments sort after alphanumeric ones.
            (Number(_), Text(_)) => Ordering::Greater,
            (Text(_), Number(_)) => Ordering::Less,
        }
    }
}

impl PartialOrd for LocalSegment {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A parsed PEP 440 version.
#[derive(Debug, Clone)]
pub struct Version {
    epoch: u64,
    release: Vec<u64>,
    pre: Option<(PreKind, u64)>,
    post: Option<u64>,
    dev: Option<u64>,
    local: Vec<LocalSegment>,
}

impl Version {
    /// Parses any spelling PEP 440 allows (`v1.0-RC.1`, `1.0_post2`, …).
    pub fn parse(input: &str) -> Result<Version, PypiError> {
        let fail = |reason: &str| PypiError::InvalidVersion { version: input.to_string(), reason: reason.to_string() };
        if input.len() > MAX_VERSION_LEN {
            return Err(fail("the version is too long"));
        }
        let lower = input.trim().to_ascii_lowercase();
        let mut c = Cursor { s: lower.as_bytes(), i: 0, overflow: false };
        c.eat("v");
        let first = c.number().ok_or_else(|| fail("not a PEP 440 version"))?;
        let (epoch, first) = if c.eat("!") {
            let n = c.number().ok_or_else(|| fail("no release after the epoch"))?;
            (first, n)
        } else {
            (0, first)
        };
        let mut release = vec![first];
        // `attempt` consumes the '.' only when a number follows it.
        while let Some(n) = c.attempt(|c| if c.eat(".") { c.number() } else { None }) {
            release.push(n);
        }
        let pre = c.attempt(|c| {
            c.sep();
            let kind = [
                ("alpha", PreKind::Alpha),
                ("a", PreKind::Alpha),
                ("beta", PreKind::Beta),
                ("b", PreKind::Beta),
                ("preview", PreKind::Rc),
                ("pre", PreKind::Rc),
                ("rc", PreKind::Rc),
                ("c", PreKind::Rc),
            ]
            .into_iter()
            .find(|(label, _)| c.eat(label))?
            .1;
            Some((kind, c.label_number()))
        });
        let post = c.attempt(|c| if c.eat("-") { c.number() } else { None }).or_else(|| {
            c.attempt(|c| {
                c.sep();
                ["post", "rev", "r"].into_iter().find(|l| c.eat(l))?;
                Some(c.label_number())
            })
        });
        let dev = c.attempt(|c| {
            c.sep();
            c.eat("dev").then(|| c.label_number())
        });
        let mut local = Vec::new();
        if c.eat("+") {
            let rest = &lower[c.i..];
            for part in rest.split(['.', '-', '_']) {
                if part.is_empty() || !part.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(fail("invalid local version label"));
                }
                local.push(if part.bytes().all(|b| b.is_ascii_digit()) {
                    let n = part.parse().map_err(|_| fail("number too large"))?;
                    LocalSegment::Number(n)
                } else {
                    LocalSegment::Text(part.to_string())
                });
            }
            c.i = c.s.len();
        }
        if c.i != c.s.len() || c.overflow {
            return Err(fail(if c.overflow { "number too large" } else { "not a PEP 440 version" }));
        }
        Ok(Version { epoch, release, pre, post, dev, local })
    }

    /// The epoch (`N!`), 0 when absent.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The release numbers, as written (trailing zeros kept).
    pub fn release(&self) -> &[u64] {
        &self.release
    }

    /// `true` for alpha, beta, rc and dev releases.
    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }

    /// `true` when the version has a `+local` label.
    pub fn is_local(&self) -> bool {
        !self.local.is_empty()
    }

    /// The same version without its local label.
    pub fn public(&self) -> Version {
        Version { local: Vec::new(), ..self.clone() }
    }

    /// Release with trailing zeros removed: the part equality looks at.
    fn trimmed_release(&self) -> &[u64] {
        let end = self.release.iter().rposition(|&n| n != 0).map_or(0, |i| i + 1);
        &self.release[..end]
    }

    /// The PEP 440 sort key, mirroring the spec's rules for missing parts.
    fn key(&self) -> Key<'_> {
        let pre = match (self.pre, self.post, self.dev) {
            (None, None, Some(_)) => Bound::NegInf,
            (None, _, _) => Bound::PosInf,
            (Some(p), _, _) => Bound::Value(p),
        };
        Key {
            epoch: self.epoch,
            release: self.trimmed_release(),
            pre,
            post: self.post.map_or(Bound::NegInf, Bound::Value),
            dev: self.dev.map_or(Bound::PosInf, Bound::Value),
            local: &self.local,
        }
    }
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Bound<T> {
    NegInf,
    Value(T),
    PosInf,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Key<'a> {
    epoch: u64,
    release: &'a [u64],
    pre: Bound<(PreKind, u64)>,
    post: Bound<u64>,
    dev: Bound<u64>,
    local: &'a [LocalSegment],
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
    overflow: bool,
}

impl Cursor<'_> {
    fn eat(&mut self, lit: &str) -> bool {
        if self.s[self.i..].starts_with(lit.as_bytes()) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    /// An optional `-`, `_` or `.` separator.
    fn sep(&mut self) {
        if matches!(self.s.get(self.i), Some(b'-' | b'_' | b'.')) {
            self.i += 1;
        }
    }

    fn number(&mut self) -> Option<u64> {
        let start = self.i;
        while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        if start == self.i {
            return None;
        }
        let digits = std::str::from_utf8(&self.s[start..self.i]).ok()?;
        match digits.parse() {
            Ok(n) => Some(n),
            Err(_) => {
                self.overflow = true;
                Some(0)
            }
        }
    }

    /// The number after a pre/post/dev label: optional separator, optional
    /// digits (implicitly 0). A separator not followed by digits is left.
    fn label_number(&mut self) -> u64 {
        let save = self.i;
        self.sep();
        match self.number() {
            Some(n) => n,
            None => {
                self.i = save;
                0
            }
        }
    }

    /// Runs `f`; on `None` rewinds so the attempt consumed nothing.
    fn attempt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let save = self.i;
        let out = f(self);
        if out.is_none() {
            self.i = save;
        }
        out
    }
}

impl FromStr for Version {
    type Err = PypiError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Version::parse(s)
    }
}

/// The normalized form: `1!2.0a1.post3.dev4+local.7`.
impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != 0 {
            write!(f, "{}!", self.epoch)?;
        }
        for (i, n) in self.release.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{n}")?;
        }
        if let Some((kind, n)) = self.pre {
            write!(f, "{}{n}", kind.as_str())?;
        }
        if let Some(n) = self.post {
            write!(f, ".post{n}")?;
        }
        if let Some(n) = self.dev {
            write!(f, ".dev{n}")?;
        }
        for (i, seg) in self.local.iter().enumerate() {
            f.write_str(if i == 0 { "+" } else { "." })?;
            match seg {
                LocalSegment::Text(s) => f.write_str(s)?,
                LocalSegment::Number(n) => write!(f, "{n}")?,
            }
        }
        Ok(())
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Version {}

impl Hash for Version {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self.epoch, self.trimmed_release(), self.pre, self.post, self.dev).hash(state);
        self.local.hash(state);
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
#[path = "version_tests.rs"]
mod tests;
