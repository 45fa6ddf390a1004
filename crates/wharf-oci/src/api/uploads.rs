//! Blob uploads: `POST /blobs/uploads/` (start, monolithic, mount) and
//! `GET|PATCH|PUT|DELETE /blobs/uploads/<id>`.

use axum::body::Body;
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use wharf_core::{Digest, RepoName};

use super::blobs::parse_digest;
use super::{header_str, respond, Query};
use crate::error::{Code, OciError, Result};
use crate::service::{Registry, UploadStatus};

fn location(name: &RepoName, id: &str) -> String {
    format!("/v2/{name}/blobs/uploads/{id}")
}

/// `Range: 0-<last byte>`; an empty upload reports `0-0`, as distribution does.
fn range_value(len: u64) -> String {
    format!("0-{}", len.saturating_sub(1))
}

fn accepted(reg: &Registry, name: &RepoName, st: &UploadStatus, status: StatusCode) -> Response {
    let mut headers = vec![
        ("location", location(name, &st.id)),
        ("range", range_value(st.len)),
        ("docker-upload-uuid", st.id.clone()),
        ("content-length", "0".to_string()),
    ];
    if reg.config().chunk_min_length > 0 {
        headers.push(("oci-chunk-min-length", reg.config().chunk_min_length.to_string()));
    }
    respond(status, &headers, Body::empty())
}

fn created(name: &RepoName, digest: &Digest) -> Response {
    respond(
        StatusCode::CREATED,
        &[
            ("location", format!("/v2/{name}/blobs/{digest}")),
            ("docker-content-digest", digest.to_string()),
            ("content-length", "0".to_string()),
        ],
        Body::empty(),
    )
}

pub(crate) async fn start_upload(reg: &Registry, name: &RepoName, q: &Query, body: Body) -> Result<Response> {
    if let Some(mount) = q.get("mount") {
        let digest = parse_digest(mount)?;
        let from = match q.get("from") {
            Some(f) => {
                Some(f.parse::<RepoName>().map_err(|_| OciError::new(Code::NameInvalid, "invalid from repository"))?)
            }
            None => None,
        };
        if reg.mount_blob(name, &digest, from.as_ref()).await? {
            return Ok(created(name, &digest));
        }
    }
    let st = reg.start_upload(name).await?;
    match q.get("digest") {
        Some(d) if q.get("mount").is_none() => {
            let digest = match parse_digest(d) {
                Ok(d) => d,
                Err(e) => {
                    reg.cancel_upload(name, &st.id).await?;
                    return Err(e);
                }
            };
            let result = async {
                reg.append_upload(name, &st.id, None, body.into_data_stream()).await?;
                reg.finish_upload(name, &st.id, &digest).await
            }
            .await;
            match result {
                Ok(_) => Ok(created(name, &digest)),
                Err(e) => {
                    let _ = reg.cancel_upload(name, &st.id).await;
                    Err(e)
                }
            }
        }
        _ => Ok(accepted(reg, name, &st, StatusCode::ACCEPTED)),
    }
}

pub(crate) async fn get_upload(reg: &Registry, name: &RepoName, id: &str) -> Result<Response> {
    let st = reg.upload_status(name, id).await?;
    Ok(accepted(reg, name, &st, StatusCode::NO_CONTENT))
}

/// `Content-Range: <start>-<end>` of a chunk, checked against Content-Length.
fn chunk_start(h: &HeaderMap) -> Result<Option<u64>> {
    let Some(cr) = header_str(h, http::header::CONTENT_RANGE) else { return Ok(None) };
    let spec = cr.trim().strip_prefix("bytes ").unwrap_or(cr.trim());
    let spec = spec.split('/').next().unwrap_or("");
    let bad = || {
        OciError::new(Code::BlobUploadInvalid, format!("invalid Content-Range {cr:?}"))
            .with_status(StatusCode::RANGE_NOT_SATISFIABLE)
    };
    let (a, b) = spec.split_once('-').ok_or_else(bad)?;
    let (start, end): (u64, u64) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
    if end < start {
        return Err(bad());
    }
    if let Some(len) = header_str(h, http::header::CONTENT_LENGTH).and_then(|l| l.parse::<u64>().ok()) {
        if len != end - start + 1 {
            return Err(bad());
        }
    }
    Ok(Some(start))
}

/// Adds the session's current `Range` and `Location` to a 416 so the client can resume.
async fn with_resume_headers(reg: &Registry, name: &RepoName, id: &str, e: OciError) -> OciError {
    if e.status != StatusCode::RANGE_NOT_SATISFIABLE {
        return e;
    }
    match reg.upload_status(name, id).await {
        Ok(st) => e
            .with_header(http::header::RANGE, &range_value(st.len))
            .with_header(http::header::LOCATION, &location(name, id)),
        Err(_) => e,
    }
}

pub(crate) async fn patch_upload(
    reg: &Registry,
    name: &RepoName,
    id: &str,
    h: &HeaderMap,
    body: Body,
) -> Result<Response> {
    let result = async {
        let start = chunk_start(h)?;
        reg.append_upload(name, id, start, body.into_data_stream()).await
    }
    .await;
    match result {
        Ok(st) => Ok(accepted(reg, name, &st, StatusCode::ACCEPTED)),
        Err(e) => Err(with_resume_headers(reg, name, id, e).await),
    }
}

pub(crate) async fn put_upload(
    reg: &Registry,
    name: &RepoName,
    id: &str,
    q: &Query,
    h: &HeaderMap,
    body: Body,
) -> Result<Response> {
    let digest =
        parse_digest(q.get("digest").ok_or_else(|| OciError::new(Code::DigestInvalid, "digest parameter missing"))?)?;
    let start = match chunk_start(h) {
        Ok(s) => s,
        Err(e) => return Err(with_resume_headers(reg, name, id, e).await),
    };
    if let Err(e) = reg.append_upload(name, id, start, body.into_data_stream()).await {
        return Err(with_resume_headers(reg, name, id, e).await);
    }
    reg.finish_upload(name, id, &digest).await?;
    Ok(created(name, &digest))
}

pub(crate) async fn delete_upload(reg: &Registry, name: &RepoName, id: &str) -> Result<Response> {
    reg.cancel_upload(name, id).await?;
    Ok(respond(StatusCode::NO_CONTENT, &[], Body::empty()))
}
