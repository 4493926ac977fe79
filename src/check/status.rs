//! Status checks: the observed status is documented, and it is the one the case set out to provoke.

use super::{Check, CheckContext, Violation};
use crate::spec::StatusSpec;

/// The observed status is one the document lists for the operation.
pub struct StatusDocumented;

impl Check for StatusDocumented {
    fn name(&self) -> &'static str {
        "status_documented"
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        if cx.documented().is_some() {
            return Vec::new();
        }
        let listed: Vec<String> = cx
            .operation
            .responses
            .iter()
            .map(|r| r.status.to_string())
            .collect();
        vec![
            Violation::new(
                self.name(),
                format!(
                    "status {} is not documented for {} {} (documented: {})",
                    cx.status(),
                    cx.operation.method,
                    cx.operation.path,
                    listed.join(", ")
                ),
            )
            .at_spec(format!("{}/responses", cx.operation.pointer)),
        ]
    }
}

/// The observed status is the case's; a 5xx nobody asked for is named as such.
pub struct ExpectedStatus;

impl Check for ExpectedStatus {
    fn name(&self) -> &'static str {
        "expected_status"
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let status = cx.status();
        let ok = match cx.expected {
            StatusSpec::Default => cx
                .operation
                .responses
                .iter()
                .all(|r| r.status == StatusSpec::Default || !r.status.matches(status)),
            spec => spec.matches(status),
        };
        if ok {
            return Vec::new();
        }
        let (check, what) = if status >= 500
            && !matches!(
                cx.expected,
                StatusSpec::Code(500..=599) | StatusSpec::Range(5)
            ) {
            ("server_error", "the server failed with")
        } else {
            (self.name(), "got")
        };
        vec![Violation::new(
            check,
            format!("expected status {}, {what} {status}", cx.expected),
        )]
    }
}
