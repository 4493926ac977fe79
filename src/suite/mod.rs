//! Suites (`suites/*.toml`): bind a document to a target with fixtures, flows and per-case
//! settings, so deep operations are reachable.

mod load;
mod model;
mod patch;
mod template;
mod totp;

pub use load::{Suite, SuiteError, load, load_str};
pub use model::{
    AuthSettings, CaseSettings, DetailedFixture, Fixture, Flow, Inputs, OperationSettings, Patch,
    RecipeSettings, Step, SuiteFile, SuiteHeader,
};
pub use template::{expand, expand_toml, references};
pub use totp::{totp_at, totp_now};
