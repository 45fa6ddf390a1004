//! Test helpers shared by the integration suite.
//!
//! [`TestServer`] is a Wharf server on `127.0.0.1:0` with a temporary data
//! directory, in one of two forms:
//! - [`TestServer::in_process`]: `wharf_server::open_state` + `launch` on a
//!   runtime of its own inside the test process. Protocol tests use it: no
//!   process start, and the same router, connection handling and storage as
//!   `wharf serve`. It cannot be killed, stopped or restarted.
//! - [`TestServer::start`]: the built `wharf` binary as a child process (the
//!   port is read from the line the server prints once it is listening, so
//!   no test sleeps for readiness), for tests that restart it, kill it with
//!   SIGKILL, send it signals or pass it command-line flags.
//!
//! Real-client tests (docker, podman, twine, …) check for their tools with
//! [`clients`]: a missing tool fails the test loudly when
//! `WHARF_TEST_REQUIRE_CLIENTS` is set, and is reported as `NOT RUN`
//! otherwise.

use std::io::{BufRead, BufReader, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use wharf_server::{Config, DataDirLock};

/// The first admin's token on every test server (`WHARF_ADMIN_TOKEN`).
pub const ADMIN_TOKEN: &str = "wharf_test_admin_0123456789abcdefghijklmnopqrstuv";

/// `Authorization: Basic` for [`ADMIN_TOKEN`], with the username docker
/// users type for tokens.
pub fn admin_basic() -> String {
    use base64::Engine as _;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("__token__:{ADMIN_TOKEN}")))
}

/// A reqwest client that presents [`ADMIN_TOKEN`] on every request (HTTP
/// Basic straight to the API, as curl and scripts do).
pub fn admin_client() -> reqwest::Client {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert(reqwest::header::AUTHORIZATION, admin_basic().parse().expect("header value"));
    reqwest::Client::builder().default_headers(h).build().expect("reqwest client")
}

/// A running Wharf server: a `wharf serve` child process or an in-process one.
pub struct TestServer {
    kind: Kind,
    data: tempfile::TempDir,
    addr: String,
}

enum Kind {
    Process {
        bin: PathBuf,
        extra_args: Vec<String>,
        child: Option<Child>,
    },
    InProcess {
        stop: Option<tokio::sync::oneshot::Sender<()>>,
        thread: Option<std::thread::JoinHandle<()>>,
        _lock: DataDirLock,
    },
}

impl TestServer {
    /// An in-process server with the default configuration on a fresh data dir.
    pub fn in_process() -> TestServer {
        TestServer::in_process_with(|_| {})
    }

    /// Like [`TestServer::in_process`], with the configuration adjusted by
    /// `configure` (`listen` and `data_dir` are set before it runs).
    pub fn in_process_with(configure: impl FnOnce(&mut Config)) -> TestServer {
        init_logging();
        let data = tempfile::tempdir().expect("temp data dir");
        let mut config = Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: data.path().into(),
            admin_token: Some(wharf_server::config::Secret(ADMIN_TOKEN.into())),
            ..Config::default()
        };
        configure(&mut config);
        let lock = wharf_server::lock_data_dir(&config.data_dir).expect("lock the data dir");
        // A thread and a runtime of its own, as `wharf serve` has: its worker
        // threads and blocking pool are not the test's.
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("wharf-test-server".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .thread_name("wharf-test-server")
                    .build()
                    .expect("server runtime");
                runtime.block_on(async move {
                    let serve = async move {
                        let started = async {
                            let listener =
                                tokio::net::TcpListener::bind(config.listen).await.map_err(|e| e.to_string())?;
                            let addr = listener.local_addr().map_err(|e| e.to_string())?;
                            let state = wharf_server::open_state(&config).await.map_err(|e| e.to_string())?;
                            Ok::<_, String>((listener, addr, state))
                        };
                        match started.await {
                            Err(e) => {
                                let _ = ready_tx.send(Err(e));
                            }
                            Ok((listener, addr, state)) => {
                                let _ = ready_tx.send(Ok(addr));
                                let never = std::future::pending();
                                if let Err(e) = wharf_server::launch(config, state, listener, never).await {
                                    eprintln!("in-process wharf stopped: {e}");
                                }
                            }
                        }
                    };
                    tokio::select! {
                        () = serve => {}
                        _ = stop_rx => {}
                    }
                });
                // Whatever is still running ends at its next await, as in a
                // crash; blocking jobs are not waited for.
                runtime.shutdown_background();
            })
            .expect("server thread");
        let addr = ready_rx
            .recv()
            .expect("in-process wharf start-up")
            .unwrap_or_else(|e| panic!("cannot start in-process wharf: {e}"));
        TestServer {
            kind: Kind::InProcess { stop: Some(stop_tx), thread: Some(thread), _lock: lock },
            data,
            addr: addr.to_string(),
        }
    }

    /// Starts `bin` (the path of the built `wharf`) on a fresh data dir.
    pub fn start(bin: impl AsRef<Path>) -> TestServer {
        TestServer::start_with(bin, &[])
    }

    /// Like [`TestServer::start`], with extra `serve` flags.
    pub fn start_with(bin: impl AsRef<Path>, args: &[&str]) -> TestServer {
        let data = tempfile::tempdir().expect("temp data dir");
        let mut s = TestServer {
            kind: Kind::Process {
                bin: bin.as_ref().to_path_buf(),
                extra_args: args.iter().map(|a| a.to_string()).collect(),
                child: None,
            },
            data,
            addr: String::new(),
        };
        s.spawn();
        s
    }

    /// Whether this server runs inside the test process.
    pub fn is_in_process(&self) -> bool {
        matches!(self.kind, Kind::InProcess { .. })
    }

    fn spawn(&mut self) {
        let Kind::Process { bin, extra_args, child: slot } = &mut self.kind else { needs_binary("starting again") };
        let mut child = Command::new(&*bin)
            .arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(self.data.path())
            .args(&*extra_args)
            .env("WHARF_LOG", std::env::var("WHARF_TEST_LOG").unwrap_or_else(|_| "warn".into()))
            .env("WHARF_ADMIN_TOKEN", ADMIN_TOKEN)
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
        *slot = Some(child);
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

    fn child(&mut self, what: &str) -> &mut Option<Child> {
        match &mut self.kind {
            Kind::Process { child, .. } => child,
            Kind::InProcess { .. } => needs_binary(what),
        }
    }

    /// SIGKILL, no chance to clean up.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child("kill -9").take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM and wait for a graceful exit.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let mut c = self.child("SIGTERM").take().expect("server running");
        let _ = Command::new("kill").arg("-TERM").arg(c.id().to_string()).status();
        c.wait().expect("wait for wharf")
    }

    /// Starts again on the same data directory (new port).
    pub fn restart(&mut self) {
        if self.child("a restart").is_some() {
            self.stop();
        }
        self.spawn();
    }

    /// Starts again after a [`TestServer::kill9`].
    pub fn start_again(&mut self) {
        assert!(self.child("starting again").is_none(), "server still running");
        self.spawn();
    }
}

fn needs_binary(what: &str) -> ! {
    panic!(
        "{what} needs the wharf binary: this test's server runs in-process; \
         start it with TestServer::start (common::process_server() in the suite)"
    )
}

impl Drop for TestServer {
    fn drop(&mut self) {
        match &mut self.kind {
            Kind::Process { child, .. } => {
                if let Some(mut c) = child.take() {
                    let _ = c.kill();
                    let _ = c.wait();
                }
            }
            Kind::InProcess { stop, thread, .. } => {
                drop(stop.take());
                if let Some(t) = thread.take() {
                    let _ = t.join();
                }
            }
        }
    }
}

/// The in-process servers log to stderr as the binary does: `WHARF_TEST_LOG`
/// (default `warn`).
fn init_logging() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let filter = std::env::var("WHARF_TEST_LOG").unwrap_or_else(|_| "warn".into());
        if let Ok(filter) = tracing_subscriber::EnvFilter::try_new(filter) {
            let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
        }
    });
}

/// The environment variable that makes every real-client test mandatory
/// (`scripts/test.sh` sets it): a missing tool fails the test, and the
/// `#[ignore]`d client tests must be part of the run (`--include-ignored`).
pub const REQUIRE_CLIENTS: &str = "WHARF_TEST_REQUIRE_CLIENTS";

/// Whether [`REQUIRE_CLIENTS`] is set (to anything but empty or `0`).
pub fn clients_required() -> bool {
    std::env::var_os(REQUIRE_CLIENTS).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Whether this test binary was asked to run `#[ignore]`d tests too.
pub fn ignored_tests_included() -> bool {
    std::env::args().any(|a| a == "--include-ignored" || a == "--ignored")
}

/// A program on `PATH`.
pub fn find_tool(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|p| p.join(name)).find(|p| p.is_file()))
}

/// Finds a client program on `PATH`; a missing one fails the test. Check
/// with [`clients`] first so that a missing tool is reported as `NOT RUN`.
pub fn require_tool(name: &str) -> PathBuf {
    find_tool(name)
        .unwrap_or_else(|| panic!("required test client {name:?} is not installed (run scripts/install-test-deps.sh)"))
}

/// What a real-client test needs; see [`Clients::ready`].
pub fn clients() -> Clients {
    Clients { missing: Vec::new() }
}

/// The tools one real-client test needs, collected before it starts.
#[must_use]
pub struct Clients {
    missing: Vec<String>,
}

impl Clients {
    /// A program on `PATH`.
    pub fn on_path(self, name: &str) -> Clients {
        let found = find_tool(name).is_some();
        self.found(name, found)
    }

    /// A file that must exist (an absolute program path, a socket, a venv's tool).
    pub fn file(self, path: impl AsRef<Path>) -> Clients {
        let path = path.as_ref();
        self.found(&path.display().to_string(), path.exists())
    }

    /// Anything else, described by `what`.
    pub fn found(mut self, what: &str, present: bool) -> Clients {
        if !present {
            self.missing.push(what.to_string());
        }
        self
    }

    /// `true` when everything is there. Otherwise the test must return
    /// at once: with [`REQUIRE_CLIENTS`] set this panics, naming what is
    /// missing; without it, it prints `NOT RUN: <test>: <tool> missing` to the
    /// real stderr (libtest does not capture it, so the line is seen) and
    /// returns `false`.
    pub fn ready(self) -> bool {
        if self.missing.is_empty() {
            return true;
        }
        let thread = std::thread::current();
        let test = thread.name().filter(|n| *n != "main").unwrap_or("a real-client test");
        let missing = self.missing.join(", ");
        if clients_required() {
            panic!(
                "{REQUIRE_CLIENTS} is set but {test} cannot run: missing {missing} (run scripts/install-test-deps.sh)"
            );
        }
        let _ =
            writeln!(std::io::stderr(), "NOT RUN: {test}: missing {missing} (set {REQUIRE_CLIENTS}=1 to fail instead)");
        false
    }
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

#[cfg(test)]
mod tests {
    use std::io::{Read as _, Write as _};
    use std::net::TcpStream;

    use super::*;

    fn get(addr: &str, path: &str) -> String {
        let mut s = TcpStream::connect(addr).expect("connect");
        write!(s, "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn in_process_server_serves_holds_the_lock_and_is_gone_when_dropped() {
        let s = TestServer::in_process();
        assert!(s.is_in_process());
        assert!(get(s.addr(), "/healthz").starts_with("HTTP/1.1 200"));
        assert!(s.data_dir().join("wharf.db").exists());
        assert!(wharf_server::lock_data_dir(s.data_dir()).is_err(), "a second process would be refused");
        let addr = s.addr().to_string();
        drop(s);
        assert!(TcpStream::connect(&addr).is_err(), "the listener closes with the server");
    }

    #[test]
    #[should_panic(expected = "needs the wharf binary")]
    fn an_in_process_server_cannot_be_killed() {
        TestServer::in_process().kill9();
    }
}
