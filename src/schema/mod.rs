//! OpenAPI 3.0 Schema Objects converted to JSON Schema (Draft 4) and compiled once.

mod compile;
mod convert;
mod types;

pub use compile::{CompiledSchema, SchemaSet};
pub(crate) use convert::percent_decode;
pub use types::{Direction, SchemaError, SchemaViolation, SpecWarning};

#[cfg(test)]
mod tests;
