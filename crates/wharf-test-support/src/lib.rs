//! Test helpers shared by the integration suite: start the built `wharf`
//! binary on `127.0.0.1:0` with a temporary data directory (the port is read
//! from the line the server prints once it is listening, so no test sleeps
//! for readiness), restart it on the same data, or kill it with SIGKILL.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running `wharf serve` child process.
pub struct TestServer {
    bin: PathBuf,
    data: tempfile::TempDir,
    extra_args: Vec<String>,
    child: Option<Child>,
    addr: String,
}

impl TestServer {
    /// Starts `bin` (the path of the built `wharf`) on a fresh data dir.
    pub fn start(bin: impl AsRef<Path>) -> TestServer {
        TestServer::start_with(bin, &[])
    }

    /// Like [`TestServer::start`], with extra `serve` flags.
    pub fn start_with(bin: impl AsRef<Path>, args: &[&str]) -> TestServer {
        let data = tempfile::tempdir().expect("temp data dir");
        let mut s = TestServer {
            bin: bin.as_ref().to_path_buf(),
            data,
            extra_args: args.iter().map(|a| a.to_string()).collect(),
            child: None,
            addr: String::new(),
        };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        let mut child = Command::new(&self.bin)
            .arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(self.data.path())
            .args(&self.extra_args)
            .env("WHARF_LOG", std::env::var("WHARF_TEST_LOG").unwrap_or_else(|_| "warn".into()))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start wharf");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read wharf banner");
        let addr = line
            .trim()
            .strip_prefix("wharf listening on http://")
            .unwrap_or_else(|| panic!("unexpected wharf banner {line:?}"))
            .to_string();
        self.addr = addr;
        self.child = Some(child);
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// SIGKILL, no chance to clean up.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM and wait for a graceful exit.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let mut c = self.child.take().expect("server running");
        let _ = Command::new("kill").arg("-TERM").arg(c.id().to_string()).status();
        c.wait().expect("wait for wharf")
    }

    /// Starts again on the same data directory (new port).
    pub fn restart(&mut self) {
        if self.child.is_some() {
            self.stop();
        }
        self.spawn();
    }

    /// Starts again after a [`TestServer::kill9`].
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "server still running");
        self.spawn();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Finds a client program on `PATH`. A missing client fails the test
/// loudly: `scripts/test.sh` installs every one of them.
pub fn require_tool(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join(name)).find(|p| p.is_file()))
        .unwrap_or_else(|| panic!("required test client {name:?} is not installed (run scripts/install-test-deps.sh)"))
}

/// Runs a command, panicking with its output when it fails; returns stdout.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{cmd:?} failed ({}):\nstdout:\n{}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}
