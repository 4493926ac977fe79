//! Suites (`suites/*.toml`): bind a document to a target with fixtures, flows and per-case
//! settings, so deep operations are reachable.

mod error;
mod load;
mod model;
mod patch;
mod template;
mod totp;
mod validate;

pub use load::{Suite, SuiteError, load, load_str};
pub use model::{
    AuthSettings, CaseSettings, DetailedFixture, Fixture, Flow, Inputs, OperationSettings, Patch,
    ProtocolSettings, RecipeSettings, SAFE_SIDE_EFFECTS, SIDE_EFFECTS, Step, SuiteFile,
    SuiteHeader,
};
pub use template::{expand, expand_toml, references};
pub use totp::{totp_at, totp_now};
pub use validate::{MAX_BUDGET, MAX_BURST, MAX_EXAMPLES, MAX_RESPONSE_TIME, MIN_RATE};
