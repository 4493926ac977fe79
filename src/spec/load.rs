//! Reads a YAML or JSON file into a checked [`Document`]: syntax, OpenAPI version, `$ref`s, the
//! openapiv3 structure, then our model. Every error names the file, line:column and pointer.

use std::path::Path;
use std::sync::Arc;

use openapiv3::{OpenAPI, ParameterSchemaOrContent, ReferenceOr, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

use super::error::{SpecError, SpecErrorKind};
use super::locate::locate;
use super::model::{
    Document, Header, MediaType, Method, Operation, ParamLocation, Parameter, RequestBody,
    Response, SchemaRef, StatusSpec,
};
use super::pointer::{escape_token, pointer_from_tokens};
use super::resolve::{check_refs, deref};
use super::{bundle, security, v31};

/// The largest document (or suite) read by default: bigger input is refused, never read whole.
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;
/// Deeper nesting is refused before parsing: libyaml's flow scanner is quadratic in depth (a
/// 100k-deep document took minutes), and serde_yaml refuses beyond 128 levels anyway.
pub const MAX_NESTING: usize = 1000;

/// Loads the document at `path` (at most [`MAX_INPUT_BYTES`]).
pub fn load(path: &Path) -> Result<Document, SpecError> {
    load_limited(path, MAX_INPUT_BYTES)
}

/// Loads the document at `path`, refusing files larger than `limit` bytes.
pub fn load_limited(path: &Path, limit: u64) -> Result<Document, SpecError> {
    let source = read_bounded(path, limit).map_err(|e| SpecError::new(path, e))?;
    load_str(path, &source)
}

/// Reads at most `limit` bytes of a file as UTF-8 text: `/dev/zero` or a FIFO ends with
/// [`SpecErrorKind::TooLarge`] once the limit is passed, without reading further.
pub fn read_bounded(path: &Path, limit: u64) -> Result<String, SpecErrorKind> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(SpecErrorKind::Io)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(SpecErrorKind::Io)?;
    if bytes.len() as u64 > limit {
        return Err(SpecErrorKind::TooLarge { limit });
    }
    String::from_utf8(bytes).map_err(|e| {
        SpecErrorKind::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        ))
    })
}

/// Loads a document from text; `path` is used for messages only.
pub fn load_str(path: &Path, source: &str) -> Result<Document, SpecError> {
    let loader = Loader { path, source };
    let mut raw = loader.parse()?;
    let version = v31::version(&raw);
    if version.is_none() {
        loader.check_version(&raw)?;
    }
    // Other files the document refers to join it first; errors found in them later are
    // pointed back at them.
    let parse = |path: &Path, source: &str| Loader { path, source }.parse();
    let files = bundle::bundle(path, source, &mut raw, &parse)?;
    checked(&loader, raw, version).map_err(|e| files.remap(e))
}

fn checked(loader: &Loader, raw: Value, version: Option<String>) -> Result<Document, SpecError> {
    check_refs(&raw).map_err(|(pointer, kind)| loader.error_at(kind, &pointer))?;
    if let Some(version) = version {
        return v31::build(loader.path, loader.source, raw, &version);
    }
    let typed: OpenAPI = loader
        .typed(&raw, "")
        .map_err(|coarse| loader.narrow(&raw, coarse))?;
    loader.build(raw, typed)
}

struct Loader<'a> {
    path: &'a Path,
    source: &'a str,
}

impl Loader<'_> {
    fn error(&self, kind: SpecErrorKind) -> SpecError {
        SpecError::new(self.path, kind)
    }

    /// An error at a pointer (without `#`), located in the source text.
    fn error_at(&self, kind: SpecErrorKind, pointer: &str) -> SpecError {
        let location = locate(self.source, pointer);
        self.error(kind).at(Some(pointer.to_string()), location)
    }

    fn parse(&self) -> Result<Value, SpecError> {
        let trimmed = self.source.trim_start();
        if trimmed.starts_with("#%RAML") {
            return Err(self
                .error(SpecErrorKind::NotOpenApi3(
                    "it is a RAML document (`#%RAML` header)".into(),
                ))
                .at(None, Some((1, 1))));
        }
        if trimmed.starts_with('{') {
            return serde_json::from_str(self.source).map_err(|e| {
                self.error(SpecErrorKind::Syntax(strip_position(&e.to_string())))
                    .at(None, Some((e.line(), e.column())))
            });
        }
        if let Some((line, column)) = too_deep(self.source, MAX_NESTING) {
            return Err(self
                .error(SpecErrorKind::TooDeep { limit: MAX_NESTING })
                .at(None, Some((line, column))));
        }
        let yaml: YamlNode = serde_yaml::from_str(self.source).map_err(|e| {
            let location = e.location().map(|l| (l.line(), l.column()));
            self.error(SpecErrorKind::Syntax(strip_position(&e.to_string())))
                .at(None, location)
        })?;
        Ok(yaml_to_json(yaml.0))
    }

    fn check_version(&self, raw: &Value) -> Result<(), SpecError> {
        let Some(top) = raw.as_object() else {
            return Err(self
                .error(SpecErrorKind::NotOpenApi3(format!(
                    "the top level is {}, not a mapping",
                    kind_of(raw)
                )))
                .at(None, Some((1, 1))));
        };
        let version = match top.get("openapi") {
            Some(Value::String(v)) => v.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(other) => {
                return Err(self.error_at(
                    SpecErrorKind::NotOpenApi3(format!(
                        "`openapi` is {}, not a version string",
                        kind_of(other)
                    )),
                    "/openapi",
                ));
            }
            None => {
                let what = if let Some(v) = top.get("swagger") {
                    format!(
                        "it is a Swagger {} document; convert it to OpenAPI 3.0 first",
                        scalar_text(v)
                    )
                } else if let Some(v) = top.get("asyncapi") {
                    format!("it is an AsyncAPI {} document", scalar_text(v))
                } else {
                    "it has no `openapi` key at the top level".to_string()
                };
                let err = self.error(SpecErrorKind::NotOpenApi3(what));
                let pointer = if top.contains_key("swagger") {
                    "/swagger"
                } else if top.contains_key("asyncapi") {
                    "/asyncapi"
                } else {
                    ""
                };
                return Err(if pointer.is_empty() {
                    err.at(None, Some((1, 1)))
                } else {
                    self.error_at(err.kind, pointer)
                });
            }
        };
        if version == "3.0" || version.starts_with("3.0.") {
            return Ok(());
        }
        let what = format!("`openapi: {version}` is not a 3.0.x, 3.1.x or 3.2.x version");
        Err(self.error_at(SpecErrorKind::NotOpenApi3(what), "/openapi"))
    }

    /// Deserialises the node at `pointer` as `T`, naming the exact failing node on error.
    fn typed<T: DeserializeOwned>(&self, raw: &Value, pointer: &str) -> Result<T, SpecError> {
        let node = if pointer.is_empty() {
            raw
        } else {
            raw.pointer(pointer).unwrap_or(&Value::Null)
        };
        serde_path_to_error::deserialize(node).map_err(|e| {
            let mut at = pointer.to_string();
            for segment in e.path().iter() {
                match segment {
                    serde_path_to_error::Segment::Seq { index } => {
                        at.push_str(&format!("/{index}"))
                    }
                    serde_path_to_error::Segment::Map { key } => {
                        at.push('/');
                        at.push_str(&escape_token(key));
                    }
                    serde_path_to_error::Segment::Enum { .. }
                    | serde_path_to_error::Segment::Unknown => {}
                }
            }
            // Untagged enums (ReferenceOr) hide the inner message; say what was expected.
            let message = e
                .inner()
                .to_string()
                .replace(
                    "data did not match any variant of untagged enum ReferenceOr",
                    "neither a valid object here nor a $ref",
                )
                .replace(
                    "no variant of enum ParameterSchemaOrContent found in flattened data",
                    "a parameter needs a `schema` or a `content`",
                );
            self.error_at(SpecErrorKind::Invalid(message), &at)
        })
    }

    /// serde loses the position inside untagged enums (`ReferenceOr`) and flattened maps, so an
    /// error often names just `#/paths`. Deserialise the pieces under `/paths` one by one: the
    /// first that fails alone points at the real culprit.
    fn narrow(&self, raw: &Value, coarse: SpecError) -> SpecError {
        let coarse_len = coarse.pointer.as_deref().map_or(0, str::len);
        if !coarse
            .pointer
            .as_deref()
            .unwrap_or_default()
            .starts_with("/paths")
        {
            return coarse;
        }
        let Some(Value::Object(paths)) = raw.get("paths") else {
            return coarse;
        };
        for (path, item) in paths {
            let base = format!("/paths/{}", escape_token(path));
            let Value::Object(item) = item else { continue };
            let mut pieces: Vec<(String, Probe)> = Vec::new();
            if let Some(Value::Array(params)) = item.get("parameters") {
                pieces.extend(
                    (0..params.len())
                        .flat_map(|i| Probe::parameter(format!("{base}/parameters/{i}"))),
                );
            }
            for method in Method::ALL {
                let Some(Value::Object(op)) = item.get(method.key()) else {
                    continue;
                };
                let op_ptr = format!("{base}/{}", method.key());
                if let Some(Value::Array(params)) = op.get("parameters") {
                    pieces.extend(
                        (0..params.len())
                            .flat_map(|i| Probe::parameter(format!("{op_ptr}/parameters/{i}"))),
                    );
                }
                if op.contains_key("requestBody") {
                    pieces.push((format!("{op_ptr}/requestBody"), Probe::RequestBody));
                }
                if let Some(Value::Object(responses)) = op.get("responses") {
                    pieces.extend(responses.keys().map(|k| {
                        (
                            format!("{op_ptr}/responses/{}", escape_token(k)),
                            Probe::Response,
                        )
                    }));
                }
                pieces.push((op_ptr, Probe::Operation));
            }
            pieces.push((base, Probe::PathItem));
            for (pointer, probe) in pieces {
                let result = match probe {
                    Probe::ParameterData
                        if raw.pointer(&pointer).and_then(|n| n.get("$ref")).is_some() =>
                    {
                        None
                    }
                    Probe::ParameterData => {
                        self.typed::<openapiv3::ParameterData>(raw, &pointer).err()
                    }
                    Probe::Parameter => self
                        .typed::<ReferenceOr<openapiv3::Parameter>>(raw, &pointer)
                        .err(),
                    Probe::RequestBody => self
                        .typed::<ReferenceOr<openapiv3::RequestBody>>(raw, &pointer)
                        .err(),
                    Probe::Response => self
                        .typed::<ReferenceOr<openapiv3::Response>>(raw, &pointer)
                        .err(),
                    Probe::Operation => self.typed::<openapiv3::Operation>(raw, &pointer).err(),
                    Probe::PathItem => self.typed::<openapiv3::PathItem>(raw, &pointer).err(),
                };
                if let Some(error) = result.filter(|e| finer_than(e, coarse_len)) {
                    return error;
                }
            }
        }
        coarse
    }

    /// Follows a `$ref` node to its target, or returns the node's own pointer.
    fn target(&self, raw: &Value, pointer: &str) -> Result<String, SpecError> {
        let node = raw.pointer(pointer).unwrap_or(&Value::Null);
        deref(raw, node, pointer)
            .map(|(_, p)| p)
            .map_err(|kind| self.error_at(kind, &format!("{pointer}/$ref")))
    }

    /// A typed object that may be a reference: resolved, with the pointer where it really is.
    fn resolved<T: DeserializeOwned + Clone>(
        &self,
        raw: &Value,
        item: &ReferenceOr<T>,
        pointer: &str,
    ) -> Result<(T, String), SpecError> {
        match item {
            ReferenceOr::Item(value) => Ok((value.clone(), pointer.to_string())),
            ReferenceOr::Reference { .. } => {
                let target = self.target(raw, pointer)?;
                Ok((self.typed(raw, &target)?, target))
            }
        }
    }

    fn build(&self, raw: Value, typed: OpenAPI) -> Result<Document, SpecError> {
        let mut operations = Vec::new();
        for (path, item) in &typed.paths.paths {
            let item_pointer = pointer_from_tokens(["paths", path.as_str()]);
            let (item, item_pointer) = self.resolved(&raw, item, &item_pointer)?;
            let declared: Vec<(Method, &openapiv3::Operation)> = Method::ALL
                .iter()
                .filter_map(|&m| {
                    let op = match m {
                        Method::Get => item.get.as_ref(),
                        Method::Put => item.put.as_ref(),
                        Method::Post => item.post.as_ref(),
                        Method::Delete => item.delete.as_ref(),
                        Method::Options => item.options.as_ref(),
                        Method::Head => item.head.as_ref(),
                        Method::Patch => item.patch.as_ref(),
                        Method::Trace => item.trace.as_ref(),
                    };
                    op.map(|op| (m, op))
                })
                .collect();
            let path_methods: Vec<Method> = declared.iter().map(|(m, _)| *m).collect();
            let path_params = self.parameters(
                &raw,
                &item.parameters,
                &format!("{item_pointer}/parameters"),
            )?;
            for (method, op) in declared {
                let pointer = format!("{item_pointer}/{}", method.key());
                let mut parameters = path_params.clone();
                for p in self.parameters(&raw, &op.parameters, &format!("{pointer}/parameters"))? {
                    parameters.retain(|q| !(q.name == p.name && q.location == p.location));
                    parameters.push(p);
                }
                let request_body = match &op.request_body {
                    None => None,
                    Some(rb) => {
                        let (rb, rb_pointer) =
                            self.resolved(&raw, rb, &format!("{pointer}/requestBody"))?;
                        Some(RequestBody {
                            required: rb.required,
                            content: media_types(&rb.content, &rb_pointer),
                            pointer: rb_pointer,
                        })
                    }
                };
                let mut responses = Vec::new();
                let responses_pointer = format!("{pointer}/responses");
                for (code, response) in &op.responses.responses {
                    let (status, key) = match code {
                        StatusCode::Code(c) => (StatusSpec::Code(*c), c.to_string()),
                        StatusCode::Range(r) => (
                            StatusSpec::Range(*r),
                            range_key(&raw, &responses_pointer, *r),
                        ),
                    };
                    responses.push(self.response(
                        &raw,
                        status,
                        response,
                        &format!("{responses_pointer}/{key}"),
                    )?);
                }
                if let Some(default) = &op.responses.default {
                    responses.push(self.response(
                        &raw,
                        StatusSpec::Default,
                        default,
                        &format!("{responses_pointer}/default"),
                    )?);
                }
                let security = op
                    .security
                    .as_ref()
                    .or(typed.security.as_ref())
                    .map(|reqs| reqs.iter().map(|r| r.keys().cloned().collect()).collect())
                    .unwrap_or_default();
                operations.push(Operation {
                    method,
                    path: path.clone(),
                    operation_id: op.operation_id.clone(),
                    summary: op.summary.clone(),
                    deprecated: op.deprecated,
                    tags: op.tags.clone(),
                    parameters,
                    request_body,
                    responses,
                    security,
                    path_methods: path_methods.clone(),
                    pointer,
                });
            }
        }
        let security_schemes =
            security::schemes(&raw).map_err(|(p, kind)| self.error_at(kind, &p))?;
        Ok(Document {
            dialect: super::model::Dialect::OpenApi30,
            security_schemes,
            untested: Vec::new(),
            source: self.path.to_path_buf(),
            openapi: typed.openapi.clone(),
            title: typed.info.title.clone(),
            version: typed.info.version.clone(),
            raw: Arc::new(raw),
            operations,
        })
    }

    fn parameters(
        &self,
        raw: &Value,
        params: &[ReferenceOr<openapiv3::Parameter>],
        base: &str,
    ) -> Result<Vec<Parameter>, SpecError> {
        let mut out = Vec::with_capacity(params.len());
        for (i, p) in params.iter().enumerate() {
            let (p, pointer) = self.resolved(raw, p, &format!("{base}/{i}"))?;
            let (data, location, style) = match &p {
                openapiv3::Parameter::Query {
                    parameter_data,
                    style,
                    ..
                } => (parameter_data, ParamLocation::Query, style_name(style)),
                openapiv3::Parameter::Header {
                    parameter_data,
                    style,
                } => (parameter_data, ParamLocation::Header, style_name(style)),
                openapiv3::Parameter::Path {
                    parameter_data,
                    style,
                } => (parameter_data, ParamLocation::Path, style_name(style)),
                openapiv3::Parameter::Cookie {
                    parameter_data,
                    style,
                } => (parameter_data, ParamLocation::Cookie, style_name(style)),
            };
            let schema = match &data.format {
                ParameterSchemaOrContent::Schema(_) => Some(SchemaRef {
                    pointer: format!("{pointer}/schema"),
                }),
                ParameterSchemaOrContent::Content(content) => content
                    .iter()
                    .find(|(_, mt)| mt.schema.is_some())
                    .map(|(name, _)| SchemaRef {
                        pointer: format!("{pointer}/content/{}/schema", escape_token(name)),
                    }),
            };
            // OpenAPI: `explode` defaults to true for `form`, false otherwise.
            let explode = data.explode.unwrap_or(style == "form");
            out.push(Parameter {
                name: data.name.clone(),
                location,
                required: data.required || location == ParamLocation::Path,
                style,
                explode,
                schema,
                pointer,
            });
        }
        Ok(out)
    }

    fn response(
        &self,
        raw: &Value,
        status: StatusSpec,
        item: &ReferenceOr<openapiv3::Response>,
        pointer: &str,
    ) -> Result<Response, SpecError> {
        let (response, pointer) = self.resolved(raw, item, pointer)?;
        let mut headers = Vec::new();
        for (name, header) in &response.headers {
            let header_pointer = format!("{pointer}/headers/{}", escape_token(name));
            let (header, header_pointer) = self.resolved(raw, header, &header_pointer)?;
            let schema = match &header.format {
                ParameterSchemaOrContent::Schema(_) => Some(SchemaRef {
                    pointer: format!("{header_pointer}/schema"),
                }),
                ParameterSchemaOrContent::Content(_) => None,
            };
            headers.push(Header {
                name: name.clone(),
                required: header.required,
                schema,
            });
        }
        Ok(Response {
            status,
            description: response.description.clone(),
            content: media_types(&response.content, &pointer),
            headers,
            pointer,
        })
    }
}

fn media_types(
    content: &indexmap::IndexMap<String, openapiv3::MediaType>,
    base: &str,
) -> Vec<MediaType> {
    content
        .iter()
        .map(|(name, mt)| MediaType {
            media_type: name.clone(),
            schema: mt.schema.as_ref().map(|_| SchemaRef {
                pointer: format!("{base}/content/{}/schema", escape_token(name)),
            }),
        })
        .collect()
}

/// The key a range response was written with (`2XX` or `2xx`).
fn range_key(raw: &Value, responses_pointer: &str, class: u16) -> String {
    let upper = format!("{class}XX");
    let lower = format!("{class}xx");
    match raw.pointer(&format!("{responses_pointer}/{lower}")) {
        Some(_) => lower,
        None => upper,
    }
}

fn style_name<S: serde::Serialize>(style: &S) -> String {
    serde_json::to_value(style)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "simple".into())
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "empty",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a sequence",
        Value::Object(_) => "a mapping",
    }
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// serde_json and serde_yaml append " at line X column Y"; we print the position ourselves.
fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// YAML to JSON: keys become strings (`200:` is a status code), tags are dropped (keeping the
/// tagged value), merge keys applied, non-finite floats become null.
fn yaml_to_json(mut value: serde_yaml::Value) -> Value {
    let _ = value.apply_merge();
    convert(value)
}

fn convert(value: serde_yaml::Value) -> Value {
    use serde_yaml::Value as Y;
    match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                Value::Number(u.into())
            } else {
                n.as_f64()
                    .and_then(Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(convert).collect()),
        Y::Mapping(map) => {
            let mut out = Map::with_capacity(map.len());
            for (k, v) in map {
                out.insert(key_text(k), convert(v));
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => convert(tagged.value),
    }
}

fn key_text(key: serde_yaml::Value) -> String {
    use serde_yaml::Value as Y;
    match key {
        Y::String(s) => s,
        Y::Null => "null".into(),
        Y::Bool(b) => b.to_string(),
        Y::Number(n) => n.to_string(),
        Y::Tagged(t) => key_text(t.value),
        other => serde_json::to_string(&convert(other)).unwrap_or_default(),
    }
}

/// The pieces [`Loader::narrow`] tries on their own.
#[derive(Clone, Copy)]
enum Probe {
    /// The fields every parameter has, without the `in` tag that hides their positions.
    ParameterData,
    Parameter,
    RequestBody,
    Response,
    Operation,
    PathItem,
}

impl Probe {
    /// A parameter is probed by its common fields first (unless it is a `$ref`), then whole.
    fn parameter(pointer: String) -> [(String, Probe); 2] {
        [
            (pointer.clone(), Probe::ParameterData),
            (pointer, Probe::Parameter),
        ]
    }
}

fn finer_than(error: &SpecError, len: usize) -> bool {
    error.pointer.as_deref().map_or(0, str::len) > len
}

/// Where (1-based line, column) YAML text first nests deeper than `limit`, in one linear pass.
/// Counts flow collections (`[`, `{`, outside quotes and comments) and chains of block entries
/// on one line (`- - - x`); skips block scalars. It may over-count odd text, never under-count
/// flow nesting, and `limit` is far above what serde_yaml accepts, so a false alarm needs a
/// document serde_yaml would refuse anyway or nearly so.
pub(crate) fn too_deep(source: &str, limit: usize) -> Option<(usize, usize)> {
    let mut flow = 0usize;
    let mut block_scalar: Option<usize> = None;
    for (index, line) in source.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let rest = &line[indent..];
        if flow == 0
            && let Some(parent) = block_scalar
        {
            if rest.is_empty() || indent > parent {
                continue;
            }
            block_scalar = None;
        }
        let bytes = line.as_bytes();
        let mut i = indent;
        // Block entries chained on one line, each one level deeper.
        let mut chain = 0usize;
        if flow == 0 {
            while i < bytes.len()
                && matches!(bytes[i], b'-' | b'?' | b':')
                && bytes.get(i + 1).is_none_or(|b| *b == b' ')
            {
                chain += 1;
                i += 1;
                while i < bytes.len() && bytes[i] == b' ' {
                    i += 1;
                }
            }
            if chain > limit {
                return Some((index + 1, i + 1));
            }
        }
        // `[`/`{` open a flow collection only where a value starts (in block context).
        let mut value_start = true;
        let mut quote: Option<u8> = None;
        while i < bytes.len() {
            let b = bytes[i];
            if let Some(q) = quote {
                if b == q {
                    if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                        i += 1;
                    } else {
                        quote = None;
                    }
                } else if b == b'\\' && q == b'"' {
                    i += 1;
                }
                i += 1;
                continue;
            }
            match b {
                b'"' | b'\'' if value_start || flow > 0 => quote = Some(b),
                b'#' if i == 0 || bytes[i - 1] == b' ' || bytes[i - 1] == b'\t' => break,
                b'[' | b'{' if value_start || flow > 0 => {
                    flow += 1;
                    if flow + chain > limit {
                        return Some((index + 1, i + 1));
                    }
                }
                b']' | b'}' if flow > 0 => flow -= 1,
                b' ' | b'\t' => {
                    i += 1;
                    continue;
                }
                b'|' | b'>' if flow == 0 && value_start => {
                    block_scalar = Some(indent);
                    break;
                }
                _ => {}
            }
            // After `: `, `- `, `,` or an opening bracket, a new value starts.
            value_start = match b {
                b'[' | b'{' | b',' => true,
                b':' | b'-' | b'?' => bytes.get(i + 1).is_none_or(|n| *n == b' '),
                _ => false,
            };
            i += 1;
        }
    }
    None
}

/// A YAML node read through serde_yaml, accepting what `serde_yaml::Value` refuses: integers
/// beyond 64 bits (public documents carry them as `maximum: 18446744073709551616` and more);
/// they become floats, as the same document read as JSON gives.
struct YamlNode(serde_yaml::Value);

impl<'de> serde::Deserialize<'de> for YamlNode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor).map(YamlNode)
    }
}

struct NodeVisitor;

impl<'de> serde::de::Visitor<'de> for NodeVisitor {
    type Value = serde_yaml::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
        Ok(serde_yaml::Value::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Self::Value, E> {
        Ok(serde_yaml::Value::Number(i.into()))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Self::Value, E> {
        Ok(serde_yaml::Value::Number(u.into()))
    }
    fn visit_i128<E>(self, i: i128) -> Result<Self::Value, E> {
        Ok(serde_yaml::Value::Number((i as f64).into()))
    }
    fn visit_u128<E>(self, u: u128) -> Result<Self::Value, E> {
        Ok(serde_yaml::Value::Number((u as f64).into()))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Self::Value, E> {
        Ok(serde_yaml::Value::Number(f.into()))
    }
    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(serde_yaml::Value::String(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
        Ok(serde_yaml::Value::String(s))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_yaml::Value::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_yaml::Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(YamlNode(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(serde_yaml::Value::Sequence(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = serde_yaml::Mapping::new();
        while let Some((YamlNode(k), YamlNode(v))) = map.next_entry()? {
            out.insert(k, v);
        }
        Ok(serde_yaml::Value::Mapping(out))
    }
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        use serde::de::VariantAccess;
        let (tag, contents): (String, _) = data.variant()?;
        let YamlNode(value) = contents.newtype_variant()?;
        Ok(serde_yaml::Value::Tagged(Box::new(
            serde_yaml::value::TaggedValue {
                tag: serde_yaml::value::Tag::new(tag),
                value,
            },
        )))
    }
}
