//! The embedded reference server: an in-memory Auth0 Authentication API (axum) implementing
//! the 28 operations of `spec/auth0-authentication.yaml` (plus PAR, CIBA, `/login/unlink` and
//! global token revocation from Auth0's current document), answering as Auth0 does where that is
//! known (issue 11), with named reference conventions for what Auth0 cannot be made to answer,
//! and switchable faults.
//!
//! ```text
//! let server = conform_reference::start(ServerConfig::default()).await?;   // 127.0.0.1:0
//! let base = server.base_url();                                           // http://127.0.0.1:PORT
//! // ... requests ...
//! server.shutdown().await;
//! ```
//!
//! - The tenant (clients, users, connections, APIs) is `tenant.toml`, readable as [`Tenant`].
//! - `PROVOKE.md` (next to this file) says, for every documented status of every operation,
//!   whether Auth0 answers it (and the source) or which reference convention provokes it; the
//!   harness's `tests/reference_server.rs` and `tests/auth0_facts.rs` run the recipes.
//! - [`SIMULATE_HEADER`] answers a documented 500/501/503 on demand; [`Fault`]s make the
//!   server deliberately non-conformant; [`RateLimits`] produce 429s per (endpoint, client IP).
//! - Outside the document: `GET /.well-known/jwks.json`, `GET /.well-known/openid-configuration`,
//!   `GET /__reference/outbox` (sent codes and links), `POST /__reference/device/approve`,
//!   `POST /__reference/device/expire`.

mod config;
mod crypto;
mod fault;
mod http;
mod op;
mod ops;
mod router;
mod server;
mod state;
mod tenant;

pub use config::{RateLimits, ServerConfig};
pub use crypto::{KEY_ID, now_unix, pkce_s256, totp};
pub use fault::{Fault, FaultInfo, UnknownFault, faults};
pub use server::{RunningServer, SIMULATE_HEADER, serve_until_ctrl_c, start};
pub use tenant::{Api, Client, Connection, TENANT_TOML, Tenant, User};
