//! proptest strategies from converted schemas: valid and schema-violating values, whole requests
//! for an operation, and the encoders that put them on the wire.

pub mod encode;
pub mod examples;
mod invalid;
mod request;
mod shape;
mod value;

pub use encode::Body;
pub use invalid::{ViolationKind, invalid, invalid_textual};
pub use request::{GenerateError, GeneratedRequest, Mode, RequestPlan, request_strategy};
pub use value::{try_valid, valid};
