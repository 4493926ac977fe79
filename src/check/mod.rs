//! Checks on every response: one check per file behind the small [`Check`] trait.

mod body_schema;
mod content_type;
mod context;
mod headers;
mod response_time;
mod status;
mod violation;

pub use body_schema::BodySchema;
pub use content_type::{ContentType, media_matches};
pub use context::{CheckContext, documented_response};
pub use headers::{Allow, Location, RequiredHeaders};
pub use response_time::ResponseTime;
pub use status::{ExpectedStatus, StatusDocumented};
pub use violation::{Violation, shorten};

/// One rule a response must follow.
pub trait Check: Send + Sync {
    /// Stable name, used in reports and in suite expectations.
    fn name(&self) -> &'static str;
    /// The violations of this rule in the exchange; empty when it holds.
    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation>;
}

/// The checks every response goes through, in reporting order; `max_response_time` adds the
/// time budget.
pub fn registry(max_response_time: Option<std::time::Duration>) -> Vec<Box<dyn Check>> {
    let mut checks: Vec<Box<dyn Check>> = vec![
        Box::new(StatusDocumented),
        Box::new(ExpectedStatus),
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
