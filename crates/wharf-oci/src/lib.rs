//! The OCI Distribution API v1.1 at `/v2/`.
//!
//! `endpoint` turns a path into a typed [`Endpoint`]; `api/` extracts,
//! authorizes, calls the service and maps the result; `service/` holds the
//! protocol rules and talks only to `wharf-meta` and `wharf-blob`.

pub mod api;
mod endpoint;
mod error;
pub mod service;

pub use endpoint::Endpoint;
pub use error::{Code, OciError};
pub use service::{Registry, RegistryConfig};
