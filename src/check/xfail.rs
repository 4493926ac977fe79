//! Case-level: a case the suite marks as an expected failure (`xfail`) passed, so the mark is
//! out of date.

use super::{CheckId, Violation};

pub fn passed(reason: &str) -> Violation {
    Violation::new(
        CheckId::Xfail,
        format!("marked xfail ({reason}) but it passed: remove the xfail from the suite"),
    )
}
