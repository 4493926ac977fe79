//! conform: spec → plan → generate → execute → check → report.

pub mod reference_server;
pub mod schema;
pub mod spec;
