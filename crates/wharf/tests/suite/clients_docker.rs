//! End-to-end with the real docker CLI and a real Docker daemon (Debian's
//! docker.io, started by scripts/start-dockerd.sh): push, multi-tag push,
//! pull, run, BuildKit builds with a base image and a registry cache from
//! Wharf, and the promote job.

use std::path::Path;
use std::process::Command;

use wharf_test_support::{clients, require_tool, run, TestServer};

// Real clients run against the wharf binary.
use crate::common::process_server as server;

/// Debian's client: it has BuildKit built in (the /usr/local/bin one lacks buildx).
const DOCKER: &str = "/usr/bin/docker";

fn docker_host() -> String {
    std::env::var("WHARF_TEST_DOCKER_HOST").unwrap_or_else(|_| "unix:///run/wharf-test-docker.sock".into())
}

/// The docker client, busybox, curl and the test daemon's socket (started by
/// scripts/start-dockerd.sh); see [`wharf_test_support::Clients::ready`].
fn docker_ready() -> bool {
    let host = docker_host();
    let daemon = host.strip_prefix("unix://").is_none_or(|sock| Path::new(sock).exists());
    clients()
        .file(DOCKER)
        .on_path("busybox")
        .on_path("curl")
        .found(&format!("a Docker daemon at {host} (scripts/start-dockerd.sh)"), daemon)
        .ready()
}

fn docker() -> Command {
    assert!(Path::new(DOCKER).exists(), "{DOCKER} missing: run scripts/install-test-deps.sh");
    let mut c = Command::new(DOCKER);
    c.env("DOCKER_HOST", docker_host()).env("DOCKER_BUILDKIT", "1");
    c
}

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().parent().unwrap()
}

/// A fresh local image (unique layer) made from busybox-static.
fn make_image(tag: &str, marker: &str) {
    require_tool("busybox");
    let mut c = Command::new(repo_root().join("scripts/make-test-image.sh"));
    c.args([tag, marker]);
    c.env("DOCKER_HOST", docker().get_envs().find(|(k, _)| *k == "DOCKER_HOST").unwrap().1.unwrap());
    run(&mut c);
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}-{}", std::process::id(), rand::random::<u32>())
}

fn pull_and_run(img: &str, marker: &str) {
    let _ = docker().args(["rmi", "-f", img]).output();
    run(docker().args(["pull", img]));
    let out = run(docker().args(["run", "--rm", "--network", "host", img, "cat", "/etc/wharf-marker"]));
    assert_eq!(out.trim(), marker);
}

#[test]
#[ignore = "real client: runs with --include-ignored (scripts/test.sh)"]
fn docker_push_pull_run_multitag_and_promote() {
    if !docker_ready() {
        return;
    }
    let s: TestServer = server();
    let marker = unique("push");
    let local = format!("wharf-e2e/{marker}:src");
    make_image(&local, &marker);
    let repo = format!("{}/team/app/busybox", s.addr());
    for tag in ["sha-3f2a1c9", "1.4.2", "latest"] {
        run(docker().args(["tag", &local, &format!("{repo}:{tag}")]));
    }
    let out = run(docker().args(["push", "--all-tags", &repo]));
    assert!(out.contains("digest: sha256:"), "{out}");
    let tags: serde_json::Value = serde_json::from_str(&run(
        Command::new("curl").args(["-sf", &format!("{}/v2/team/app/busybox/tags/list", s.url())])
    ))
    .unwrap();
    assert_eq!(tags["tags"], serde_json::json!(["1.4.2", "latest", "sha-3f2a1c9"]));
    for tag in ["sha-3f2a1c9", "1.4.2", "latest"] {
        let _ = docker().args(["rmi", "-f", &format!("{repo}:{tag}")]).output();
    }
    let _ = docker().args(["rmi", "-f", &local]).output();
    pull_and_run(&format!("{repo}:1.4.2"), &marker);
    // The promote job: test → prod without moving layers, then pull prod.
    run(Command::new(env!("CARGO_BIN_EXE_wharf")).args([
        "tag",
        "team/app/busybox:sha-3f2a1c9",
        "team/app/busybox:prod",
        "--server",
        &s.url(),
    ]));
    run(Command::new(env!("CARGO_BIN_EXE_wharf")).args([
        "tag",
        "team/app/busybox:prod",
        "release/busybox:1.4.2",
        "--server",
        &s.url(),
    ]));
    pull_and_run(&format!("{repo}:prod"), &marker);
    pull_and_run(&format!("{}/release/busybox:1.4.2", s.addr()), &marker);
}

#[test]
#[ignore = "real client: runs with --include-ignored (scripts/test.sh)"]
fn buildkit_build_from_wharf_base_with_registry_cache() {
    if !docker_ready() {
        return;
    }
    let s = server();
    let marker = unique("build");
    let local = format!("wharf-e2e/{marker}:base");
    make_image(&local, &marker);
    let base = format!("{}/team/base:1", s.addr());
    run(docker().args(["tag", &local, &base]));
    run(docker().args(["push", &base]));
    let _ = docker().args(["rmi", "-f", &base, &local]).output();

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {base}\nRUN echo built-{marker} > /built.txt && cat /etc/wharf-marker >> /built.txt\n"),
    )
    .unwrap();
    let img = format!("{}/team/app:1", s.addr());
    let build = |extra: &[&str]| {
        let mut c = docker();
        c.args(["build", "--network", "host", "--progress", "plain", "-t", &img]);
        c.args(extra);
        c.arg(dir.path());
        let out = c.output().unwrap();
        let text = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "docker build failed:\n{text}");
        text
    };
    build(&["--build-arg", "BUILDKIT_INLINE_CACHE=1"]);
    run(docker().args(["push", &img]));
    // Forget everything local: the second build can only get its cache from Wharf.
    let _ = docker().args(["rmi", "-f", &img]).output();
    run(docker().args(["builder", "prune", "-af"]));
    let out = build(&["--cache-from", &img]);
    assert!(out.contains("CACHED"), "second build did not reuse the registry cache:\n{out}");
    let out = run(docker().args(["run", "--rm", "--network", "host", &img, "cat", "/built.txt"]));
    assert_eq!(out, format!("built-{marker}\n{marker}\n"));
}
