//! The document's own examples, read from the raw document: a parameter's `example`/`examples`,
//! a media type's `example`/`examples`, a schema's `example` (3.1: `examples`), and a body
//! composed from its properties' schema examples. Only values the request schema accepts are
//! kept: an example the document gets wrong is not a valid candidate.

use serde_json::{Map, Value};

use crate::schema::{Direction, SchemaSet};
use crate::spec::SchemaRef;

/// At most this many examples per parameter or body: a document with dozens of named examples
/// should not turn one case into dozens of requests.
pub const MAX_EXAMPLES: usize = 4;

/// The examples a body of one media type can be sent with.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BodyExamples {
    /// Whole bodies, sent as written.
    pub whole: Vec<Value>,
    /// Top-level property → example, from the properties' schemas: pinned, the rest generated.
    pub properties: Map<String, Value>,
}

impl BodyExamples {
    pub fn is_empty(&self) -> bool {
        self.whole.is_empty() && self.properties.is_empty()
    }
}

/// A `$ref`'d node → its target, following at most 32 local `$ref`s.
fn follow<'a>(raw: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..32 {
        let Some(target) = node
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| raw.pointer(p).or_else(|| raw.pointer(&percent_decode(p))))
        else {
            break;
        };
        node = target;
    }
    node
}

/// `%7B` → `{`: `$ref` fragments are URI-encoded.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `example`, else every `examples` entry's `value` (Example Objects, possibly `$ref`s), in
/// document order; `externalValue`s are not fetched.
fn object_examples(raw: &Value, node: &Value) -> Vec<Value> {
    if let Some(example) = node.get("example") {
        return vec![example.clone()];
    }
    match node.get("examples") {
        Some(Value::Object(entries)) => entries
            .values()
            .filter_map(|e| follow(raw, e).get("value").cloned())
            .collect(),
        _ => Vec::new(),
    }
}

/// A schema's own `example` (OpenAPI 3.0), or its `examples` array (JSON Schema, 3.1).
fn schema_examples(raw: &Value, schema: &Value) -> Vec<Value> {
    let schema = follow(raw, schema);
    if let Some(example) = schema.get("example") {
        return vec![example.clone()];
    }
    match schema.get("examples") {
        Some(Value::Array(items)) => items.clone(),
        _ => Vec::new(),
    }
}

/// Examples of the values the schema at `schema` accepts in requests, capped.
fn accepted(set: &SchemaSet, schema: Option<&SchemaRef>, found: Vec<Value>) -> Vec<Value> {
    if found.is_empty() {
        return found;
    }
    let validator = schema.and_then(|s| set.compile(s, Direction::Request).ok());
    let mut kept: Vec<Value> = Vec::new();
    for value in found {
        let ok = validator.as_ref().is_none_or(|v| v.is_valid(&value));
        if ok && !kept.contains(&value) {
            kept.push(value);
        }
        if kept.len() == MAX_EXAMPLES {
            break;
        }
    }
    kept
}

/// A parameter's examples: its own `example`/`examples`, else its schema's.
pub fn parameter(
    raw: &Value,
    set: &SchemaSet,
    pointer: &str,
    schema: Option<&SchemaRef>,
) -> Vec<Value> {
    let Some(node) = raw.pointer(pointer) else {
        return Vec::new();
    };
    let node = follow(raw, node);
    let mut found = object_examples(raw, node);
    if found.is_empty()
        && let Some(s) = schema.and_then(|s| raw.pointer(&s.pointer))
    {
        found = schema_examples(raw, s);
    }
    accepted(set, schema, found)
}

/// A body's examples for one media type: the media type's `example`/`examples`, else the
/// schema's, else (as properties to pin) its top-level properties' schema examples.
pub fn body(
    raw: &Value,
    set: &SchemaSet,
    body_pointer: &str,
    media_type: &str,
    schema: Option<&SchemaRef>,
) -> BodyExamples {
    let media = raw
        .pointer(body_pointer)
        .and_then(|b| b.get("content"))
        .and_then(|c| c.get(media_type));
    let mut found = media.map(|m| object_examples(raw, m)).unwrap_or_default();
    let schema_node = schema.and_then(|s| raw.pointer(&s.pointer));
    if found.is_empty()
        && let Some(s) = schema_node
    {
        found = schema_examples(raw, s);
    }
    let whole = accepted(set, schema, found);
    let mut properties = Map::new();
    if whole.is_empty()
        && let Some(s) = schema_node
    {
        collect_properties(raw, follow(raw, s), 0, &mut properties);
    }
    BodyExamples { whole, properties }
}

/// Top-level property examples through `allOf`.
fn collect_properties(raw: &Value, schema: &Value, depth: usize, out: &mut Map<String, Value>) {
    if depth > 8 {
        return;
    }
    if let Some(Value::Object(props)) = schema.get("properties") {
        for (name, prop) in props {
            if let Some(example) = schema_examples(raw, prop).into_iter().next() {
                out.entry(name.clone()).or_insert(example);
            }
        }
    }
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        collect_properties(raw, follow(raw, part), depth + 1, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn examples_come_from_the_object_then_its_entries_then_the_schema() {
        let raw = json!({
            "components": {"examples": {"one": {"value": "from-ref"}}},
            "p1": {"example": "own"},
            "p2": {"examples": {"a": {"$ref": "#/components/examples/one"}, "b": {"value": "b"}, "c": {"externalValue": "x"}}},
            "s": {"type": "string", "example": "schema"},
            "s31": {"examples": ["x", "y"]},
            "obj": {"allOf": [{"properties": {"a": {"type": "integer", "example": 3}}}, {"properties": {"b": {"$ref": "#/s"}}}]}
        });
        assert_eq!(object_examples(&raw, &raw["p1"]), vec![json!("own")]);
        assert_eq!(
            object_examples(&raw, &raw["p2"]),
            vec![json!("from-ref"), json!("b")]
        );
        assert_eq!(
            schema_examples(&raw, &json!({"$ref": "#/s"})),
            vec![json!("schema")]
        );
        assert_eq!(
            schema_examples(&raw, &raw["s31"]),
            vec![json!("x"), json!("y")]
        );
        let mut props = Map::new();
        collect_properties(&raw, &raw["obj"], 0, &mut props);
        assert_eq!(Value::Object(props), json!({"a": 3, "b": "schema"}));
    }
}
