//! Execution: the only stage that touches the network.

mod client;
mod exchange;

pub use client::{Client, ClientOptions, ExecuteError, install_crypto_provider};
pub use exchange::{Body, Exchange, Request, Response};
