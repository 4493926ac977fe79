//! The observed status is one the document lists for the operation.

use super::{Check, CheckContext, CheckId, Violation};

pub struct StatusDocumented;

impl Check for StatusDocumented {
    fn id(&self) -> CheckId {
        CheckId::StatusDocumented
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
                self.id(),
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
