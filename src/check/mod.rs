//! Checks: one rule per file. Response checks ([`Check`]) see one exchange; case-level checks
//! (`expected_status`, `rate_limit`, `flow`, `xfail`) judge a case's exchanges; protocol checks
//! (`protocol/`) judge OAuth 2.0 / OpenID Connect properties over a few calls of their own. These
//! are the only places a [`Violation`] is made.

mod allow;
mod body_schema;
mod content_type;
mod context;
pub mod expected_status;
pub mod flow;
mod headers;
mod id;
mod location;
pub mod protocol;
pub mod rate_limit;
mod response_time;
mod server_error;
mod status_documented;
mod violation;
pub mod xfail;

pub use allow::Allow;
pub use body_schema::BodySchema;
pub use content_type::{ContentType, media_matches};
pub use context::{CheckContext, documented_response};
pub use headers::RequiredHeaders;
pub use id::CheckId;
pub use location::Location;
pub use response_time::ResponseTime;
pub use server_error::ServerError;
pub use status_documented::StatusDocumented;
pub use violation::{Violation, shorten};

/// One rule every response must follow.
pub trait Check: Send + Sync {
    fn id(&self) -> CheckId;
    /// The violations of this rule in the exchange; empty when it holds.
    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation>;
}

/// The response checks, in reporting order; `max_response_time` adds the time budget.
pub fn registry(max_response_time: Option<std::time::Duration>) -> Vec<Box<dyn Check>> {
    let mut checks: Vec<Box<dyn Check>> = vec![
        Box::new(StatusDocumented),
        Box::new(ServerError),
        Box::new(ContentType),
        Box::new(BodySchema),
        Box::new(Location),
        Box::new(Allow),
        Box::new(RequiredHeaders),
    ];
    if let Some(max) = max_response_time {
        checks.push(Box::new(ResponseTime { max }));
    }
    checks
}

/// Runs every check of `checks` on one exchange.
pub fn run_all(checks: &[Box<dyn Check>], cx: &CheckContext<'_>) -> Vec<Violation> {
    checks.iter().flat_map(|c| c.check(cx)).collect()
}
