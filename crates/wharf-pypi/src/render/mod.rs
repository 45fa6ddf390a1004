//! Simple-API pages: the root project list and per-project file lists, as
//! PEP 503 HTML and PEP 691 JSON, at API version 1.4.
//!
//! Pure: takes plain structs the server fills from the database, returns
//! strings. The root list is rendered piecewise ([`RootIndexWriter`]) so the
//! server can stream 100 000 projects; a project page is O(files).

mod html;
mod json;

use crate::{SimpleFormat, Version};

pub use html::{escape_html, project_html};
pub use json::project_json;

/// The `meta.api-version` / `pypi:repository-version` we implement.
pub const API_VERSION: &str = "1.4";

/// PEP 592 yank state of a file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Yanked {
    #[default]
    No,
    /// Yanked, optionally with a reason (an empty reason counts as none).
    Yes(Option<String>),
}

impl Yanked {
    fn reason(&self) -> Option<&str> {
        match self {
            Yanked::Yes(Some(r)) if !r.is_empty() => Some(r),
            _ => None,
        }
    }
}

/// PEP 792 project status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProjectStatus {
    #[default]
    Active,
    Archived,
    Quarantined,
    Deprecated,
}

impl ProjectStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectStatus::Active => "active",
            ProjectStatus::Archived => "archived",
            ProjectStatus::Quarantined => "quarantined",
            ProjectStatus::Deprecated => "deprecated",
        }
    }
}

/// One distribution file as listed on a project page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectFile {
    pub filename: String,
    /// Used as given, e.g. `../../files/<sha256>/<filename>`.
    pub url: String,
    /// Lowercase hex.
    pub sha256: String,
    pub size: u64,
    /// Microseconds since the Unix epoch, UTC.
    pub upload_time_micros: i64,
    pub requires_python: Option<String>,
    pub yanked: Yanked,
    /// sha256 of the PEP 658 `.metadata` bytes, when they can be served.
    pub core_metadata_sha256: Option<String>,
}

/// Everything a project page shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProjectPage {
    /// The PEP 503 normalized name.
    pub name: String,
    pub status: ProjectStatus,
    pub status_reason: Option<String>,
    /// Every version of the project; sorted (PEP 440) and deduplicated here.
    pub versions: Vec<Version>,
    pub files: Vec<ProjectFile>,
    /// Filenames left out because two namespaces of a group index hold
    /// different bytes under that name (reported, never silently shadowed).
    pub conflicts: Vec<String>,
}

impl ProjectPage {
    fn sorted_versions(&self) -> Vec<String> {
        let mut v = self.versions.clone();
        v.sort();
        v.dedup();
        v.iter().map(Version::to_string).collect()
    }
}

/// Renders a project page in the negotiated format.
pub fn render_project(format: SimpleFormat, page: &ProjectPage) -> String {
    if format.is_html() {
        project_html(page)
    } else {
        project_json(page)
    }
}

/// Streams the root project list: `header()`, then `project(name)` per
/// project, then `footer()`; concatenated they form one document.
#[derive(Debug)]
pub struct RootIndexWriter {
    format: SimpleFormat,
    count: usize,
}

impl RootIndexWriter {
    pub fn new(format: SimpleFormat) -> Self {
        RootIndexWriter { format, count: 0 }
    }

    pub fn header(&self) -> String {
        if self.format.is_html() {
            html::root_header()
        } else {
            json::root_header()
        }
    }

    /// One project, by display name; the link uses the normalized name.
    pub fn project(&mut self, name: &str) -> String {
        self.count += 1;
        if self.format.is_html() {
            html::root_entry(name)
        } else {
            json::root_entry(name, self.count == 1)
        }
    }

    pub fn footer(&self) -> &'static str {
        if self.format.is_html() {
            html::ROOT_FOOTER
        } else {
            json::ROOT_FOOTER
        }
    }
}

/// The whole root list at once (for small indexes and tests).
pub fn render_root<'a>(format: SimpleFormat, names: impl IntoIterator<Item = &'a str>) -> String {
    let mut w = RootIndexWriter::new(format);
    let mut out = w.header();
    for name in names {
        out.push_str(&w.project(name));
    }
    out.push_str(w.footer());
    out
}

/// `2026-11-21T13:00:00.123456Z` from Unix microseconds (PEP 700 format).
pub fn format_upload_time(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian), using
    // 400-year eras of 146 097 days that start on March 1st.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{frac:06}Z", tod / 3600, tod % 3600 / 60, tod % 60)
}

#[cfg(test)]
mod tests;
