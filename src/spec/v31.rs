//! OpenAPI 3.1 (and 3.2 where it uses nothing beyond 3.1) read straight from JSON into the same
//! [`Document`] model as 3.0: openapiv3 reads 3.0 only, and a reader over `serde_json::Value`
//! keeps the exact pointer (hence file:line:column) of every problem.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::error::{SpecError, SpecErrorKind};
use super::locate::locate;
use super::model::{
    Dialect, Document, Header, MediaType, Method, Operation, ParamLocation, Parameter, RequestBody,
    Response, SchemaRef, StatusSpec, Untested,
};
use super::pointer::{escape_token, pointer_from_tokens};
use super::resolve::deref;
use super::security;

/// `jsonSchemaDialect` values that mean JSON Schema 2020-12 (plain, or OpenAPI's own dialect of it).
const DIALECTS_2020_12: &[&str] = &[
    "https://json-schema.org/draft/2020-12/schema",
    "https://spec.openapis.org/oas/3.1/dialect/base",
    "https://spec.openapis.org/oas/3.1/dialect/2024-11-10",
    "https://spec.openapis.org/oas/3.2/dialect/2025-09-17",
];

/// The `openapi` version when it is one this reader takes (3.1.x, 3.2.x).
pub(crate) fn version(raw: &Value) -> Option<String> {
    let version = raw.get("openapi")?.as_str()?;
    (version.starts_with("3.1") || version.starts_with("3.2")).then(|| version.to_string())
}

/// Builds the model of a 3.1 (or 3.2) document already parsed into `raw`.
pub(crate) fn build(
    path: &Path,
    source: &str,
    raw: Value,
    version: &str,
) -> Result<Document, SpecError> {
    let reader = Reader { path, source };
    if version.starts_with("3.2") {
        reader.refuse_beyond_31(&raw, version)?;
    }
    reader.check_dialect(&raw)?;
    let info = reader.object(&raw, "/info")?;
    let title = reader.string_in(info, "/info", "title")?;
    let doc_version = reader.string_in(info, "/info", "version")?;
    let global = security::requirements(raw.get("security"));
    let mut operations = Vec::new();
    let mut used_path_items: Vec<String> = Vec::new();
    if let Some(paths) = raw.get("paths") {
        let Value::Object(paths) = paths else {
            return Err(reader.invalid("`paths` is not a mapping", "/paths"));
        };
        for (path_key, item) in paths {
            let at = pointer_from_tokens(["paths", path_key.as_str()]);
            let (item, item_at) = reader.deref(&raw, item, &at)?;
            if item_at != at {
                used_path_items.push(item_at.clone());
            }
            let Value::Object(item) = item else {
                return Err(reader.invalid("a path item is not a mapping", &item_at));
            };
            let declared: Vec<Method> = Method::ALL
                .into_iter()
                .filter(|m| item.contains_key(m.key()))
                .collect();
            let path_params = reader.parameters(&raw, item.get("parameters"), &item_at)?;
            for &method in &declared {
                let op_at = format!("{item_at}/{}", method.key());
                let op = reader.object(&raw, &op_at)?;
                let mut parameters = path_params.clone();
                for p in reader.parameters(&raw, op.get("parameters"), &op_at)? {
                    parameters.retain(|q| !(q.name == p.name && q.location == p.location));
                    parameters.push(p);
                }
                let request_body = match op.get("requestBody") {
                    None => None,
                    Some(node) => Some(reader.request_body(&raw, node, &op_at)?),
                };
                let responses = reader.responses(&raw, op.get("responses"), &op_at)?;
                let security = security::requirements(op.get("security"))
                    .or_else(|| global.clone())
                    .unwrap_or_default();
                operations.push(Operation {
                    method,
                    path: path_key.clone(),
                    operation_id: op
                        .get("operationId")
                        .and_then(Value::as_str)
                        .map(String::from),
                    summary: op.get("summary").and_then(Value::as_str).map(String::from),
                    deprecated: op.get("deprecated") == Some(&Value::Bool(true)),
                    tags: op
                        .get("tags")
                        .and_then(Value::as_array)
                        .map(|t| {
                            t.iter()
                                .filter_map(|t| t.as_str().map(String::from))
                                .collect()
                        })
                        .unwrap_or_default(),
                    parameters,
                    request_body,
                    responses,
                    security,
                    path_methods: declared.clone(),
                    pointer: op_at,
                });
            }
        }
    }
    let untested = untested(&raw, &used_path_items);
    let security_schemes = security::schemes(&raw).map_err(|(p, kind)| reader.error(kind, &p))?;
    Ok(Document {
        source: path.to_path_buf(),
        openapi: version.to_string(),
        title,
        version: doc_version,
        raw: Arc::new(raw),
        operations,
        dialect: Dialect::Draft202012,
        security_schemes,
        untested,
    })
}

/// Webhooks and path items nothing uses: read, named, not tested.
fn untested(raw: &Value, used: &[String]) -> Vec<Untested> {
    let mut out = Vec::new();
    if let Some(Value::Object(hooks)) = raw.get("webhooks") {
        for (name, item) in hooks {
            let methods: Vec<&str> = Method::ALL
                .iter()
                .filter(|m| item.get(m.key()).is_some())
                .map(|m| m.as_str())
                .collect();
            out.push(Untested {
                pointer: pointer_from_tokens(["webhooks", name.as_str()]),
                message: format!(
                    "webhook `{name}` ({}) is a call the server makes: read, not tested",
                    methods.join(", ")
                ),
            });
        }
    }
    if let Some(Value::Object(items)) = raw.pointer("/components/pathItems") {
        for name in items.keys() {
            let at = pointer_from_tokens(["components", "pathItems", name.as_str()]);
            if !used.contains(&at) {
                out.push(Untested {
                    pointer: at,
                    message: format!(
                        "path item `{name}` is used by no path (only by webhooks or callbacks): read, not tested"
                    ),
                });
            }
        }
    }
    out
}

struct Reader<'a> {
    path: &'a Path,
    source: &'a str,
}

impl Reader<'_> {
    fn error(&self, kind: SpecErrorKind, pointer: &str) -> SpecError {
        SpecError::new(self.path, kind).at(Some(pointer.to_string()), locate(self.source, pointer))
    }

    fn invalid(&self, message: impl Into<String>, pointer: &str) -> SpecError {
        self.error(SpecErrorKind::Invalid(message.into()), pointer)
    }

    /// A 3.2 document is read as 3.1 when it uses nothing 3.1 lacks; otherwise the first such
    /// feature is named.
    fn refuse_beyond_31(&self, raw: &Value, version: &str) -> Result<(), SpecError> {
        let refuse = |feature: &str, pointer: &str| {
            Err(self.error(
                SpecErrorKind::Unsupported(format!(
                    "OpenAPI {version} {feature} (conform reads 3.2 documents that use nothing beyond 3.1)"
                )),
                pointer,
            ))
        };
        if raw.get("$self").is_some() {
            return refuse("`$self`", "/$self");
        }
        if raw.pointer("/components/mediaTypes").is_some() {
            return refuse("`components.mediaTypes`", "/components/mediaTypes");
        }
        let mut items: Vec<(String, &Value)> = Vec::new();
        for section in ["paths", "webhooks"] {
            if let Some(Value::Object(map)) = raw.get(section) {
                items.extend(
                    map.iter()
                        .map(|(k, v)| (pointer_from_tokens([section, k.as_str()]), v)),
                );
            }
        }
        if let Some(Value::Object(map)) = raw.pointer("/components/pathItems") {
            items.extend(map.iter().map(|(k, v)| {
                (
                    pointer_from_tokens(["components", "pathItems", k.as_str()]),
                    v,
                )
            }));
        }
        for (at, item) in items {
            for key in ["query", "additionalOperations"] {
                if item.get(key).is_some() {
                    let what = if key == "query" {
                        "`query` operations".to_string()
                    } else {
                        "`additionalOperations`".to_string()
                    };
                    return refuse(&what, &format!("{at}/{key}"));
                }
            }
            if let Some(found) = find_beyond_31(item, &mut at.clone()) {
                return refuse(&found.0, &found.1);
            }
        }
        Ok(())
    }

    fn check_dialect(&self, raw: &Value) -> Result<(), SpecError> {
        match raw.get("jsonSchemaDialect") {
            None => Ok(()),
            Some(Value::String(d)) if DIALECTS_2020_12.contains(&d.trim_end_matches('#')) => Ok(()),
            Some(other) => Err(self.error(
                SpecErrorKind::Unsupported(format!(
                    "`jsonSchemaDialect` {other}: conform validates JSON Schema 2020-12 only"
                )),
                "/jsonSchemaDialect",
            )),
        }
    }

    fn deref<'v>(
        &self,
        raw: &'v Value,
        node: &'v Value,
        at: &str,
    ) -> Result<(&'v Value, String), SpecError> {
        deref(raw, node, at).map_err(|kind| self.error(kind, &format!("{at}/$ref")))
    }

    /// The mapping at `pointer` (followed through a `$ref`).
    fn object<'v>(
        &self,
        raw: &'v Value,
        pointer: &str,
    ) -> Result<&'v Map<String, Value>, SpecError> {
        match raw.pointer(pointer) {
            Some(Value::Object(map)) => Ok(map),
            Some(_) => Err(self.invalid("expected a mapping", pointer)),
            None => Err(self.invalid(
                format!("missing `{}`", pointer.rsplit('/').next().unwrap_or("")),
                pointer.rsplit_once('/').map_or("", |(parent, _)| parent),
            )),
        }
    }

    fn string_in(
        &self,
        map: &Map<String, Value>,
        at: &str,
        key: &str,
    ) -> Result<String, SpecError> {
        match map.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => {
                Err(self.invalid(format!("`{key}` is not a string"), &format!("{at}/{key}")))
            }
            None => Err(self.invalid(format!("missing `{key}`"), at)),
        }
    }

    fn parameters(
        &self,
        raw: &Value,
        node: Option<&Value>,
        owner: &str,
    ) -> Result<Vec<Parameter>, SpecError> {
        let Some(node) = node else {
            return Ok(Vec::new());
        };
        let base = format!("{owner}/parameters");
        let Value::Array(items) = node else {
            return Err(self.invalid("`parameters` is not a sequence", &base));
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let (p, at) = self.deref(raw, item, &format!("{base}/{i}"))?;
            let Value::Object(p) = p else {
                return Err(self.invalid("a parameter is not a mapping", &at));
            };
            let name = self.string_in(p, &at, "name")?;
            let location = match p.get("in").and_then(Value::as_str) {
                Some("path") => ParamLocation::Path,
                Some("query") => ParamLocation::Query,
                Some("header") => ParamLocation::Header,
                Some("cookie") => ParamLocation::Cookie,
                Some(other) => {
                    return Err(self.invalid(
                        format!("`in: {other}`: expected path, query, header or cookie"),
                        &format!("{at}/in"),
                    ));
                }
                None => return Err(self.invalid("a parameter needs `in`", &at)),
            };
            let style = p
                .get("style")
                .and_then(Value::as_str)
                .map(String::from)
                .unwrap_or_else(|| {
                    match location {
                        ParamLocation::Query | ParamLocation::Cookie => "form",
                        ParamLocation::Path | ParamLocation::Header => "simple",
                    }
                    .to_string()
                });
            let schema = if p.contains_key("schema") {
                Some(SchemaRef {
                    pointer: format!("{at}/schema"),
                })
            } else if let Some(Value::Object(content)) = p.get("content") {
                content
                    .iter()
                    .find(|(_, mt)| mt.get("schema").is_some())
                    .map(|(name, _)| SchemaRef {
                        pointer: format!("{at}/content/{}/schema", escape_token(name)),
                    })
            } else {
                return Err(self.invalid("a parameter needs a `schema` or a `content`", &at));
            };
            // OpenAPI: `explode` defaults to true for `form`, false otherwise.
            let explode = p
                .get("explode")
                .and_then(Value::as_bool)
                .unwrap_or(style == "form");
            out.push(Parameter {
                name,
                location,
                required: p.get("required") == Some(&Value::Bool(true))
                    || location == ParamLocation::Path,
                style,
                explode,
                schema,
                pointer: at,
            });
        }
        Ok(out)
    }

    fn request_body(
        &self,
        raw: &Value,
        node: &Value,
        op_at: &str,
    ) -> Result<RequestBody, SpecError> {
        let (body, at) = self.deref(raw, node, &format!("{op_at}/requestBody"))?;
        let Value::Object(body) = body else {
            return Err(self.invalid("`requestBody` is not a mapping", &at));
        };
        Ok(RequestBody {
            required: body.get("required") == Some(&Value::Bool(true)),
            content: self.media_types(body.get("content"), &at)?,
            pointer: at,
        })
    }

    fn media_types(&self, node: Option<&Value>, owner: &str) -> Result<Vec<MediaType>, SpecError> {
        let Some(node) = node else {
            return Ok(Vec::new());
        };
        let Value::Object(content) = node else {
            return Err(self.invalid("`content` is not a mapping", &format!("{owner}/content")));
        };
        Ok(content
            .iter()
            .map(|(name, mt)| MediaType {
                media_type: name.clone(),
                schema: mt.get("schema").map(|_| SchemaRef {
                    pointer: format!("{owner}/content/{}/schema", escape_token(name)),
                }),
            })
            .collect())
    }

    fn responses(
        &self,
        raw: &Value,
        node: Option<&Value>,
        op_at: &str,
    ) -> Result<Vec<Response>, SpecError> {
        let base = format!("{op_at}/responses");
        let Some(node) = node else {
            // 3.1 makes `responses` optional: an operation without them has no case.
            return Ok(Vec::new());
        };
        let Value::Object(map) = node else {
            return Err(self.invalid("`responses` is not a mapping", &base));
        };
        let mut out = Vec::with_capacity(map.len());
        let mut default = None;
        for (key, item) in map {
            let key_at = format!("{base}/{}", escape_token(key));
            let status = if key == "default" {
                StatusSpec::Default
            } else if key.starts_with("x-") {
                continue; // extension
            } else {
                parse_status(key).ok_or_else(|| {
                    self.invalid(
                        format!("response key `{key}` is not a status code, a range like 2XX, or `default`"),
                        &key_at,
                    )
                })?
            };
            let response = self.response(raw, item, &key_at, status)?;
            if status == StatusSpec::Default {
                default = Some(response);
            } else {
                out.push(response);
            }
        }
        // As the 3.0 loader does (openapiv3 keeps `default` apart): codes first, then `default`.
        out.extend(default);
        Ok(out)
    }

    fn response(
        &self,
        raw: &Value,
        node: &Value,
        at: &str,
        status: StatusSpec,
    ) -> Result<Response, SpecError> {
        let (response, at) = self.deref(raw, node, at)?;
        let Value::Object(response) = response else {
            return Err(self.invalid("a response is not a mapping", &at));
        };
        let mut headers = Vec::new();
        if let Some(Value::Object(map)) = response.get("headers") {
            for (name, header) in map {
                let header_at = format!("{at}/headers/{}", escape_token(name));
                let (header, header_at) = self.deref(raw, header, &header_at)?;
                headers.push(Header {
                    name: name.clone(),
                    required: header.get("required") == Some(&Value::Bool(true)),
                    schema: header.get("schema").map(|_| SchemaRef {
                        pointer: format!("{header_at}/schema"),
                    }),
                });
            }
        }
        Ok(Response {
            status,
            description: response
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            content: self.media_types(response.get("content"), &at)?,
            headers,
            pointer: at,
        })
    }
}

/// `200` → `Code(200)`, `2XX`/`2xx` → `Range(2)`.
fn parse_status(key: &str) -> Option<StatusSpec> {
    let bytes = key.as_bytes();
    if bytes.len() != 3 || !(b'1'..=b'5').contains(&bytes[0]) {
        return None;
    }
    if key[1..].eq_ignore_ascii_case("xx") {
        return Some(StatusSpec::Range(u16::from(bytes[0] - b'0')));
    }
    key.parse().ok().map(StatusSpec::Code)
}

/// The first 3.2-only keyword under a path item: `in: querystring` parameters and the
/// sequential media types (`itemSchema`, `itemEncoding`, `prefixEncoding`).
fn find_beyond_31(node: &Value, at: &mut String) -> Option<(String, String)> {
    match node {
        Value::Object(map) => {
            if map.get("in").and_then(Value::as_str) == Some("querystring") {
                return Some(("`in: querystring` parameters".into(), format!("{at}/in")));
            }
            for key in ["itemSchema", "itemEncoding", "prefixEncoding"] {
                if map.contains_key(key) {
                    return Some((format!("`{key}`"), format!("{at}/{key}")));
                }
            }
            for (key, child) in map {
                // Schemas and examples are data here, not OpenAPI structure.
                if matches!(key.as_str(), "schema" | "example" | "examples") {
                    continue;
                }
                let len = at.len();
                at.push('/');
                at.push_str(&escape_token(key));
                let found = find_beyond_31(child, at);
                at.truncate(len);
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                let found = find_beyond_31(child, at);
                at.truncate(len);
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(parse_status("200"), Some(StatusSpec::Code(200)));
        assert_eq!(parse_status("4xx"), Some(StatusSpec::Range(4)));
        assert_eq!(parse_status("2XX"), Some(StatusSpec::Range(2)));
        assert_eq!(parse_status("abc"), None);
        assert_eq!(parse_status("600"), None);
    }
}
