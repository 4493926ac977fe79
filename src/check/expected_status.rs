//! Case-level: did an answer reach the status its case set out to provoke? A conforming answer
//! with another documented status leaves the case *unreached*; that fails only where the suite
//! asserts the case must reach its status (`strict`, `must_reach`).

use super::{CheckId, Violation};
use crate::plan::Recipe;
use crate::spec::{Operation, StatusSpec};

/// How an answer's status relates to the case's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Reached,
    /// Another status.
    Other(u16),
}

/// Whether `status` is the one the case expects. A `default` case is reached by any status the
/// operation does not document explicitly.
pub fn reach(op: &Operation, expected: StatusSpec, status: u16) -> Reach {
    let reached = match expected {
        StatusSpec::Default => op
            .responses
            .iter()
            .all(|r| r.status == StatusSpec::Default || !r.status.matches(status)),
        spec => spec.matches(status),
    };
    if reached {
        Reach::Reached
    } else {
        Reach::Other(status)
    }
}

/// Why a case of `recipe` that got `status` counts as unreached, in a reader's words.
pub fn why_unreached(recipe: Recipe, status: u16) -> String {
    match (recipe, status) {
        (_, 429) => "rate-limited, still after backing off as the server asked".into(),
        (Recipe::Success, 400 | 422) => {
            "the generated input did not get past the server's validation".into()
        }
        (Recipe::Success, 401 | 403) => {
            "the server refused the credentials or the grant (the suite may need to supply them)"
                .into()
        }
        (_, 404) => "the route answered 404, as an unimplemented route does".into(),
        (_, 405) => "the route answered 405, as an unimplemented method does".into(),
        (Recipe::InvalidInput, 200..=299) => {
            "the server accepted the schema-violating input (lenient, and documented)".into()
        }
        _ => format!("the server answered {status}, a documented status, and the answer conforms"),
    }
}

/// The failure of a case the suite says must reach its status.
pub fn must_reach(expected: StatusSpec, status: u16, why: &str) -> Violation {
    Violation::new(
        CheckId::ExpectedStatus,
        format!(
            "expected status {expected}, got {status} ({why}); the suite asserts this case reaches its status"
        ),
    )
}
