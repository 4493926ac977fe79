//! [`CheckId`]: the identity of every check, so reports, baselines and suites agree by type.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// Every rule conform judges a server by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckId {
    /// The status is documented for the operation.
    StatusDocumented,
    /// The case reached the status it set out to provoke (fails only where a suite asserts it).
    ExpectedStatus,
    /// A 5xx the case did not ask for.
    ServerError,
    /// The Content-Type is a documented media type.
    ContentType,
    /// The body validates against the documented schema.
    BodySchema,
    /// A redirect carries `Location`.
    Location,
    /// A 405 carries `Allow` with the path's methods.
    Allow,
    /// Required documented headers are present.
    Headers,
    /// The answer came within the suite's time budget.
    ResponseTime,
    /// A 429 case's burst was answered with 429 (fails only where a suite asserts it).
    RateLimit,
    /// A flow step (or verification flow) got the answer it needs.
    Flow,
    /// A case marked `xfail` passed.
    Xfail,
    /// An OAuth 2.0 / OpenID Connect property (see [`super::protocol`]).
    Protocol(super::protocol::ProtocolId),
}

impl CheckId {
    /// The checks that are not protocol checks.
    pub const BASE: [CheckId; 12] = [
        CheckId::StatusDocumented,
        CheckId::ExpectedStatus,
        CheckId::ServerError,
        CheckId::ContentType,
        CheckId::BodySchema,
        CheckId::Location,
        CheckId::Allow,
        CheckId::Headers,
        CheckId::ResponseTime,
        CheckId::RateLimit,
        CheckId::Flow,
        CheckId::Xfail,
    ];

    /// Every check, protocol checks last.
    pub fn all() -> impl Iterator<Item = CheckId> {
        CheckId::BASE.into_iter().chain(
            super::protocol::ProtocolId::ALL
                .into_iter()
                .map(CheckId::Protocol),
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::StatusDocumented => "status_documented",
            CheckId::ExpectedStatus => "expected_status",
            CheckId::ServerError => "server_error",
            CheckId::ContentType => "content_type",
            CheckId::BodySchema => "body_schema",
            CheckId::Location => "location",
            CheckId::Allow => "allow",
            CheckId::Headers => "headers",
            CheckId::ResponseTime => "response_time",
            CheckId::RateLimit => "rate_limit",
            CheckId::Flow => "flow",
            CheckId::Xfail => "xfail",
            CheckId::Protocol(id) => id.as_str(),
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CheckId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl FromStr for CheckId {
    type Err = String;

    fn from_str(s: &str) -> Result<CheckId, String> {
        CheckId::all()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("no check named `{s}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for id in CheckId::all() {
            assert_eq!(id.as_str().parse::<CheckId>(), Ok(id));
        }
        assert!("nope".parse::<CheckId>().is_err());
    }
}
