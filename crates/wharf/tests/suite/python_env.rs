//! Helpers for the Python client tests: finding the venv's tools, an
//! isolated environment per test, building small real packages, and reading
//! Wharf's JSON simple pages.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest as _, Sha256};
use wharf_test_support::{clients, run, TestServer};

pub(crate) const SIMPLE_JSON: &str = "application/vnd.pypi.simple.v1+json";
/// Any credentials are accepted for now; a password that appears nowhere
/// else (hatch masks it in everything it prints).
pub(crate) const USER: &str = "ci-user";
pub(crate) const PASSWORD: &str = "s3cr3t-pw";

/// What `demo_app.run()` prints once app and lib are installed.
pub(crate) const APP_OUTPUT: &str = "demo-lib 1.0.0 greets demo-app";

pub(crate) fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().parent().unwrap()
}

/// The venv holding the Python clients: `$WHARF_VENV`, then `<repo>/.venv`.
pub(crate) fn venv_bins() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(v) = std::env::var_os("WHARF_VENV") {
        dirs.push(PathBuf::from(v).join("bin"));
    }
    dirs.push(repo_root().join(".venv/bin"));
    dirs
}

fn find_tool(name: &str) -> Option<PathBuf> {
    venv_bins().into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

/// A client from the test venv; a missing one fails the test loudly.
pub(crate) fn tool(name: &str) -> PathBuf {
    find_tool(name).unwrap_or_else(|| {
        panic!("required Python client {name:?} not found in {:?}: run scripts/install-test-deps.sh", venv_bins())
    })
}

/// Whether the venv has python, uv (every test builds with it) and `names`;
/// see [`wharf_test_support::Clients::ready`].
pub(crate) fn python_clients(names: &[&str]) -> bool {
    ["python", "uv"]
        .iter()
        .chain(names)
        .fold(clients(), |c, name| c.found(&format!("{name} (test venv)"), find_tool(name).is_some()))
        .ready()
}

pub(crate) fn venv_python() -> PathBuf {
    tool("python")
}

pub(crate) fn sha256_hex(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

pub(crate) fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_str().unwrap().to_string()
}

pub(crate) fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Runs a command that must fail; returns stdout + stderr with every run of
/// whitespace collapsed (clients wrap long messages).
pub(crate) fn run_fail(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let text = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "{cmd:?} unexpectedly succeeded:\n{text}");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A private home for the Python clients: config, caches and keyring live
/// under one temp dir, and the machine's `PIP_*`/`UV_*`/… settings are
/// dropped so nothing leaks in or between tests.
pub(crate) struct Py {
    dir: tempfile::TempDir,
}

impl Py {
    pub(crate) fn new() -> Py {
        let py = Py { dir: tempfile::tempdir().unwrap() };
        for d in ["home", "config", "cache", "data"] {
            std::fs::create_dir_all(py.path(d)).unwrap();
        }
        py
    }

    /// A path inside the sandbox.
    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `program` with the sandboxed environment, run from the sandbox's home
    /// (callers may override the directory).
    pub(crate) fn cmd(&self, program: impl AsRef<Path>) -> Command {
        let mut c = Command::new(program.as_ref());
        c.current_dir(self.path("home"));
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy();
            let foreign = ["PIP_", "UV_", "POETRY_", "HATCH_", "FLIT_", "TWINE_", "PYTHON", "VIRTUAL_ENV", "CONDA_"]
                .iter()
                .any(|p| k.starts_with(p));
            if foreign {
                c.env_remove(k.as_ref());
            }
        }
        let path = std::env::join_paths(
            [tool("python").parent().unwrap().to_path_buf()]
                .into_iter()
                .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
        )
        .unwrap();
        let (home, config, cache, data) =
            (self.path("home"), self.path("config"), self.path("cache"), self.path("data"));
        c.env("PATH", path)
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", &config)
            .env("XDG_CACHE_HOME", &cache)
            .env("XDG_DATA_HOME", &data)
            .env("PIP_CONFIG_FILE", "/dev/null")
            .env("PIP_CACHE_DIR", cache.join("pip"))
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env("PIP_NO_INPUT", "1")
            .env("PIP_KEYRING_PROVIDER", "disabled")
            .env("UV_CACHE_DIR", cache.join("uv"))
            .env("UV_PYTHON_DOWNLOADS", "never")
            .env("UV_KEYRING_PROVIDER", "disabled")
            .env("UV_NO_PROGRESS", "1")
            .env("POETRY_CONFIG_DIR", config.join("pypoetry"))
            .env("POETRY_CACHE_DIR", cache.join("pypoetry"))
            .env("POETRY_DATA_DIR", data.join("pypoetry"))
            .env("POETRY_VIRTUALENVS_IN_PROJECT", "true")
            .env("POETRY_VIRTUALENVS_USE_POETRY_PYTHON", "true")
            .env("POETRY_NO_INTERACTION", "1")
            .env("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("NO_COLOR", "1")
            .env("COLUMNS", "200")
            .env("TERM", "dumb");
        c
    }

    /// `uv build --no-build-isolation` with the venv's hatchling / flit_core /
    /// poetry-core; returns the built files (sdist and wheel), sorted.
    pub(crate) fn build(&self, project: &Path, out: &Path) -> Vec<PathBuf> {
        run(self
            .cmd(tool("uv"))
            .args(["build", "--no-config", "--no-build-isolation", "--python"])
            .arg(venv_python())
            .arg("--out-dir")
            .arg(out)
            .arg(project));
        dist_files(out)
    }

    /// A fresh, empty venv (no pip in it) for an installer to fill.
    pub(crate) fn fresh_venv(&self, name: &str) -> PathBuf {
        let dir = self.path(name);
        run(self.cmd(tool("uv")).args(["venv", "--no-config", "--quiet", "--python"]).arg(venv_python()).arg(&dir));
        dir
    }

    /// Runs the app installed in `venv` and checks what it prints and that
    /// both modules were imported from that venv.
    pub(crate) fn assert_app_runs(&self, venv: &Path) {
        let script =
            "import demo_app, demo_lib; print(demo_app.run()); print(demo_app.__file__); print(demo_lib.__file__)";
        let out = run(self.cmd(venv.join("bin/python")).args(["-c", script]));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], APP_OUTPUT, "{out}");
        let site = std::fs::canonicalize(venv).unwrap();
        for file in &lines[1..] {
            let file = std::fs::canonicalize(file).unwrap();
            assert!(file.starts_with(&site), "{} was not imported from {}", file.display(), site.display());
        }
    }

    pub(crate) fn twine_upload(&self, upload_url: &str, files: &[PathBuf]) -> Command {
        let mut c = self.cmd(tool("twine"));
        c.args(["upload", "--non-interactive", "--disable-progress-bar", "--repository-url", upload_url])
            .args(["-u", USER, "-p", PASSWORD])
            .args(files);
        c
    }

    pub(crate) fn uv_publish(&self, upload_url: &str, files: &[PathBuf]) -> Command {
        let mut c = self.cmd(tool("uv"));
        c.args(["publish", "--no-config", "--trusted-publishing", "never", "--publish-url", upload_url])
            .args(["--username", USER, "--password", PASSWORD])
            .args(files);
        c
    }
}

pub(crate) fn dist_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = file_name(p);
            n.ends_with(".whl") || n.ends_with(".tar.gz")
        })
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "expected a wheel and an sdist in {}: {files:?}", dir.display());
    files
}

/// A hatchling project with one package `module` (under `src/`).
pub(crate) fn hatch_project(dir: &Path, name: &str, version: &str, deps: &[&str], module: &str, code: &str) {
    let deps = deps.iter().map(|d| format!("{d:?}")).collect::<Vec<_>>().join(", ");
    write(
        dir,
        "pyproject.toml",
        &format!(
            r#"[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "{name}"
version = "{version}"
description = "Wharf end-to-end test package"
requires-python = ">=3.8"
dependencies = [{deps}]

[tool.hatch.build.targets.wheel]
packages = ["src/{module}"]
"#
        ),
    );
    write(dir, &format!("src/{module}/__init__.py"), code);
}

pub(crate) const LIB_CODE: &str = r#"__version__ = "1.0.0"


def greet(who):
    return "demo-lib {} greets {}".format(__version__, who)
"#;

pub(crate) const APP_CODE: &str = r#"from demo_lib import greet


def run():
    return greet("demo-app")
"#;

pub(crate) fn lib_project(dir: &Path) {
    hatch_project(dir, "demo-lib", "1.0.0", &[], "demo_lib", LIB_CODE);
}

pub(crate) fn app_project(dir: &Path) {
    hatch_project(dir, "demo-app", "1.2.0", &["demo-lib>=1.0"], "demo_app", APP_CODE);
}

pub(crate) fn upload_url(s: &TestServer, ns: &str) -> String {
    format!("{}/pypi/{ns}/", s.url())
}

pub(crate) fn simple_url(s: &TestServer, ns: &str) -> String {
    format!("{}/pypi/{ns}/simple/", s.url())
}

/// GET the PEP 691 JSON page of `project` under `ns`.
pub(crate) fn simple_json(s: &TestServer, ns: &str, project: &str) -> serde_json::Value {
    let url = format!("{}{project}/", simple_url(s, ns));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let r = reqwest::Client::new().get(&url).header("accept", SIMPLE_JSON).send().await.unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::OK, "GET {url}");
        let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        assert!(ct.starts_with(SIMPLE_JSON), "GET {url}: content-type {ct:?}");
        r.json().await.unwrap()
    })
}

/// Asserts that every local file is listed on the JSON page with its sha256
/// and returns the page.
pub(crate) fn assert_listed(
    s: &TestServer,
    ns: &str,
    project: &str,
    version: &str,
    files: &[PathBuf],
) -> serde_json::Value {
    let page = simple_json(s, ns, project);
    assert_eq!(page["name"], project, "{page:#}");
    assert!(page["versions"].as_array().unwrap().iter().any(|v| v == version), "{version} not in {page:#}");
    for f in files {
        let name = file_name(f);
        let entry = page["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["filename"] == name.as_str())
            .unwrap_or_else(|| panic!("{name} not listed on {ns}/simple/{project}/: {page:#}"));
        assert_eq!(entry["hashes"]["sha256"], sha256_hex(f), "{name}: {entry:#}");
    }
    page
}

/// The sha256 the JSON page gives for `filename`.
pub(crate) fn listed_sha256(page: &serde_json::Value, filename: &str) -> String {
    page["files"].as_array().unwrap().iter().find(|e| e["filename"] == filename).unwrap()["hashes"]["sha256"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Builds a changed copy of the lib (same name and version, different bytes).
pub(crate) fn changed_lib(py: &Py) -> Vec<PathBuf> {
    let dir = py.path("lib-changed");
    lib_project(&dir);
    write(&dir, "src/demo_lib/__init__.py", &format!("{LIB_CODE}\nCHANGED = {}\n", rand::random::<u32>()));
    py.build(&dir, &py.path("dist-changed"))
}

pub(crate) fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let text = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{cmd:?} failed ({}):\n{text}", out.status);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(crate) fn publish_lib_and_app(s: &TestServer, py: &Py) -> (serde_json::Value, serde_json::Value) {
    lib_project(&py.path("lib"));
    app_project(&py.path("app"));
    let lib = py.build(&py.path("lib"), &py.path("dist-lib"));
    let app = py.build(&py.path("app"), &py.path("dist-app"));
    run(&mut py.twine_upload(&upload_url(s, "acme/lib"), &lib));
    run(&mut py.twine_upload(&upload_url(s, "acme/app"), &app));
    (assert_listed(s, "acme", "demo-lib", "1.0.0", &lib), assert_listed(s, "acme", "demo-app", "1.2.0", &app))
}
