//! Header checks: `Location` on redirects, `Allow` on 405, and every required documented header.

use super::{Check, CheckContext, Violation};

/// A 3xx response carries a `Location`.
pub struct Location;

impl Check for Location {
    fn name(&self) -> &'static str {
        "location"
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let response = &cx.exchange.response;
        let redirect = matches!(response.status, 301 | 302 | 303 | 307 | 308);
        match response.header("location") {
            _ if !redirect => Vec::new(),
            Some(value) if !value.trim().is_empty() => Vec::new(),
            _ => vec![Violation::new(
                self.name(),
                format!("a {} redirect without a Location header", response.status),
            )],
        }
    }
}

/// A 405 response carries an `Allow` header listing the methods the path declares.
pub struct Allow;

impl Check for Allow {
    fn name(&self) -> &'static str {
        "allow"
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let response = &cx.exchange.response;
        if response.status != 405 {
            return Vec::new();
        }
        let Some(allow) = response.header("allow") else {
            return vec![Violation::new(
                self.name(),
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
                self.name(),
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

/// Every header the document marks `required` for the observed status is present.
pub struct RequiredHeaders;

impl Check for RequiredHeaders {
    fn name(&self) -> &'static str {
        "headers"
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let Some(documented) = cx.documented() else {
            return Vec::new();
        };
        documented
            .headers
            .iter()
            .filter(|h| h.required && cx.exchange.response.header(&h.name).is_none())
            .map(|h| {
                Violation::new(
                    self.name(),
                    format!("required header {} is missing", h.name),
                )
                .at_spec(format!(
                    "{}/headers/{}",
                    documented.pointer,
                    crate::spec::escape_token(&h.name)
                ))
            })
            .collect()
    }
}
