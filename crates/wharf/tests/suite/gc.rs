//! `wharf gc`: after images and package files are deleted, the bytes only
//! they used are removed; everything still reachable pulls byte-exact; a
//! running server's data directory is never collected.

use std::path::Path;
use std::process::Command;

use reqwest::StatusCode;
use wharf_test_support::TestServer;

use crate::common::*;
// `wharf gc` runs offline, after SIGTERM: the wharf binary.
use crate::common::process_server as server;
use crate::pypi_http::{demo_wheel, upload};

fn gc(data: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_wharf"))
        .arg("gc")
        .arg("--data-dir")
        .arg(data)
        .args(extra)
        .env("WHARF_LOG", "warn")
        .output()
        .unwrap()
}

fn blob_file(s: &TestServer, digest: &str) -> std::path::PathBuf {
    let (alg, hex) = digest.split_once(':').unwrap();
    s.data_dir().join("blobs").join(alg).join(&hex[..2]).join(hex)
}

#[tokio::test]
async fn gc_removes_what_deleted_images_and_packages_left_and_keeps_the_rest() {
    let mut s = server();
    let c = Oci::new(&s);
    let repo = "gc/app";
    let (shared, only_a, only_b) = (random_bytes(2000), random_bytes(3000), random_bytes(4000));
    let (cfg_a, cfg_b) = (br#"{"os":"linux","author":"a"}"#.to_vec(), br#"{"os":"linux","author":"b"}"#.to_vec());
    let mut d = Vec::new();
    for b in [&shared, &only_a, &only_b, &cfg_a, &cfg_b] {
        d.push(c.push_blob(repo, b).await);
    }
    let ma =
        image_manifest(&d[3], cfg_a.len(), &[(d[0].clone(), shared.len()), (d[1].clone(), only_a.len())], None, None);
    let mb =
        image_manifest(&d[4], cfg_b.len(), &[(d[0].clone(), shared.len()), (d[2].clone(), only_b.len())], None, None);
    assert_eq!(c.put_manifest(repo, "a", OCI_MANIFEST, &ma).await.status(), StatusCode::CREATED);
    assert_eq!(c.put_manifest(repo, "b", OCI_MANIFEST, &mb).await.status(), StatusCode::CREATED);
    let da = sha256(&ma);
    assert_eq!(c.delete(&format!("/v2/{repo}/manifests/{da}")).await.status(), StatusCode::ACCEPTED);
    // Packages: two files, one deleted.
    let ((n1, w1), (n2, w2)) = (demo_wheel("1.0"), demo_wheel("2.0"));
    upload(&c, "gc/py", &n1, &w1).await;
    upload(&c, "gc/py", &n2, &w2).await;
    let del = serde_json::json!({ "namespace": "gc/py", "project": "demo-pkg", "filename": n1 });
    assert!(c.http.post(c.url("/api/v1/pypi/delete")).json(&del).send().await.unwrap().status().is_success());

    // Never while a server owns the directory.
    let out = gc(s.data_dir(), &["--grace-secs", "0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("in use by another wharf process"), "{out:?}");

    assert!(s.stop().success());
    // A dry run removes nothing; the default grace period protects recent pushes.
    let out = gc(s.data_dir(), &["--dry-run", "--grace-secs", "0"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("would remove 2 blob link(s) and 5 blob(s)"), "{out:?}");
    let out = gc(s.data_dir(), &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("removed 0 blob link(s) and 0 blob(s)"), "{out:?}");
    assert!(blob_file(&s, &d[1]).exists());
    // Now for real: A's own layer, config and manifest bytes go, and so do the
    // deleted wheel and its metadata.
    let out = gc(s.data_dir(), &["--grace-secs", "0"]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("removed 2 blob link(s) and 5 blob(s)"), "{out:?}");
    for gone in [&d[1], &d[3], &da, &sha256(&w1)] {
        assert!(!blob_file(&s, gone).exists(), "{gone} should be collected");
    }

    s.start_again();
    let c = Oci::new(&s);
    // Everything B needs pulls byte-exact.
    let got = c.get(&format!("/v2/{repo}/manifests/b")).await.bytes().await.unwrap();
    assert_eq!(got.as_ref(), mb.as_slice());
    for (digest, bytes) in [(&d[0], &shared), (&d[2], &only_b), (&d[4], &cfg_b)] {
        let got = c.get(&format!("/v2/{repo}/blobs/{digest}")).await.bytes().await.unwrap();
        assert_eq!(got.as_ref(), bytes.as_slice());
    }
    // A's layer is gone from the repository too (no dangling link).
    assert_eq!(c.head(&format!("/v2/{repo}/blobs/{}", d[1])).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(c.get(&format!("/v2/{repo}/manifests/{da}")).await.status(), StatusCode::NOT_FOUND);
    // The live wheel still downloads; the deleted one's name stays burnt.
    let page = crate::pypi_http::json_page(&c, "/pypi/gc/py/simple/demo-pkg/").await;
    let url = page["files"][0]["url"].as_str().unwrap().to_string();
    let got = c.get(&format!("/pypi/gc/py/simple/demo-pkg/{url}")).await.bytes().await.unwrap();
    assert_eq!(got.as_ref(), w2.as_slice());
    assert_eq!(upload(&c, "gc/py", &n1, &w2).await.status(), StatusCode::BAD_REQUEST);
    // A second collection finds nothing more.
    assert!(s.stop().success());
    let out = gc(s.data_dir(), &["--grace-secs", "0"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("removed 0 blob link(s) and 0 blob(s)"), "{out:?}");
}

#[test]
fn a_second_server_on_the_same_data_directory_is_refused() {
    let s = server();
    let out = Command::new(env!("CARGO_BIN_EXE_wharf"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(s.data_dir())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("in use by another wharf process"), "{out:?}");
}
