//! Wharf's Python package index at `/pypi/`, in three layers (as in
//! `wharf-oci`):
//!
//! * Protocol rules, no HTTP and no storage:
//!   * [`name`] — PEP 503 normalization and the project-name grammar
//!   * [`version`] — PEP 440 parsing, normalization and ordering
//!   * [`filename`] — wheel and sdist filenames
//!   * [`metadata`] — core metadata (`METADATA` / `PKG-INFO`) parsing
//!   * [`archive`] — safe extraction of core metadata from an uploaded file
//!     (the only reader of uploaded archives; it reads the file it is given)
//!   * [`mod@negotiate`] — PEP 691 content negotiation
//!   * [`render`] — PEP 503 HTML and PEP 691 JSON pages
//!   * [`namespace`] — index namespaces and the `/pypi/…` paths
//!   * [`error`] — [`PypiError`], whose text is what twine prints
//! * [`service`] — [`PackageIndex`], the rules over storage: uploads, pages
//!   and their cache, file lookups, yanking and deletion; talks only to
//!   `wharf-meta` and `wharf-blob`.
//! * [`api`] — the HTTP side: [`api::dispatch`] parses the path, authorizes
//!   once, calls the service and maps the result.
//!
//! An upload: [`PackageIndex::stage`] streams the `content` part into a blob
//! upload session (hashing on the way), then [`PackageIndex::publish`] runs
//! [`parse_filename`], [`extract_metadata`] on the staged file, the digest and
//! duplicate checks, commits the blob and records the file. A read:
//! [`parse_format_param`] / [`negotiate()`] → [`render_project`] (through the
//! page cache) or [`RootIndexWriter`], with `Content-Type` from
//! [`SimpleFormat::content_type`].
//!
//! ```
//! use wharf_pypi::{negotiate, render_project, ProjectPage, SimpleFormat, Version};
//!
//! let format = negotiate(Some("application/vnd.pypi.simple.v1+json, */*;q=0.1")).unwrap();
//! assert_eq!(format, SimpleFormat::JsonV1);
//! let page = ProjectPage {
//!     name: "demo-pkg".into(),
//!     versions: vec![Version::parse("1.0").unwrap()],
//!     ..ProjectPage::default()
//! };
//! assert!(render_project(format, &page).starts_with(r#"{"meta":{"api-version":"1.4"}"#));
//! ```

pub mod api;
pub mod archive;
pub mod error;
pub mod filename;
pub mod metadata;
pub mod name;
pub mod namespace;
pub mod negotiate;
pub mod render;
pub mod service;
pub mod version;

pub use archive::{extract_metadata, Limits};
pub use error::PypiError;
pub use filename::{check_safe_filename, parse_filename, DistFilename, DistKind, WheelTags};
pub use metadata::CoreMetadata;
pub use name::{is_valid_project_name, normalize, validate_project_name, wheel_escape};
pub use namespace::{Endpoint, Namespace};
pub use negotiate::{negotiate, parse_format_param, SimpleFormat};
pub use render::{
    format_upload_time, render_project, render_root, ProjectFile, ProjectPage, ProjectStatus, RootIndexWriter, Yanked,
    API_VERSION,
};
pub use service::{IndexConfig, PackageIndex};
pub use version::{LocalSegment, PreKind, Version};
