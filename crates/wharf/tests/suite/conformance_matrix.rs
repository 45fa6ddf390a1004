//! Table-driven parts of the new conformance suite (oci.md §1.4–1.5) that
//! the workflow ports do not cover: every blob upload mode for sha256 and
//! sha512 (with the empty blob and a bad digest), the manifest data types,
//! referrers of a repository that does not exist, and Docker manifest lists.

use reqwest::header::{ACCEPT, CONTENT_RANGE, CONTENT_TYPE};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::common::*;

const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const EMPTY_JSON: &str = "application/vnd.oci.empty.v1+json";
const LAYER_GZ: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
const NONDIST: &str = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Alg {
    Sha256,
    Sha512,
}

impl Alg {
    fn digest(self, b: &[u8]) -> String {
        match self {
            Alg::Sha256 => sha256(b),
            Alg::Sha512 => sha512(b),
        }
    }

    /// Right algorithm, wrong hex length: a digest no parser may accept.
    fn malformed(self) -> String {
        match self {
            Alg::Sha256 => format!("sha256:{}", "a".repeat(128)),
            Alg::Sha512 => format!("sha512:{}", "a".repeat(64)),
        }
    }
}

/// Monolithic: POST, then PUT `?digest=` with the body. PostOnly: POST
/// `?digest=` with the body. Streamed: one PATCH without `Content-Range`, then
/// an empty PUT. Chunked: 3 PATCHes with `Content-Range`, then an empty PUT;
/// ChunkedFinalPut: 2 PATCHes, the last chunk in the PUT. Mount: `?mount=&from=`;
/// AnonymousMount: `?mount=` alone (automatic mount is on by default).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Monolithic,
    PostOnly,
    Streamed,
    Chunked,
    ChunkedFinalPut,
    Mount,
    AnonymousMount,
}

const MODES: [Mode; 7] = {
    use Mode::*;
    [Monolithic, PostOnly, Streamed, Chunked, ChunkedFinalPut, Mount, AnonymousMount]
};

async fn monolithic(c: &Oci, repo: &str, digest: &str, body: &[u8]) -> Response {
    let loc = c.start_upload(repo).await;
    let put = c.http.put(with_digest(&c.url(&loc), digest)).header(CONTENT_TYPE, "application/octet-stream");
    put.body(body.to_vec()).send().await.unwrap()
}

/// Uploads `body` claiming `claimed` in `mode`; returns the finalising response.
/// Mount modes first push `body` (correctly digested) to `<repo>-src`.
async fn upload(c: &Oci, repo: &str, mode: Mode, alg: Alg, body: &[u8], claimed: &str) -> Response {
    match mode {
        Mode::Monolithic => monolithic(c, repo, claimed, body).await,
        Mode::PostOnly => {
            let url = c.url(&format!("/v2/{repo}/blobs/uploads/?digest={claimed}"));
            c.http.post(url).body(body.to_vec()).send().await.unwrap()
        }
        Mode::Streamed => {
            let loc = c.start_upload(repo).await;
            let r = c.http.patch(c.url(&loc)).header(CONTENT_TYPE, "application/octet-stream").body(body.to_vec());
            let r = r.send().await.unwrap();
            assert_eq!(r.status(), StatusCode::ACCEPTED, "{mode:?} PATCH");
            c.http.put(with_digest(&c.url(&location(&r)), claimed)).send().await.unwrap()
        }
        Mode::Chunked | Mode::ChunkedFinalPut => {
            let n = body.len();
            let cuts = [0, n / 3, 2 * n / 3, n];
            let patches = if mode == Mode::Chunked { 3 } else { 2 };
            let mut loc = c.start_upload(repo).await;
            for w in cuts.windows(2).take(patches) {
                let (a, b) = (w[0], w[1]);
                let r = c.http.patch(c.url(&loc)).header(CONTENT_RANGE, format!("{a}-{}", b - 1));
                let r = r.body(body[a..b].to_vec()).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::ACCEPTED, "{mode:?} chunk {a}-{}", b - 1);
                assert_eq!(header(r.headers(), "range").unwrap(), format!("0-{}", b - 1));
                loc = location(&r);
            }
            let put = c.http.put(with_digest(&c.url(&loc), claimed));
            let put = if mode == Mode::Chunked {
                put
            } else {
                put.header(CONTENT_RANGE, format!("{}-{}", cuts[2], n - 1)).body(body[cuts[2]..].to_vec())
            };
            put.send().await.unwrap()
        }
        Mode::Mount | Mode::AnonymousMount => {
            let src = format!("{repo}-src");
            assert_eq!(monolithic(c, &src, &alg.digest(body), body).await.status(), StatusCode::CREATED);
            let from = if mode == Mode::Mount { format!("&from={src}") } else { String::new() };
            let url = c.url(&format!("/v2/{repo}/blobs/uploads/?mount={claimed}{from}"));
            c.http.post(url).send().await.unwrap()
        }
    }
}

async fn blob_matrix(alg: Alg) {
    let s = server();
    let c = Oci::new(&s);
    for mode in MODES {
        let chunked = matches!(mode, Mode::Chunked | Mode::ChunkedFinalPut);
        // A 0-byte blob has no Content-Range to send in chunks.
        let blobs = if chunked { vec![random_bytes(1000)] } else { vec![random_bytes(512), Vec::new()] };
        for (i, blob) in blobs.iter().enumerate() {
            let what = format!("{alg:?} {mode:?} {} bytes", blob.len());
            let repo = format!("matrix/{alg:?}-{mode:?}-{i}").to_lowercase();
            let d = alg.digest(blob);
            let r = upload(&c, &repo, mode, alg, blob, &d).await;
            let st = r.status();
            let h = r.headers().clone();
            assert_eq!(st, StatusCode::CREATED, "{what}: {}", r.text().await.unwrap());
            assert_eq!(header(&h, "location").unwrap(), format!("/v2/{repo}/blobs/{d}"), "{what}");
            assert_eq!(header(&h, "docker-content-digest").as_deref(), Some(d.as_str()), "{what}");
            let url = format!("/v2/{repo}/blobs/{d}");
            let r = c.head(&url).await;
            assert_eq!(r.status(), StatusCode::OK, "{what}: HEAD");
            assert_eq!(header(r.headers(), "content-length").unwrap(), blob.len().to_string(), "{what}");
            assert_eq!(header(r.headers(), "docker-content-digest").as_deref(), Some(d.as_str()), "{what}");
            let r = c.get(&url).await;
            assert_eq!(r.status(), StatusCode::OK, "{what}: GET");
            assert!(r.bytes().await.unwrap().as_ref() == blob.as_slice(), "{what}: bytes differ");
            assert_eq!(c.delete(&url).await.status(), StatusCode::ACCEPTED, "{what}: DELETE");
            assert_eq!(c.head(&url).await.status(), StatusCode::NOT_FOUND, "{what}: HEAD after DELETE");
        }
        // Bad digest: the body gets "oh no" appended (mounts name a malformed digest).
        let what = format!("{alg:?} {mode:?} bad digest");
        let repo = format!("matrix/{alg:?}-{mode:?}-bad").to_lowercase();
        let good = random_bytes(if chunked { 1000 } else { 512 });
        let d = alg.digest(&good);
        let (claimed, sent) = if matches!(mode, Mode::Mount | Mode::AnonymousMount) {
            (alg.malformed(), good.clone())
        } else {
            (d.clone(), [good.as_slice(), b"oh no"].concat())
        };
        let r = upload(&c, &repo, mode, alg, &sent, &claimed).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{what}");
        assert_eq!(error_code(r).await, "DIGEST_INVALID", "{what}");
        for probe in [d, alg.digest(&sent)] {
            let st = c.head(&format!("/v2/{repo}/blobs/{probe}")).await.status();
            assert_eq!(st, StatusCode::NOT_FOUND, "{what}: {probe} visible");
        }
    }
}

#[tokio::test]
async fn blob_upload_matrix_sha256() {
    blob_matrix(Alg::Sha256).await;
}

#[tokio::test]
async fn blob_upload_matrix_sha512() {
    blob_matrix(Alg::Sha512).await;
}

/// Standard base64 with padding (the `data` field of a descriptor).
fn b64(b: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for ch in b.chunks(3) {
        let n = ch.iter().enumerate().fold(0u32, |n, (i, &x)| n | (u32::from(x) << (16 - 8 * i)));
        for i in 0..4 {
            s.push(if i <= ch.len() { T[((n >> (18 - 6 * i)) & 63) as usize] as char } else { '=' });
        }
    }
    s
}

/// A manifest as pushed: its media type, exact bytes and digest.
struct Doc {
    media_type: &'static str,
    body: Vec<u8>,
    digest: String,
}

impl Doc {
    fn descriptor(&self) -> Value {
        json!({"mediaType": self.media_type, "digest": self.digest, "size": self.body.len()})
    }

    fn platform(&self, arch: &str) -> Value {
        let mut d = self.descriptor();
        d["platform"] = json!({"architecture": arch, "os": "linux"});
        d
    }
}

fn manifest(config: Value, layers: Vec<Value>) -> Value {
    json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": layers})
}

fn index(manifests: Vec<Value>) -> Value {
    json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests})
}

/// Pushes content into one repository with one digest algorithm.
struct Ctx<'a> {
    c: &'a Oci,
    repo: &'a str,
    alg: Alg,
}

impl Ctx<'_> {
    async fn blob(&self, media_type: &str, bytes: &[u8]) -> Value {
        let d = self.alg.digest(bytes);
        assert_eq!(monolithic(self.c, self.repo, &d, bytes).await.status(), StatusCode::CREATED);
        json!({"mediaType": media_type, "digest": d, "size": bytes.len()})
    }

    async fn image(&self, layer_type: &str, layers: usize, arch: &str) -> Value {
        let cfg = json!({"architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}});
        let config = self.blob(CONFIG, &serde_json::to_vec_pretty(&cfg).unwrap()).await;
        let mut ls = Vec::new();
        for _ in 0..layers {
            ls.push(self.blob(layer_type, &random_bytes(700)).await);
        }
        manifest(config, ls)
    }

    fn doc(&self, media_type: &'static str, v: &Value) -> Doc {
        let body = serde_json::to_vec_pretty(v).unwrap();
        Doc { media_type, digest: self.alg.digest(&body), body }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Layers,    // an image with several layers
    Tar,       // uncompressed layers (…layer.v1.tar)
    Index,     // 2 platforms
    Nested,    // an index of indexes
    Artifact,  // artifactType, empty-descriptor config and layer, no real layers
    DataField, // descriptors carrying `data`
    Foreign,   // non-distributable layers with `urls`, never uploaded
    Custom,    // unknown fields in manifest, descriptor and config
    Large,     // ~3.9 MB of annotations, under the 4 MiB limit
    Sha512,    // pushed by sha512 digest only
    TagParam,  // sha512 digest PUT with `?tag=`
}

const KINDS: [Kind; 11] = {
    use Kind::*;
    [Layers, Tar, Index, Nested, Artifact, DataField, Foreign, Custom, Large, Sha512, TagParam]
};

/// Pushes the blobs of `kind`; returns its manifests, children first.
async fn build(x: &Ctx<'_>, kind: Kind) -> Vec<Doc> {
    match kind {
        Kind::Layers | Kind::Sha512 | Kind::TagParam => {
            vec![x.doc(OCI_MANIFEST, &x.image(LAYER_GZ, 3, "amd64").await)]
        }
        Kind::Tar => vec![x.doc(OCI_MANIFEST, &x.image(LAYER_TAR, 2, "amd64").await)],
        Kind::Index | Kind::Nested => {
            let amd = x.doc(OCI_MANIFEST, &x.image(LAYER_GZ, 1, "amd64").await);
            let arm = x.doc(OCI_MANIFEST, &x.image(LAYER_GZ, 1, "arm64").await);
            if kind == Kind::Index {
                let top = x.doc(OCI_INDEX, &index(vec![amd.platform("amd64"), arm.platform("arm64")]));
                return vec![amd, arm, top];
            }
            let inner_a = x.doc(OCI_INDEX, &index(vec![amd.platform("amd64")]));
            let inner_b = x.doc(OCI_INDEX, &index(vec![arm.platform("arm64")]));
            let top = x.doc(OCI_INDEX, &index(vec![inner_a.descriptor(), inner_b.descriptor()]));
            vec![amd, arm, inner_a, inner_b, top]
        }
        Kind::Artifact => {
            assert_eq!(b64(b"{}"), "e30=");
            let mut empty = x.blob(EMPTY_JSON, b"{}").await;
            empty["data"] = "e30=".into();
            let mut m = manifest(empty.clone(), vec![empty]);
            m["artifactType"] = "application/vnd.example.signature".into();
            vec![x.doc(OCI_MANIFEST, &m)]
        }
        Kind::DataField => {
            let cfg = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
            let layer = random_bytes(301);
            let mut cd = x.blob(CONFIG, cfg).await;
            cd["data"] = b64(cfg).into();
            let mut ld = x.blob(LAYER_GZ, &layer).await;
            ld["data"] = b64(&layer).into();
            vec![x.doc(OCI_MANIFEST, &manifest(cd, vec![ld]))]
        }
        Kind::Foreign => {
            let mut m = x.image(LAYER_GZ, 1, "amd64").await;
            for i in 0..2 {
                let d = x.alg.digest(&random_bytes(64)); // never uploaded
                let url = format!("https://store.example.com/blobs/{d}");
                let foreign = json!({"mediaType": NONDIST, "digest": d, "size": 123_456 + i, "urls": [url]});
                m["layers"].as_array_mut().unwrap().insert(0, foreign);
            }
            vec![x.doc(OCI_MANIFEST, &m)]
        }
        Kind::Custom => {
            let cfg = json!({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []},
                "com.example.unknown": {"nested": [1, 2, 3]}, "xNull": null});
            let mut cd = x.blob(CONFIG, &serde_json::to_vec(&cfg).unwrap()).await;
            cd["newUnspecifiedField"] = Value::Null;
            let ld = x.blob(LAYER_GZ, &random_bytes(200)).await;
            let mut m = manifest(cd, vec![ld]);
            m["com.example.custom"] = json!({"deep": {"list": ["a", null, 1.5, true]}});
            m["newUnspecifiedField"] = "aGVsbG8gd29ybGQ=".into();
            vec![x.doc(OCI_MANIFEST, &m)]
        }
        Kind::Large => {
            let mut m = x.image(LAYER_GZ, 1, "amd64").await;
            let a = "A".repeat(10_000);
            let ann: serde_json::Map<String, Value> =
                (0..390).map(|i| (format!("org.example.large.{i:03}"), Value::from(a.clone()))).collect();
            m["annotations"] = ann.into();
            let d = x.doc(OCI_MANIFEST, &m);
            assert!(d.body.len() > 3_900_000 && d.body.len() < 4 * 1024 * 1024, "{}", d.body.len());
            vec![d]
        }
    }
}

/// GET and HEAD of `reference`: status, exact bytes and headers of `d`.
async fn served(c: &Oci, repo: &str, reference: &str, d: &Doc, accept: &str) {
    let url = c.url(&format!("/v2/{repo}/manifests/{reference}"));
    for head in [false, true] {
        let what = format!("{} {repo}@{reference}", if head { "HEAD" } else { "GET" });
        let r = if head { c.http.head(&url) } else { c.http.get(&url) };
        let r = r.header(ACCEPT, accept).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{what}");
        assert_eq!(header(r.headers(), "content-type").as_deref(), Some(d.media_type), "{what}");
        assert_eq!(header(r.headers(), "docker-content-digest").as_deref(), Some(d.digest.as_str()), "{what}");
        assert_eq!(header(r.headers(), "content-length").unwrap(), d.body.len().to_string(), "{what}");
        let got = r.bytes().await.unwrap();
        if head {
            assert!(got.is_empty(), "{what}: HEAD has a body");
        } else {
            assert!(got.as_ref() == d.body.as_slice(), "{what}: not byte-exact");
        }
    }
}

/// PUT; asserts 201 with the digest's Location and `Docker-Content-Digest`.
async fn put_ok(c: &Oci, repo: &str, reference: &str, d: &Doc) -> Response {
    let r = c.put_manifest(repo, reference, d.media_type, &d.body).await;
    if r.status() != StatusCode::CREATED {
        panic!("PUT {repo}:{reference}: {} {}", r.status(), r.text().await.unwrap());
    }
    assert_eq!(location(&r), format!("/v2/{repo}/manifests/{}", d.digest), "{repo}:{reference}");
    assert_eq!(header(r.headers(), "docker-content-digest").as_deref(), Some(d.digest.as_str()));
    r
}

#[tokio::test]
async fn manifest_data_types() {
    let s = server();
    let c = Oci::new(&s);
    let accept = format!("{OCI_MANIFEST}, {OCI_INDEX}");
    for kind in KINDS {
        let repo = format!("types/{kind:?}").to_lowercase();
        let alg = if matches!(kind, Kind::Sha512 | Kind::TagParam) { Alg::Sha512 } else { Alg::Sha256 };
        let docs = build(&Ctx { c: &c, repo: &repo, alg }, kind).await;
        let top = docs.last().unwrap();
        // Every manifest by digest, children first; then the tags.
        for d in &docs[..docs.len() - 1] {
            put_ok(&c, &repo, &d.digest, d).await;
        }
        let tags: &[&str] = match kind {
            Kind::Sha512 => {
                put_ok(&c, &repo, &top.digest, top).await;
                &[]
            }
            Kind::TagParam => {
                let r = put_ok(&c, &repo, &format!("{}?tag=v1&tag=v2", top.digest), top).await;
                let got: Vec<_> = r.headers().get_all("oci-tag").iter().map(|v| v.to_str().unwrap()).collect();
                assert_eq!(got, ["v1", "v2"]);
                &["v1", "v2"]
            }
            _ => {
                put_ok(&c, &repo, &top.digest, top).await;
                put_ok(&c, &repo, "v1", top).await;
                &["v1"]
            }
        };
        for d in &docs {
            served(&c, &repo, &d.digest, d, &accept).await;
        }
        for t in tags {
            served(&c, &repo, t, top, &accept).await;
        }
        // Delete in reverse push order; each is gone at once.
        for d in docs.iter().rev() {
            let url = format!("/v2/{repo}/manifests/{}", d.digest);
            assert_eq!(c.delete(&url).await.status(), StatusCode::ACCEPTED, "{kind:?} DELETE {}", d.digest);
            assert_eq!(c.head(&url).await.status(), StatusCode::NOT_FOUND, "{kind:?} HEAD {}", d.digest);
        }
        for t in tags {
            let st = c.head(&format!("/v2/{repo}/manifests/{t}")).await.status();
            assert_eq!(st, StatusCode::NOT_FOUND, "{kind:?} tag {t}");
        }
    }
}

#[tokio::test]
async fn referrers_of_a_repository_that_does_not_exist() {
    let s = server();
    let c = Oci::new(&s);
    for d in [sha256(b"no such subject"), sha512(b"no such subject")] {
        let r = c.get(&format!("/v2/matrix/never-pushed/referrers/{d}")).await;
        assert_eq!(r.status(), StatusCode::OK, "{d}");
        assert_eq!(header(r.headers(), "content-type").as_deref(), Some(OCI_INDEX), "{d}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["schemaVersion"], 2, "{v}");
        assert_eq!(v["mediaType"], OCI_INDEX, "{v}");
        assert_eq!(v["manifests"], json!([]), "{v}");
    }
    // Reading referrers does not create the repository.
    let r = c.get("/v2/matrix/never-pushed/tags/list").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(r).await, "NAME_UNKNOWN");
}

#[tokio::test]
async fn docker_manifest_list() {
    let s = server();
    let c = Oci::new(&s);
    let repo = "matrix/dockerlist";
    let x = Ctx { c: &c, repo, alg: Alg::Sha256 };
    let mut children = Vec::new();
    for arch in ["amd64", "arm64"] {
        let cfg = serde_json::to_vec(&json!({"architecture": arch, "os": "linux"})).unwrap();
        let config = x.blob("application/vnd.docker.container.image.v1+json", &cfg).await;
        let layer = x.blob("application/vnd.docker.image.rootfs.diff.tar.gzip", &random_bytes(500)).await;
        let m = json!({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST, "config": config, "layers": [layer]});
        let d = x.doc(DOCKER_MANIFEST, &m);
        put_ok(&c, repo, &d.digest, &d).await;
        children.push(d.platform(arch));
        served(&c, repo, &d.digest, &d, DOCKER_MANIFEST).await;
    }
    let list = x.doc(DOCKER_LIST, &json!({"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": children}));
    put_ok(&c, repo, "multi", &list).await;
    served(&c, repo, "multi", &list, DOCKER_LIST).await;
    served(&c, repo, &list.digest, &list, DOCKER_LIST).await;
    // What `docker pull` sends.
    served(&c, repo, "multi", &list, &format!("{DOCKER_MANIFEST}, {DOCKER_LIST}, {OCI_MANIFEST}, {OCI_INDEX}")).await;
}
