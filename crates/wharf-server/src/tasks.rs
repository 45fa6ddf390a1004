//! Background tasks. Each runs forever and is aborted at shutdown.

use std::sync::Arc;
use std::time::Duration;

use wharf_oci::Registry;

/// Removes upload sessions idle for longer than `max_age_secs`.
pub(crate) async fn reap_uploads(registry: Arc<Registry>, max_age_secs: u64, every_secs: u64) {
    let mut tick = tokio::time::interval(Duration::from_secs(every_secs.max(1)));
    loop {
        tick.tick().await;
        match registry.reap_uploads(max_age_secs as i64).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "reaped abandoned upload sessions"),
            Err(e) => tracing::warn!(error = ?e, "upload reaper failed"),
        }
    }
}
