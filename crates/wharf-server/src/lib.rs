//! Composition root: builds every service from a [`Config`], declares all
//! routes in one place (`routes.rs`) and runs the server until shutdown.
//! The storage backends are chosen here, once.

mod admin;
pub mod config;
mod conn;
mod gc;
mod limits;
mod routes;
mod tasks;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;
use wharf_blob::BlobStore;
use wharf_meta::Meta;
use wharf_oci::{Registry, RegistryConfig};
use wharf_pypi::{IndexConfig, PackageIndex};

pub use config::Config;
pub use gc::{collect_garbage, lock_data_dir, DataDirLock, GcReport};

/// Why the server could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot open the data directory {0}: {1}")]
    DataDir(String, std::io::Error),
    #[error(transparent)]
    Meta(#[from] wharf_meta::MetaError),
    #[error("server failed: {0}")]
    Serve(std::io::Error),
    #[error("the data directory {0} is in use by another wharf process (stop it first)")]
    Locked(String),
    #[error("garbage collection stopped, nothing more was removed: {0}")]
    Gc(String),
}

/// Everything a request handler may reach.
#[derive(Clone)]
pub struct AppState {
    pub registry: Arc<Registry>,
    pub index: Arc<PackageIndex>,
    pub blobs: Arc<BlobStore>,
}

/// Opens storage as configured and returns the application state.
pub async fn open_state(config: &Config) -> Result<AppState, ServerError> {
    let dir = &config.data_dir;
    let err = |e| ServerError::DataDir(dir.display().to_string(), e);
    tokio::fs::create_dir_all(dir).await.map_err(err)?;
    let meta = Meta::open_sqlite(&dir.join("wharf.db")).await?;
    let blobs = Arc::new(BlobStore::open(dir).await.map_err(err)?);
    let index = Arc::new(PackageIndex::new(
        meta.clone(),
        blobs.clone(),
        IndexConfig {
            max_file_bytes: config.max_package_bytes,
            page_cache_bytes: config.page_cache_bytes,
            ..IndexConfig::default()
        },
    ));
    let registry = Arc::new(Registry::new(
        meta,
        blobs.clone(),
        RegistryConfig {
            max_manifest_bytes: config.max_manifest_bytes,
            max_blob_bytes: config.max_blob_bytes,
            chunk_min_length: config.chunk_min_length,
            automatic_mount: config.automatic_mount,
        },
    ));
    Ok(AppState { registry, index, blobs })
}

/// Serves `state` on `listener` until `shutdown` resolves, then lets
/// in-flight requests finish (for at most `shutdown_grace_secs`).
pub async fn launch(
    config: Config,
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let staged = tasks::staged_before_start(&state.registry).await;
    let reaper = tokio::spawn(tasks::reap_uploads(
        state.registry.clone(),
        staged,
        config.upload_max_age_secs,
        config.upload_reap_interval_secs,
    ));
    let app = routes::router(state, &config);
    let limits = conn::ConnLimits {
        max_connections: config.max_connections,
        header_read_timeout: std::time::Duration::from_secs(config.header_read_timeout_secs),
        idle_timeout: std::time::Duration::from_secs(config.idle_timeout_secs),
    };
    // Once `shutdown` fires, in-flight requests get `shutdown_grace_secs`;
    // a stalled client cannot hold the process open for ever.
    let (fired_tx, mut fired_rx) = tokio::sync::watch::channel(false);
    let shutdown = async move {
        shutdown.await;
        let _ = fired_tx.send(true);
    };
    let grace = std::time::Duration::from_secs(config.shutdown_grace_secs);
    let deadline = async move {
        if fired_rx.wait_for(|fired| *fired).await.is_err() {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(grace).await;
    };
    let result = tokio::select! {
        r = conn::serve(listener, app, limits, shutdown) => r,
        () = deadline => {
            tracing::warn!(grace_secs = grace.as_secs(), "shutdown grace period over; cutting off in-flight requests");
            Ok(())
        }
    };
    reaper.abort();
    result.map_err(ServerError::Serve)
}
