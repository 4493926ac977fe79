//! Operation handlers of the reference server, one file per area of the document.

pub(crate) mod account;
pub(crate) mod authorize;
mod clients;
pub(crate) mod current;
mod dispatch;
mod federation;
pub(crate) mod legacy;
mod mfa;
mod token;

pub(crate) use dispatch::dispatch;
