//! The JSON admin API under `/api/v1/`. Errors are `{"error": "..."}`.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;
use wharf_core::policy::{self, Action, Decision, Principal, Resource};
use wharf_core::{Reference, RepoName, Tag};

use crate::AppState;

/// The one authorization point of the admin API (a route layer over all of
/// it): every operation needs [`Action::Admin`].
pub(crate) async fn require_admin(req: Request, next: Next) -> Response {
    let principal = req.extensions().get::<Principal>().cloned().unwrap_or(Principal::Anonymous);
    match policy::authorize(&principal, Action::Admin, &Resource::Registry) {
        Decision::Allow => next.run(req).await,
        Decision::Deny => {
            (StatusCode::FORBIDDEN, Json(json!({ "error": "administrator access required" }))).into_response()
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct TagRequest {
    /// `<repo>:<tag>` or `<repo>@<digest>`.
    source: String,
    /// `<repo>:<tag>`.
    target: String,
}

fn bad(msg: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": msg.into() }))).into_response()
}

/// Splits `repo:tag` or `repo@digest`.
pub fn split_image_ref(s: &str) -> Option<(RepoName, Reference)> {
    if let Some((repo, digest)) = s.split_once('@') {
        return Some((repo.parse().ok()?, Reference::Digest(digest.parse().ok()?)));
    }
    let (repo, tag) = s.rsplit_once(':')?;
    Some((repo.parse().ok()?, Reference::Tag(tag.parse().ok()?)))
}

/// `POST /api/v1/tags`: point a tag at an existing manifest (promotion).
pub(crate) async fn create_tag(State(state): State<AppState>, Json(req): Json<TagRequest>) -> Response {
    let Some((src, src_ref)) = split_image_ref(&req.source) else {
        return bad(format!("invalid source {:?}: expected <repo>:<tag> or <repo>@<digest>", req.source));
    };
    let Some((dst, Reference::Tag(dst_tag))) = split_image_ref(&req.target) else {
        return bad(format!("invalid target {:?}: expected <repo>:<tag>", req.target));
    };
    let dst_tag: Tag = dst_tag;
    match state.registry.promote(&src, &src_ref, &dst, &dst_tag).await {
        Ok(digest) => (
            StatusCode::CREATED,
            Json(json!({ "repository": dst.as_str(), "tag": dst_tag.as_str(), "digest": digest.to_string() })),
        )
            .into_response(),
        Err(e) if e.status.is_client_error() => (e.status, Json(json!({ "error": e.message }))).into_response(),
        Err(e) => (e.status, Json(json!({ "error": "internal server error" }))).into_response(),
    }
}

#[derive(Deserialize)]
pub(crate) struct PackageRequest {
    namespace: String,
    project: String,
    version: Option<String>,
    filename: Option<String>,
    reason: Option<String>,
}

fn pypi_result(r: Result<u64, wharf_pypi::PypiError>) -> Response {
    match r {
        Ok(n) => (StatusCode::OK, Json(json!({ "files": n }))).into_response(),
        Err(wharf_pypi::PypiError::NotFound) => {
            (StatusCode::NOT_FOUND, Json(json!({ "error": "no matching files" }))).into_response()
        }
        Err(e) if e.is_client_error() => bad(e.to_string()),
        Err(_) => {
            (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "error": "internal server error" }))).into_response()
        }
    }
}

async fn set_yanked(state: AppState, req: PackageRequest, yanked: bool) -> Response {
    let Ok(ns) = req.namespace.parse::<wharf_pypi::Namespace>() else {
        return bad(format!("invalid namespace {:?}", req.namespace));
    };
    let r = state
        .index
        .set_yanked(&ns, &req.project, req.version.as_deref(), req.filename.as_deref(), yanked, req.reason.as_deref())
        .await;
    pypi_result(r)
}

/// `POST /api/v1/pypi/yank`: yank a file, a release or a project (PEP 592).
pub(crate) async fn yank(State(state): State<AppState>, Json(req): Json<PackageRequest>) -> Response {
    set_yanked(state, req, true).await
}

/// `POST /api/v1/pypi/unyank`
pub(crate) async fn unyank(State(state): State<AppState>, Json(req): Json<PackageRequest>) -> Response {
    set_yanked(state, req, false).await
}

/// `POST /api/v1/pypi/delete`: delete a file, a release or a project.
pub(crate) async fn delete_package(State(state): State<AppState>, Json(req): Json<PackageRequest>) -> Response {
    let Ok(ns) = req.namespace.parse::<wharf_pypi::Namespace>() else {
        return bad(format!("invalid namespace {:?}", req.namespace));
    };
    pypi_result(state.index.delete(&ns, &req.project, req.version.as_deref(), req.filename.as_deref()).await)
}
