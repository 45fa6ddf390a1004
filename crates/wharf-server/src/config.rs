//! Settings. Precedence: defaults < `wharf.toml` < `WHARF_*` environment <
//! command-line flags. The binary merges the last two (clap reads both);
//! this module owns the defaults, the file and the commented template.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole server configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub log: String,
    pub max_manifest_bytes: usize,
    pub max_blob_bytes: u64,
    pub chunk_min_length: u64,
    pub automatic_mount: bool,
    pub upload_max_age_secs: u64,
    pub upload_reap_interval_secs: u64,
    pub max_package_bytes: u64,
    pub shutdown_grace_secs: u64,
    pub page_cache_bytes: usize,
    pub max_connections: usize,
    pub header_read_timeout_secs: u64,
    pub idle_timeout_secs: u64,
    pub body_read_timeout_secs: u64,
    pub max_concurrent_uploads: usize,
    pub max_concurrent_downloads: usize,
    /// The URL clients use (`https://registry.example.com`): the docker
    /// token realm and every absolute URL Wharf writes. Unset: derived from
    /// `listen` (never from a request's `Host`).
    pub public_url: Option<String>,
    /// PEM certificate chain and private key: serve HTTPS (reloaded when the
    /// files change or on SIGHUP).
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// The key of the token digests (HMAC-SHA-256). Unset: a random secret
    /// kept in `<data_dir>/auth/secret`.
    pub secret: Option<Secret>,
    /// The first admin's token (at least 32 characters of `[A-Za-z0-9_]`),
    /// for scripted deployments; unset: one is generated and printed once.
    pub admin_token: Option<Secret>,
    /// Lifetime of the docker token service's bearer JWTs.
    pub bearer_token_ttl_secs: u64,
    /// Failed authentications allowed per client address per minute.
    pub auth_failures_per_minute: u32,
}

/// A secret setting: redacted wherever the configuration is printed.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 5000)),
            data_dir: PathBuf::from("./wharf-data"),
            log: "info".into(),
            max_manifest_bytes: 4 * 1024 * 1024,
            max_blob_bytes: 64 * 1024 * 1024 * 1024,
            chunk_min_length: 0,
            automatic_mount: true,
            upload_max_age_secs: 24 * 3600,
            upload_reap_interval_secs: 600,
            max_package_bytes: 1024 * 1024 * 1024,
            shutdown_grace_secs: 30,
            page_cache_bytes: 16 * 1024 * 1024,
            max_connections: 8192,
            header_read_timeout_secs: 30,
            idle_timeout_secs: 60,
            body_read_timeout_secs: 60,
            max_concurrent_uploads: 1024,
            max_concurrent_downloads: 2048,
            public_url: None,
            tls_cert: None,
            tls_key: None,
            secret: None,
            admin_token: None,
            bearer_token_ttl_secs: 300,
            auth_failures_per_minute: 30,
        }
    }
}

/// The commented default configuration `wharf config print-default` prints.
pub const DEFAULT_TOML: &str = r#"# wharf.toml — every setting, with its default.
# Precedence: these defaults < this file < WHARF_<NAME> environment variables
# (e.g. WHARF_LISTEN) < command-line flags (e.g. --listen).

# Address to serve on. Authentication arrives in a later release: keep the
# registry on loopback until then.
listen = "127.0.0.1:5000"

# Where the embedded metadata database (wharf.db) and blobs live.
data_dir = "./wharf-data"

# Log filter (tracing env-filter syntax), e.g. "info" or "wharf=debug".
log = "info"

# Largest manifest accepted; larger PUTs get 413.
max_manifest_bytes = 4194304

# Largest blob accepted; enforced while streaming.
max_blob_bytes = 68719476736

# OCI-Chunk-Min-Length advertised to clients (0: not advertised).
chunk_min_length = 0

# Mount blobs known elsewhere in the registry when a mount request has no
# `from` (anonymous mount).
automatic_mount = true

# Upload sessions idle for longer than this are removed.
upload_max_age_secs = 86400

# How often abandoned uploads are looked for.
upload_reap_interval_secs = 600

# Largest Python package file accepted; enforced while streaming.
max_package_bytes = 1073741824

# On SIGTERM/SIGINT, in-flight requests get this long to finish; requests
# still running after it are cut off.
shutdown_grace_secs = 30

# Memory for rendered Python project pages, reused until any package changes.
page_cache_bytes = 16777216

# Open connections at most (also kept below the open-file limit, whose soft
# value is raised to the hard one at start-up). Beyond it, new connections
# get 503 with Retry-After and are closed.
max_connections = 8192

# A request head must arrive in full within this long after the connection
# is ready for one: closes half-sent heads and idle keep-alive connections.
header_read_timeout_secs = 30

# A connection on which no byte moves either way for this long while no
# request is being handled (e.g. a client that stopped reading a download)
# is closed.
idle_timeout_secs = 60

# A request body that sends nothing for this long fails; an upload session
# keeps the bytes it had before that request.
body_read_timeout_secs = 60

# Concurrent uploads (requests with a body) and downloads (blob and package
# file GETs) at most; beyond them clients are asked to retry (OCI: 429
# TOOMANYREQUESTS, Python index: 503, both with Retry-After).
max_concurrent_uploads = 1024
max_concurrent_downloads = 2048

# The URL clients use, e.g. "https://registry.example.com" (WHARF_PUBLIC_URL):
# the docker token realm and every absolute URL Wharf writes. Unset: derived
# from `listen`, never from a request's Host header.
# public_url = "https://registry.example.com"

# Serve HTTPS with this PEM certificate chain and key (WHARF_TLS_CERT,
# WHARF_TLS_KEY); both files are reloaded when they change or on SIGHUP.
# tls_cert = "/etc/wharf/tls.crt"
# tls_key = "/etc/wharf/tls.key"

# The key of the stored token digests (HMAC-SHA-256). Prefer WHARF_SECRET or
# WHARF_SECRET_FILE. Unset: a random secret kept in <data_dir>/auth/secret.
# secret = "..."

# The first admin's token for scripted deployments (WHARF_ADMIN_TOKEN or
# WHARF_ADMIN_TOKEN_FILE; at least 32 characters of [A-Za-z0-9_]). Unset: a
# token is generated and printed once, at the first start.
# admin_token = "..."

# Lifetime of the bearer tokens the docker token service (/v2/token) issues.
bearer_token_ttl_secs = 300

# Failed authentications allowed per client address per minute; beyond it
# the address gets 429 (valid tokens keep working).
auth_failures_per_minute = 30
"#;

/// Why a configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("invalid configuration in {0}: {1}")]
    Parse(String, toml::de::Error),
}

impl Config {
    /// Defaults overlaid with the file at `path` (if `required` is false, a
    /// missing file just means defaults).
    pub fn load(path: &Path, required: bool) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(Config::default()),
            Err(e) => return Err(ConfigError::Read(path.display().to_string(), e)),
        };
        toml::from_str(&text).map_err(|e| ConfigError::Parse(path.display().to_string(), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_default_is_the_default() {
        let parsed: Config = toml::from_str(DEFAULT_TOML).unwrap();
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn unknown_keys_are_rejected() {
        assert!(toml::from_str::<Config>("lisen = \"x\"").is_err());
    }
}
