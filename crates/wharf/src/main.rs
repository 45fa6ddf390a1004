//! The `wharf` command line: `serve`, `gc`, `config print-default`, `tag`, `pypi`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use wharf_server::config::{Config, Secret, DEFAULT_TOML};

#[derive(Parser)]
#[command(name = "wharf", version, about = "One registry for container images and Python packages")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the registry server.
    Serve(ServeArgs),
    /// Manage Python packages: yank, unyank, delete.
    #[command(subcommand)]
    Pypi(PypiCommand),
    /// Configuration helpers.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Remove blobs nothing references any more (deleted images' layers,
    /// deleted package files). Offline: stop the server first.
    Gc {
        #[command(flatten)]
        settings: ServeArgs,
        /// Report what would be removed, remove nothing.
        #[arg(long)]
        dry_run: bool,
        /// Keep links and blobs younger than this (a push in progress).
        #[arg(long, default_value_t = 3600)]
        grace_secs: u64,
    },
    /// Point a tag at an existing manifest without moving layers (promotion):
    /// `wharf tag group/app:test group/app:prod`.
    Tag {
        /// `<repo>:<tag>` or `<repo>@<digest>`.
        source: String,
        /// `<repo>:<tag>`.
        target: String,
        /// The Wharf server to talk to.
        #[arg(long, env = "WHARF_URL", default_value = "http://127.0.0.1:5000")]
        server: String,
    },
}

/// Which files of a project a package command applies to.
#[derive(Args)]
struct PackageTarget {
    /// The index namespace, e.g. `team/app`.
    namespace: String,
    /// The project name.
    project: String,
    /// Only this release.
    #[arg(long, conflicts_with = "file")]
    version: Option<String>,
    /// Only this file.
    #[arg(long)]
    file: Option<String>,
    /// The Wharf server to talk to.
    #[arg(long, env = "WHARF_URL", default_value = "http://127.0.0.1:5000")]
    server: String,
}

#[derive(Subcommand)]
enum PypiCommand {
    /// Yank a file, a release or a whole project (PEP 592).
    Yank {
        #[command(flatten)]
        target: PackageTarget,
        /// Why (shown by installers).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Undo a yank.
    Unyank {
        #[command(flatten)]
        target: PackageTarget,
    },
    /// Delete a file, a release or a project; deleted filenames are never reused.
    Delete {
        #[command(flatten)]
        target: PackageTarget,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print a commented wharf.toml with every default.
    PrintDefault,
}

#[derive(Args)]
struct ServeArgs {
    /// Configuration file (default: ./wharf.toml when it exists).
    #[arg(long, env = "WHARF_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "WHARF_LISTEN")]
    listen: Option<SocketAddr>,
    /// Data directory (metadata database and blobs).
    #[arg(long, env = "WHARF_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Log filter, e.g. `info` or `wharf=debug`.
    #[arg(long, env = "WHARF_LOG")]
    log: Option<String>,
    #[arg(long, env = "WHARF_MAX_MANIFEST_BYTES")]
    max_manifest_bytes: Option<usize>,
    #[arg(long, env = "WHARF_MAX_BLOB_BYTES")]
    max_blob_bytes: Option<u64>,
    #[arg(long, env = "WHARF_CHUNK_MIN_LENGTH")]
    chunk_min_length: Option<u64>,
    #[arg(long, env = "WHARF_AUTOMATIC_MOUNT")]
    automatic_mount: Option<bool>,
    #[arg(long, env = "WHARF_UPLOAD_MAX_AGE_SECS")]
    upload_max_age_secs: Option<u64>,
    #[arg(long, env = "WHARF_UPLOAD_REAP_INTERVAL_SECS")]
    upload_reap_interval_secs: Option<u64>,
    #[arg(long, env = "WHARF_MAX_PACKAGE_BYTES")]
    max_package_bytes: Option<u64>,
    #[arg(long, env = "WHARF_SHUTDOWN_GRACE_SECS")]
    shutdown_grace_secs: Option<u64>,
    #[arg(long, env = "WHARF_PAGE_CACHE_BYTES")]
    page_cache_bytes: Option<usize>,
    #[arg(long, env = "WHARF_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    #[arg(long, env = "WHARF_HEADER_READ_TIMEOUT_SECS")]
    header_read_timeout_secs: Option<u64>,
    #[arg(long, env = "WHARF_IDLE_TIMEOUT_SECS")]
    idle_timeout_secs: Option<u64>,
    #[arg(long, env = "WHARF_BODY_READ_TIMEOUT_SECS")]
    body_read_timeout_secs: Option<u64>,
    #[arg(long, env = "WHARF_MAX_CONCURRENT_UPLOADS")]
    max_concurrent_uploads: Option<usize>,
    #[arg(long, env = "WHARF_MAX_CONCURRENT_DOWNLOADS")]
    max_concurrent_downloads: Option<usize>,
    #[arg(long, env = "WHARF_PUBLIC_URL")]
    public_url: Option<String>,
    #[arg(long, env = "WHARF_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    #[arg(long, env = "WHARF_TLS_KEY")]
    tls_key: Option<PathBuf>,
    #[arg(long, env = "WHARF_BEARER_TOKEN_TTL_SECS")]
    bearer_token_ttl_secs: Option<u64>,
    #[arg(long, env = "WHARF_AUTH_FAILURES_PER_MINUTE")]
    auth_failures_per_minute: Option<u32>,
}

impl ServeArgs {
    /// Defaults < file < environment/flags (clap gives flags precedence over env).
    fn into_config(self) -> Result<Config> {
        let mut c = match &self.config {
            Some(path) => Config::load(path, true)?,
            None => Config::load(&PathBuf::from("wharf.toml"), false)?,
        };
        macro_rules! overlay {
            ($($f:ident),*) => { $( if let Some(v) = self.$f { c.$f = v; } )* };
        }
        overlay!(
            listen,
            data_dir,
            log,
            max_manifest_bytes,
            max_blob_bytes,
            chunk_min_length,
            automatic_mount,
            upload_max_age_secs,
            upload_reap_interval_secs,
            max_package_bytes,
            shutdown_grace_secs,
            page_cache_bytes,
            max_connections,
            header_read_timeout_secs,
            idle_timeout_secs,
            body_read_timeout_secs,
            max_concurrent_uploads,
            max_concurrent_downloads,
            bearer_token_ttl_secs,
            auth_failures_per_minute
        );
        macro_rules! overlay_some {
            ($($f:ident),*) => { $( if self.$f.is_some() { c.$f = self.$f; } )* };
        }
        overlay_some!(public_url, tls_cert, tls_key);
        // Secrets come from the environment (or a file it names), never
        // from flags, which other users can read in the process list.
        for (name, f) in [("WHARF_SECRET", &mut c.secret), ("WHARF_ADMIN_TOKEN", &mut c.admin_token)] {
            if let Some(v) = secret_from_env(name)? {
                *f = Some(Secret(v));
            }
        }
        Ok(c)
    }
}

/// `NAME`, or the contents of the file `NAME_FILE` names (trailing
/// newline removed).
fn secret_from_env(name: &str) -> Result<Option<String>> {
    if let Ok(v) = std::env::var(name) {
        return Ok(Some(v));
    }
    let Some(path) = std::env::var_os(format!("{name}_FILE")) else { return Ok(None) };
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {name}_FILE"))?;
    Ok(Some(text.trim_end_matches(['\n', '\r']).to_string()))
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Config(ConfigCommand::PrintDefault) => {
            print!("{DEFAULT_TOML}");
            Ok(())
        }
        Command::Serve(args) => serve(args.into_config()?),
        Command::Gc { settings, dry_run, grace_secs } => gc(settings.into_config()?, dry_run, grace_secs),
        Command::Tag { source, target, server } => tag(&server, &source, &target),
        Command::Pypi(cmd) => pypi(cmd),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

fn init_logging(config: &Config) -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&config.log).context("invalid log filter")?)
        .with_writer(std::io::stderr)
        .init();
    Ok(())
}

fn gc(config: Config, dry_run: bool, grace_secs: u64) -> Result<()> {
    init_logging(&config)?;
    let _lock = wharf_server::lock_data_dir(&config.data_dir)?;
    let grace = std::time::Duration::from_secs(grace_secs);
    let r = runtime()?.block_on(wharf_server::collect_garbage(&config, grace, dry_run))?;
    let verb = if dry_run { "would remove" } else { "removed" };
    println!(
        "{verb} {} blob link(s) and {} blob(s), {} bytes; kept {} blob(s)",
        r.links_removed, r.blobs_removed, r.bytes_freed, r.blobs_kept
    );
    Ok(())
}

fn serve(config: Config) -> Result<()> {
    init_logging(&config)?;
    let _lock = wharf_server::lock_data_dir(&config.data_dir)?;
    runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let addr = listener.local_addr()?;
        let state = wharf_server::open_state(&config).await?;
        // Tests and scripts read this line to learn the port (listen on :0):
        // it is printed once storage is open, so the server is ready.
        println!("wharf listening on http://{addr}");
        tracing::info!(%addr, data_dir = %config.data_dir.display(), "wharf started");
        wharf_server::launch(config, state, listener, shutdown_signal()).await?;
        tracing::info!("wharf stopped");
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing in-flight requests");
}

/// POSTs JSON to the admin API; returns the JSON answer or the error it gives.
fn admin_post(server: &str, path: &str, body: serde_json::Value) -> Result<serde_json::Value> {
    runtime()?.block_on(async {
        let url = format!("{}{path}", server.trim_end_matches('/'));
        let resp = reqwest::Client::new()
            .post(&url)
            .json(&body)
            .send()
            .await
            .with_context(|| format!("cannot reach {url}"))?;
        let status = resp.status();
        let body: serde_json::Value = resp.json().await.unwrap_or_default();
        if !status.is_success() {
            bail!("{}", body.get("error").and_then(|e| e.as_str()).unwrap_or("request failed"));
        }
        Ok(body)
    })
}

fn tag(server: &str, source: &str, target: &str) -> Result<()> {
    let body = admin_post(server, "/api/v1/tags", serde_json::json!({ "source": source, "target": target }))?;
    println!("{target} -> {}", body.get("digest").and_then(|d| d.as_str()).unwrap_or("?"));
    Ok(())
}

fn pypi(cmd: PypiCommand) -> Result<()> {
    let (path, t, reason) = match cmd {
        PypiCommand::Yank { target, reason } => ("/api/v1/pypi/yank", target, reason),
        PypiCommand::Unyank { target } => ("/api/v1/pypi/unyank", target, None),
        PypiCommand::Delete { target } => ("/api/v1/pypi/delete", target, None),
    };
    let body = serde_json::json!({
        "namespace": t.namespace, "project": t.project, "version": t.version, "filename": t.file, "reason": reason,
    });
    let answer = admin_post(&t.server, path, body)?;
    println!("{} file(s) changed", answer.get("files").and_then(|n| n.as_u64()).unwrap_or(0));
    Ok(())
}
