//! Errors that point at the user's document: file, line:column and JSON pointer.

use std::fmt;
use std::path::PathBuf;

/// A document conform cannot use, with where in the file the problem is.
#[derive(Debug, thiserror::Error)]
pub struct SpecError {
    /// The file as the user named it.
    pub file: PathBuf,
    /// JSON pointer (RFC 6901, with the leading `#`) of the offending node, when known.
    pub pointer: Option<String>,
    /// 1-based line and column of that node in the file, when known.
    pub location: Option<(usize, usize)>,
    /// What is wrong.
    pub kind: SpecErrorKind,
}

/// What is wrong with a document.
#[derive(Debug, thiserror::Error)]
pub enum SpecErrorKind {
    #[error("cannot read the file: {0}")]
    Io(#[source] std::io::Error),
    #[error("not valid YAML or JSON: {0}")]
    Syntax(String),
    #[error("not an OpenAPI 3.0 document: {0}")]
    NotOpenApi3(String),
    #[error("$ref '{0}' points to a URL; conform reads local files only and fetches nothing")]
    ExternalRef(String),
    #[error("$ref names the file {0}, which cannot be read: {1}")]
    Unreadable(String, String),
    #[error("$ref '{0}' points to nothing in this document")]
    UnknownRef(String),
    #[error("cyclic $ref chain: {}", .0.join(" -> "))]
    CyclicRef(Vec<String>),
    #[error("not supported: {0}")]
    Unsupported(String),
    #[error("invalid OpenAPI document: {0}")]
    Invalid(String),
    #[error("the file is larger than the limit of {} MiB ({limit} bytes)", limit / (1024 * 1024))]
    TooLarge { limit: u64 },
    #[error("nested more than {limit} levels deep; refused before parsing")]
    TooDeep { limit: usize },
    #[error("$ref chain longer than {limit} hops starting at '{start}'")]
    RefChainTooLong { start: String, limit: usize },
}

impl SpecError {
    pub(crate) fn new(file: impl Into<PathBuf>, kind: SpecErrorKind) -> Self {
        Self {
            file: file.into(),
            pointer: None,
            location: None,
            kind,
        }
    }

    pub(crate) fn at(mut self, pointer: Option<String>, location: Option<(usize, usize)>) -> Self {
        self.pointer = pointer;
        self.location = location;
        self
    }
}

impl fmt::Display for SpecError {
    /// One line: `file:line:col: message (at #/json/pointer)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some((line, col)) = self.location {
            write!(f, ":{line}:{col}")?;
        }
        write!(f, ": {}", self.kind)?;
        if let Some(pointer) = &self.pointer {
            write!(f, " (at #{pointer})")?;
        }
        Ok(())
    }
}
