//! Background tasks. Each runs forever and is aborted at shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use wharf_oci::Registry;

/// Removes upload sessions idle for longer than `max_age_secs`.
///
/// Called before the server accepts connections: it lists the upload files
/// present then, and the task first removes those that no session owns —
/// package uploads are staged without a session, so a crash leaves their
/// files behind — instead of leaving them to the reaper for a day. Files
/// created after the listing are never in it, so no live upload is touched.
pub(crate) fn reap_uploads(registry: Arc<Registry>, max_age_secs: u64, every_secs: u64) -> impl Future<Output = ()> {
    let before_start = upload_files(&registry);
    async move {
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
}

/// Ids of the files in the upload directory (where the blob store puts them).
fn upload_files(registry: &Registry) -> Vec<String> {
    registry.blobs().upload_ids_now().unwrap_or_else(|e| {
        tracing::warn!(error = %e, "cannot list staged uploads");
        Vec::new()
    })
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
