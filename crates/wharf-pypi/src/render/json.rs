//! PEP 691 JSON (API 1.4: PEP 700 `versions`/`size`/`upload-time`,
//! PEP 714 `core-metadata`, PEP 792 `project-status`). Serialized with
//! serde_json from borrowed structs whose field order is the output order.
//! Never emits the `dist-info-metadata` key (it crashes some pip releases).

use serde::Serialize;

use super::{format_upload_time, ProjectPage, Yanked, API_VERSION};

pub(super) const ROOT_FOOTER: &str = "]}";

#[derive(Serialize)]
struct Meta {
    #[serde(rename = "api-version")]
    api_version: &'static str,
}

const META: Meta = Meta { api_version: API_VERSION };

pub(super) fn root_header() -> String {
    format!("{{\"meta\":{},\"projects\":[", serde_json::to_string(&META).expect("static"))
}

pub(super) fn root_entry(name: &str, first: bool) -> String {
    #[derive(Serialize)]
    struct Entry<'a> {
        name: &'a str,
    }
    let json = serde_json::to_string(&Entry { name }).expect("strings serialize");
    if first {
        json
    } else {
        format!(",{json}")
    }
}

#[derive(Serialize)]
struct Status<'a> {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum BoolOr<T> {
    Bool(bool),
    Value(T),
}

/// `{"sha256": "<hex>"}`
#[derive(Serialize)]
struct Hashes<'a> {
    sha256: &'a str,
}

#[derive(Serialize)]
struct File<'a> {
    filename: &'a str,
    url: &'a str,
    hashes: Hashes<'a>,
    #[serde(rename = "requires-python")]
    requires_python: Option<&'a str>,
    size: u64,
    #[serde(rename = "upload-time")]
    upload_time: String,
    yanked: BoolOr<&'a str>,
    #[serde(rename = "core-metadata")]
    core_metadata: BoolOr<Hashes<'a>>,
}

#[derive(Serialize)]
struct Page<'a> {
    meta: Meta,
    name: &'a str,
    #[serde(rename = "project-status")]
    project_status: Status<'a>,
    versions: Vec<String>,
    files: Vec<File<'a>>,
    /// Private (leading underscore, PEP 691): filenames withheld because of
    /// conflicting content in a group index.
    #[serde(rename = "_wharf-conflicts", skip_serializing_if = "<[String]>::is_empty")]
    conflicts: &'a [String],
}

/// The project page as PEP 691 JSON.
pub fn project_json(page: &ProjectPage) -> String {
    let files = page
        .files
        .iter()
        .map(|f| File {
            filename: &f.filename,
            url: &f.url,
            hashes: Hashes { sha256: &f.sha256 },
            requires_python: f.requires_python.as_deref(),
            size: f.size,
            upload_time: format_upload_time(f.upload_time_micros),
            yanked: match (&f.yanked, f.yanked.reason()) {
                (Yanked::No, _) => BoolOr::Bool(false),
                (_, Some(r)) => BoolOr::Value(r),
                (_, None) => BoolOr::Bool(true),
            },
            core_metadata: match &f.core_metadata_sha256 {
                Some(h) => BoolOr::Value(Hashes { sha256: h }),
                None => BoolOr::Bool(false),
            },
        })
        .collect();
    let doc = Page {
        meta: META,
        name: &page.name,
        project_status: Status { status: page.status.as_str(), reason: page.status_reason.as_deref() },
        versions: page.sorted_versions(),
        files,
        conflicts: &page.conflicts,
    };
    // About 450 bytes per file: one allocation instead of a doubling series.
    let mut out = Vec::with_capacity(256 + 450 * page.files.len());
    serde_json::to_writer(&mut out, &doc).expect("plain data serializes");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}
