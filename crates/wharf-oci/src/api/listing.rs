//! Discovery: `GET /v2/_catalog`, `GET /v2/<name>/tags/list` and
//! `GET /v2/<name>/referrers/<digest>`.

use axum::body::Body;
use axum::response::Response;
use http::StatusCode;
use serde_json::{json, Map, Value};
use wharf_core::RepoName;

use super::blobs::parse_digest;
use super::{json_response, respond, Query};
use crate::error::{Code, OciError, Result};
use crate::service::manifest::OCI_INDEX;
use crate::service::Registry;

/// Largest page a client can ask for; more is truncated (with a `Link`).
const MAX_PAGE: i64 = 10_000;

/// `n` and `last` of a paginated listing.
fn page(q: &Query, default: i64) -> Result<(i64, Option<String>)> {
    let n = match q.get("n") {
        None => default,
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            // The spec has no code for a bad page size; UNSUPPORTED covers
            // "an invalid set of parameters".
            .ok_or_else(|| {
                OciError::new(Code::Unsupported, format!("invalid page size n={s:?}"))
                    .with_status(StatusCode::BAD_REQUEST)
            })?,
    };
    Ok((n.min(MAX_PAGE), q.get("last").map(str::to_string)))
}

/// Fetches one more than asked to know whether a next page exists.
fn paginate(mut items: Vec<String>, n: i64, base: &str) -> (Vec<String>, Option<String>) {
    if items.len() as i64 > n {
        items.truncate(n as usize);
        if n == 0 {
            // An empty page has no `last` to continue from.
            return (items, None);
        }
        let last = items.last().cloned().unwrap_or_default();
        let link = format!("<{base}?n={n}&last={last}>; rel=\"next\"");
        (items, Some(link))
    } else {
        (items, None)
    }
}

fn listing_response(body: Value, link: Option<String>) -> Response {
    let mut r = json_response(StatusCode::OK, body.to_string());
    if let Some(l) = link.and_then(|l| l.parse().ok()) {
        r.headers_mut().insert(http::header::LINK, l);
    }
    r
}

pub(crate) async fn get_catalog(reg: &Registry, q: &Query) -> Result<Response> {
    let (n, last) = page(q, 1000)?;
    let repos = reg.catalog(last.as_deref(), n + 1).await?;
    let (repos, link) = paginate(repos, n, "/v2/_catalog");
    Ok(listing_response(json!({ "repositories": repos }), link))
}

pub(crate) async fn list_tags(reg: &Registry, name: &RepoName, q: &Query) -> Result<Response> {
    let (n, last) = page(q, MAX_PAGE)?;
    let tags = reg
        .list_tags(name, last.as_deref(), n + 1)
        .await?
        .ok_or_else(|| OciError::new(Code::NameUnknown, format!("repository {name} not known to registry")))?;
    let (tags, link) = paginate(tags, n, &format!("/v2/{name}/tags/list"));
    Ok(listing_response(json!({ "name": name.as_str(), "tags": tags }), link))
}

pub(crate) async fn get_referrers(reg: &Registry, name: &RepoName, digest: &str, q: &Query) -> Result<Response> {
    let subject = parse_digest(digest)?;
    let filter = q.get("artifactType").filter(|s| !s.is_empty());
    let rows = reg.referrers(name, &subject, filter).await?;
    let manifests: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            let mut d = Map::new();
            d.insert("mediaType".into(), r.media_type.into());
            d.insert("digest".into(), r.digest.into());
            d.insert("size".into(), r.size.into());
            if let Some(at) = r.artifact_type {
                d.insert("artifactType".into(), at.into());
            }
            if let Some(a) = r.annotations.and_then(|a| serde_json::from_str::<Value>(&a).ok()) {
                d.insert("annotations".into(), a);
            }
            Value::Object(d)
        })
        .collect();
    let body = json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests }).to_string();
    let mut headers = vec![("content-type", OCI_INDEX.to_string())];
    if filter.is_some() {
        headers.push(("oci-filters-applied", "artifactType".to_string()));
    }
    Ok(respond(StatusCode::OK, &headers, Body::from(body)))
}
