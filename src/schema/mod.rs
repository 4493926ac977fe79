//! OpenAPI 3.0 Schema Objects converted to JSON Schema (Draft 4) and compiled once.

mod compile;
mod convert;
mod types;

pub(crate) use crate::spec::percent_decode;
pub use compile::{CompiledSchema, SchemaSet};
pub(crate) use convert::has_type;
pub use types::{Direction, SchemaError, SchemaViolation, SpecWarning};

#[cfg(test)]
mod tests;
