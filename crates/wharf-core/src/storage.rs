//! How storage failures are told apart: a full disk or quota is the
//! server's condition (answered 507 with `Retry-After` and logged), never
//! the client's fault.

use std::io;

/// Seconds clients are asked to wait before retrying a write that found the
/// storage full.
pub const RETRY_AFTER_SECS: &str = "60";

/// Whether `e` says the disk or a quota is full (`ENOSPC`, `EDQUOT`).
pub fn is_full(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded)
}

#[cfg(test)]
mod tests {
    #[test]
    fn enospc_and_edquot_are_full() {
        assert!(super::is_full(&std::io::Error::from_raw_os_error(28)));
        assert!(super::is_full(&std::io::Error::from_raw_os_error(122)));
        assert!(!super::is_full(&std::io::Error::from_raw_os_error(13)));
    }
}
