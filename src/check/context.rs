//! What every check sees: the operation, the case's expectation and the exchange.

use crate::execute::Exchange;
use crate::schema::SchemaSet;
use crate::spec::{Operation, Response, StatusSpec};

/// The input of a check.
pub struct CheckContext<'a> {
    pub operation: &'a Operation,
    /// The status the case set out to provoke.
    pub expected: StatusSpec,
    pub exchange: &'a Exchange,
    pub schemas: &'a SchemaSet,
}

impl CheckContext<'_> {
    pub fn status(&self) -> u16 {
        self.exchange.response.status
    }

    /// The documented response that covers the observed status: an exact code first, then a
    /// `2XX`-style range, then `default`.
    pub fn documented(&self) -> Option<&Response> {
        documented_response(self.operation, self.status())
    }
}

/// The response of `op` that covers `status`, by OpenAPI's precedence.
pub fn documented_response(op: &Operation, status: u16) -> Option<&Response> {
    let find =
        |want: fn(StatusSpec, u16) -> bool| op.responses.iter().find(|r| want(r.status, status));
    find(|s, code| s == StatusSpec::Code(code))
        .or_else(|| find(|s, code| matches!(s, StatusSpec::Range(_)) && s.matches(code)))
        .or_else(|| find(|s, _| s == StatusSpec::Default))
}
