//! OpenAPI 3.0 Schema Objects converted to JSON Schema (Draft 4) and compiled once.
