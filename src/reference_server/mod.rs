//! The embedded reference server: an in-memory Auth0 Authentication API (axum) implementing
//! the 28 operations of `spec/auth0-authentication.yaml`, with switchable faults.
//! See `PROVOKE.md` for how to provoke every documented status.

mod config;
mod crypto;
mod fault;
mod http;
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
