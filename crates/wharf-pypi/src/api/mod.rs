//! HTTP side of the package index: one entry point, [`dispatch`], behind the
//! `/pypi/{*rest}` route. Errors are mapped to responses here, once: a
//! plain-text body and the same text as the HTTP reason phrase (what twine
//! prints).

mod files;
mod form;
#[cfg(test)]
mod group_tests;
mod simple;
#[cfg(test)]
mod tests;
mod upload;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, Method, StatusCode};
use wharf_core::policy::{self, Action, Decision, Principal, Resource};

use crate::{Endpoint, PackageIndex, PypiError};

/// The single handler for every `/pypi/…` request.
pub async fn dispatch(State(index): State<Arc<PackageIndex>>, req: Request) -> Response {
    match route(&index, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn route(index: &Arc<PackageIndex>, req: Request) -> Result<Response, PypiError> {
    let rest = req.uri().path().strip_prefix("/pypi/").unwrap_or("");
    let endpoint = Endpoint::parse(rest).ok_or(PypiError::NotFound)?;
    authorize(&req, &endpoint)?;
    let (parts, body) = req.into_parts();
    let req = &parts;
    let method = req.method.clone();
    match (&method, endpoint) {
        (&Method::POST, Endpoint::Upload { ns }) => upload::upload_file(index, &ns, req, body).await,
        (_, Endpoint::Upload { .. }) => Err(PypiError::BadRequest(
            "This is an upload URL: POST a multipart form (twine upload --repository-url <this URL>). \
             Install from <namespace>/simple/."
                .into(),
        )),
        (&Method::GET | &Method::HEAD, Endpoint::AddSlash { to }) => {
            let q = req.uri.query().map(|q| format!("?{q}")).unwrap_or_default();
            Ok(redirect(&format!("{to}{q}")))
        }
        (&Method::GET | &Method::HEAD, Endpoint::Root { ns }) => simple::get_root(index, &ns, req).await,
        (&Method::GET | &Method::HEAD, Endpoint::Project { ns, name }) => {
            simple::get_project(index, &ns, &name, req).await
        }
        (&Method::GET | &Method::HEAD, Endpoint::File { ns, sha256, filename }) => {
            files::get_file(index, &ns, &sha256, &filename, req, false).await
        }
        (&Method::GET | &Method::HEAD, Endpoint::Metadata { ns, sha256, filename }) => {
            files::get_file(index, &ns, &sha256, &filename, req, true).await
        }
        (_, Endpoint::Root { ns } | Endpoint::Project { ns, .. }) => Err(PypiError::MethodNotAllowed(format!(
            "This is an index URL, for installing (GET). Uploads go to /pypi/{ns}/ \
             (twine upload --repository-url <server>/pypi/{ns}/ dist/*)."
        ))),
        _ => Err(PypiError::BadRequest(format!("{method} is not supported here"))),
    }
}

/// The one authorization point of the package index.
fn authorize(req: &Request, endpoint: &Endpoint) -> Result<(), PypiError> {
    let principal = req.extensions().get::<Principal>().cloned().unwrap_or(Principal::Anonymous);
    let (action, ns) = match endpoint {
        Endpoint::Upload { ns } => (Action::Push, ns.as_str()),
        Endpoint::Root { ns }
        | Endpoint::Project { ns, .. }
        | Endpoint::File { ns, .. }
        | Endpoint::Metadata { ns, .. } => (Action::Pull, ns.as_str()),
        Endpoint::AddSlash { .. } => return Ok(()),
    };
    match policy::authorize(&principal, action, &Resource::Repository(ns)) {
        Decision::Allow => Ok(()),
        Decision::Deny => Err(PypiError::BadRequest("Access denied.".into())),
    }
}

pub(crate) fn redirect(to: &str) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::MOVED_PERMANENTLY;
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn status_of(e: &PypiError) -> StatusCode {
    match e {
        PypiError::NotFound => StatusCode::NOT_FOUND,
        PypiError::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
        PypiError::TooLarge(_) | PypiError::FormTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        PypiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
        PypiError::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
        e if !e.is_client_error() => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

impl IntoResponse for PypiError {
    fn into_response(self) -> Response {
        let status = status_of(&self);
        let text = self.to_string();
        let mut r = Response::new(Body::from(format!("{text}\n")));
        *r.status_mut() = status;
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        if status == StatusCode::METHOD_NOT_ALLOWED {
            r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        }
        if status == StatusCode::INSUFFICIENT_STORAGE {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static(wharf_core::storage::RETRY_AFTER_SECS));
        }
        // twine prints the reason phrase: make it the message (printable ASCII only).
        let phrase: String =
            text.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' }).take(300).collect();
        if let Ok(p) = hyper::ext::ReasonPhrase::try_from(phrase.into_bytes()) {
            r.extensions_mut().insert(p);
        }
        r
    }
}
