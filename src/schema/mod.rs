//! OpenAPI 3.0 Schema Objects converted to JSON Schema (Draft 4), or OpenAPI 3.1 schemas as
//! JSON Schema 2020-12, compiled once.

mod compile;
mod convert;
mod draft2020;
mod types;

pub(crate) use crate::spec::percent_decode;
pub use compile::{CompiledSchema, SchemaSet};
pub(crate) use convert::{has_type, types_of};
pub use types::{Direction, SchemaError, SchemaViolation, SpecWarning};

#[cfg(test)]
mod tests;
