//! Package files and their PEP 658 `.metadata`: HEAD, single and suffix
//! ranges, strong ETags (the content digest), 304s, immutable caching.

use axum::body::Body;
use axum::response::Response;
use http::request::Parts as Request;
use http::{header, HeaderValue, Method, StatusCode};
use wharf_core::range::{self, ByteRange};
use wharf_core::Digest;

use crate::{Namespace, PackageIndex, PypiError};

pub(crate) async fn get_file(
    index: &PackageIndex,
    ns: &Namespace,
    sha256: &str,
    filename: &str,
    req: &Request,
    metadata: bool,
) -> Result<Response, PypiError> {
    let file = index.find_file(ns, sha256, filename).await?;
    let hex = if metadata { file.metadata_sha256.ok_or(PypiError::NotFound)? } else { file.sha256 };
    let digest: Digest = format!("sha256:{hex}").parse().map_err(PypiError::internal)?;
    let size = index.file_size(&digest).await?;
    let etag = format!("\"{hex}\"");
    let content_type = if metadata { "text/plain; charset=utf-8" } else { "application/octet-stream" };
    let mut r = Response::new(Body::empty());
    let h = r.headers_mut();
    h.insert(header::ETAG, HeaderValue::from_str(&etag).map_err(PypiError::internal)?);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let inm = req.headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    if inm.is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*")) {
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        return Ok(r);
    }
    let range_header = req.headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (start, len) = match range::parse(range_header, size) {
        ByteRange::Full => (0, size),
        ByteRange::Partial { start, end } => {
            *r.status_mut() = StatusCode::PARTIAL_CONTENT;
            let cr = format!("bytes {start}-{end}/{size}");
            r.headers_mut().insert(header::CONTENT_RANGE, HeaderValue::from_str(&cr).map_err(PypiError::internal)?);
            (start, end - start + 1)
        }
        ByteRange::Unsatisfiable => {
            *r.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
            let cr = format!("bytes */{size}");
            r.headers_mut().insert(header::CONTENT_RANGE, HeaderValue::from_str(&cr).map_err(PypiError::internal)?);
            return Ok(r);
        }
    };
    r.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    if req.method != Method::HEAD {
        let reader = index.read_file(&digest, start, len).await?;
        *r.body_mut() = Body::from_stream(reader.into_stream());
    }
    Ok(r)
}
