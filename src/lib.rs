//! conform: spec → plan → generate → execute → check → report.
//!
//! [`spec`] loads an OpenAPI 3.0 document into our model; [`plan`] makes one case per (operation,
//! documented status); [`recipe`] says how each case provokes its status and builds its requests;
//! [`execute`] sends them (the only stage that touches the network); [`check`] judges each
//! response against the document; [`runner`] drives cases and emits events; [`report`] turns the
//! events into console output, JUnit XML and JSON. [`reference_server`] is the embedded Auth0
//! Authentication API that `conform run` tests when no `--base-url` is given.

pub mod app;
pub mod check;
pub mod cli;
pub mod config;
pub mod execute;
pub mod exit_code;
pub mod generate;
pub mod lint;
pub mod plan;
pub mod recipe;
/// The embedded reference server (the `reference` feature, on by default).
#[cfg(feature = "reference")]
pub use conform_reference as reference_server;
pub mod report;
pub mod runner;
pub mod schema;
pub mod spec;
pub mod suite;
