//! The one error type of the Python index core.
//!
//! `Display` is the plain-text reason that twine, uv and poetry print, so the
//! server can put it both into the HTTP reason phrase and the body unchanged.
//! Nothing here knows about HTTP status codes; [`PypiError::is_client_error`]
//! tells the server whether the fault lies with the upload (400) or with us.

use std::io;

/// Everything that can go wrong while validating or reading a distribution.
#[derive(Debug, thiserror::Error)]
pub enum PypiError {
    /// The project name does not follow the PEP 508 name grammar.
    #[error("'{name}' is an invalid value for Name. Error: {reason}")]
    InvalidName { name: String, reason: String },

    /// The version is not a valid PEP 440 version.
    #[error("'{version}' is an invalid value for Version. Error: {reason}")]
    InvalidVersion { version: String, reason: String },

    /// The filename contains forbidden characters or does not follow the
    /// wheel / sdist naming rules.
    #[error("Invalid filename: {0}")]
    InvalidFilename(String),

    /// The filename has an extension the index does not accept.
    #[error("Invalid file extension: use .whl, .tar.gz or .zip (PEP 527, PEP 715); got '{0}'")]
    InvalidExtension(String),

    /// The archive is malformed or unsafe (traversal, links, duplicates, …).
    #[error("Invalid distribution file: {0}")]
    InvalidDistribution(String),

    /// The archive exceeds one of the configured [`crate::Limits`].
    #[error("Invalid distribution file: {0}")]
    LimitExceeded(String),

    /// The archive has no core metadata file where it must be.
    #[error("Invalid distribution file: '{filename}' does not contain the required metadata file {path}")]
    MissingMetadata { filename: String, path: String },

    /// The core metadata itself cannot be parsed.
    #[error("Invalid metadata: {0}")]
    InvalidMetadata(String),

    /// Metadata and filename disagree about the name or the version.
    #[error("Invalid distribution file: metadata {field} '{metadata}' does not match filename '{filename}'")]
    MetadataMismatch { field: &'static str, metadata: String, filename: String },

    /// The same filename exists with different bytes. The prefix
    /// `File already exists` is what poetry, pdm and old twine look for.
    #[error("File already exists ('{filename}', with blake2_256 hash '{blake2_256}').")]
    FileExists { filename: String, blake2_256: String },

    /// The filename is held with other bytes by another namespace of the same
    /// top-level group, whose index would have to serve both.
    #[error(
        "Filename '{filename}' is already used with different content by {holder}, in the same group: \
         the index /pypi/{group}/simple/ would serve both. Use a different version."
    )]
    GroupConflict { filename: String, holder: String, group: String },

    /// The filename belonged to a file that was deleted; it is burnt.
    #[error(
        "This filename was previously used by a file that has since been deleted: '{0}'. Use a different version."
    )]
    FilenameReused(String),

    /// A digest sent in the upload form does not match the content.
    #[error("The {0} digest supplied does not match a digest calculated from the uploaded file.")]
    DigestMismatch(&'static str),

    /// `protocol_version` was not `1`.
    #[error("Unknown protocol version.")]
    UnknownProtocolVersion,

    /// The repository refuses PEP 440 local versions (`1.0+cu121`).
    #[error("Can't use PEP 440 local versions: '{0}'.")]
    LocalVersionNotAllowed(String),

    /// The request itself is malformed (form fields, query, body).
    #[error("{0}")]
    BadRequest(String),

    /// The URL does not take this method; the text says which URL does.
    #[error("{0}")]
    MethodNotAllowed(String),

    /// The upload exceeds the configured size limit.
    #[error("File too large. Limit is {0} bytes.")]
    TooLarge(u64),

    /// The upload form exceeds a bound other than the file's size (part
    /// headers, number of parts, text fields).
    #[error("{0}")]
    FormTooLarge(String),

    /// No such project, file or index.
    #[error("Not Found")]
    NotFound,

    /// No representation the client accepts (PEP 691).
    #[error("Not Acceptable: this index serves application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html and text/html")]
    NotAcceptable,

    /// A server-side fault (storage, database, I/O): logged in full when it
    /// is made ([`PypiError::internal`]), answered opaquely.
    #[error("Internal server error")]
    Internal(String),

    /// The disk or a quota is full: the server's condition, logged when it
    /// is made ([`PypiError::storage_full`]); clients are asked to retry.
    #[error("The index is out of storage space; retry later.")]
    StorageFull,
}

impl PypiError {
    /// `true` when the upload is at fault (answer 400), `false` for server
    /// faults (answer an opaque 500 and log the error).
    pub fn is_client_error(&self) -> bool {
        !matches!(self, PypiError::Internal(_) | PypiError::StorageFull)
    }

    /// A write found the storage full: logged at error level.
    pub fn storage_full(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "storage full: a package upload was refused");
        PypiError::StorageFull
    }

    /// A server-side fault: logs the cause, keeps it out of the response.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error in the package index");
        PypiError::Internal(cause.to_string())
    }

    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        PypiError::InvalidDistribution(reason.into())
    }
}

/// Reading a staged file or writing storage failed: never the client's
/// fault, and its text (paths, OS messages) stays in the log.
impl From<io::Error> for PypiError {
    fn from(e: io::Error) -> Self {
        if wharf_core::storage::is_full(&e) {
            return PypiError::storage_full(e);
        }
        PypiError::internal(format_args!("I/O error: {e}"))
    }
}

impl From<wharf_meta::MetaError> for PypiError {
    fn from(e: wharf_meta::MetaError) -> Self {
        if e.is_storage_full() {
            return PypiError::storage_full(e);
        }
        PypiError::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_the_twine_reason() {
        let e = PypiError::FileExists { filename: "demo-1.0-py3-none-any.whl".into(), blake2_256: "abc".into() };
        assert_eq!(e.to_string(), "File already exists ('demo-1.0-py3-none-any.whl', with blake2_256 hash 'abc').");
        assert!(e.to_string().starts_with("File already exists"));
        assert!(e.is_client_error());
    }

    #[test]
    fn mismatch_message_names_both_sides() {
        let e =
            PypiError::MetadataMismatch { field: "name", metadata: "other".into(), filename: "demo-1.0.tar.gz".into() };
        assert_eq!(
            e.to_string(),
            "Invalid distribution file: metadata name 'other' does not match filename 'demo-1.0.tar.gz'"
        );
    }

    #[test]
    fn pypi_internal_errors_are_opaque() {
        let e = PypiError::from(io::Error::other("/data/uploads/1234: disk on fire"));
        assert!(!e.is_client_error());
        assert_eq!(e.to_string(), "Internal server error");
        let e = PypiError::internal("database is locked");
        assert_eq!(e.to_string(), "Internal server error");
    }
}
