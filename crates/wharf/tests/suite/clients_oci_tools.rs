//! End-to-end with daemonless OCI clients: buildah (push in OCI and Docker
//! formats), podman (pull, push, manifest push --all), skopeo (inspect,
//! copy --all, list-tags, delete) and oras (artifact + referrer).

use std::path::{Path, PathBuf};
use std::process::Command;

use wharf_test_support::{clients, require_tool, run};

use crate::common::*;
// Real clients run against the wharf binary.
use crate::common::process_server as server;

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().parent().unwrap()
}

/// Private containers config/storage for podman, buildah and skopeo (vfs:
/// no overlay mounts are left behind when the temp dir goes).
struct Containers {
    _dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Containers {
    fn new() -> Containers {
        let dir = tempfile::tempdir().unwrap();
        let out = run(Command::new(repo_root().join("scripts/containers-env.sh")).arg(dir.path()).arg("vfs"));
        let env = out
            .lines()
            .filter_map(|l| l.strip_prefix("export "))
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Containers { _dir: dir, env }
    }

    fn cmd(&self, tool: &str) -> Command {
        let mut c = Command::new(require_tool(tool));
        c.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        c
    }
}

async fn media_type(c: &Oci, path: &str) -> String {
    let r = c
        .http
        .get(c.url(path))
        .header(
            "accept",
            [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, "application/vnd.docker.distribution.manifest.list.v2+json"]
                .join(","),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK, "{path}");
    header(r.headers(), "content-type").unwrap()
}

#[tokio::test]
#[ignore = "real client: runs with --include-ignored (scripts/test.sh)"]
async fn buildah_podman_skopeo() {
    if !clients().on_path("buildah").on_path("podman").on_path("skopeo").ready() {
        return;
    }
    let s = server();
    let c = Oci::new(&s);
    let a = s.addr().to_string();
    let ct = Containers::new();
    // buildah: an image from scratch, pushed in both formats.
    let ctr = run(ct.cmd("buildah").args(["from", "scratch"])).trim().to_string();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), format!("marker {}", rand::random::<u64>())).unwrap();
    run(ct.cmd("buildah").args(["copy", &ctr, file.path().to_str().unwrap(), "/marker"]));
    run(ct.cmd("buildah").args(["config", "--cmd", "/bin/sh", &ctr]));
    run(ct.cmd("buildah").args(["commit", &ctr, "localhost/wharf-e2e:1"]));
    for (format, tag, want) in [("oci", "oci", OCI_MANIFEST), ("docker", "docker", DOCKER_MANIFEST)] {
        run(ct.cmd("buildah").args([
            "push",
            "--tls-verify=false",
            "--format",
            format,
            "localhost/wharf-e2e:1",
            &format!("docker://{a}/tools/buildah:{tag}"),
        ]));
        assert_eq!(media_type(&c, &format!("/v2/tools/buildah/manifests/{tag}")).await, want);
    }
    // podman: pull, tag, push; a manifest list pushed with --all.
    run(ct.cmd("podman").args(["pull", "--tls-verify=false", &format!("{a}/tools/buildah:oci")]));
    run(ct.cmd("podman").args(["tag", &format!("{a}/tools/buildah:oci"), &format!("{a}/tools/podman:1")]));
    run(ct.cmd("podman").args(["push", "--tls-verify=false", &format!("{a}/tools/podman:1")]));
    let list = format!("{a}/tools/multi:1");
    run(ct.cmd("podman").args(["manifest", "create", &list]));
    for (arch, src) in [("amd64", "buildah:oci"), ("arm64", "buildah:docker")] {
        run(ct.cmd("podman").args([
            "manifest",
            "add",
            "--tls-verify=false",
            "--arch",
            arch,
            &list,
            &format!("docker://{a}/tools/{src}"),
        ]));
    }
    run(ct.cmd("podman").args(["manifest", "push", "--all", "--tls-verify=false", &list, &format!("docker://{list}")]));
    let idx_type = media_type(&c, "/v2/tools/multi/manifests/1").await;
    assert!(idx_type == OCI_INDEX || idx_type.contains("manifest.list"), "{idx_type}");
    // skopeo: inspect, copy --all of the index, list-tags, delete.
    let inspect =
        run(ct.cmd("skopeo").args(["inspect", "--tls-verify=false", &format!("docker://{a}/tools/podman:1")]));
    let v: serde_json::Value = serde_json::from_str(&inspect).unwrap();
    assert_eq!(v["Name"], format!("{a}/tools/podman"));
    run(ct.cmd("skopeo").args([
        "copy",
        "--all",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        &format!("docker://{list}"),
        &format!("docker://{a}/prod/multi:1"),
    ]));
    let src = c.get("/v2/tools/multi/manifests/1").await.bytes().await.unwrap();
    let dst = c.get("/v2/prod/multi/manifests/1").await.bytes().await.unwrap();
    assert_eq!(src, dst, "copy --all keeps the index byte-exact");
    let tags = run(ct.cmd("skopeo").args(["list-tags", "--tls-verify=false", &format!("docker://{a}/tools/buildah")]));
    let v: serde_json::Value = serde_json::from_str(&tags).unwrap();
    assert_eq!(v["Tags"], serde_json::json!(["docker", "oci"]));
    run(ct.cmd("skopeo").args(["delete", "--tls-verify=false", &format!("docker://{a}/tools/podman:1")]));
    assert_eq!(c.get("/v2/tools/podman/manifests/1").await.status(), reqwest::StatusCode::NOT_FOUND);
}

fn venv_python() -> PathBuf {
    let venv = std::env::var("WHARF_VENV").map(PathBuf::from).unwrap_or_else(|_| repo_root().join(".venv"));
    let py = venv.join("bin/python");
    assert!(py.exists(), "{} missing: run scripts/install-test-deps.sh", py.display());
    py
}

/// The venv's python with the oras SDK.
fn oras_ready() -> bool {
    let venv = std::env::var("WHARF_VENV").map(PathBuf::from).unwrap_or_else(|_| repo_root().join(".venv"));
    let py = venv.join("bin/python");
    let oras = py.exists() && Command::new(&py).args(["-c", "import oras"]).output().is_ok_and(|o| o.status.success());
    clients().file(&py).found("the oras Python SDK", oras).ready()
}

#[test]
#[ignore = "real client: runs with --include-ignored (scripts/test.sh)"]
fn oras_artifact_and_referrer() {
    if !oras_ready() {
        return;
    }
    let s = server();
    let work = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/suite/oras_e2e.py");
    let out = run(Command::new(venv_python()).arg(script).arg(s.addr()).arg(work.path()));
    assert!(out.trim_end().ends_with("OK"), "{out}");
}

/// The real-client tests are `#[ignore]`d (a plain `cargo test` reports them
/// as ignored, never as passed); when `WHARF_TEST_REQUIRE_CLIENTS` is set
/// they must be part of the run.
#[test]
fn real_client_tests_run_when_required() {
    if wharf_test_support::clients_required() {
        assert!(
            wharf_test_support::ignored_tests_included(),
            "{} is set, but the real-client tests are #[ignore]d in this run: pass `-- --include-ignored` \
             (as scripts/test.sh does)",
            wharf_test_support::REQUIRE_CLIENTS
        );
    }
}
