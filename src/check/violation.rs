//! A contract violation: what the server did that the document does not allow.

use std::fmt;

use serde::Serialize;

use super::CheckId;

/// One broken rule, found by one check. Violations are failures of the server, never of conform.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    /// The check that found it.
    pub check: CheckId,
    pub message: String,
    /// Where in the response body (JSON pointer), for body checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_path: Option<String>,
    /// Where in the compiled JSON Schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_path: Option<String>,
    /// The JSON pointer, in the OpenAPI document, of the rule that was broken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec_pointer: Option<String>,
    /// What was observed, shortened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed: Option<String>,
    /// The specification section the rule comes from (protocol checks: `RFC 6749 §5.1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Violation {
    pub fn new(check: CheckId, message: impl Into<String>) -> Violation {
        Violation {
            check,
            message: message.into(),
            instance_path: None,
            schema_path: None,
            spec_pointer: None,
            observed: None,
            source: None,
        }
    }

    pub fn at_spec(mut self, pointer: impl Into<String>) -> Violation {
        self.spec_pointer = Some(pointer.into());
        self
    }

    pub fn cite(mut self, source: impl Into<String>) -> Violation {
        self.source = Some(source.into());
        self
    }

    pub fn observed(mut self, observed: impl Into<String>) -> Violation {
        self.observed = Some(shorten(&observed.into(), 200));
        self
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.check, self.message)?;
        if let Some(source) = &self.source {
            write!(f, " ({source})")?;
        }
        if let Some(path) = &self.instance_path {
            write!(
                f,
                "\n    at body {}",
                if path.is_empty() { "/" } else { path }
            )?;
        }
        if let Some(path) = &self.schema_path {
            write!(f, "\n    schema path {path}")?;
        }
        if let Some(pointer) = &self.spec_pointer {
            write!(f, "\n    document #{pointer}")?;
        }
        if let Some(observed) = &self.observed {
            write!(f, "\n    observed {observed}")?;
        }
        Ok(())
    }
}

/// Cuts `s` to at most `max` characters, marking the cut.
pub fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}
