//! End-to-end with the real Python clients against the built binary.
//!
//! Publishers: twine, uv publish, poetry publish, hatch publish and flit
//! publish upload packages built in the test; the files must then be listed
//! (with matching sha256) in the PEP 691 JSON page. Re-uploading identical
//! files is a no-op; a different file under an existing name is refused with
//! "File already exists".
//!
//! Installers: pip (plain and `--require-hashes`), `uv pip install`, `uv sync`
//! and `poetry install` resolve a private app and its private library, which
//! live in two projects of one group, from the group index only, and the
//! installed code is run.
//!
//! Every client runs with its config, cache and keyring isolated in a temp
//! dir; nothing is fetched from PyPI (packages are built without build
//! isolation and have no third-party dependencies).

use std::path::{Path, PathBuf};

use wharf_test_support::run;

// Real clients run against the wharf binary.
use crate::common::process_server as server;
use crate::python_env::*;

#[test]
#[ignore = "real client: runs with --include-ignored (scripts/test.sh)"]
fn twine_upload_reupload_and_conflict() {
    if !python_clients(&["twine"]) {
        return;
    }
    let s = server();
    let py = Py::new();
    lib_project(&py.path("lib"));
    let files = py.build(&py.path("lib"), &py.path("dist"));
    let url = upload_url(&s, "acme/lib");

    let out = run(&mut py.twine_upload(&url, &files));
    assert!(out.contains("Uploading demo_lib-1.0.0-py3-none-any.whl"), "{out}");
    let page = assert_listed(&s, "acme/lib", "demo-lib", "1.0.0", &files);
    assert_eq!(page["files"].as_array().unwrap().len(), 2, "{page:#}");

    // Identical bytes again: a no-op success.
    run(&mut py.twine_upload(&url, &files));
    let again = simple_json(&s, "acme/lib", "demo-lib");
    assert_eq!(again["files"], page["files"], "an identical re-upload changes nothing");

    // Different bytes under the same filename: refused.
    let changed = changed_lib(&py);
    assert_eq!(file_name(&changed[0]), file_name(&files[0]));
    assert_ne!(sha256_hex(&changed[0]), sha256_hex(&files[0]));
    for f in &changed {
        let out = run_fail(&mut py.twine_upload(&url, std::slice::from_ref(f)));
        assert!(out.contains("400 Bad Request"), "{out}");
        assert!(out.contains("File already exists"), "{out}");
    }
    assert_eq!(simple_json(&s, "acme/lib", "demo-lib")["files"], page["files"], "the refused files left no trace");
}

#[test]
#[ignore = "real client: runs with --include-ignored (scripts/test.sh)"]
fn uv_publish_reupload_and_conflict() {
    if !python_clients(&[]) {
        return;
    }
    let s = server();
    let py = Py::new();
    lib_project(&py.path("lib"));
    let files = py.build(&py.path("lib"), &py.path("dist"));
    let url = upload_url(&s, "acme/lib");
    let check_url = simple_url(&s, "acme/lib");

    run(&mut py.uv_publish(&url, &files));
    let page = assert_listed(&s, "acme/lib", "demo-lib", "1.0.0", &files);

    // Identical bytes again: the server answers the upload with a no-op 200 …
    let out = run_ok(&mut py.uv_publish(&url, &files));
    assert!(out.contains("Uploading demo_lib-1.0.0-py3-none-any.whl"), "{out}");
    // … and with --check-url uv finds both files (by sha256) and skips them.
    let out = run_ok(py.uv_publish(&url, &files).args(["--check-url", &check_url]));
    for f in &files {
        assert!(out.contains(&format!("File {} already exists, skipping", file_name(f))), "{out}");
    }
    assert_eq!(simple_json(&s, "acme/lib", "demo-lib")["files"], page["files"]);

    // Different bytes under the same filename: the server refuses …
    let changed = changed_lib(&py);
    let out = run_fail(&mut py.uv_publish(&url, &changed[1..]));
    assert!(out.contains("400 Bad Request"), "{out}");
    assert!(out.contains("File already exists"), "{out}");
    // … and with --check-url uv sees the hash mismatch on the index page.
    let out = run_fail(py.uv_publish(&url, &changed[1..]).args(["--check-url", &check_url]));
    assert!(out.contains("Local file and index file do not match"), "{out}");
    assert!(out.contains(&listed_sha256(&page, &file_name(&changed[1]))), "{out}");
    assert_eq!(simple_json(&s, "acme/lib", "demo-lib")["files"], page["files"]);
}

/// Runs a command that must succeed; returns stdout + stderr (uv reports
/// progress on stderr), whitespace collapsed.

#[test]
#[ignore = "real client: runs with --include-ignored (scripts/test.sh)"]
fn poetry_publish() {
    if !python_clients(&["poetry"]) {
        return;
    }
    let s = server();
    let py = Py::new();
    let dir = py.path("poet");
    write(
        &dir,
        "pyproject.toml",
        r#"[project]
name = "demo-poet"
version = "0.3.0"
description = "poetry-built Wharf test package"
requires-python = ">=3.8"

[tool.poetry]
packages = [{ include = "demo_poet", from = "src" }]

[build-system]
requires = ["poetry-core>=2.0"]
build-backend = "poetry.core.masonry.api"
"#,
    );
    write(&dir, "src/demo_poet/__init__.py", "def hi():\n    return 'poet'\n");
    let poetry = || {
        let mut c = py.cmd(tool("poetry"));
        c.arg("--no-interaction").arg("--directory").arg(&dir);
        c
    };
    run(poetry().arg("build"));
    let files = dist_files(&dir.join("dist"));
    run(poetry().args(["config", "repositories.wharf", &upload_url(&s, "acme/poet")]));
    run(poetry().args(["config", "http-basic.wharf", USER, PASSWORD]));
    let out = run(poetry().args(["publish", "-r", "wharf"]));
    assert!(out.contains("Publishing demo-poet (0.3.0) to wharf"), "{out}");
    let page = assert_listed(&s, "acme/poet", "demo-poet", "0.3.0", &files);
    // Publishing the same files again is a no-op success.
    run(poetry().args(["publish", "-r", "wharf"]));
    assert_eq!(simple_json(&s, "acme/poet", "demo-poet")["files"], page["files"]);
    // Rebuilt with other content under the same version: refused.
    write(&dir, "src/demo_poet/__init__.py", "def hi():\n    return 'changed'\n");
    run(poetry().arg("build"));
    let out = run_fail(poetry().args(["publish", "-r", "wharf"]));
    assert!(out.contains("File already exists"), "{out}");
    assert_eq!(simple_json(&s, "acme/poet", "demo-poet")["files"], page["files"]);
}

#[test]
#[ignore = "real client: runs with --include-ignored (scripts/test.sh)"]
fn hatch_publish() {
    if !python_clients(&["hatch"]) {
        return;
    }
    let s = server();
    let py = Py::new();
    let dir = py.path("hatched");
    hatch_project(&dir, "demo-hatched", "2.0.0", &[], "demo_hatched", "def hi():\n    return 'hatch'\n");
    let files = py.build(&dir, &py.path("dist-hatched"));
    let url = upload_url(&s, "acme/hatched");
    let publish = |files: &[PathBuf]| {
        let mut c = py.cmd(tool("hatch"));
        c.current_dir(&dir).args(["publish", "--no-prompt", "-r", &url, "-u", USER, "-a", PASSWORD]).args(files);
        c
    };
    // hatch reports on stderr.
    let out = run_ok(&mut publish(&files));
    for f in &files {
        assert!(out.contains(&format!("{} ... success", file_name(f))), "{out}");
    }
    let page = assert_listed(&s, "acme/hatched", "demo-hatched", "2.0.0", &files);
    // Again: hatch's devpi-style pre-check (`GET <upload url>/%2Bsimple/<project>/`)
    // finds the files on Wharf and skips them itself.
    let out = run_ok(&mut publish(&files));
    assert!(out.contains("already exists"), "{out}");
    assert_eq!(simple_json(&s, "acme/hatched", "demo-hatched")["files"], page["files"]);
    // Different bytes under a known filename: skipped by hatch, never overwritten.
    write(&dir, "src/demo_hatched/__init__.py", "def hi():\n    return 'changed'\n");
    let changed = py.build(&dir, &py.path("dist-hatched-changed"));
    let out = run_ok(&mut publish(&changed[..1]));
    assert!(out.contains("already exists"), "{out}");
    assert_eq!(simple_json(&s, "acme/hatched", "demo-hatched")["files"], page["files"]);
}

#[test]
#[ignore = "real client: runs with --include-ignored (scripts/test.sh)"]
fn flit_publish() {
    if !python_clients(&["flit"]) {
        return;
    }
    let s = server();
    let py = Py::new();
    let dir = py.path("flitted");
    write(
        &dir,
        "pyproject.toml",
        r#"[build-system]
requires = ["flit_core>=3.4,<5"]
build-backend = "flit_core.buildapi"

[project]
name = "demo-flitted"
version = "0.1.0"
description = "flit-built Wharf test package"
requires-python = ">=3.8"
"#,
    );
    write(&dir, "demo_flitted/__init__.py", "def hi():\n    return 'flit'\n");
    run(py
        .cmd(tool("flit"))
        .current_dir(&dir)
        .arg("publish")
        .env("FLIT_INDEX_URL", upload_url(&s, "acme/flitted"))
        .env("FLIT_USERNAME", USER)
        .env("FLIT_PASSWORD", PASSWORD));
    let files = dist_files(&dir.join("dist"));
    assert_listed(&s, "acme/flitted", "demo-flitted", "0.1.0", &files);
}

/// Builds the lib and the app and uploads them (twine) to `acme/lib` and
/// `acme/app`; returns the JSON pages of both, read from the group index.

#[test]
#[ignore = "real client: runs with --include-ignored (scripts/test.sh)"]
fn pip_installs_from_group_index() {
    if !python_clients(&["pip", "twine"]) {
        return;
    }
    let s = server();
    let py = Py::new();
    let (lib, app) = publish_lib_and_app(&s, &py);
    let index = simple_url(&s, "acme");
    let pip = |venv: &Path| {
        let mut c = py.cmd(tool("pip"));
        c.arg("--python").arg(venv.join("bin/python")).args(["install", "--no-cache-dir", "--index-url", &index]);
        c
    };

    // Plain: the app from one project, its dependency from another.
    let venv = py.fresh_venv("venv-pip");
    let out = run(pip(&venv).arg("demo-app"));
    assert!(out.contains("Successfully installed demo-app-1.2.0 demo-lib-1.0.0"), "{out}");
    py.assert_app_runs(&venv);

    // Hash-checking mode, hashes taken from the JSON pages.
    let reqs = py.path("requirements.txt");
    let line = |page: &serde_json::Value, version: &str| {
        let hashes: Vec<String> = page["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("--hash=sha256:{}", f["hashes"]["sha256"].as_str().unwrap()))
            .collect();
        format!("{}=={version} {}\n", page["name"].as_str().unwrap(), hashes.join(" "))
    };
    std::fs::write(&reqs, line(&app, "1.2.0") + &line(&lib, "1.0.0")).unwrap();
    let venv = py.fresh_venv("venv-hashes");
    let out = run(pip(&venv).arg("--require-hashes").arg("-r").arg(&reqs));
    assert!(out.contains("Successfully installed demo-app-1.2.0 demo-lib-1.0.0"), "{out}");
    py.assert_app_runs(&venv);

    // And a wrong hash is caught, so the hashes were really checked.
    std::fs::write(&reqs, line(&app, "1.2.0") + &format!("demo-lib==1.0.0 --hash=sha256:{}\n", "0".repeat(64)))
        .unwrap();
    let venv = py.fresh_venv("venv-bad-hash");
    let out = run_fail(pip(&venv).arg("--require-hashes").arg("-r").arg(&reqs));
    assert!(out.contains("DO NOT MATCH THE HASHES"), "{out}");
}

#[test]
#[ignore = "real client: runs with --include-ignored (scripts/test.sh)"]
fn uv_pip_install_and_uv_sync_from_group_index() {
    if !python_clients(&["twine"]) {
        return;
    }
    let s = server();
    let py = Py::new();
    let (lib, app) = publish_lib_and_app(&s, &py);
    let index = simple_url(&s, "acme");

    // uv pip install into a fresh venv.
    let venv = py.fresh_venv("venv-uv");
    let out = run_ok(
        py.cmd(tool("uv"))
            .args(["pip", "install", "--no-config", "--index-url", &index, "--python"])
            .arg(venv.join("bin/python"))
            .arg("demo-app"),
    );
    assert!(out.contains("+ demo-app==1.2.0") && out.contains("+ demo-lib==1.0.0"), "{out}");
    py.assert_app_runs(&venv);

    // uv sync of a project whose only (default) index is the group index.
    let dir = py.path("consumer-uv");
    write(
        &dir,
        "pyproject.toml",
        &format!(
            r#"[project]
name = "consumer-uv"
version = "0.0.1"
requires-python = ">=3.8"
dependencies = ["demo-app==1.2.0"]

[tool.uv]
package = false

[[tool.uv.index]]
name = "wharf"
url = "{index}"
default = true
"#
        ),
    );
    run(py.cmd(tool("uv")).current_dir(&dir).arg("sync").arg("--python").arg(venv_python()));
    let lock = std::fs::read_to_string(dir.join("uv.lock")).unwrap();
    for page in [&lib, &app] {
        for f in page["files"].as_array().unwrap() {
            let sha = f["hashes"]["sha256"].as_str().unwrap();
            assert!(lock.contains(&format!("hash = \"sha256:{sha}\"")), "{sha} not in uv.lock:\n{lock}");
        }
    }
    assert!(lock.contains(&format!("source = {{ registry = \"{index}\" }}")), "{lock}");
    py.assert_app_runs(&dir.join(".venv"));
}

#[test]
#[ignore = "real client: runs with --include-ignored (scripts/test.sh)"]
fn poetry_install_from_group_index() {
    if !python_clients(&["poetry", "twine"]) {
        return;
    }
    let s = server();
    let py = Py::new();
    publish_lib_and_app(&s, &py);
    let index = simple_url(&s, "acme");
    let dir = py.path("consumer-poetry");
    write(
        &dir,
        "pyproject.toml",
        &format!(
            r#"[project]
name = "consumer-poetry"
version = "0.0.1"
requires-python = ">=3.8"
dependencies = ["demo-app==1.2.0"]

[tool.poetry]
package-mode = false

[[tool.poetry.source]]
name = "wharf"
url = "{index}"
priority = "primary"
"#
        ),
    );
    let out = run(py.cmd(tool("poetry")).arg("--no-interaction").arg("--directory").arg(&dir).arg("install"));
    assert!(out.contains("Installing demo-lib (1.0.0)") && out.contains("Installing demo-app (1.2.0)"), "{out}");
    let lock = std::fs::read_to_string(dir.join("poetry.lock")).unwrap();
    assert!(lock.contains(&format!("url = \"{}\"", index.trim_end_matches('/'))), "{lock}");
    py.assert_app_runs(&dir.join(".venv"));
}

/// A PEP 440 local version (`+cu121`, as private GPU builds use) and an
/// epoch: pip re-encodes `+` and `!` in file links as `%2B` and `%21`, so the
/// file URLs must resolve in both spellings.
#[test]
#[ignore = "real client: runs with --include-ignored (scripts/test.sh)"]
fn pip_and_uv_install_local_and_epoch_versions() {
    if !python_clients(&["pip", "twine"]) {
        return;
    }
    let s = server();
    let py = Py::new();
    let code = "VARIANT = 'gpu'\n";
    hatch_project(&py.path("gpu"), "demo-gpu", "1!2.0.0+cu121", &[], "demo_gpu", code);
    let files = py.build(&py.path("gpu"), &py.path("dist"));
    assert!(file_name(&files[1]).contains("1!2.0.0+cu121"), "{files:?}");
    run(&mut py.twine_upload(&upload_url(&s, "acme/gpu"), &files));
    let index = simple_url(&s, "acme");

    let venv = py.fresh_venv("venv-pip");
    let out = run(py.cmd(tool("pip")).arg("--python").arg(venv.join("bin/python")).args([
        "install",
        "--no-cache-dir",
        "--index-url",
        &index,
        "demo-gpu==1!2.0.0+cu121",
    ]));
    assert!(out.contains("Successfully installed demo-gpu-1!2.0.0+cu121"), "{out}");

    let venv = py.fresh_venv("venv-uv");
    run(py
        .cmd(tool("uv"))
        .args(["pip", "install", "--no-config", "--no-cache", "--index-url", &index, "--python"])
        .arg(venv.join("bin/python"))
        .arg("demo-gpu==1!2.0.0+cu121"));
    let out = run(py.cmd(venv.join("bin/python")).args(["-c", "import demo_gpu; print(demo_gpu.VARIANT)"]));
    assert_eq!(out.trim(), "gpu");
}
