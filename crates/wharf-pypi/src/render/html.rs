//! PEP 503 HTML (with PEP 592, 629, 658/714 and 792 attributes). Every
//! interpolated value goes through [`escape_html`].

use super::{ProjectPage, API_VERSION};
use crate::normalize;

pub(super) const ROOT_FOOTER: &str = "  </body>\n</html>\n";

/// Escapes text for HTML element content and double- or single-quoted
/// attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

fn head(title: &str, extra_meta: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"{API_VERSION}\">\n{extra_meta}    <title>{}</title>\n  </head>\n  <body>\n",
        escape_html(title)
    )
}

pub(super) fn root_header() -> String {
    head("Simple index", "")
}

pub(super) fn root_entry(name: &str) -> String {
    format!("    <a href=\"{}/\">{}</a><br />\n", escape_html(&normalize(name)), escape_html(name))
}

/// The project page as PEP 503 HTML.
pub fn project_html(page: &ProjectPage) -> String {
    let mut meta = format!("    <meta name=\"pypi:project-status\" content=\"{}\">\n", page.status.as_str());
    if let Some(reason) = &page.status_reason {
        meta.push_str(&format!("    <meta name=\"pypi:project-status-reason\" content=\"{}\">\n", escape_html(reason)));
    }
    for c in &page.conflicts {
        meta.push_str(&format!("    <meta name=\"wharf:conflict\" content=\"{}\">\n", escape_html(c)));
    }
    let title = format!("Links for {}", page.name);
    let mut out = String::with_capacity(512 + 450 * page.files.len());
    out.push_str(&head(&title, &meta));
    out.push_str(&format!("    <h1>{}</h1>\n", escape_html(&title)));
    for f in &page.files {
        out.push_str(&format!("    <a href=\"{}#sha256={}\"", escape_html(&f.url), escape_html(&f.sha256)));
        if let Some(rp) = &f.requires_python {
            out.push_str(&format!(" data-requires-python=\"{}\"", escape_html(rp)));
        }
        if f.yanked != super::Yanked::No {
            match f.yanked.reason() {
                Some(r) => out.push_str(&format!(" data-yanked=\"{}\"", escape_html(r))),
                None => out.push_str(" data-yanked"),
            }
        }
        if let Some(h) = &f.core_metadata_sha256 {
            let h = escape_html(h);
            out.push_str(&format!(" data-core-metadata=\"sha256={h}\" data-dist-info-metadata=\"sha256={h}\""));
        }
        out.push_str(&format!(">{}</a><br />\n", escape_html(&f.filename)));
    }
    out.push_str(ROOT_FOOTER);
    out
}
