//! Execution: the only stage that touches the network, through one [`Gate`].

mod client;
mod exchange;
mod gate;
mod pace;

pub use client::{Client, ClientOptions, ExecuteError, TlsOptions, install_crypto_provider};
pub use exchange::{Body, Exchange, Part, Request, Response, Slot};
pub use gate::{Gate, MAX_BACK_OFF, On429, RETRIES_AFTER_429, Tally, back_off};
pub use pace::{Limit, Pacer};
