//! `GET|HEAD|PUT|DELETE /v2/<name>/manifests/<reference>`.

use axum::body::Body;
use axum::response::Response;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use http::{HeaderMap, StatusCode};
use wharf_core::{Reference, ReferenceError, RepoName, Tag};

use super::{header_str, respond, Query};
use crate::error::{Code, OciError, Result};
use crate::service::{ManifestPut, Registry};

fn manifest_unknown() -> OciError {
    OciError::new(Code::ManifestUnknown, "manifest unknown")
}

/// Strict parse for writes: a bad tag or digest is a 400.
fn parse_reference(s: &str) -> Result<Reference> {
    s.parse().map_err(|e| match e {
        ReferenceError::Tag => OciError::new(Code::TagInvalid, format!("invalid tag {s:?}")),
        ReferenceError::Digest(d) => OciError::new(Code::DigestInvalid, format!("invalid digest {s:?}: {d}")),
    })
}

/// Lenient parse for reads: a malformed digest is a 400, a name that could
/// never be a tag simply does not exist (404).
fn lookup_reference(s: &str) -> Result<Reference> {
    parse_reference(s).map_err(|e| if e.code == Code::TagInvalid { manifest_unknown() } else { e })
}

/// Does the client's `Accept` list allow `media_type`? No header, or a
/// wildcard, accepts everything.
fn acceptable(h: &HeaderMap, media_type: &str) -> bool {
    let mut any = false;
    for v in h.get_all(http::header::ACCEPT).iter().filter_map(|v| v.to_str().ok()) {
        for item in v.split(',') {
            let mut parts = item.split(';');
            let t = parts.next().unwrap_or("").trim();
            if t.is_empty() {
                continue;
            }
            any = true;
            let q_zero = parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            if !q_zero && (t == media_type || t == "*/*" || t == "application/*") {
                return true;
            }
        }
    }
    !any
}

pub(crate) async fn get_manifest(
    reg: &Registry,
    name: &RepoName,
    reference: &str,
    h: &HeaderMap,
    body: bool,
) -> Result<Response> {
    let reference = lookup_reference(reference)?;
    let (row, bytes) = if body {
        let (row, bytes) = reg.get_manifest(name, &reference).await?.ok_or_else(manifest_unknown)?;
        (row, Some(bytes))
    } else {
        (reg.stat_manifest(name, &reference).await?.ok_or_else(manifest_unknown)?, None)
    };
    if matches!(reference, Reference::Tag(_)) && !acceptable(h, &row.media_type) {
        return Err(OciError::new(
            Code::ManifestUnknown,
            format!("manifest is {}, which the Accept header does not allow", row.media_type),
        ));
    }
    let headers = [
        ("content-type", row.media_type.clone()),
        ("content-length", row.size.to_string()),
        ("docker-content-digest", row.digest.clone()),
        ("etag", format!("\"{}\"", row.digest)),
    ];
    Ok(respond(StatusCode::OK, &headers, bytes.map(Body::from).unwrap_or_else(Body::empty)))
}

/// Up to this many bytes (or the limit, if larger) a too-large body is
/// drained, so the client reads the 413 instead of a reset connection.
const DRAIN_LIMIT: usize = 16 * 1024 * 1024;

/// Reads a manifest body, refusing it with 413 past `limit` bytes.
async fn read_limited(h: &HeaderMap, body: Body, limit: usize) -> Result<Bytes> {
    let too_big = || {
        OciError::new(Code::SizeInvalid, format!("manifest exceeds the {limit} byte limit"))
            .with_status(StatusCode::PAYLOAD_TOO_LARGE)
    };
    let drain = limit.max(DRAIN_LIMIT);
    let declared = header_str(h, http::header::CONTENT_LENGTH).and_then(|l| l.parse::<usize>().ok());
    if declared.is_some_and(|l| l > drain) {
        return Err(too_big());
    }
    let mut stream = body.into_data_stream();
    let mut buf = BytesMut::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| OciError::new(Code::ManifestInvalid, format!("reading body: {e}")))?;
        seen += chunk.len();
        if seen > drain {
            return Err(too_big());
        }
        if seen <= limit {
            buf.extend_from_slice(&chunk);
        }
    }
    if seen > limit {
        return Err(too_big());
    }
    Ok(buf.freeze())
}

pub(crate) async fn put_manifest(
    reg: &Registry,
    name: &RepoName,
    reference: &str,
    q: &Query,
    h: &HeaderMap,
    body: Body,
) -> Result<Response> {
    let reference = parse_reference(reference)?;
    let extra_tags = q
        .all("tag")
        .map(|t| t.parse::<Tag>().map_err(|_| OciError::new(Code::TagInvalid, format!("invalid tag {t:?}"))))
        .collect::<Result<Vec<_>>>()?;
    let body = read_limited(h, body, reg.config().max_manifest_bytes).await?;
    let outcome = reg
        .put_manifest(ManifestPut {
            repo: name,
            reference: &reference,
            extra_tags,
            content_type: header_str(h, http::header::CONTENT_TYPE),
            body,
        })
        .await?;
    let mut headers = vec![
        ("location", format!("/v2/{name}/manifests/{}", outcome.digest)),
        ("docker-content-digest", outcome.digest.to_string()),
        ("content-length", "0".to_string()),
    ];
    if let Some(s) = &outcome.subject {
        headers.push(("oci-subject", s.to_string()));
    }
    if matches!(reference, Reference::Digest(_)) {
        headers.extend(outcome.tags.iter().map(|t| ("oci-tag", t.to_string())));
    }
    Ok(respond(StatusCode::CREATED, &headers, Body::empty()))
}

pub(crate) async fn delete_manifest(reg: &Registry, name: &RepoName, reference: &str) -> Result<Response> {
    let reference = lookup_reference(reference)?;
    reg.delete_manifest(name, &reference).await?;
    Ok(respond(StatusCode::ACCEPTED, &[("content-length", "0".into())], Body::empty()))
}
