//! Background tasks. Each runs forever and is aborted at shutdown.

use std::sync::Arc;
use std::time::Duration;

use wharf_oci::Registry;

/// Upload files present before the server accepts connections: the reaper
/// first removes those that no session owns (package uploads are staged
/// without a session, so a crash leaves their files behind) instead of
/// leaving them for a day. Files created after this listing are never in it,
/// so no live upload is touched.
pub(crate) async fn staged_before_start(registry: &Registry) -> Vec<String> {
    registry.blobs().idle_uploads(Duration::ZERO).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "cannot list staged uploads");
        Vec::new()
    })
}

/// Removes the unowned files among `before_start`, then, every `every_secs`,
/// upload sessions idle for longer than `max_age_secs`.
pub(crate) async fn reap_uploads(
    registry: Arc<Registry>,
    before_start: Vec<String>,
    max_age_secs: u64,
    every_secs: u64,
) {
    remove_unowned(&registry, before_start).await;
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

/// Deletes the files among `ids` that no upload session owns.
async fn remove_unowned(registry: &Registry, ids: Vec<String>) {
    let mut removed = 0usize;
    for id in ids {
        match registry.meta().upload_repo(&id).await {
            Ok(Some(_)) => continue,
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = ?e, "cannot check staged uploads against their sessions");
                return;
            }
        }
        match registry.blobs().delete_upload(&id).await {
            Ok(()) => removed += 1,
            Err(e) => tracing::warn!(error = %e, upload = %id, "cannot remove a staged upload file"),
        }
    }
    if removed > 0 {
        tracing::info!(removed, "removed staged upload files no session owns (left by a crash)");
    }
}
