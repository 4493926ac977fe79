//! conform: spec → plan → generate → execute → check → report.

pub mod generate;
pub mod reference_server;
pub mod schema;
pub mod spec;
