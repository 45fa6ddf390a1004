//! PEP 691 content negotiation for the simple API.
//!
//! Pure functions over header and query values. Ranking: q-value first,
//! then how specifically the `Accept` range names the type, then the
//! server's preference (JSON v1 > HTML v1 > `text/html` for explicit
//! types; `text/html` first when only a wildcard matched, so `*/*` and a
//! missing header get HTML like on PyPI). `None` means answer 406.

/// A representation of a simple-API page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimpleFormat {
    /// `application/vnd.pypi.simple.v1+json`
    JsonV1,
    /// `application/vnd.pypi.simple.v1+html`
    HtmlV1,
    /// `text/html` (legacy PEP 503 clients)
    TextHtml,
}

impl SimpleFormat {
    /// The `Content-Type` to answer with (always a concrete `v1` type).
    pub fn content_type(self) -> &'static str {
        match self {
            SimpleFormat::JsonV1 => "application/vnd.pypi.simple.v1+json",
            SimpleFormat::HtmlV1 => "application/vnd.pypi.simple.v1+html",
            SimpleFormat::TextHtml => "text/html; charset=utf-8",
        }
    }

    /// A short token for the format, e.g. for ETags that differ per format.
    pub fn short_name(self) -> &'static str {
        match self {
            SimpleFormat::JsonV1 => "json",
            SimpleFormat::HtmlV1 => "html",
            SimpleFormat::TextHtml => "text",
        }
    }

    /// `true` for both HTML flavours.
    pub fn is_html(self) -> bool {
        !matches!(self, SimpleFormat::JsonV1)
    }

    /// The media types naming this format exactly.
    fn names(self) -> &'static [&'static str] {
        match self {
            SimpleFormat::JsonV1 => &["application/vnd.pypi.simple.v1+json", "application/vnd.pypi.simple.latest+json"],
            SimpleFormat::HtmlV1 => &["application/vnd.pypi.simple.v1+html", "application/vnd.pypi.simple.latest+html"],
            SimpleFormat::TextHtml => &["text/html"],
        }
    }
}

const ALL: [SimpleFormat; 3] = [SimpleFormat::JsonV1, SimpleFormat::HtmlV1, SimpleFormat::TextHtml];

/// Picks the format for an `Accept` header value (`None` if absent).
/// Returns `None` when nothing acceptable is offered: answer 406.
pub fn negotiate(accept: Option<&str>) -> Option<SimpleFormat> {
    let ranges: Vec<(String, f32)> = accept.map(parse_accept).unwrap_or_default();
    if ranges.is_empty() {
        // Absent, empty or unparseable: the legacy default.
        return Some(SimpleFormat::TextHtml);
    }
    let mut best: Option<((u32, u8, u8), SimpleFormat)> = None;
    for format in ALL {
        // The most specific range matching this format decides its q.
        let Some((q, specificity)) = ranges
            .iter()
            .filter_map(|(range, q)| Some((*q, match_specificity(range, format)?)))
            .max_by_key(|&(_, s)| s)
        else {
            continue;
        };
        if q <= 0.0 {
            continue;
        }
        let rank = ((q * 1000.0) as u32, specificity, pref(format, specificity));
        if best.is_none_or(|(r, _)| rank > r) {
            best = Some((rank, format));
        }
    }
    best.map(|(_, f)| f)
}

/// Tie-break order: explicit types prefer JSON; wildcards prefer HTML.
fn pref(format: SimpleFormat, specificity: u8) -> u8 {
    match (specificity == 3, format) {
        (true, SimpleFormat::JsonV1) | (false, SimpleFormat::TextHtml) => 3,
        (_, SimpleFormat::HtmlV1) => 2,
        _ => 1,
    }
}

/// 3 = exact type, 2 = `type/*`, 1 = `*/*`; `None` if the range does not match.
fn match_specificity(range: &str, format: SimpleFormat) -> Option<u8> {
    if format.names().contains(&range) {
        return Some(3);
    }
    if range == "*/*" {
        return Some(1);
    }
    let major = range.strip_suffix("/*")?;
    format.names().iter().any(|n| n.split('/').next() == Some(major)).then_some(2)
}

/// Parses `type/subtype;param;q=0.5, …` into lowercased (range, q) pairs,
/// skipping malformed members.
fn parse_accept(header: &str) -> Vec<(String, f32)> {
    header
        .split(',')
        .filter_map(|member| {
            let mut parts = member.split(';');
            let range = parts.next()?.trim().to_ascii_lowercase();
            let (major, minor) = range.split_once('/')?;
            if major.is_empty() || minor.is_empty() || (major == "*" && minor != "*") {
                return None;
            }
            let mut q = 1.0;
            for param in parts {
                if let Some((k, v)) = param.split_once('=') {
                    if k.trim().eq_ignore_ascii_case("q") {
                        q = v.trim().parse::<f32>().ok().filter(|q| (0.0..=1.0).contains(q))?;
                    }
                }
            }
            Some((range, q))
        })
        .collect()
}

/// Parses a `?format=` override: a media type (v1 or latest), or the
/// shorthands `json` / `html`. Takes precedence over `Accept`.
pub fn parse_format_param(value: &str) -> Option<SimpleFormat> {
    let value = value.trim().to_ascii_lowercase();
    match value.as_str() {
        "json" => return Some(SimpleFormat::JsonV1),
        "html" => return Some(SimpleFormat::HtmlV1),
        _ => {}
    }
    ALL.into_iter().find(|f| f.names().contains(&value.as_str()))
}

#[cfg(test)]
mod tests {
    use super::SimpleFormat::*;
    use super::*;

    #[test]
    fn real_clients() {
        let pip = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01";
        let uv = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";
        let poetry = "application/vnd.pypi.simple.v1+json, */*;q=0.1";
        for h in [pip, uv, poetry] {
            assert_eq!(negotiate(Some(h)), Some(JsonV1), "{h}");
        }
        assert_eq!(negotiate(Some("*/*")), Some(TextHtml)); // hatch, curl
        assert_eq!(negotiate(None), Some(TextHtml)); // old pip, browsers without Accept
        assert_eq!(negotiate(Some("")), Some(TextHtml));
        assert_eq!(negotiate(Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")), Some(TextHtml));
        // a browser
    }

    #[test]
    fn q_values_and_ties() {
        assert_eq!(negotiate(Some("text/html, application/vnd.pypi.simple.v1+json")), Some(JsonV1));
        assert_eq!(negotiate(Some("text/html;q=1, application/vnd.pypi.simple.v1+json;q=0.5")), Some(TextHtml));
        assert_eq!(negotiate(Some("application/vnd.pypi.simple.v1+html, text/html")), Some(HtmlV1));
        assert_eq!(negotiate(Some("application/vnd.pypi.simple.latest+json")), Some(JsonV1));
        assert_eq!(negotiate(Some("application/vnd.pypi.simple.latest+html")), Some(HtmlV1));
        assert_eq!(negotiate(Some("Application/VND.PyPI.Simple.V1+JSON")), Some(JsonV1));
        assert_eq!(negotiate(Some("application/*")), Some(HtmlV1));
        assert_eq!(negotiate(Some("text/*")), Some(TextHtml));
        // A specific q=0 excludes even when a wildcard would match.
        assert_eq!(negotiate(Some("*/*, text/html;q=0")), Some(HtmlV1));
        assert_eq!(negotiate(Some("application/vnd.pypi.simple.v1+json;q=0, */*;q=0.5")), Some(TextHtml));
    }

    #[test]
    fn not_acceptable() {
        for h in [
            "application/json",
            "application/vnd.pypi.simple.v2+json",
            "image/png, text/plain",
            "text/html;q=0",
            "*/*;q=0",
        ] {
            assert_eq!(negotiate(Some(h)), None, "{h}");
        }
        // Garbage is ignored, falling back to the default.
        assert_eq!(negotiate(Some("garbage")), Some(TextHtml));
        assert_eq!(negotiate(Some("text/html;q=abc, application/json")), None);
    }

    #[test]
    fn format_param() {
        assert_eq!(parse_format_param("application/vnd.pypi.simple.v1+json"), Some(JsonV1));
        assert_eq!(parse_format_param("application/vnd.pypi.simple.latest+html"), Some(HtmlV1));
        assert_eq!(parse_format_param("text/html"), Some(TextHtml));
        assert_eq!(parse_format_param("json"), Some(JsonV1));
        assert_eq!(parse_format_param("xml"), None);
        assert_eq!(JsonV1.content_type(), "application/vnd.pypi.simple.v1+json");
        assert!(TextHtml.is_html());
    }
}
