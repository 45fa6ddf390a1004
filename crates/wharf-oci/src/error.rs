//! The one error type of the OCI API, rendered in the spec's envelope
//! `{"errors":[{"code","message","detail"}]}`. Errors are mapped here, once.
//! Server-side faults have no spec code: they are answered with a plain-text
//! body, never with a code outside the spec.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};

/// Error codes from the distribution spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    BlobUnknown,
    BlobUploadInvalid,
    BlobUploadUnknown,
    DigestInvalid,
    ManifestBlobUnknown,
    ManifestInvalid,
    ManifestUnknown,
    NameInvalid,
    NameUnknown,
    SizeInvalid,
    TagInvalid,
    Unauthorized,
    Denied,
    Unsupported,
    TooManyRequests,
    /// Not a spec code: a server-side fault, answered in plain text.
    Unknown,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::BlobUnknown => "BLOB_UNKNOWN",
            Code::BlobUploadInvalid => "BLOB_UPLOAD_INVALID",
            Code::BlobUploadUnknown => "BLOB_UPLOAD_UNKNOWN",
            Code::DigestInvalid => "DIGEST_INVALID",
            Code::ManifestBlobUnknown => "MANIFEST_BLOB_UNKNOWN",
            Code::ManifestInvalid => "MANIFEST_INVALID",
            Code::ManifestUnknown => "MANIFEST_UNKNOWN",
            Code::NameInvalid => "NAME_INVALID",
            Code::NameUnknown => "NAME_UNKNOWN",
            Code::SizeInvalid => "SIZE_INVALID",
            Code::TagInvalid => "TAG_INVALID",
            Code::Unauthorized => "UNAUTHORIZED",
            Code::Denied => "DENIED",
            Code::Unsupported => "UNSUPPORTED",
            Code::TooManyRequests => "TOOMANYREQUESTS",
            Code::Unknown => "UNKNOWN",
        }
    }

    fn default_status(self) -> StatusCode {
        match self {
            Code::BlobUnknown | Code::BlobUploadUnknown | Code::ManifestUnknown | Code::NameUnknown => {
                StatusCode::NOT_FOUND
            }
            Code::Unauthorized => StatusCode::UNAUTHORIZED,
            Code::Denied => StatusCode::FORBIDDEN,
            Code::Unsupported => StatusCode::METHOD_NOT_ALLOWED,
            Code::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Code::Unknown => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// An OCI API error: status, spec code, message and extra headers.
#[derive(Debug)]
pub struct OciError {
    pub status: StatusCode,
    pub code: Code,
    pub message: String,
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl OciError {
    pub fn new(code: Code, message: impl Into<String>) -> OciError {
        OciError { status: code.default_status(), code, message: message.into(), headers: Vec::new() }
    }

    pub fn with_status(mut self, status: StatusCode) -> OciError {
        self.status = status;
        self
    }

    pub fn with_header(mut self, name: header::HeaderName, value: &str) -> OciError {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.push((name, v));
        }
        self
    }

    /// An unexpected failure: logged in full, answered opaquely.
    pub fn internal(err: impl std::fmt::Display) -> OciError {
        tracing::error!(error = %err, "internal error");
        OciError::new(Code::Unknown, "internal server error")
    }
}

impl From<wharf_meta::MetaError> for OciError {
    fn from(e: wharf_meta::MetaError) -> Self {
        if e.is_storage_full() {
            return OciError::storage_full(e);
        }
        OciError::internal(e)
    }
}

impl From<std::io::Error> for OciError {
    fn from(e: std::io::Error) -> Self {
        if wharf_core::storage::is_full(&e) {
            return OciError::storage_full(e);
        }
        OciError::internal(e)
    }
}

impl OciError {
    /// The disk (or quota) is full: the server's condition, not the
    /// client's; clients retry (`Retry-After`), the operator is told.
    fn storage_full(err: impl std::fmt::Display) -> OciError {
        tracing::error!(error = %err, "storage full: a write was refused");
        OciError::new(Code::Unknown, "the registry is out of storage space; retry later")
            .with_status(StatusCode::INSUFFICIENT_STORAGE)
            .with_header(header::RETRY_AFTER, wharf_core::storage::RETRY_AFTER_SECS)
    }
}

impl IntoResponse for OciError {
    fn into_response(self) -> Response {
        let (body, content_type) = if self.code == Code::Unknown {
            (format!("{}\n", self.message), "text/plain; charset=utf-8")
        } else {
            let body = serde_json::json!({
                "errors": [{ "code": self.code.as_str(), "message": self.message, "detail": null }]
            });
            (body.to_string(), "application/json")
        };
        let mut resp = Response::new(Body::from(body));
        *resp.status_mut() = self.status;
        let h = resp.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        h.insert("docker-distribution-api-version", HeaderValue::from_static("registry/2.0"));
        for (k, v) in self.headers {
            h.append(k, v);
        }
        resp
    }
}

pub type Result<T> = std::result::Result<T, OciError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn server_faults_carry_no_code_outside_the_spec() {
        let r = OciError::internal("disk on fire").into_response();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/plain; charset=utf-8");
        let body = axum::body::to_bytes(r.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], b"internal server error\n", "opaque: the cause stays in the log");
        let r = OciError::from(std::io::Error::from_raw_os_error(28)).into_response();
        assert_eq!(r.status(), StatusCode::INSUFFICIENT_STORAGE);
        assert_eq!(r.headers()[header::RETRY_AFTER], "60");
    }
}
