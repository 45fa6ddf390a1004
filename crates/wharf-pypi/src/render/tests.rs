//! Snapshot tests of the rendered pages (plain string compares).

use super::*;

fn v(s: &str) -> Version {
    Version::parse(s).unwrap()
}

fn page() -> ProjectPage {
    ProjectPage {
        name: "demo-pkg".into(),
        status: ProjectStatus::Active,
        status_reason: None,
        versions: vec![v("1.0.post1"), v("0.9"), v("1.0"), v("1.0rc1"), v("1.0")],
        files: vec![
            ProjectFile {
                filename: "demo_pkg-1.0-py3-none-any.whl".into(),
                url: "../../files/aa/demo_pkg-1.0-py3-none-any.whl".into(),
                sha256: "aa".into(),
                size: 1130,
                upload_time_micros: 1_795_266_000_123_456,
                requires_python: Some(">=3.9, <4".into()),
                yanked: Yanked::No,
                core_metadata_sha256: Some("bb".into()),
            },
            ProjectFile {
                filename: "demo_pkg-0.9.tar.gz".into(),
                url: "../../files/cc/demo_pkg-0.9.tar.gz".into(),
                sha256: "cc".into(),
                size: 42,
                upload_time_micros: 0,
                requires_python: None,
                yanked: Yanked::Yes(Some("broken \"build\" <script>".into())),
                core_metadata_sha256: None,
            },
            ProjectFile {
                filename: "demo_pkg-1.0rc1.tar.gz".into(),
                url: "../../files/dd/demo_pkg-1.0rc1.tar.gz".into(),
                sha256: "dd".into(),
                size: 7,
                upload_time_micros: 1,
                requires_python: None,
                yanked: Yanked::Yes(None),
                core_metadata_sha256: None,
            },
        ],
        conflicts: vec![],
    }
}

#[test]
fn project_json_snapshot() {
    let want = concat!(
        r#"{"meta":{"api-version":"1.4"},"name":"demo-pkg","project-status":{"status":"active"},"#,
        r#""versions":["0.9","1.0rc1","1.0","1.0.post1"],"files":["#,
        r#"{"filename":"demo_pkg-1.0-py3-none-any.whl","url":"../../files/aa/demo_pkg-1.0-py3-none-any.whl","hashes":{"sha256":"aa"},"requires-python":">=3.9, <4","size":1130,"upload-time":"2026-11-21T13:00:00.123456Z","yanked":false,"core-metadata":{"sha256":"bb"}},"#,
        r#"{"filename":"demo_pkg-0.9.tar.gz","url":"../../files/cc/demo_pkg-0.9.tar.gz","hashes":{"sha256":"cc"},"requires-python":null,"size":42,"upload-time":"1970-01-01T00:00:00.000000Z","yanked":"broken \"build\" <script>","core-metadata":false},"#,
        r#"{"filename":"demo_pkg-1.0rc1.tar.gz","url":"../../files/dd/demo_pkg-1.0rc1.tar.gz","hashes":{"sha256":"dd"},"requires-python":null,"size":7,"upload-time":"1970-01-01T00:00:00.000001Z","yanked":true,"core-metadata":false}"#,
        "]}"
    );
    let got = render_project(SimpleFormat::JsonV1, &page());
    assert_eq!(got, want);
    assert!(!got.contains("dist-info-metadata"));
    serde_json::from_str::<serde_json::Value>(&got).unwrap();
}

#[test]
fn project_html_snapshot() {
    let want = r#"<!DOCTYPE html>
<html>
  <head>
    <meta name="pypi:repository-version" content="1.4">
    <meta name="pypi:project-status" content="active">
    <title>Links for demo-pkg</title>
  </head>
  <body>
    <h1>Links for demo-pkg</h1>
    <a href="../../files/aa/demo_pkg-1.0-py3-none-any.whl#sha256=aa" data-requires-python="&gt;=3.9, &lt;4" data-core-metadata="sha256=bb" data-dist-info-metadata="sha256=bb">demo_pkg-1.0-py3-none-any.whl</a><br />
    <a href="../../files/cc/demo_pkg-0.9.tar.gz#sha256=cc" data-yanked="broken &quot;build&quot; &lt;script&gt;">demo_pkg-0.9.tar.gz</a><br />
    <a href="../../files/dd/demo_pkg-1.0rc1.tar.gz#sha256=dd" data-yanked>demo_pkg-1.0rc1.tar.gz</a><br />
  </body>
</html>
"#;
    assert_eq!(render_project(SimpleFormat::TextHtml, &page()), want);
    assert_eq!(render_project(SimpleFormat::HtmlV1, &page()), want);
}

#[test]
fn project_status_reason_is_escaped() {
    let p = ProjectPage {
        name: "x".into(),
        status: ProjectStatus::Archived,
        status_reason: Some("use <y> & \"z\"".into()),
        ..ProjectPage::default()
    };
    let html = project_html(&p);
    assert!(html.contains(r#"<meta name="pypi:project-status" content="archived">"#));
    assert!(html.contains(r#"<meta name="pypi:project-status-reason" content="use &lt;y&gt; &amp; &quot;z&quot;">"#));
    assert_eq!(
        project_json(&p),
        r#"{"meta":{"api-version":"1.4"},"name":"x","project-status":{"status":"archived","reason":"use <y> & \"z\""},"versions":[],"files":[]}"#
    );
}

#[test]
fn root_html_and_json() {
    let names = ["Demo_Pkg.Name", "<b>", "zeta"];
    let html = render_root(SimpleFormat::TextHtml, names);
    assert_eq!(
        html,
        r#"<!DOCTYPE html>
<html>
  <head>
    <meta name="pypi:repository-version" content="1.4">
    <title>Simple index</title>
  </head>
  <body>
    <a href="demo-pkg-name/">Demo_Pkg.Name</a><br />
    <a href="&lt;b&gt;/">&lt;b&gt;</a><br />
    <a href="zeta/">zeta</a><br />
  </body>
</html>
"#
    );
    let json = render_root(SimpleFormat::JsonV1, names);
    assert_eq!(
        json,
        r#"{"meta":{"api-version":"1.4"},"projects":[{"name":"Demo_Pkg.Name"},{"name":"<b>"},{"name":"zeta"}]}"#
    );
    assert_eq!(render_root(SimpleFormat::JsonV1, []), r#"{"meta":{"api-version":"1.4"},"projects":[]}"#);
}

#[test]
fn root_streams_piecewise() {
    let mut w = RootIndexWriter::new(SimpleFormat::JsonV1);
    let mut doc = w.header();
    for i in 0..1000 {
        doc.push_str(&w.project(&format!("p{i}")));
    }
    doc.push_str(w.footer());
    let value: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(value["projects"].as_array().unwrap().len(), 1000);
}

#[test]
fn upload_times() {
    for (micros, want) in [
        (0, "1970-01-01T00:00:00.000000Z"),
        (1_795_266_000_123_456, "2026-11-21T13:00:00.123456Z"),
        (951_782_400_000_000, "2000-02-29T00:00:00.000000Z"),
        (1_709_164_799_999_999, "2024-02-28T23:59:59.999999Z"),
        (4_102_444_800_000_000, "2100-01-01T00:00:00.000000Z"),
        (-1, "1969-12-31T23:59:59.999999Z"),
    ] {
        assert_eq!(format_upload_time(micros), want, "{micros}");
    }
}
