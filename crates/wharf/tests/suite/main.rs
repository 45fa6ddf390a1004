//! The one integration test binary: the OCI conformance workflows ported to
//! Rust and the PyPI protocol tests against an in-process server; durability
//! tests (restart, kill -9), `wharf gc` and end-to-end tests with real clients
//! against the built `wharf` binary. The real-client tests are `#[ignore]`d
//! unless asked for (see `wharf_test_support::Clients`).

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
