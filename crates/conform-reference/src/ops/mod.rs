//! Operation handlers of the reference server, one file per area of the document.

mod account;
mod authorize;
mod clients;
mod dispatch;
mod federation;
mod legacy;
mod mfa;
mod token;

pub(crate) use dispatch::dispatch;
