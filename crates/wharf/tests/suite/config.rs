//! Settings as a user meets them: `wharf config print-default`, and the
//! precedence defaults < `wharf.toml` in the working directory < `WHARF_*`
//! environment < command-line flags, seen through the manifest size limit.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use reqwest::StatusCode;

const BIN: &str = env!("CARGO_BIN_EXE_wharf");

struct Running(Child, String);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `wharf serve` in `dir` with only the given env and flags (no --listen or
/// --data-dir unless given: those come from `dir/wharf.toml`).
fn serve(dir: &std::path::Path, env: &[(&str, &str)], flags: &[&str]) -> Running {
    let mut cmd = Command::new(BIN);
    cmd.arg("serve").args(flags).current_dir(dir).env("WHARF_LOG", "warn").stdout(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start wharf");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("wharf listening on ").unwrap_or_else(|| panic!("banner {line:?}")).to_string();
    Running(child, url)
}

/// The status of a manifest PUT of `n` bytes of junk: 413 above the limit,
/// 400 (invalid manifest) below it.
async fn put_junk(url: &str, n: usize) -> StatusCode {
    reqwest::Client::new()
        .put(format!("{url}/v2/cfg/app/manifests/t"))
        .header("content-type", "application/vnd.oci.image.manifest.v1+json")
        .body(vec![b'x'; n])
        .send()
        .await
        .unwrap()
        .status()
}

#[test]
fn print_default_is_a_commented_config_with_the_zero_config_defaults() {
    let out = Command::new(BIN).args(["config", "print-default"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with('#'), "{text}");
    assert!(text.contains("listen = \"127.0.0.1:5000\""), "{text}");
    assert!(text.contains("data_dir = \"./wharf-data\""), "{text}");
    // What it prints is a valid config file.
    let dir = tempfile::tempdir().unwrap();
    let config = text.replace("127.0.0.1:5000", "127.0.0.1:0");
    std::fs::write(dir.path().join("wharf.toml"), config).unwrap();
    let s = serve(dir.path(), &[], &[]);
    assert!(s.1.starts_with("http://127.0.0.1:"), "{}", s.1);
    assert!(dir.path().join("wharf-data").is_dir(), "the default data dir is ./wharf-data");
}

#[tokio::test]
async fn file_then_environment_then_flags() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("wharf.toml"),
        "listen = \"127.0.0.1:0\"\ndata_dir = \"./data\"\nmax_manifest_bytes = 1000\n",
    )
    .unwrap();

    let s = serve(dir.path(), &[], &[]);
    assert!(dir.path().join("data").is_dir(), "data_dir from wharf.toml");
    assert_eq!(put_junk(&s.1, 1500).await, StatusCode::PAYLOAD_TOO_LARGE, "file beats the default");
    drop(s);

    let env = [("WHARF_MAX_MANIFEST_BYTES", "2000")];
    let s = serve(dir.path(), &env, &[]);
    assert_eq!(put_junk(&s.1, 1500).await, StatusCode::BAD_REQUEST, "environment beats the file");
    assert_eq!(put_junk(&s.1, 2500).await, StatusCode::PAYLOAD_TOO_LARGE);
    drop(s);

    let s = serve(dir.path(), &env, &["--max-manifest-bytes", "3000"]);
    assert_eq!(put_junk(&s.1, 2500).await, StatusCode::BAD_REQUEST, "flag beats the environment");

    // A typo in the file is an error, not a silent default.
    std::fs::write(dir.path().join("wharf.toml"), "max_manifest_byte = 1\n").unwrap();
    let out = Command::new(BIN).arg("serve").current_dir(dir.path()).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("max_manifest_byte"), "{out:?}");
}
