//! The simple repository API: `/pypi/<ns>/simple/` (streamed) and
//! `/pypi/<ns>/simple/<project>/`, in PEP 503 HTML or PEP 691 JSON.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::request::Parts as Request;
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};

use super::redirect;
use crate::is_valid_project_name;
use crate::render::RootIndexWriter;
use crate::{negotiate, normalize, parse_format_param, Namespace, PackageIndex, PypiError, SimpleFormat};

/// Pages are small and change on upload: cache briefly, then revalidate.
const PAGE_CACHE: &str = "max-age=10, must-revalidate";

/// `?format=` wins over `Accept`; nothing acceptable → 406.
fn format_of(req: &Request) -> Result<SimpleFormat, PypiError> {
    let query: Vec<(String, String)> =
        req.uri.query().and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
    if let Some((_, f)) = query.iter().find(|(k, _)| k == "format") {
        // An unescaped `+` in the query arrives as a space.
        return parse_format_param(&f.replace(' ', "+")).ok_or(PypiError::NotAcceptable);
    }
    let accept = req.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    negotiate(accept).ok_or(PypiError::NotAcceptable)
}

fn page_headers(h: &mut HeaderMap, format: SimpleFormat) {
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    h.insert(header::VARY, HeaderValue::from_static("Accept"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(PAGE_CACHE));
}

pub(crate) async fn get_project(
    index: &PackageIndex,
    ns: &Namespace,
    name: &str,
    req: &Request,
) -> Result<Response, PypiError> {
    if !is_valid_project_name(name) {
        return Err(PypiError::NotFound);
    }
    let normalized = normalize(name);
    if normalized != name {
        let q = req.uri.query().map(|q| format!("?{q}")).unwrap_or_default();
        return Ok(redirect(&format!("/pypi/{ns}/simple/{normalized}/{q}")));
    }
    let format = format_of(req)?;
    let page = index.rendered_project(ns, &normalized, format).await?.ok_or(PypiError::NotFound)?;
    let mut r = if matches_etag(req, &page.etag) {
        not_modified()
    } else {
        let len = page.body.len();
        let mut r = Response::new(if req.method == Method::HEAD { Body::empty() } else { Body::from(page.body) });
        r.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        r
    };
    page_headers(r.headers_mut(), format);
    set_etag(&mut r, &page.etag);
    Ok(r)
}

/// `If-None-Match` names `etag` (or `*`).
fn matches_etag(req: &Request, etag: &str) -> bool {
    req.headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

fn set_etag(r: &mut Response, etag: &str) {
    if let Ok(v) = HeaderValue::from_str(etag) {
        r.headers_mut().insert(header::ETAG, v);
    }
}

fn not_modified() -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::NOT_MODIFIED;
    r
}

/// The project list, streamed in batches so any number of projects fits.
pub(crate) async fn get_root(index: &Arc<PackageIndex>, ns: &Namespace, req: &Request) -> Result<Response, PypiError> {
    let format = format_of(req)?;
    // Taken before the listing: if a change lands while the page streams,
    // the next revalidation sees a newer serial and fetches again.
    let etag = format!("\"s{}-{}\"", index.serial().await?, format.short_name());
    if matches_etag(req, &etag) {
        let mut r = not_modified();
        page_headers(r.headers_mut(), format);
        set_etag(&mut r, &etag);
        return Ok(r);
    }
    let first = index.project_names(ns, "").await?;
    let mut r = if req.method == Method::HEAD {
        Response::new(Body::empty())
    } else {
        Response::new(Body::from_stream(root_stream(index.clone(), ns.clone(), format, first)))
    };
    page_headers(r.headers_mut(), format);
    set_etag(&mut r, &etag);
    Ok(r)
}

type Batch = Vec<(String, String)>;

/// header, then one chunk per batch of projects, then the footer.
fn root_stream(
    index: Arc<PackageIndex>,
    ns: Namespace,
    format: SimpleFormat,
    first: Batch,
) -> impl futures_util::Stream<Item = Result<Bytes, PypiError>> {
    let writer = RootIndexWriter::new(format);
    let header = Bytes::from(writer.header());
    let body = futures_util::stream::unfold(Some((writer, first)), move |state| {
        let (index, ns) = (index.clone(), ns.clone());
        async move {
            let (mut writer, batch) = state?;
            if batch.is_empty() {
                return Some((Ok(Bytes::from_static(writer.footer().as_bytes())), None));
            }
            let mut chunk = String::new();
            for (_, name) in &batch {
                chunk.push_str(&writer.project(name));
            }
            let next = if (batch.len() as i64) < crate::service::ROOT_PAGE_ROWS {
                Ok(Vec::new())
            } else {
                index.project_names(&ns, &batch[batch.len() - 1].0).await
            };
            match next {
                Ok(n) => Some((Ok(Bytes::from(chunk)), Some((writer, n)))),
                Err(e) => Some((Err(e), None)),
            }
        }
    });
    futures_util::StreamExt::chain(futures_util::stream::once(async move { Ok(header) }), body)
}
