//! `GET|HEAD|DELETE /v2/<name>/blobs/<digest>`.

use axum::body::Body;
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use wharf_core::{Digest, RepoName};

use super::{header_str, respond};
use crate::error::{Code, OciError, Result};
use crate::service::Registry;
use wharf_core::range::{self, ByteRange};

pub(crate) fn parse_digest(s: &str) -> Result<Digest> {
    s.parse().map_err(|e| OciError::new(Code::DigestInvalid, format!("invalid digest {s:?}: {e}")))
}

fn blob_unknown() -> OciError {
    OciError::new(Code::BlobUnknown, "blob unknown to registry")
}

pub(crate) async fn get_blob(
    reg: &Registry,
    name: &RepoName,
    digest: &str,
    h: &HeaderMap,
    body: bool,
) -> Result<Response> {
    let digest = parse_digest(digest)?;
    let size = reg.blob_size(name, &digest).await?.ok_or_else(blob_unknown)?;
    let (status, start, len, content_range) = match range::parse(header_str(h, http::header::RANGE), size) {
        ByteRange::Full => (StatusCode::OK, 0, size, None),
        ByteRange::Partial { start, end } => {
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1, Some(format!("bytes {start}-{end}/{size}")))
        }
        ByteRange::Unsatisfiable => {
            // The spec has no error code for this: status and header only.
            let headers = [("content-range", format!("bytes */{size}")), ("content-length", "0".into())];
            return Ok(respond(StatusCode::RANGE_NOT_SATISFIABLE, &headers, Body::empty()));
        }
    };
    let mut headers = vec![
        ("content-type", "application/octet-stream".to_string()),
        ("content-length", len.to_string()),
        ("docker-content-digest", digest.to_string()),
        ("etag", format!("\"{digest}\"")),
        ("accept-ranges", "bytes".to_string()),
        ("cache-control", "max-age=31536000, immutable".to_string()),
    ];
    if let Some(cr) = content_range {
        headers.push(("content-range", cr));
    }
    if !body {
        return Ok(respond(status, &headers, Body::empty()));
    }
    let reader = reg.read_blob(&digest, start, len).await?.ok_or_else(blob_unknown)?;
    Ok(respond(status, &headers, Body::from_stream(reader.into_stream())))
}

pub(crate) async fn delete_blob(reg: &Registry, name: &RepoName, digest: &str) -> Result<Response> {
    let digest = parse_digest(digest)?;
    if !reg.delete_blob(name, &digest).await? {
        return Err(blob_unknown());
    }
    Ok(respond(StatusCode::ACCEPTED, &[("content-length", "0".into())], Body::empty()))
}
