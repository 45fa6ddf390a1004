//! The package index against hostile or confused clients: endless multipart
//! headers, uploads to the wrong URL, conflicting files across a group and
//! staging files a crash left behind.

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;

use crate::common::*;
use crate::pypi_http::{demo_wheel, hex256};

#[tokio::test]
async fn post_to_index_url_says_where_uploads_go() {
    let s = server();
    let c = Oci::new(&s);
    let (name, bytes) = demo_wheel("1.0");
    for path in ["/pypi/team/app/simple/", "/pypi/team/simple/", "/pypi/team/app/simple/demo-pkg/"] {
        let form = Form::new()
            .text(":action", "file_upload")
            .text("sha256_digest", hex256(&bytes))
            .part("content", Part::bytes(bytes.clone()).file_name(name.clone()));
        let r = c.http.post(c.url(path)).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
        assert_eq!(header(r.headers(), "allow").as_deref(), Some("GET, HEAD"), "{path}");
        let text = r.text().await.unwrap();
        let ns = path.trim_start_matches("/pypi/").split("/simple/").next().unwrap();
        assert!(text.contains(&format!("Uploads go to /pypi/{ns}/")), "{path}: {text}");
    }
}

#[tokio::test]
async fn staged_uploads_without_session_are_cleaned_at_start() {
    let mut s = server();
    let loc = Oci::new(&s).start_upload("team/app").await;
    let session = loc.split('?').next().unwrap().rsplit('/').next().unwrap().to_string();
    let uploads = s.data_dir().join("uploads");
    assert!(uploads.join(&session).exists(), "{loc}");
    // A crash in the middle of a package upload: its staged file has no session.
    s.kill9();
    let orphan = uploads.join("0badc0de-0000-4000-8000-000000000001");
    std::fs::write(&orphan, random_bytes(4096)).unwrap();
    s.start_again();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while orphan.exists() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(!orphan.exists(), "a staged file no session owns survived the start");
    // Sessions survive restarts: the blob upload's file is still there.
    assert!(uploads.join(&session).exists());
}
