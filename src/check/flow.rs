//! Case-level: a flow step (a real call a case depends on, or a verification after a case)
//! got the answer it needs: the status it expects and the values it captures.

use super::{CheckId, Violation};

/// A step answered with a status it cannot use.
pub fn unexpected_status(step: &str, expected: &str, status: u16, body: &[u8]) -> Violation {
    Violation::new(
        CheckId::Flow,
        format!("{step}: expected {expected}, got {status}"),
    )
    .observed(String::from_utf8_lossy(body))
}

/// A step's answer lacks a value the flow captures.
pub fn nothing_to_capture(step: &str, source: &str, var: &str) -> Violation {
    Violation::new(
        CheckId::Flow,
        format!("{step}: nothing to capture at `{source}` for `{var}`"),
    )
}

/// A response check's violation, said of a step.
pub fn in_step(mut violation: Violation, step: &str, body: &[u8]) -> Violation {
    violation.message = format!("{step}: {}", violation.message);
    if violation.observed.is_none() {
        violation = violation.observed(String::from_utf8_lossy(body));
    }
    violation
}
