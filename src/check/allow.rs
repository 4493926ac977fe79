//! A 405 response carries an `Allow` header listing the methods the path declares.

use super::{Check, CheckContext, CheckId, Violation};

pub struct Allow;

impl Check for Allow {
    fn id(&self) -> CheckId {
        CheckId::Allow
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let response = &cx.exchange.response;
        if response.status != 405 {
            return Vec::new();
        }
        let Some(allow) = response.header("allow") else {
            return vec![Violation::new(
                self.id(),
                "a 405 response without an Allow header (RFC 9110 §15.5.6)",
            )];
        };
        let listed: Vec<String> = allow
            .split(',')
            .map(|m| m.trim().to_ascii_uppercase())
            .collect();
        let missing: Vec<&str> = cx
            .operation
            .path_methods
            .iter()
            .map(|m| m.as_str())
            .filter(|m| !listed.iter().any(|l| l == m))
            .collect();
        if missing.is_empty() {
            return Vec::new();
        }
        vec![
            Violation::new(
                self.id(),
                format!(
                    "Allow does not list {}, which the document declares on {}",
                    missing.join(", "),
                    cx.operation.path
                ),
            )
            .observed(allow),
        ]
    }
}
