//! Shared helpers: a server per test and a thin OCI client over reqwest.
//!
//! [`server`] runs Wharf inside the test process (fast; no restart, kill -9
//! or signals). Files whose tests need the binary (restarts, SIGKILL, the
//! offline `wharf gc`, real clients) import [`process_server`] as `server`;
//! [`server_with`] passes command-line flags, so it is the binary too.

use reqwest::header::{HeaderMap, CONTENT_TYPE, LOCATION};
use reqwest::{Client, Response, StatusCode};
use sha2::{Digest as _, Sha256, Sha512};
use wharf_test_support::TestServer;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// An in-process server: the same router, connection handling and storage
/// as `wharf serve`, without starting a process.
pub fn server() -> TestServer {
    TestServer::in_process()
}

/// The built `wharf` binary as a child process: restartable, killable.
pub fn process_server() -> TestServer {
    TestServer::start(env!("CARGO_BIN_EXE_wharf"))
}

pub fn server_with(args: &[&str]) -> TestServer {
    TestServer::start_with(env!("CARGO_BIN_EXE_wharf"), args)
}

pub fn sha256(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

pub fn sha512(b: &[u8]) -> String {
    format!("sha512:{}", hex::encode(Sha512::digest(b)))
}

pub fn random_bytes(n: usize) -> Vec<u8> {
    (0..n).map(|_| rand::random::<u8>()).collect()
}

/// A client bound to one server.
pub struct Oci {
    pub base: String,
    pub http: Client,
}

impl Oci {
    pub fn new(s: &TestServer) -> Oci {
        Oci { base: s.url(), http: Client::new() }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{}", self.base, path)
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    pub async fn head(&self, path: &str) -> Response {
        self.http.head(self.url(path)).send().await.unwrap()
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.http.delete(self.url(path)).send().await.unwrap()
    }

    /// `POST /blobs/uploads/` → the session Location.
    pub async fn start_upload(&self, repo: &str) -> String {
        let r = self.http.post(self.url(&format!("/v2/{repo}/blobs/uploads/"))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        location(&r)
    }

    /// POST + PUT monolithic upload; returns the digest.
    pub async fn push_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = sha256(bytes);
        let loc = self.start_upload(repo).await;
        let r = self
            .http
            .put(with_digest(&self.url(&loc), &digest))
            .header(CONTENT_TYPE, "application/octet-stream")
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
        digest
    }

    pub async fn put_manifest(&self, repo: &str, reference: &str, media_type: &str, body: &[u8]) -> Response {
        self.http
            .put(self.url(&format!("/v2/{repo}/manifests/{reference}")))
            .header(CONTENT_TYPE, media_type)
            .body(body.to_vec())
            .send()
            .await
            .unwrap()
    }

    /// Pushes a config + one layer + an image manifest tagged `tag`;
    /// returns (manifest bytes, manifest digest).
    pub async fn push_image(&self, repo: &str, tag: &str, seed: &str) -> (Vec<u8>, String) {
        let config = format!(
            r#"{{"architecture":"amd64","os":"linux","author":"{seed}","rootfs":{{"type":"layers","diff_ids":[]}}}}"#
        );
        let layer = random_bytes(1000);
        let c = self.push_blob(repo, config.as_bytes()).await;
        let l = self.push_blob(repo, &layer).await;
        let m = image_manifest(&c, config.len(), &[(l, layer.len())], None, None);
        let r = self.put_manifest(repo, tag, OCI_MANIFEST, &m).await;
        assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
        let d = sha256(&m);
        (m, d)
    }
}

impl Oci {
    /// Bytes held by an upload session, from its `Range` header.
    pub async fn blob_len_via_upload(&self, loc: &str) -> u64 {
        let r = self.get(loc).await;
        let range = header(r.headers(), "range").unwrap();
        let end: u64 = range.trim_start_matches("0-").parse().unwrap();
        // `0-0` is what an empty session reports (as distribution does); a
        // 1-byte session would also say `0-0`, so ask the data itself.
        if end == 0 {
            let st = self.http.put(with_digest(&self.url(loc), &sha256(b""))).send().await.unwrap();
            return if st.status() == StatusCode::CREATED { 0 } else { 1 };
        }
        end + 1
    }
}

pub fn location(r: &Response) -> String {
    r.headers().get(LOCATION).expect("Location header").to_str().unwrap().to_string()
}

pub fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name).map(|v| v.to_str().unwrap().to_string())
}

/// Appends `digest=` to an upload Location that may already have a query.
pub fn with_digest(loc: &str, digest: &str) -> String {
    let sep = if loc.contains('?') { '&' } else { '?' };
    format!("{loc}{sep}digest={digest}")
}

/// An OCI image manifest; `subject`/`artifact_type` for referrers.
pub fn image_manifest(
    config: &str,
    config_len: usize,
    layers: &[(String, usize)],
    subject: Option<(&str, usize)>,
    artifact_type: Option<&str>,
) -> Vec<u8> {
    let layers: Vec<serde_json::Value> = layers
        .iter()
        .map(|(d, n)| serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": n}))
        .collect();
    let mut m = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": config_len},
        "layers": layers,
    });
    if let Some((d, n)) = subject {
        m["subject"] = serde_json::json!({"mediaType": OCI_MANIFEST, "digest": d, "size": n});
    }
    if let Some(at) = artifact_type {
        m["artifactType"] = at.into();
    }
    serde_json::to_vec_pretty(&m).unwrap()
}

/// Asserts the spec's error envelope and returns the first code.
pub async fn error_code(r: Response) -> String {
    let v: serde_json::Value = r.json().await.expect("JSON error body");
    v["errors"][0]["code"].as_str().expect("errors[0].code").to_string()
}
