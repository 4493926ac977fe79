//! Case-level: a 429 case's burst. Every answer of the burst is checked like any other; the
//! case reaches 429 when the server limits it.

use super::{CheckId, Violation};

/// The failure of a strict 429 case whose burst never got a 429.
pub fn no_429(burst: usize, last: u16) -> Violation {
    Violation::new(
        CheckId::RateLimit,
        format!("no 429 after a burst of {burst} requests (the last answer was {last})"),
    )
}

/// A violation found in a burst answer that came before the limit bit.
pub fn during_burst(mut violation: Violation, nth: usize) -> Violation {
    violation.message = format!(
        "during the burst (answer {nth}, before the limit): {}",
        violation.message
    );
    violation
}

/// The violations of the first offending burst answer, saying how many later answers also broke
/// the document (they are not listed one by one).
pub fn and_more(mut violations: Vec<Violation>, more: usize) -> Vec<Violation> {
    if more > 0
        && let Some(first) = violations.first_mut()
    {
        first.message = format!(
            "{} (and {more} more answers of the burst broke the document)",
            first.message
        );
    }
    violations
}
