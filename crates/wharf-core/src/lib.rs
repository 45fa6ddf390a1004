//! Pure vocabulary shared by every Wharf crate: content digests, OCI
//! repository names, tags, manifest references and the authorization
//! policy, and how storage errors are classified. No IO, no async.

mod digest;
mod name;
pub mod policy;
pub mod range;
pub mod storage;

pub use digest::{Algorithm, Digest, DigestError, Hasher};
pub use name::{NameError, Reference, ReferenceError, RepoName, Tag};
