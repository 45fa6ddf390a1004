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
