//! Manifest parsing and validation. Works on a generic JSON value so unknown
//! and `null` fields are tolerated; the client's bytes are stored untouched.
//! Anything two parsers could read differently (a repeated key, an image
//! manifest with `manifests`, an index with `layers`) is refused.

use serde_json::Value;
use wharf_core::Digest;

use super::strict_json;
use crate::error::{Code, OciError, Result};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_SCHEMA1: &[&str] = &[
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
];

/// Is `media_type` one of the manifest kinds a registry stores as manifests?
pub fn is_manifest_type(media_type: &str) -> bool {
    [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST].contains(&media_type)
}

/// What a manifest says about the content it references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub media_type: String,
    /// Blobs that must exist in the repository.
    pub blobs: Vec<Digest>,
    /// Child manifests that must exist in the repository.
    pub manifests: Vec<Digest>,
    pub subject: Option<Digest>,
    pub artifact_type: Option<String>,
    pub annotations: Option<String>,
}

fn invalid(msg: impl Into<String>) -> OciError {
    OciError::new(Code::ManifestInvalid, msg)
}

fn descriptor_digest(d: &Value, what: &str) -> Result<Digest> {
    let s = d.get("digest").and_then(Value::as_str).ok_or_else(|| invalid(format!("{what} has no digest")))?;
    s.parse().map_err(|e| invalid(format!("{what} digest: {e}")))
}

fn str_field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

/// Parses and validates manifest bytes sent with `content_type`.
pub fn parse(bytes: &[u8], content_type: Option<&str>) -> Result<Parsed> {
    let v = strict_json::from_slice(bytes).map_err(|e| invalid(format!("manifest is not valid JSON: {e}")))?;
    if !v.is_object() {
        return Err(invalid("manifest must be a JSON object"));
    }
    if v.get("mediaType").is_some_and(|m| !m.is_string()) {
        return Err(invalid("mediaType must be a string"));
    }
    let content_type = content_type.map(|c| c.split(';').next().unwrap_or("").trim()).filter(|c| !c.is_empty());
    let declared = str_field(&v, "mediaType");
    if let (Some(d), Some(c)) = (&declared, content_type) {
        if d != c && c != "application/json" {
            return Err(invalid(format!("mediaType {d} does not match Content-Type {c}")));
        }
    }
    let media_type = match declared.as_deref().or(content_type) {
        Some(m) if m != "application/json" => m.to_string(),
        _ if v.get("manifests").is_some() => OCI_INDEX.to_string(),
        _ => OCI_MANIFEST.to_string(),
    };
    if DOCKER_SCHEMA1.contains(&media_type.as_str()) || v.get("schemaVersion").and_then(Value::as_i64) == Some(1) {
        return Err(invalid("Docker schema 1 manifests are not supported"));
    }
    if v.get("schemaVersion").and_then(Value::as_i64) != Some(2) {
        return Err(invalid("schemaVersion must be 2"));
    }
    let mut p = Parsed {
        media_type: media_type.clone(),
        blobs: Vec::new(),
        manifests: Vec::new(),
        subject: None,
        artifact_type: str_field(&v, "artifactType"),
        annotations: v.get("annotations").filter(|a| a.is_object()).map(Value::to_string),
    };
    if let Some(s) = v.get("subject").filter(|s| !s.is_null()) {
        p.subject = Some(descriptor_digest(s, "subject")?);
    }
    // Fields of the other kind make the document mean two things.
    let foreign: &[&str] = match media_type.as_str() {
        OCI_INDEX | DOCKER_LIST => &["config", "layers"],
        _ => &["manifests"],
    };
    if let Some(f) = foreign.iter().find(|f| v.get(**f).is_some_and(|x| !x.is_null())) {
        return Err(invalid(format!("a {media_type} must not have {f}")));
    }
    match media_type.as_str() {
        OCI_INDEX | DOCKER_LIST => {
            let list =
                v.get("manifests").and_then(Value::as_array).ok_or_else(|| invalid("index has no manifests array"))?;
            for d in list {
                let digest = descriptor_digest(d, "manifest descriptor")?;
                if d.get("mediaType").is_some_and(|m| !m.is_string()) {
                    return Err(invalid("manifest descriptor mediaType must be a string"));
                }
                match d.get("mediaType").and_then(Value::as_str) {
                    Some(m) if !is_manifest_type(m) => p.blobs.push(digest), // e.g. BuildKit cache
                    _ => p.manifests.push(digest),
                }
            }
        }
        OCI_MANIFEST | DOCKER_MANIFEST => {
            let config = v.get("config").filter(|c| c.is_object()).ok_or_else(|| invalid("manifest has no config"))?;
            p.blobs.push(descriptor_digest(config, "config")?);
            if p.artifact_type.is_none() {
                p.artifact_type = str_field(config, "mediaType");
            }
            let layers =
                v.get("layers").and_then(Value::as_array).ok_or_else(|| invalid("manifest has no layers array"))?;
            for l in layers {
                let digest = descriptor_digest(l, "layer")?;
                // Non-distributable layers live elsewhere (`urls`).
                if l.get("urls").and_then(Value::as_array).is_none_or(|u| u.is_empty()) {
                    p.blobs.push(digest);
                }
            }
        }
        other => return Err(invalid(format!("unsupported manifest media type {other}"))),
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";

    #[test]
    fn image_manifest_with_unknown_fields() {
        let m = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/x","digest":"{D}","size":1,"newUnspecifiedField":null}},"layers":[],"annotations":{{"a":"b"}}}}"#
        );
        let p = parse(m.as_bytes(), Some(OCI_MANIFEST)).unwrap();
        assert_eq!(p.blobs.len(), 1);
        assert_eq!(p.artifact_type.as_deref(), Some("application/x"));
        assert_eq!(p.annotations.as_deref(), Some(r#"{"a":"b"}"#));
    }

    #[test]
    fn index_pointing_at_cache_blobs() {
        let m = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{{"mediaType":"application/vnd.buildkit.cacheconfig.v0","digest":"{D}","size":1}},{{"mediaType":"{OCI_MANIFEST}","digest":"{D}","size":1}}]}}"#
        );
        let p = parse(m.as_bytes(), None).unwrap();
        assert_eq!((p.blobs.len(), p.manifests.len()), (1, 1));
    }

    #[test]
    fn rejects_bad_manifests() {
        for (body, ct) in [
            ("not json", Some(OCI_MANIFEST)),
            ("[]", Some(OCI_MANIFEST)),
            (r#"{"schemaVersion":1}"#, None),
            (r#"{"schemaVersion":2,"layers":[]}"#, Some(OCI_MANIFEST)),
            (
                r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#,
                Some(OCI_MANIFEST),
            ),
            (r#"{"schemaVersion":2,"config":{"digest":"sha256:x"},"layers":[]}"#, Some(OCI_MANIFEST)),
        ] {
            assert!(parse(body.as_bytes(), ct).is_err(), "{body} accepted");
        }
    }

    #[test]
    fn ambiguous_manifests_are_rejected() {
        let config = format!(r#""config":{{"mediaType":"application/x","digest":"{D}","size":1}}"#);
        let layer = format!(r#"{{"mediaType":"application/y","digest":"{D}","size":1}}"#);
        let child = format!(r#"{{"mediaType":"{OCI_MANIFEST}","digest":"{D}","size":1}}"#);
        let image = |extra: &str| format!(r#"{{"schemaVersion":2,{config},"layers":[{layer}]{extra}}}"#);
        let index = |extra: &str| format!(r#"{{"schemaVersion":2,"manifests":[{child}]{extra}}}"#);
        for (body, ct) in [
            (image(r#","layers":[]"#), OCI_MANIFEST),
            (image(&format!(r#","mediaType":"{OCI_MANIFEST}","mediaType":"{OCI_INDEX}""#)), OCI_MANIFEST),
            (image(r#","annotations":{"a":"1","a":"2"}"#), OCI_MANIFEST),
            (image(&format!(r#","manifests":[{child}]"#)), OCI_MANIFEST),
            (image(r#","mediaType":7"#), OCI_MANIFEST),
            (image(r#","mediaType":null"#), OCI_MANIFEST),
            (index(&format!(r#",{config}"#)), OCI_INDEX),
            (index(r#","layers":[]"#), OCI_INDEX),
            (index(r#","manifests":[]"#), OCI_INDEX),
            (index(r#","mediaType":["x"]"#), OCI_INDEX),
            (format!(r#"{{"schemaVersion":2,"manifests":[{{"mediaType":1,"digest":"{D}","size":1}}]}}"#), OCI_INDEX),
        ] {
            let e = parse(body.as_bytes(), Some(ct)).expect_err(&body);
            assert_eq!(e.code, Code::ManifestInvalid, "{body}");
        }
        // Distinct keys, unknown fields and nulls stay fine.
        for (body, ct) in [
            (image(r#","annotations":{"a":"1","b":"2"},"manifests":null,"x":{"y":1}"#), OCI_MANIFEST),
            (index(r#","annotations":{"a":"1"},"layers":null"#), OCI_INDEX),
        ] {
            parse(body.as_bytes(), Some(ct)).expect(&body);
        }
    }
}
