//! Configuration of the reference server: bind address, injected faults, simulation switch and
//! per-endpoint rate limits (`ServerConfig`, `RateLimits`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use super::fault::Fault;

/// How to run one reference server.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Where to listen. Only loopback addresses are accepted by [`super::start`].
    pub bind: SocketAddr,
    /// Deliberate non-conformances to switch on (empty = a conformant server).
    pub faults: Vec<Fault>,
    /// Honour [`super::SIMULATE_HEADER`] to answer a documented 5xx status on demand.
    pub allow_simulation: bool,
    /// Request budgets per (endpoint, client IP).
    pub rate_limits: RateLimits,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            faults: Vec::new(),
            allow_simulation: true,
            // Generous enough for a paced harness; the 429 cases are provoked from another
            // loopback source address so they never starve normal traffic.
            rate_limits: RateLimits::uniform(50, Duration::from_secs(1)),
        }
    }
}

/// Per-endpoint token buckets keyed by (path template, client IP; the user for `/userinfo`).
///
/// A limit `(n, per)` is a bucket of capacity `n` that refills linearly, `n` tokens per `per`.
/// This is how Auth0 describes its own limits ("burst 10, then 1 per minute" is `(10, 10 min)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimits {
    per_endpoint: BTreeMap<String, (u32, Duration)>,
    fallback: Option<(u32, Duration)>,
}

impl RateLimits {
    /// Auth0's published Authentication API limits (Free subscription table, "Rate limit
    /// configurations", auth0.com/docs, checked 2026): burst and sustained rate as a bucket.
    pub fn auth0() -> Self {
        let min = Duration::from_secs(60);
        let sec = Duration::from_secs(1);
        let table: [(&str, u32, Duration); 8] = [
            // Get Token: 30 burst, 30 per second, any request.
            ("/oauth/token", 30, sec),
            // User Info: burst 10, 5 per minute (Auth0 keys this per user id; we key per IP).
            ("/userinfo", 10, min * 2),
            // Change Password: burst 10, 1 per minute.
            ("/dbconnections/change_password", 10, min * 10),
            // Signup: 50 per minute from an IP address (configurable in the dashboard).
            ("/dbconnections/signup", 50, min),
            // Get Passwordless Code or Link: 50 per hour from an IP address.
            ("/passwordless/start", 50, min * 60),
            // Register Dynamic Client: 5 per second.
            ("/oidc/register", 5, sec),
            // Legacy /tokeninfo: 800 per minute per IP (paying-tenant table).
            ("/tokeninfo", 800, min),
            // Legacy /delegation: 1 per minute with bursts of up to 10.
            ("/delegation", 10, min * 10),
        ];
        Self {
            per_endpoint: table
                .iter()
                .map(|(p, n, d)| ((*p).to_string(), (*n, *d)))
                .collect(),
            // Authentication API as a whole: 300 per minute on the Free plan.
            fallback: Some((300, min)),
        }
    }

    /// The same budget for every endpoint.
    pub fn uniform(requests: u32, per: Duration) -> Self {
        Self {
            per_endpoint: BTreeMap::new(),
            fallback: Some((requests.max(1), per)),
        }
    }

    /// No rate limiting at all (429 can then only be reached through the device-flow
    /// `slow_down` answer of `/oauth/token`).
    pub fn disabled() -> Self {
        Self {
            per_endpoint: BTreeMap::new(),
            fallback: None,
        }
    }

    /// The budget for a document path template such as `/oauth/token`, if any.
    pub fn limit_for(&self, path_template: &str) -> Option<(u32, Duration)> {
        self.per_endpoint
            .get(path_template)
            .copied()
            .or(self.fallback)
    }

    /// Override or add the budget of one endpoint.
    pub fn with_endpoint(mut self, path_template: &str, requests: u32, per: Duration) -> Self {
        self.per_endpoint
            .insert(path_template.to_string(), (requests.max(1), per));
        self
    }
}
