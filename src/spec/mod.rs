//! The OpenAPI document (3.0, or 3.1 and 3.2 within 3.1; one file or several): loaded, checked,
//! and turned into our own model of operations.

mod bundle;
mod error;
mod load;
mod locate;
mod model;
mod pointer;
mod resolve;
mod security;
mod v31;

pub use bundle::FILES_KEY;
pub use error::{SpecError, SpecErrorKind};
pub use load::{MAX_INPUT_BYTES, MAX_NESTING, load, load_limited, load_str, read_bounded};
pub use locate::locate;
pub use model::{
    Dialect, Document, Header, MediaType, Method, Operation, ParamLocation, Parameter, RequestBody,
    Response, SchemaRef, SchemeKind, SecurityScheme, StatusSpec, Untested,
};
pub use pointer::{escape_token, pointer_from_tokens, unescape_token};
pub(crate) use resolve::percent_decode;
