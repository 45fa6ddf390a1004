//! Every route of the server, declared in one place.

use axum::routing::{any, get, post};
use axum::Router;
use http::StatusCode;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use wharf_oci::api::dispatch;

use crate::limits::TransferLimits;
use crate::{admin, AppState, Config};

pub(crate) fn router(state: AppState, config: &Config) -> Router {
    let limits = TransferLimits::new(
        config.max_concurrent_uploads,
        config.max_concurrent_downloads,
        std::time::Duration::from_secs(config.body_read_timeout_secs),
    );
    let oci = Router::new()
        .route("/v2", any(dispatch))
        .route("/v2/", any(dispatch))
        .route("/v2/{*rest}", any(dispatch))
        .with_state(state.registry.clone());
    let pypi = Router::new().route("/pypi/{*rest}", any(wharf_pypi::api::dispatch)).with_state(state.index.clone());
    let admin = Router::new()
        .route("/api/v1/tags", post(admin::create_tag))
        .route("/api/v1/pypi/yank", post(admin::yank))
        .route("/api/v1/pypi/unyank", post(admin::unyank))
        .route("/api/v1/pypi/delete", post(admin::delete_package))
        .route("/api/v1/{*rest}", any(admin::not_found))
        .method_not_allowed_fallback(admin::method_not_allowed)
        .route_layer(axum::middleware::from_fn(admin::require_admin))
        .with_state(state.clone());
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(state)
        .merge(oci)
        .merge(pypi)
        .merge(admin)
        .layer(limits)
        .layer(TraceLayer::new_for_http().on_response(DefaultOnResponse::new().level(Level::DEBUG)))
        .layer(CatchPanicLayer::new())
}

/// Ready when the metadata database answers and the data directory can take
/// writes (space left, a probe file written and synced).
async fn readyz(axum::extract::State(state): axum::extract::State<AppState>) -> (StatusCode, String) {
    if state.registry.meta().ping().await.is_err() {
        return (StatusCode::SERVICE_UNAVAILABLE, "metadata database unavailable".into());
    }
    match state.blobs.check_writable().await {
        Ok(()) => (StatusCode::OK, "ready".into()),
        Err(e) => {
            tracing::error!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, e.to_string())
        }
    }
}
