//! The OpenAPI 3.0 document: loaded, checked, and turned into our own model of operations.

mod error;
mod load;
mod locate;
mod model;
mod pointer;
mod resolve;

pub use error::{SpecError, SpecErrorKind};
pub use load::{MAX_INPUT_BYTES, MAX_NESTING, load, load_limited, load_str, read_bounded};
pub use locate::locate;
pub use model::{
    Document, Header, MediaType, Method, Operation, ParamLocation, Parameter, RequestBody,
    Response, SchemaRef, StatusSpec,
};
pub use pointer::{escape_token, pointer_from_tokens, unescape_token};
pub(crate) use resolve::percent_decode;
