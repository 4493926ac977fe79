//! Whole requests for an operation: [`RequestPlan`] holds the converted schemas of its
//! parameters and body; its strategies yield [`GeneratedRequest`]s, valid or with exactly one
//! described violation, with fixture values pinned.

use indexmap::IndexMap;
use proptest::option;
use proptest::prelude::*;
use proptest::strategy::{SBoxedStrategy, Union};
use serde_json::{Map, Value, json};

use super::encode::{
    Body, choose_media_type, encode_body, encode_cookie_param, encode_header_param,
    encode_path_param, encode_query_param, essence, header_safe, is_json,
};
use super::examples::{self, BodyExamples};
use super::invalid::{invalid_textual, invalid_with_base};
use super::shape::flatten;
use super::value::{try_valid, valid};
use crate::schema::{Direction, SchemaError, SchemaSet};
use crate::spec::{Method, Operation, ParamLocation, SchemaRef};

/// Header parameters OpenAPI says to ignore: the harness sets these itself.
const RESERVED_HEADERS: [&str; 3] = ["accept", "content-type", "authorization"];

/// A request ready to send.
#[derive(Clone, Debug, PartialEq)]
pub struct GeneratedRequest {
    pub method: Method,
    /// The path template expanded, values percent-encoded.
    pub path: String,
    /// Raw name/value pairs; the client percent-encodes them.
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub cookies: Vec<(String, String)>,
    pub body: Option<Body>,
    /// In invalid mode, what is wrong with this request, in words
    /// (`missing required query parameter 'client_id'`).
    pub violation: Option<String>,
}

/// Valid requests, or requests with exactly one violation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    Valid,
    Invalid,
}

/// Why a request plan could not be built.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GenerateError {
    #[error("cannot convert a schema of {operation}")]
    Schema {
        operation: String,
        #[source]
        source: SchemaError,
    },
    #[error("{operation} has nothing a request could get wrong")]
    NothingToViolate { operation: String },
}

#[derive(Clone, Debug)]
struct ParamPlan {
    name: String,
    location: ParamLocation,
    required: bool,
    style: String,
    explode: bool,
    /// Converted schema; also the root for its `$ref`s.
    schema: Value,
    /// The document's examples of it that its schema accepts (see [`RequestPlan::exploring`]).
    examples: Vec<Value>,
}

#[derive(Clone, Debug)]
struct BodyPlan {
    required: bool,
    media_type: String,
    schema: Value,
    examples: BodyExamples,
}

/// What it takes to generate requests for one operation.
#[derive(Clone, Debug)]
pub struct RequestPlan {
    operation: String,
    method: Method,
    path: String,
    params: Vec<ParamPlan>,
    body: Option<BodyPlan>,
    /// Every documented body media type, in document order, when valid candidates should try
    /// each (see [`RequestPlan::exploring`]); empty otherwise.
    media: Vec<BodyPlan>,
}

/// Generated values before encoding.
#[derive(Clone, Debug)]
struct Parts {
    params: Vec<Option<Value>>,
    body: Option<Value>,
}

impl RequestPlan {
    /// A plan sending bodies in the preferred media type (JSON, else form, else the first).
    pub fn new(op: &Operation, set: &SchemaSet) -> Result<Self, GenerateError> {
        Self::with_media_type(op, set, None)
    }

    /// A plan sending bodies as `media_type` when the operation accepts it (e.g. the form
    /// variant of a body that also has a JSON one), else the preferred one.
    pub fn with_media_type(
        op: &Operation,
        set: &SchemaSet,
        media_type: Option<&str>,
    ) -> Result<Self, GenerateError> {
        let schema_error = |source| GenerateError::Schema {
            operation: op.id(),
            source,
        };
        let mut params = Vec::new();
        for p in &op.parameters {
            if p.location == ParamLocation::Header
                && RESERVED_HEADERS.contains(&p.name.to_ascii_lowercase().as_str())
            {
                continue;
            }
            let schema = match &p.schema {
                Some(s) => set.converted(s, Direction::Request).map_err(schema_error)?,
                None => json!({"type": "string"}),
            };
            params.push(ParamPlan {
                name: p.name.clone(),
                location: p.location,
                // Path parameters are always required, whatever the document says.
                required: p.required || p.location == ParamLocation::Path,
                style: p.style.clone(),
                explode: p.explode,
                schema,
                examples: Vec::new(),
            });
        }
        let mut body = None;
        if let Some(b) = &op.request_body
            && let Some(media_type) = media_type
                .filter(|wanted| b.content.iter().any(|m| m.media_type == *wanted))
                .or_else(|| choose_media_type(b.content.iter().map(|m| m.media_type.as_str())))
        {
            let media = b.content.iter().find(|m| m.media_type == media_type);
            let schema = match media.and_then(|m| m.schema.as_ref()) {
                Some(s) => set.converted(s, Direction::Request).map_err(schema_error)?,
                None => json!({}),
            };
            body = Some(BodyPlan {
                required: b.required,
                media_type: media_type.to_string(),
                schema,
                examples: BodyExamples::default(),
            });
        }
        Ok(RequestPlan {
            operation: op.id(),
            method: op.method,
            path: op.path.clone(),
            params,
            body,
            media: Vec::new(),
        })
    }

    /// A plan for exploring a server nobody configured: [`RequestPlan::new`] (invalid and
    /// minimal requests keep its preferred media type), plus the document's examples (`raw` is
    /// the whole document) and every documented body media type, which
    /// [`RequestPlan::valid_candidates`] all try. A media type whose schema cannot be converted
    /// is left out of the rotation, not an error: the preferred one was converted.
    pub fn exploring(op: &Operation, set: &SchemaSet, raw: &Value) -> Result<Self, GenerateError> {
        let mut plan = Self::new(op, set)?;
        for p in &mut plan.params {
            if let Some(documented) = op
                .parameters
                .iter()
                .find(|d| d.name == p.name && d.location == p.location)
            {
                p.examples =
                    examples::parameter(raw, set, &documented.pointer, documented.schema.as_ref());
            }
        }
        let Some(b) = &op.request_body else {
            return Ok(plan);
        };
        let examples_of = |media_type: &str, schema: Option<&SchemaRef>| {
            examples::body(raw, set, &b.pointer, media_type, schema)
        };
        if let Some(body) = &mut plan.body {
            let schema = b
                .content
                .iter()
                .find(|m| m.media_type == body.media_type)
                .and_then(|m| m.schema.as_ref());
            body.examples = examples_of(&body.media_type, schema);
        }
        for m in &b.content {
            let schema = match &m.schema {
                Some(s) => match set.converted(s, Direction::Request) {
                    Ok(schema) => schema,
                    Err(_) => continue,
                },
                None => json!({}),
            };
            plan.media.push(BodyPlan {
                required: b.required,
                media_type: m.media_type.clone(),
                schema,
                examples: examples_of(&m.media_type, m.schema.as_ref()),
            });
        }
        Ok(plan)
    }

    /// The operation this plan is for (its `operationId`, or `METHOD /path`).
    pub fn operation(&self) -> &str {
        &self.operation
    }

    /// The media type bodies are sent as.
    pub fn media_type(&self) -> Option<&str> {
        self.body.as_ref().map(|b| b.media_type.as_str())
    }

    fn param_strategy(
        &self,
        p: &ParamPlan,
        fixed: &IndexMap<String, Value>,
    ) -> SBoxedStrategy<Option<Value>> {
        if let Some(v) = fixed.get(&p.name) {
            return Just(Some(v.clone())).sboxed();
        }
        let mut strategy = valid(&p.schema, &p.schema);
        match p.location {
            ParamLocation::Header | ParamLocation::Cookie => {
                let explode = p.explode;
                strategy = strategy
                    .prop_filter("header-safe value", move |v| {
                        header_safe(&encode_header_param(explode, v))
                    })
                    .sboxed();
            }
            ParamLocation::Path => {
                // An empty segment routes somewhere else entirely.
                let (name, style, explode) = (p.name.clone(), p.style.clone(), p.explode);
                strategy = strategy
                    .prop_filter("non-empty path segment", move |v| {
                        !encode_path_param(&name, &style, explode, v).is_empty()
                    })
                    .sboxed();
            }
            ParamLocation::Query => {}
        }
        if p.required {
            strategy.prop_map(Some).sboxed()
        } else {
            option::weighted(0.5, strategy).sboxed()
        }
    }

    /// The body schema with fixture values pinned on the top-level properties it declares.
    fn pinned_body(
        &self,
        body: &BodyPlan,
        fixed: &IndexMap<String, Value>,
    ) -> Option<SBoxedStrategy<Value>> {
        let declared = declared_properties(&body.schema);
        let pins: Map<String, Value> = fixed
            .iter()
            .filter(|(k, _)| declared.contains(k))
            .map(|(k, v)| (k.clone(), json!({"enum": [v]})))
            .collect();
        if pins.is_empty() {
            return None;
        }
        let names: Vec<&String> = pins.keys().collect();
        let mut schema = body.schema.clone();
        if let Value::Object(m) = &mut schema {
            m.remove("definitions");
            m.remove("$schema");
        }
        let pinned = json!({"allOf": [schema, {"required": names, "properties": pins}]});
        try_valid(&pinned, &body.schema)
    }

    fn body_strategy(&self, fixed: &IndexMap<String, Value>) -> Option<SBoxedStrategy<Value>> {
        let body = self.body.as_ref()?;
        if let Some(pinned) = self.pinned_body(body, fixed) {
            return Some(pinned);
        }
        // Nothing pinned, or the fixture values contradict the schema: generate, then override
        // (the caller asked for those values).
        let overrides: Vec<(String, Value)> = fixed
            .iter()
            .filter(|(k, _)| declared_properties(&body.schema).contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let strategy = valid(&body.schema, &body.schema);
        if overrides.is_empty() {
            return Some(strategy);
        }
        Some(
            strategy
                .prop_map(move |mut v| {
                    if let Value::Object(m) = &mut v {
                        for (k, val) in &overrides {
                            m.insert(k.clone(), val.clone());
                        }
                    }
                    v
                })
                .sboxed(),
        )
    }

    fn parts(&self, fixed: &IndexMap<String, Value>) -> SBoxedStrategy<Parts> {
        let params: Vec<_> = self
            .params
            .iter()
            .map(|p| self.param_strategy(p, fixed))
            .collect();
        (params, self.body_part(fixed))
            .prop_map(|(params, body)| Parts { params, body })
            .sboxed()
    }

    /// The body of a valid request: always when required or pinned, else most of the time.
    fn body_part(&self, fixed: &IndexMap<String, Value>) -> SBoxedStrategy<Option<Value>> {
        // A body whose properties the caller pins is sent, required or not.
        let pinned = self.body.as_ref().is_some_and(|b| {
            declared_properties(&b.schema)
                .iter()
                .any(|p| fixed.contains_key(p))
        });
        let body: SBoxedStrategy<Option<Value>> =
            match (self.body.as_ref(), self.body_strategy(fixed)) {
                (Some(plan), Some(strategy)) if plan.required || pinned => {
                    strategy.prop_map(Some).sboxed()
                }
                (Some(_), Some(strategy)) => option::weighted(0.8, strategy).sboxed(),
                _ => Just(None).sboxed(),
            };
        body
    }

    /// The documented body media types valid candidates rotate through, in document order
    /// (just this plan's when it was not built by [`RequestPlan::exploring`]).
    pub fn media_types(&self) -> Vec<&str> {
        if self.media.is_empty() {
            return self.media_type().into_iter().collect();
        }
        self.media.iter().map(|b| b.media_type.as_str()).collect()
    }

    /// One plan per documented media type, in document order.
    fn media_variants(&self) -> Vec<RequestPlan> {
        if self.media.len() < 2 {
            return vec![self.clone()];
        }
        self.media
            .iter()
            .map(|b| RequestPlan {
                body: Some(b.clone()),
                media: Vec::new(),
                ..self.clone()
            })
            .collect()
    }

    /// Valid requests built on the document's examples, one strategy per example (the i-th
    /// example of every parameter and of the body together); parameters and body properties
    /// without an example, and optional ones, are generated as usual; `fixed` values win.
    /// Empty when the document gives no example this plan can use.
    pub fn example_strategies(
        &self,
        fixed: &IndexMap<String, Value>,
    ) -> Vec<SBoxedStrategy<GeneratedRequest>> {
        let param_count = self
            .params
            .iter()
            .filter(|p| !fixed.contains_key(&p.name))
            .map(|p| p.examples.len())
            .max()
            .unwrap_or(0);
        let body_count = self.body.as_ref().map_or(0, |b| {
            if !b.examples.whole.is_empty() {
                b.examples.whole.len()
            } else {
                usize::from(!b.examples.properties.is_empty())
            }
        });
        let count = param_count.max(body_count);
        (0..count)
            .map(|i| {
                let params: Vec<SBoxedStrategy<Option<Value>>> = self
                    .params
                    .iter()
                    .map(|p| match p.examples.len() {
                        0 => self.param_strategy(p, fixed),
                        _ if fixed.contains_key(&p.name) => self.param_strategy(p, fixed),
                        n => Just(Some(p.examples[i % n].clone())).sboxed(),
                    })
                    .collect();
                let body = match &self.body {
                    Some(b) if !b.examples.whole.is_empty() => {
                        let mut value = b.examples.whole[i % b.examples.whole.len()].clone();
                        if let Value::Object(m) = &mut value {
                            let declared = declared_properties(&b.schema);
                            for (k, v) in fixed.iter().filter(|(k, _)| declared.contains(k)) {
                                m.insert(k.clone(), v.clone());
                            }
                        }
                        Just(Some(value)).sboxed()
                    }
                    Some(b) if !b.examples.properties.is_empty() => {
                        let mut pins: IndexMap<String, Value> = b
                            .examples
                            .properties
                            .iter()
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect();
                        pins.extend(fixed.iter().map(|(k, v)| (k.clone(), v.clone())));
                        match self.body_strategy(&pins) {
                            Some(strategy) => strategy.prop_map(Some).sboxed(),
                            None => self.body_part(fixed),
                        }
                    }
                    _ => self.body_part(fixed),
                };
                let plan = self.clone();
                (params, body)
                    .prop_map(move |(params, body)| plan.encode(&Parts { params, body }, None))
                    .sboxed()
            })
            .collect()
    }

    /// The valid candidates of a generative case, in the order they are sent: first the
    /// document's examples (each documented media type's, in document order), then one request
    /// per entry of `linked` (values a response just gave, by OpenAPI `links`, pinned over
    /// `fixed`), then `count` generated requests spread over the documented media types in turn. `sample(strategy,
    /// key suffix, n)` draws `n` values deterministically for the case and the suffix; the
    /// preferred media type's generated requests use the empty suffix, so a plan with one
    /// media type and no examples draws exactly what [`RequestPlan::valid`] always drew.
    pub fn valid_candidates<F>(
        &self,
        fixed: &IndexMap<String, Value>,
        linked: &[IndexMap<String, Value>],
        count: u32,
        mut sample: F,
    ) -> Result<Vec<GeneratedRequest>, String>
    where
        F: FnMut(
            &SBoxedStrategy<GeneratedRequest>,
            &str,
            u32,
        ) -> Result<Vec<GeneratedRequest>, String>,
    {
        let variants = self.media_variants();
        let mut out: Vec<GeneratedRequest> = Vec::new();
        for (v, plan) in variants.iter().enumerate() {
            for (i, strategy) in plan.example_strategies(fixed).iter().enumerate() {
                for request in sample(strategy, &format!("#example{v}.{i}"), 1)? {
                    if !out.contains(&request) {
                        out.push(request);
                    }
                }
            }
        }
        for (i, values) in linked.iter().enumerate() {
            let mut pinned = fixed.clone();
            pinned.extend(values.iter().map(|(k, v)| (k.clone(), v.clone())));
            out.extend(sample(&self.valid(&pinned), &format!("#link{i}"), 1)?);
        }
        if variants.len() == 1 {
            out.extend(sample(&self.valid(fixed), "", count)?);
            return Ok(out);
        }
        let n = variants.len() as u32;
        let mut generated = Vec::new();
        for (v, plan) in variants.iter().enumerate() {
            let share = count / n + u32::from((v as u32) < count % n);
            let suffix = match plan.media_type() {
                Some(m) if Some(m) != self.media_type() => format!("#{m}"),
                _ => String::new(),
            };
            generated.push(sample(&plan.valid(fixed), &suffix, share)?.into_iter());
        }
        // In turn, so even a few examples reach every media type.
        loop {
            let before = out.len();
            for requests in &mut generated {
                out.extend(requests.next());
            }
            if out.len() == before {
                return Ok(out);
            }
        }
    }

    /// Valid requests: every required parameter and body, optional ones sometimes, `fixed`
    /// values in place of generated ones (by parameter name or top-level body property).
    pub fn valid(&self, fixed: &IndexMap<String, Value>) -> SBoxedStrategy<GeneratedRequest> {
        let plan = self.clone();
        self.parts(fixed)
            .prop_map(move |parts| plan.encode(&parts, None))
            .sboxed()
    }

    /// Requests with exactly one violation, described; the rest valid. `None` when the
    /// operation has nothing to get wrong.
    pub fn invalid(
        &self,
        fixed: &IndexMap<String, Value>,
    ) -> Option<SBoxedStrategy<GeneratedRequest>> {
        let mut options: Vec<SBoxedStrategy<GeneratedRequest>> = Vec::new();
        let parts = self.parts(fixed);
        for (i, p) in self.params.iter().enumerate() {
            if p.required && p.location != ParamLocation::Path {
                let plan = self.clone();
                let what = format!("missing required {} parameter '{}'", p.location, p.name);
                options.push(
                    parts
                        .clone()
                        .prop_map(move |mut parts| {
                            parts.params[i] = None;
                            plan.encode(&parts, Some(what.clone()))
                        })
                        .sboxed(),
                );
            }
            if let Some(bad) = invalid_textual(&p.schema, &p.schema) {
                let plan = self.clone();
                let (location, name, style, explode) =
                    (p.location, p.name.clone(), p.style.clone(), p.explode);
                let label = format!("{location} parameter '{name}'");
                options.push(
                    (parts.clone(), bad)
                        .prop_filter("encodable", move |(_, (v, _))| match location {
                            ParamLocation::Path => {
                                !encode_path_param(&name, &style, explode, v).is_empty()
                            }
                            ParamLocation::Header | ParamLocation::Cookie => {
                                header_safe(&encode_header_param(explode, v))
                            }
                            ParamLocation::Query => true,
                        })
                        .prop_map(move |(mut parts, (v, kind))| {
                            parts.params[i] = Some(v);
                            plan.encode(&parts, Some(kind.describe(&label)))
                        })
                        .sboxed(),
                );
            }
        }
        if let Some(body) = &self.body {
            if body.required {
                let plan = self.clone();
                options.push(
                    parts
                        .clone()
                        .prop_map(move |mut parts| {
                            parts.body = None;
                            plan.encode(&parts, Some("missing required request body".into()))
                        })
                        .sboxed(),
                );
            }
            let base = self
                .body_strategy(fixed)
                .unwrap_or_else(|| valid(&body.schema, &body.schema));
            if let Some(bad) = invalid_with_base(
                &body.schema,
                base,
                &body.schema,
                essence(&body.media_type) == "application/x-www-form-urlencoded",
            ) {
                let plan = self.clone();
                options.push(
                    (parts.clone(), bad)
                        .prop_map(move |(mut parts, (v, kind))| {
                            parts.body = Some(v);
                            plan.encode(&parts, Some(kind.describe("body")))
                        })
                        .sboxed(),
                );
            }
            let with_body = parts
                .clone()
                .prop_filter("has a body", |p| p.body.is_some());
            if is_json(&body.media_type) {
                let plan = self.clone();
                options.push(
                    with_body
                        .clone()
                        .prop_map(move |parts| {
                            let mut request =
                                plan.encode(&parts, Some("malformed JSON body".into()));
                            if let Some(b) = &mut request.body {
                                // Cut mid-document: never valid JSON.
                                b.bytes.truncate(b.bytes.len().saturating_sub(1).max(1) / 2);
                                b.bytes.extend_from_slice(b"{\"unterminated\": ");
                                b.value = None;
                            }
                            request
                        })
                        .sboxed(),
                );
            }
            let wrong = if body.media_type.starts_with("text/plain") {
                "application/octet-stream"
            } else {
                "text/plain"
            };
            let plan = self.clone();
            let expected = body.media_type.clone();
            options.push(
                with_body
                    .prop_map(move |parts| {
                        let what = format!("wrong Content-Type {wrong} (expected {expected})");
                        let mut request = plan.encode(&parts, Some(what));
                        if let Some(b) = &mut request.body {
                            b.content_type = wrong.to_string();
                        }
                        request
                    })
                    .sboxed(),
            );
        }
        if options.is_empty() {
            return None;
        }
        Some(Union::new(options).sboxed())
    }

    fn encode(&self, parts: &Parts, violation: Option<String>) -> GeneratedRequest {
        let mut path = self.path.clone();
        let mut query = Vec::new();
        let mut headers = Vec::new();
        let mut cookies = Vec::new();
        for (p, value) in self.params.iter().zip(&parts.params) {
            let Some(value) = value else { continue };
            match p.location {
                ParamLocation::Path => {
                    let encoded = encode_path_param(&p.name, &p.style, p.explode, value);
                    path = path.replace(&format!("{{{}}}", p.name), &encoded);
                }
                ParamLocation::Query => {
                    query.extend(encode_query_param(&p.name, &p.style, p.explode, value))
                }
                ParamLocation::Header => {
                    headers.push((p.name.clone(), encode_header_param(p.explode, value)))
                }
                ParamLocation::Cookie => {
                    cookies.extend(encode_cookie_param(&p.name, p.explode, value))
                }
            }
        }
        let body = match (&self.body, &parts.body) {
            (Some(plan), Some(value)) => Some(encode_body(&plan.media_type, value)),
            _ => None,
        };
        GeneratedRequest {
            method: self.method,
            path,
            query,
            headers,
            cookies,
            body,
            violation,
        }
    }
}

/// Whole requests for an operation (see [`RequestPlan::valid`] and [`RequestPlan::invalid`]).
pub fn request_strategy(
    op: &Operation,
    set: &SchemaSet,
    fixed: &IndexMap<String, Value>,
    mode: Mode,
) -> Result<SBoxedStrategy<GeneratedRequest>, GenerateError> {
    let plan = RequestPlan::new(op, set)?;
    match mode {
        Mode::Valid => Ok(plan.valid(fixed)),
        Mode::Invalid => plan
            .invalid(fixed)
            .ok_or(GenerateError::NothingToViolate { operation: op.id() }),
    }
}

/// Property names a body schema declares at its top level, in any `anyOf`/`oneOf` branch too.
fn declared_properties(schema: &Value) -> Vec<String> {
    let mut names = Vec::new();
    let Some((s, _)) = flatten(schema, schema) else {
        return names;
    };
    let mut add = |node: &Value| {
        if let Some(Value::Object(props)) = node.get("properties") {
            for k in props.keys() {
                if !names.contains(k) {
                    names.push(k.clone());
                }
            }
        }
    };
    add(&s);
    for key in ["anyOf", "oneOf"] {
        for branch in s.get(key).and_then(Value::as_array).into_iter().flatten() {
            if let Some((b, _)) = flatten(branch, schema) {
                add(&b);
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

    use super::*;

    const DOC: &str = r##"
openapi: 3.0.3
info: {title: things, version: "1"}
paths:
  /things/{id}:
    post:
      operationId: postThing
      parameters:
        - name: id
          in: path
          required: true
          schema: {type: string, minLength: 2}
          examples:
            good: {value: t-1}
            too-short: {value: x}
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            schema: {$ref: "#/components/schemas/Thing"}
            example: {name: from-form-example, size: 3}
          application/json:
            schema: {$ref: "#/components/schemas/Thing"}
          multipart/form-data:
            schema: {$ref: "#/components/schemas/Thing"}
          application/xml:
            schema: {$ref: "#/components/schemas/Thing"}
      responses:
        "200": {description: ok}
components:
  schemas:
    Thing:
      type: object
      required: [name]
      properties:
        name: {type: string, example: schema-name}
        size: {type: integer, minimum: 1}
"##;

    /// `n` values of `strategy`, the same for the same strategy and key.
    fn sample(
        strategy: &SBoxedStrategy<GeneratedRequest>,
        key: &str,
        n: u32,
    ) -> Result<Vec<GeneratedRequest>, String> {
        let mut seed = [7u8; 32];
        for (i, b) in key.bytes().enumerate() {
            seed[i % 32] ^= b;
        }
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed);
        let mut runner = TestRunner::new_with_rng(Config::default(), rng);
        (0..n)
            .map(|_| {
                strategy
                    .new_tree(&mut runner)
                    .map(|t| t.current())
                    .map_err(|e| e.to_string())
            })
            .collect()
    }

    fn media(request: &GeneratedRequest) -> String {
        essence(&request.body.as_ref().expect("a body").content_type)
    }

    fn text(request: &GeneratedRequest) -> String {
        String::from_utf8_lossy(&request.body.as_ref().expect("a body").bytes).into_owned()
    }

    #[test]
    fn examples_come_first_then_links_then_every_media_type_in_turn() {
        let doc = crate::spec::load_str(Path::new("things.yaml"), DOC).expect("loads");
        let set = SchemaSet::new(&doc);
        let op = &doc.operations[0];
        let plan = RequestPlan::exploring(op, &set, &doc.raw).expect("plan");
        assert_eq!(
            plan.media_types(),
            [
                "application/x-www-form-urlencoded",
                "application/json",
                "multipart/form-data",
                "application/xml"
            ]
        );
        let linked = [IndexMap::from([("id".to_string(), json!("linked-7"))])];
        let candidates = plan
            .valid_candidates(&IndexMap::new(), &linked, 8, sample)
            .expect("candidates");
        // The form's own example, with the parameter's example; the too-short example is
        // not one the schema accepts, so it is never sent.
        let first = &candidates[0];
        assert_eq!(first.path, "/things/t-1");
        assert_eq!(media(first), "application/x-www-form-urlencoded");
        assert_eq!(text(first), "name=from-form-example&size=3");
        assert!(candidates.iter().all(|c| c.path != "/things/x"));
        // The other media types' examples come from the schema's property example.
        for (i, want) in ["application/json", "multipart/form-data", "application/xml"]
            .iter()
            .enumerate()
        {
            let c = &candidates[i + 1];
            assert_eq!((c.path.as_str(), media(c).as_str()), ("/things/t-1", *want));
            assert!(text(c).contains("schema-name"), "{}", text(c));
        }
        // Then the linked value, then 8 generated requests over the 4 media types in turn.
        assert_eq!(candidates[4].path, "/things/linked-7");
        let generated = &candidates[5..];
        assert_eq!(generated.len(), 8);
        for (i, c) in generated.iter().enumerate() {
            assert_eq!(media(c), plan.media_types()[i % 4]);
        }
    }

    #[test]
    fn a_plan_that_does_not_explore_draws_exactly_what_valid_draws() {
        let doc = crate::spec::load_str(Path::new("things.yaml"), DOC).expect("loads");
        let set = SchemaSet::new(&doc);
        let plan = RequestPlan::new(&doc.operations[0], &set).expect("plan");
        assert_eq!(plan.media_types(), ["application/json"]);
        let fixed = IndexMap::new();
        let candidates = plan.valid_candidates(&fixed, &[], 5, sample).unwrap();
        assert_eq!(candidates, sample(&plan.valid(&fixed), "", 5).unwrap());
    }
}
