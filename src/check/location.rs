//! A 3xx redirect carries a `Location` header.

use super::{Check, CheckContext, CheckId, Violation};

pub struct Location;

impl Check for Location {
    fn id(&self) -> CheckId {
        CheckId::Location
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let response = &cx.exchange.response;
        let redirect = matches!(response.status, 301 | 302 | 303 | 307 | 308);
        match response.header("location") {
            _ if !redirect => Vec::new(),
            Some(value) if !value.trim().is_empty() => Vec::new(),
            _ => vec![Violation::new(
                self.id(),
                format!("a {} redirect without a Location header", response.status),
            )],
        }
    }
}
