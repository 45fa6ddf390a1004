//! Port of the conformance "content discovery" workflow: tags with
//! pagination, the catalog, and the referrers API.

use reqwest::StatusCode;

use crate::common::*;

#[tokio::test]
async fn tags_sorted_and_paginated() {
    let s = server();
    let c = Oci::new(&s);
    let repo = "disc/tags";
    let (m, _) = c.push_image(repo, "test0", "d").await;
    for t in ["test1", "test2", "test3", "TEST0", "TEST1", "TEST2", "TEST3"] {
        assert_eq!(c.put_manifest(repo, t, OCI_MANIFEST, &m).await.status(), StatusCode::CREATED);
    }
    let all: serde_json::Value = c.get(&format!("/v2/{repo}/tags/list")).await.json().await.unwrap();
    let all: Vec<String> = serde_json::from_value(all["tags"].clone()).unwrap();
    assert_eq!(all, ["TEST0", "TEST1", "TEST2", "TEST3", "test0", "test1", "test2", "test3"]);
    let r = c.get(&format!("/v2/{repo}/tags/list?n=4")).await;
    let link = header(r.headers(), "link").expect("Link header");
    assert_eq!(link, format!("</v2/{repo}/tags/list?n=4&last=TEST3>; rel=\"next\""));
    let page: serde_json::Value = r.json().await.unwrap();
    assert_eq!(page["tags"].as_array().unwrap().len(), 4);
    let r = c.get(&format!("/v2/{repo}/tags/list?n=4&last=TEST3")).await;
    assert!(header(r.headers(), "link").is_none(), "last page has no Link");
    let page: serde_json::Value = r.json().await.unwrap();
    assert_eq!(page["tags"], serde_json::json!(["test0", "test1", "test2", "test3"]));
    let r = c.get(&format!("/v2/{repo}/tags/list?n=0")).await;
    assert!(header(r.headers(), "link").is_none(), "an empty page has nowhere to continue from");
    let page: serde_json::Value = r.json().await.unwrap();
    assert_eq!(page["tags"], serde_json::json!([]));
    let r = c.get("/v2/disc/unknown/tags/list").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(r).await, "NAME_UNKNOWN");
}

#[tokio::test]
async fn catalog_paginated() {
    let s = server();
    let c = Oci::new(&s);
    for r in ["c/one", "a/two", "b/three"] {
        c.push_image(r, "v1", r).await;
    }
    let v: serde_json::Value = c.get("/v2/_catalog").await.json().await.unwrap();
    assert_eq!(v["repositories"], serde_json::json!(["a/two", "b/three", "c/one"]));
    let r = c.get("/v2/_catalog?n=2").await;
    assert_eq!(header(r.headers(), "link").unwrap(), "</v2/_catalog?n=2&last=b/three>; rel=\"next\"");
    let v: serde_json::Value = c.get("/v2/_catalog?n=2&last=b/three").await.json().await.unwrap();
    assert_eq!(v["repositories"], serde_json::json!(["c/one"]));
}

#[tokio::test]
async fn referrers_api() {
    let s = server();
    let c = Oci::new(&s);
    let repo = "disc/refs";
    let (m4, d4) = c.push_image(repo, "tagtest0", "subject").await;
    let empty = c.push_blob(repo, b"{}").await;
    let ref_a = c.push_blob(repo, b"NHL Peanut Butter on my NHL bagel").await;
    let ref_b = c.push_blob(repo, b"NBA Strawberry Jam on my NBA croissant").await;
    let (bagel, jam) = ("application/vnd.nhl.peanut.butter.bagel", "application/vnd.nba.strawberry.jam.croissant");
    let annotate = |mut m: serde_json::Value, v: &str| {
        m["annotations"] = serde_json::json!({"org.opencontainers.conformance.test": v});
        serde_json::to_vec(&m).unwrap()
    };
    let artifact = |config_type: &str,
                    artifact_type: Option<&str>,
                    layer: &str,
                    layer_len: usize,
                    subject: &str,
                    subject_len: usize| {
        let mut m = serde_json::json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": config_type, "digest": empty, "size": 2},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": layer_len}],
            "subject": {"mediaType": OCI_MANIFEST, "digest": subject, "size": subject_len}
        });
        if let Some(at) = artifact_type {
            m["artifactType"] = at.into();
            m["config"]["mediaType"] = "application/vnd.oci.empty.v1+json".into();
        }
        m
    };
    let mut pushed = Vec::new();
    for (i, m) in [
        artifact(bagel, None, &ref_a, 33, &d4, m4.len()),
        artifact("x", Some(bagel), &ref_a, 33, &d4, m4.len()),
        artifact(jam, None, &ref_b, 38, &d4, m4.len()),
        artifact("x", Some(jam), &ref_b, 38, &d4, m4.len()),
    ]
    .into_iter()
    .enumerate()
    {
        let body = annotate(m, &format!("ref{i}"));
        let d = sha256(&body);
        let r = c.put_manifest(repo, &d, OCI_MANIFEST, &body).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        assert_eq!(header(r.headers(), "oci-subject").unwrap(), d4);
        pushed.push(d);
    }
    let index = annotate(
        serde_json::json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "artifactType": "application/vnd.food.stand",
            "manifests": [], "subject": {"mediaType": OCI_MANIFEST, "digest": d4, "size": m4.len()}}),
        "index",
    );
    let r = c.put_manifest(repo, &sha256(&index), OCI_INDEX, &index).await;
    assert_eq!(header(r.headers(), "oci-subject").unwrap(), d4);
    // A referrer of a subject that was never pushed.
    let missing = sha256(b"never pushed manifest");
    let c_layer = annotate(artifact("x", Some(jam), &ref_b, 38, &missing, 100), "c");
    let r = c.put_manifest(repo, &sha256(&c_layer), OCI_MANIFEST, &c_layer).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(header(r.headers(), "oci-subject").unwrap(), missing);

    // D8: unknown subject → empty index.
    let r = c.get(&format!("/v2/{repo}/referrers/{}", sha256(b"hello world"))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(r.headers(), "content-type").unwrap(), OCI_INDEX);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!((v["schemaVersion"].as_i64(), v["mediaType"].as_str()), (Some(2), Some(OCI_INDEX)));
    assert_eq!(v["manifests"], serde_json::json!([]));
    // D9: all five, each with artifactType and its one annotation.
    let v: serde_json::Value = c.get(&format!("/v2/{repo}/referrers/{d4}")).await.json().await.unwrap();
    let list = v["manifests"].as_array().unwrap();
    assert_eq!(list.len(), 5);
    for e in list {
        assert!(e["artifactType"].is_string(), "{e}");
        assert_eq!(e["annotations"].as_object().unwrap().len(), 1);
    }
    assert!(
        list.iter().any(|e| e["artifactType"] == bagel && e["digest"] == pushed[0].as_str()),
        "config.mediaType fallback"
    );
    // D10: filtered.
    let r = c.get(&format!("/v2/{repo}/referrers/{d4}?artifactType={bagel}")).await;
    assert_eq!(header(r.headers(), "oci-filters-applied").unwrap(), "artifactType");
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["manifests"].as_array().unwrap().len(), 2);
    // D11: the referrer of the missing subject.
    let v: serde_json::Value = c.get(&format!("/v2/{repo}/referrers/{missing}")).await.json().await.unwrap();
    assert_eq!(v["manifests"][0]["digest"], sha256(&c_layer));
    assert_eq!(v["manifests"].as_array().unwrap().len(), 1);
}
