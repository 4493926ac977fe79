//! Our own model of an OpenAPI 3.0 document: operations with parameters, bodies and responses,
//! every `$ref` already followed, every schema named by its JSON pointer.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

/// A loaded, checked document.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file it came from, as the user named it.
    pub source: PathBuf,
    /// The whole document as JSON, for schema pointers to resolve against.
    pub raw: Arc<Value>,
    /// `openapi` version string, e.g. `3.0.3`.
    pub openapi: String,
    pub title: String,
    pub version: String,
    /// Operations in document order (path order, then method order get, put, post, ...).
    pub operations: Vec<Operation>,
    /// The schema dialect: OpenAPI 3.0 Schema Objects, or JSON Schema 2020-12 (OpenAPI 3.1).
    pub dialect: Dialect,
    /// `components.securitySchemes`, in document order.
    pub security_schemes: Vec<SecurityScheme>,
    /// Parts of the document that are read but not tested (webhooks, unused path items).
    pub untested: Vec<Untested>,
}

/// A part of the document conform reads but does not test, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untested {
    /// Its JSON pointer (without `#`).
    pub pointer: String,
    pub message: String,
}

/// How the schemas of a document are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dialect {
    /// OpenAPI 3.0 Schema Objects (validated as JSON Schema Draft 4 after conversion).
    #[default]
    OpenApi30,
    /// JSON Schema 2020-12 with the OpenAPI 3.1 vocabulary.
    Draft202012,
}

/// A security scheme a document declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityScheme {
    /// Its key under `components.securitySchemes`.
    pub name: String,
    pub kind: SchemeKind,
    pub pointer: String,
}

/// What a security scheme puts on a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemeKind {
    /// `Authorization: Bearer <token>` (`http` + `bearer`, and `oauth2`/`openIdConnect`, whose
    /// tokens travel the same way).
    Bearer,
    /// `Authorization: Basic <base64(user:password)>`.
    Basic,
    /// An API key in a header, query parameter or cookie.
    ApiKey {
        location: ParamLocation,
        name: String,
    },
    /// Anything else (`mutualTLS`, other `http` schemes): conform cannot send it.
    Unsupported(String),
}

impl Document {
    /// The schema a [`SchemaRef`] names.
    pub fn schema(&self, schema: &SchemaRef) -> Option<&Value> {
        self.raw.pointer(&schema.pointer)
    }
}

/// An HTTP method an operation can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Put,
    Post,
    Delete,
    Options,
    Head,
    Patch,
    Trace,
}

impl Method {
    /// All methods in the order OpenAPI lists them in a Path Item.
    pub const ALL: [Method; 8] = [
        Method::Get,
        Method::Put,
        Method::Post,
        Method::Delete,
        Method::Options,
        Method::Head,
        Method::Patch,
        Method::Trace,
    ];

    /// The Path Item key: `get`, `post`, ...
    pub fn key(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Put => "put",
            Method::Post => "post",
            Method::Delete => "delete",
            Method::Options => "options",
            Method::Head => "head",
            Method::Patch => "patch",
            Method::Trace => "trace",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Head => "HEAD",
            Method::Patch => "PATCH",
            Method::Trace => "TRACE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One operation: a method on a path.
#[derive(Debug, Clone)]
pub struct Operation {
    pub method: Method,
    pub path: String,
    pub operation_id: Option<String>,
    pub summary: Option<String>,
    pub deprecated: bool,
    pub tags: Vec<String>,
    /// Path-level and operation-level parameters merged (the operation's win).
    pub parameters: Vec<Parameter>,
    pub request_body: Option<RequestBody>,
    pub responses: Vec<Response>,
    /// Alternatives of security scheme names (empty: no security declared).
    pub security: Vec<Vec<String>>,
    /// Methods declared on the same path (for 405 recipes and `Allow` checks).
    pub path_methods: Vec<Method>,
    /// Pointer of the Operation Object.
    pub pointer: String,
}

impl Operation {
    /// `operationId`, or `METHOD /path` when there is none.
    pub fn id(&self) -> String {
        match &self.operation_id {
            Some(id) => id.clone(),
            None => format!("{} {}", self.method, self.path),
        }
    }
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamLocation {
    Path,
    Query,
    Header,
    Cookie,
}

impl fmt::Display for ParamLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParamLocation::Path => "path",
            ParamLocation::Query => "query",
            ParamLocation::Header => "header",
            ParamLocation::Cookie => "cookie",
        })
    }
}

/// A parameter of an operation.
#[derive(Debug, Clone)]
pub struct Parameter {
    pub name: String,
    pub location: ParamLocation,
    pub required: bool,
    /// `style` as written (`form`, `simple`, `label`, `matrix`, `spaceDelimited`, ...).
    pub style: String,
    pub explode: bool,
    pub schema: Option<SchemaRef>,
    pub pointer: String,
}

/// A request body: whether it is required and its media types.
#[derive(Debug, Clone)]
pub struct RequestBody {
    pub required: bool,
    pub content: Vec<MediaType>,
    pub pointer: String,
}

/// A media type with its schema, if any.
#[derive(Debug, Clone)]
pub struct MediaType {
    pub media_type: String,
    pub schema: Option<SchemaRef>,
}

/// The status key of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StatusSpec {
    /// An exact code, e.g. `200`.
    Code(u16),
    /// A range, e.g. `2XX` is `Range(2)`.
    Range(u16),
    /// The `default` response.
    Default,
}

impl StatusSpec {
    /// Does an observed status fall under this key?
    pub fn matches(self, status: u16) -> bool {
        match self {
            StatusSpec::Code(code) => code == status,
            StatusSpec::Range(class) => status / 100 == class,
            StatusSpec::Default => true,
        }
    }
}

impl fmt::Display for StatusSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusSpec::Code(code) => write!(f, "{code}"),
            StatusSpec::Range(class) => write!(f, "{class}XX"),
            StatusSpec::Default => f.write_str("default"),
        }
    }
}

/// A documented response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: StatusSpec,
    pub description: String,
    pub content: Vec<MediaType>,
    pub headers: Vec<Header>,
    pub pointer: String,
}

/// A documented response header.
#[derive(Debug, Clone)]
pub struct Header {
    pub name: String,
    pub required: bool,
    pub schema: Option<SchemaRef>,
}

/// A schema, named by the JSON pointer (without `#`) of its node in the document. The node may
/// itself be a `$ref`; the schema layer follows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SchemaRef {
    pub pointer: String,
}
