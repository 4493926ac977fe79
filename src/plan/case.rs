//! A test case: one (operation, documented status) pair, with the recipe that provokes it.

use std::fmt;

use serde::Serialize;

use crate::spec::{Operation, StatusSpec};

/// How a case provokes its status, decided by the status class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Recipe {
    /// 2xx/3xx: a valid request.
    Success,
    /// 400/422: schema-violating input.
    InvalidInput,
    /// 401: credentials missing or wrong.
    Unauthenticated,
    /// 403: an input the suite names (a wrong password, a blocked user).
    Forbidden,
    /// 404: unknown identifiers.
    NotFound,
    /// 405: a method the path does not declare.
    MethodNotAllowed,
    /// 429: a bounded burst.
    RateLimited,
    /// 5xx: only through a recipe the suite supplies.
    ServerError,
    /// Anything else (1xx, 409, 410, `default`, ...): only through a suite recipe.
    Other,
}

impl Recipe {
    /// The recipe class for a documented status key.
    pub fn for_status(status: StatusSpec) -> Recipe {
        match status {
            StatusSpec::Code(code) => match code {
                200..=399 => Recipe::Success,
                400 | 422 => Recipe::InvalidInput,
                401 => Recipe::Unauthenticated,
                403 => Recipe::Forbidden,
                404 => Recipe::NotFound,
                405 => Recipe::MethodNotAllowed,
                429 => Recipe::RateLimited,
                500..=599 => Recipe::ServerError,
                _ => Recipe::Other,
            },
            StatusSpec::Range(2) | StatusSpec::Range(3) => Recipe::Success,
            StatusSpec::Range(5) => Recipe::ServerError,
            StatusSpec::Range(_) | StatusSpec::Default => Recipe::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Recipe::Success => "success",
            Recipe::InvalidInput => "invalid-input",
            Recipe::Unauthenticated => "unauthenticated",
            Recipe::Forbidden => "forbidden",
            Recipe::NotFound => "not-found",
            Recipe::MethodNotAllowed => "method-not-allowed",
            Recipe::RateLimited => "rate-limited",
            Recipe::ServerError => "server-error",
            Recipe::Other => "other",
        }
    }
}

impl fmt::Display for Recipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a case can run, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// The case runs by default.
    Runnable,
    /// The case can run but only on request (`--include-ignored`), e.g. a rate-limit burst.
    OptIn(String),
    /// Nothing can provoke the status yet: the case is reported as ignored with this reason.
    Ignored(String),
}

impl Readiness {
    pub fn is_runnable(&self) -> bool {
        matches!(self, Readiness::Runnable)
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Readiness::Runnable => None,
            Readiness::OptIn(reason) | Readiness::Ignored(reason) => Some(reason),
        }
    }
}

/// One planned case.
#[derive(Debug, Clone)]
pub struct Case {
    /// Stable id: `<operationId>/<status>`.
    pub id: String,
    /// Index of the operation in [`crate::spec::Document::operations`].
    pub operation: usize,
    pub status: StatusSpec,
    pub recipe: Recipe,
    pub readiness: Readiness,
    /// `POST /oauth/token → 400`.
    pub display: String,
}

impl Case {
    pub fn new(index: usize, op: &Operation, status: StatusSpec) -> Case {
        Case {
            id: format!("{}/{}", op.id(), status),
            operation: index,
            status,
            recipe: Recipe::for_status(status),
            readiness: Readiness::Runnable,
            display: format!("{} {} → {}", op.method, op.path, status),
        }
    }
}
