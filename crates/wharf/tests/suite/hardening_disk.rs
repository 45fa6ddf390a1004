//! A full disk is the server's condition, never the client's fault: a data
//! directory on a small tmpfs is filled up, writes get 507 with
//! `Retry-After`, `/readyz` says why, earlier content stays intact and
//! writes resume once space returns.

use std::path::{Path, PathBuf};

use std::process::Command;

use crate::common::{header, random_bytes, sha256, Oci};
use crate::pypi_http::{demo_wheel, upload};

/// A tmpfs of `mib` MiB mounted on `dir`, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// `None` (reported as not run) where mounting is not allowed; CI
    /// (`WHARF_TEST_REQUIRE_CLIENTS`) runs as root and must mount.
    fn mount(dir: &Path, mib: u32) -> Option<Tmpfs> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        // Fails with WHARF_TEST_REQUIRE_CLIENTS, else prints a NOT RUN line
        // that libtest does not capture.
        if !wharf_test_support::clients().found("a tmpfs mount (needs root)", ok).ready() {
            return None;
        }
        Some(Tmpfs(dir.to_path_buf()))
    }

    fn resize(&self, mib: u32) {
        let st = Command::new("mount").args(["-o", &format!("remount,size={mib}m")]).arg(&self.0).status().unwrap();
        assert!(st.success());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test]
async fn full_disk_is_a_server_error() {
    // The server's data directory becomes a small tmpfs.
    let mut s = wharf_test_support::TestServer::start(env!("CARGO_BIN_EXE_wharf"));
    s.stop();
    let Some(fs) = Tmpfs::mount(s.data_dir(), 24) else { return };
    s.start_again();
    let c = Oci::new(&s);
    let early = random_bytes(1 << 20);
    let early_digest = c.push_blob("team/app", &early).await;
    assert_eq!(c.get("/readyz").await.status(), 200);

    // A blob larger than what is left.
    let loc = c.start_upload("team/app").await;
    let big = random_bytes(1 << 20).repeat(40);
    let r = c
        .http
        .patch(c.url(&loc))
        .header("Content-Type", "application/octet-stream")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 507, "a full disk is not the client's fault");
    assert_eq!(header(r.headers(), "retry-after").as_deref(), Some("60"));
    // (The body is not read: the server answers before the client has sent
    // everything and closes the connection instead of draining 40 MiB.)

    // Fill what is left, then ask whether the server is ready.
    let filler = s.data_dir().join("filler");
    let _ = std::fs::write(&filler, vec![0u8; 24 << 20]);
    let ready = c.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    assert!(ready.text().await.unwrap().contains("out of space"));
    let (name, wheel) = demo_wheel("1.0");
    let r = upload(&c, "team/app", &name, &wheel).await;
    assert_eq!(r.status(), 507, "a full disk is not the uploader's fault");
    assert_eq!(header(r.headers(), "retry-after").as_deref(), Some("60"));

    // Earlier content is intact.
    let r = c.get(&format!("/v2/team/app/blobs/{early_digest}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(sha256(&r.bytes().await.unwrap()), early_digest);

    // Space returns: writes resume.
    std::fs::remove_file(&filler).unwrap();
    fs.resize(96);
    assert_eq!(c.get("/readyz").await.status(), 200);
    let d = c.push_blob("team/app", &big).await;
    assert_eq!(d, sha256(&big));
    assert_eq!(upload(&c, "team/app", &name, &wheel).await.status(), 200);
}
