//! A 5xx the case did not set out to provoke: the server failed, documented or not.

use super::{Check, CheckContext, CheckId, Violation};
use crate::spec::StatusSpec;

pub struct ServerError;

impl Check for ServerError {
    fn id(&self) -> CheckId {
        CheckId::ServerError
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let status = cx.status();
        let asked = matches!(
            cx.expected,
            StatusSpec::Code(500..=599) | StatusSpec::Range(5) | StatusSpec::Default
        );
        if !(500..=599).contains(&status) || asked {
            return Vec::new();
        }
        vec![
            Violation::new(
                self.id(),
                format!(
                    "expected status {}, the server failed with {status}",
                    cx.expected
                ),
            )
            .observed(String::from_utf8_lossy(&cx.exchange.response.body)),
        ]
    }
}
