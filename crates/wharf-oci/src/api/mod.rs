//! HTTP side of the OCI API: one entry point, [`dispatch`], behind the
//! `/v2/` and `/v2/{*rest}` routes. It parses the endpoint, authorizes once,
//! then hands the request to the handler for that resource.

mod blobs;
mod listing;
mod manifests;
mod uploads;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use wharf_core::policy::{self, Action, Decision, Principal, Resource};

use crate::endpoint::Endpoint;
use crate::error::{Code, OciError, Result};
use crate::service::Registry;

const API_VERSION: HeaderValue = HeaderValue::from_static("registry/2.0");

/// The single handler for every `/v2/` request.
pub async fn dispatch(State(reg): State<Arc<Registry>>, req: Request) -> Response {
    let mut resp = match route(&reg, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    resp.headers_mut().insert("docker-distribution-api-version", API_VERSION);
    resp
}

async fn route(reg: &Registry, req: Request) -> Result<Response> {
    let endpoint = Endpoint::parse(req.uri().path())?;
    let method = req.method().clone();
    authorize(&req, &method, &endpoint)?;
    let mut query = Query::parse(req.uri().query());
    if !may_mount_from(&req, &query) {
        // A mount source the caller may not read is ignored: the client gets
        // a normal upload session (202), so a mount reveals nothing.
        query.remove(&["mount", "from"]);
    }
    let (parts, body) = req.into_parts();
    let h = &parts.headers;
    use Endpoint as E;
    match (&method, endpoint) {
        (&Method::GET | &Method::HEAD, E::Base) => Ok(json_response(StatusCode::OK, "{}".into())),
        (&Method::GET, E::Catalog) => listing::get_catalog(reg, &query).await,
        (&Method::GET, E::Tags { name }) => listing::list_tags(reg, &name, &query).await,
        (&Method::GET, E::Referrers { name, digest }) => listing::get_referrers(reg, &name, &digest, &query).await,
        (&Method::GET, E::Manifest { name, reference }) => {
            manifests::get_manifest(reg, &name, &reference, h, true).await
        }
        (&Method::HEAD, E::Manifest { name, reference }) => {
            manifests::get_manifest(reg, &name, &reference, h, false).await
        }
        (&Method::PUT, E::Manifest { name, reference }) => {
            manifests::put_manifest(reg, &name, &reference, &query, h, body).await
        }
        (&Method::DELETE, E::Manifest { name, reference }) => manifests::delete_manifest(reg, &name, &reference).await,
        (&Method::GET, E::Blob { name, digest }) => blobs::get_blob(reg, &name, &digest, h, true).await,
        (&Method::HEAD, E::Blob { name, digest }) => blobs::get_blob(reg, &name, &digest, h, false).await,
        (&Method::DELETE, E::Blob { name, digest }) => blobs::delete_blob(reg, &name, &digest).await,
        (&Method::POST, E::Uploads { name }) => uploads::start_upload(reg, &name, &query, body).await,
        (&Method::GET, E::Upload { name, id }) => uploads::get_upload(reg, &name, &id).await,
        (&Method::PATCH, E::Upload { name, id }) => uploads::patch_upload(reg, &name, &id, h, body).await,
        (&Method::PUT, E::Upload { name, id }) => uploads::put_upload(reg, &name, &id, &query, h, body).await,
        (&Method::DELETE, E::Upload { name, id }) => uploads::delete_upload(reg, &name, &id).await,
        _ => Err(OciError::new(Code::Unsupported, format!("{method} is not supported here"))),
    }
}

/// The one authorization point of the OCI API.
fn authorize(req: &Request, method: &Method, endpoint: &Endpoint) -> Result<()> {
    let principal = req.extensions().get::<Principal>().cloned().unwrap_or(Principal::Anonymous);
    let (action, resource) = match endpoint {
        Endpoint::Base => return Ok(()),
        Endpoint::Catalog => (Action::Catalog, Resource::Registry),
        other => {
            let repo = other.repo().expect("non-base endpoints name a repository");
            let action = match *method {
                Method::GET | Method::HEAD => Action::Pull,
                Method::DELETE => Action::Delete,
                _ => Action::Push,
            };
            (action, Resource::Repository(repo.as_str()))
        }
    };
    match policy::authorize(&principal, action, &resource) {
        Decision::Allow => Ok(()),
        Decision::Deny => Err(OciError::new(Code::Denied, "requested access to the resource is denied")),
    }
}

/// Part of the one authorization point: a cross-repository mount needs Pull
/// on `from`; an anonymous mount (no `from`) searches every repository, so
/// it needs what listing every repository needs.
fn may_mount_from(req: &Request, q: &Query) -> bool {
    if q.get("mount").is_none() {
        return true;
    }
    let principal = req.extensions().get::<Principal>().cloned().unwrap_or(Principal::Anonymous);
    let decision = match q.get("from") {
        Some(from) => policy::authorize(&principal, Action::Pull, &Resource::Repository(from)),
        None => policy::authorize(&principal, Action::Catalog, &Resource::Registry),
    };
    decision == Decision::Allow
}

/// Parsed query string (repeated keys kept, in order).
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    fn parse(q: Option<&str>) -> Query {
        Query(q.and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default())
    }

    fn remove(&mut self, keys: &[&str]) {
        self.0.retain(|(k, _)| !keys.contains(&k.as_str()));
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub(crate) fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

pub(crate) fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

pub(crate) fn json_response(status: StatusCode, body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// Builds a response with a status and headers whose values are known valid.
pub(crate) fn respond(status: StatusCode, headers: &[(&str, String)], body: Body) -> Response {
    let mut b = Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, v);
    }
    b.body(body).unwrap_or_else(|e| OciError::internal(e).into_response())
}
