//! Shared test support: the hostile server fixture.
pub mod hostile;
