//! The one integration test binary: the OCI conformance workflows ported to
//! Rust, durability tests (restart, kill -9) and end-to-end tests with real
//! clients, all against the built `wharf` binary.

mod clients_docker;
mod clients_oci_tools;
mod common;
mod config;
mod conformance_discovery;
mod conformance_management;
mod conformance_matrix;
mod conformance_pull;
mod conformance_push;
mod durability;
mod gc;
mod hardening_disk;
mod hardening_net;
mod oci_hardening;
mod promote;
mod pypi_archives;
mod pypi_clients;
mod pypi_hardening;
mod pypi_http;
mod pypi_rules;
mod python_env;
mod security;
