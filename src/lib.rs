//! conform: spec → plan → recipe → generate → execute → check → runner → report.
//!
//! [`spec`] loads an OpenAPI document into our model; [`plan`] makes one case per (operation,
//! documented status); [`recipe`] says how each case provokes its status and builds its
//! requests from [`generate`]d values; [`execute`] sends them through one gate (the only stage
//! that touches the network); [`check`] judges each response against the document; [`runner`]
//! drives the cases and streams [`event`]s; [`report`] turns the events into console output,
//! JUnit XML, JSON and HTML. [`redact`] masks secrets for every output. With the `reference`
//! feature (on by default), [`reference_server`] is the embedded Auth0 Authentication API that
//! `conform run` tests when no `--base-url` is given.

pub mod baseline;
pub mod check;
pub mod event;
pub mod execute;
pub mod files;
pub mod generate;
pub mod lint;
pub mod plan;
pub mod recipe;
pub mod redact;
pub mod report;
pub mod runner;
pub mod schema;
pub mod spec;
pub mod suite;

/// The embedded reference server (the `reference` feature, on by default).
#[cfg(feature = "reference")]
pub use conform_reference as reference_server;
