//! The plain data the schema layer hands out: directions, violations, spec warnings and errors.

use serde::Serialize;
use serde_json::Value;

/// Which side of an exchange a schema is used for: `readOnly` properties are not required in a
/// request, `writeOnly` properties are not required in a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Direction {
    Request,
    Response,
}

/// One way an instance fails a compiled schema.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SchemaViolation {
    /// JSON pointer into the instance (`""` for the whole instance).
    pub instance_path: String,
    /// JSON pointer into the converted Draft 4 schema of the keyword that failed.
    pub schema_path: String,
    /// JSON pointer in the OpenAPI document of the schema node that failed.
    pub spec_pointer: String,
    pub message: String,
    /// The part of the instance that failed.
    pub observed: Option<Value>,
}

/// A problem in the document found while converting a schema: the harness works around it and
/// says so, rather than failing every case that touches it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct SpecWarning {
    /// JSON pointer in the OpenAPI document.
    pub pointer: String,
    pub message: String,
}

/// Why a schema could not be converted or compiled.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SchemaError {
    #[error("no schema at pointer {0}")]
    NotFound(String),
    #[error("schema at {pointer} nests deeper than {limit} levels")]
    TooDeep { pointer: String, limit: usize },
    #[error("schema at {pointer} does not compile as JSON Schema: {message}")]
    Compile { pointer: String, message: String },
}
