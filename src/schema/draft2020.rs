//! JSON Schema 2020-12 (OpenAPI 3.1) schemas: [`bundle`] makes one schema a standalone
//! 2020-12 document to validate with, and [`normalize_document`] rewrites a 3.1 document's
//! schemas into the OpenAPI 3.0 shapes the shared generators (through the 3.0 converter)
//! understand. Validation always uses the real 2020-12 schema; the normalised copy only steers
//! generation, and the property tests check the two agree.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::convert::POINTER_KEY;
use super::types::{Direction, SchemaError};
use crate::spec::{escape_token, percent_decode};

/// Deeper than this, a schema (without `$ref`s) is refused rather than risking the stack.
const MAX_DEPTH: usize = 96;

/// Keywords whose value is one subschema.
const ONE: &[&str] = &[
    "items",
    "additionalProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "propertyNames",
    "additionalItems",
    "contentSchema",
];
/// Keywords whose value is a list of subschemas.
const LIST: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];
/// Keywords whose value maps names to subschemas.
const MAP: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];

/// The schema at `pointer` as a standalone 2020-12 document: every local `$ref` it reaches is
/// copied under `$defs` and pointed at there; each schema node carries [`POINTER_KEY`], the
/// pointer of the node it came from, so failures trace back to the document.
pub(crate) fn bundle(raw: &Value, pointer: &str, dir: Direction) -> Result<Value, SchemaError> {
    let node = raw
        .pointer(pointer)
        .ok_or_else(|| SchemaError::NotFound(pointer.to_string()))?;
    let mut bundler = Bundler {
        raw,
        dir,
        names: HashMap::new(),
        queue: Vec::new(),
    };
    let mut top = bundler.copy(node, pointer, 0)?;
    let mut defs = Map::new();
    let mut done = 0;
    while done < bundler.queue.len() {
        let target = bundler.queue[done].clone();
        done += 1;
        let name = bundler.names[&target].clone();
        let node = raw
            .pointer(&target)
            .ok_or_else(|| SchemaError::NotFound(target.clone()))?;
        let copied = bundler.copy(node, &target, 0)?;
        defs.insert(name, copied);
    }
    match &mut top {
        Value::Object(map) => {
            if !defs.is_empty() {
                match map.get_mut("$defs") {
                    Some(Value::Object(own)) => own.extend(defs),
                    _ => {
                        map.insert("$defs".into(), Value::Object(defs));
                    }
                }
            }
            map.insert(
                "$schema".into(),
                json!("https://json-schema.org/draft/2020-12/schema"),
            );
        }
        Value::Bool(b) => {
            // A boolean schema stays one; it refers to nothing.
            top = if *b { json!({}) } else { json!({"not": {}}) };
        }
        _ => {}
    }
    Ok(top)
}

struct Bundler<'a> {
    raw: &'a Value,
    dir: Direction,
    /// Ref target pointer -> its name under `$defs`.
    names: HashMap<String, String>,
    /// Targets in the order they were first met.
    queue: Vec<String>,
}

impl Bundler<'_> {
    fn name_for(&mut self, target: &str) -> String {
        if let Some(name) = self.names.get(target) {
            return name.clone();
        }
        let clean = super::convert::uri_safe_token(target);
        let name = format!("conform_{clean}_{}", self.names.len());
        self.names.insert(target.to_string(), name.clone());
        self.queue.push(target.to_string());
        name
    }

    fn copy(&mut self, node: &Value, at: &str, depth: usize) -> Result<Value, SchemaError> {
        if depth > MAX_DEPTH {
            return Err(SchemaError::TooDeep {
                pointer: at.to_string(),
                limit: MAX_DEPTH,
            });
        }
        let Value::Object(m) = node else {
            // Boolean schemas are valid 2020-12; anything else accepts everything.
            return Ok(match node {
                Value::Bool(_) => node.clone(),
                _ => json!({}),
            });
        };
        let mut out = Map::with_capacity(m.len() + 1);
        for (key, val) in m {
            let here = || format!("{at}/{}", escape_token(key));
            match key.as_str() {
                "$ref" => {
                    // Local refs only (other files were bundled in at load time).
                    if let Some(target) = val
                        .as_str()
                        .and_then(|r| r.strip_prefix('#'))
                        .map(percent_decode)
                        .filter(|t| self.raw.pointer(t).is_some())
                    {
                        let name = self.name_for(&target);
                        out.insert(key.clone(), json!(format!("#/$defs/{name}")));
                    }
                }
                // A nested resource would change what `#/$defs/...` means below it.
                "$id" | "$schema" => {}
                k if ONE.contains(&k) && (val.is_object() || val.is_boolean()) => {
                    out.insert(key.clone(), self.copy(val, &here(), depth + 1)?);
                }
                k if LIST.contains(&k) || (k == "items" && val.is_array()) => match val {
                    Value::Array(items) => {
                        let mut copied = Vec::with_capacity(items.len());
                        for (i, item) in items.iter().enumerate() {
                            copied.push(self.copy(item, &format!("{}/{i}", here()), depth + 1)?);
                        }
                        out.insert(key.clone(), Value::Array(copied));
                    }
                    _ => {
                        out.insert(key.clone(), val.clone());
                    }
                },
                k if MAP.contains(&k) => match val {
                    Value::Object(entries) => {
                        let mut copied = Map::with_capacity(entries.len());
                        for (name, schema) in entries {
                            let p = format!("{}/{}", here(), escape_token(name));
                            copied.insert(name.clone(), self.copy(schema, &p, depth + 1)?);
                        }
                        out.insert(key.clone(), Value::Object(copied));
                    }
                    _ => {
                        out.insert(key.clone(), val.clone());
                    }
                },
                _ => {
                    out.insert(key.clone(), val.clone());
                }
            }
        }
        // OpenAPI 3.0's `nullable`, still written in many 3.1 documents: 2020-12 ignores it,
        // servers send the null it meant.
        if m.get("nullable") == Some(&Value::Bool(true))
            && let Some(Value::String(t)) = out.get("type").cloned()
        {
            out.insert("type".into(), json!([t, "null"]));
        }
        self.drop_one_sided_required(m, &mut out);
        out.insert(POINTER_KEY.into(), json!(at));
        Ok(Value::Object(out))
    }

    /// `readOnly` properties are never sent, `writeOnly` ones never returned: not required on
    /// that side.
    fn drop_one_sided_required(&self, m: &Map<String, Value>, out: &mut Map<String, Value>) {
        let (Some(Value::Array(required)), Some(Value::Object(props))) =
            (m.get("required"), m.get("properties"))
        else {
            return;
        };
        let skip = match self.dir {
            Direction::Request => "readOnly",
            Direction::Response => "writeOnly",
        };
        let kept: Vec<Value> = required
            .iter()
            .filter(|name| {
                let Some(prop) = name.as_str().and_then(|n| props.get(n)) else {
                    return true;
                };
                super::convert::deref(self.raw, prop).get(skip) != Some(&Value::Bool(true))
            })
            .cloned()
            .collect();
        out.insert("required".into(), Value::Array(kept));
    }
}

/// A copy of a 3.1 document whose schemas use only shapes the 3.0 converter and the generators
/// know. Pointers of schema nodes stay where they were, so a [`crate::spec::SchemaRef`] names
/// the same schema in both.
pub(crate) fn normalize_document(raw: &Value) -> Value {
    let mut doc = raw.clone();
    normalize_structure(&mut doc, None);
    // Schemas reached only through `$ref`s (in other files' contents, under `$defs`, anywhere a
    // ref points) are normalised too, each once.
    let mut done: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut queue: Vec<String> = Vec::new();
    collect_refs(&doc, &mut queue);
    while let Some(target) = queue.pop() {
        if !done.insert(target.clone()) || is_normalised_place(&target) {
            continue;
        }
        if let Some(node) = doc.pointer_mut(&target) {
            normalize_schema(node, 0);
            let node = doc.pointer(&target).cloned().unwrap_or(Value::Null);
            collect_refs(&node, &mut queue);
        }
    }
    doc
}

/// Pointers already normalised by the structure walk (a second pass would be harmless, but
/// costs time on large documents).
fn is_normalised_place(pointer: &str) -> bool {
    pointer.starts_with("/components/schemas/")
        || pointer.contains("/schema/")
        || pointer.ends_with("/schema")
}

/// Local `$ref` targets (pointers without `#`) anywhere under `value`.
fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref")
                && let Some(fragment) = r.strip_prefix('#')
            {
                out.push(percent_decode(fragment));
            }
            for (k, v) in map {
                if !matches!(
                    k.as_str(),
                    "example" | "examples" | "enum" | "default" | "const"
                ) {
                    collect_refs(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Walks OpenAPI structure and normalises every schema it holds (`schema`, `components.schemas`).
fn normalize_structure(value: &mut Value, parent: Option<&str>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match key.as_str() {
                    "schema" => normalize_schema(child, 0),
                    "schemas" if parent == Some("components") => {
                        if let Value::Object(entries) = child {
                            entries.values_mut().for_each(|s| normalize_schema(s, 0));
                        }
                    }
                    // Free-form data.
                    "example" | "examples" | "default" | "enum" => {}
                    // Extensions are free-form; other files' contents (bundled under an extension
                    // key) are OpenAPI.
                    k if k.starts_with("x-") && k != crate::spec::FILES_KEY => {}
                    _ => normalize_structure(child, Some(key)),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| normalize_structure(v, None)),
        _ => {}
    }
}

/// Rewrites one 2020-12 schema (and its subschemas) in place into 3.0 shapes.
fn normalize_schema(value: &mut Value, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let Value::Object(m) = value else {
        return;
    };
    // `const` is a one-value `enum`.
    if let Some(c) = m.remove("const")
        && !m.contains_key("enum")
    {
        m.insert("enum".into(), json!([c]));
    }
    // Siblings of `$ref` count in 2020-12; in 3.0 they are ignored. Moving the `$ref` into
    // `allOf` keeps them, and keeps every sibling at its pointer.
    if m.contains_key("$ref")
        && m.keys().any(|k| {
            !matches!(
                k.as_str(),
                "$ref" | "description" | "summary" | "title" | "examples" | "example" | "$comment"
            )
        })
        && let Some(reference) = m.remove("$ref")
    {
        let part = json!({ "$ref": reference });
        match m.get_mut("allOf") {
            Some(Value::Array(parts)) => parts.insert(0, part),
            _ => {
                m.insert("allOf".into(), json!([part]));
            }
        }
    }
    // Numeric `exclusiveMinimum`/`exclusiveMaximum` (2020-12) are Draft 4's bound plus a flag;
    // with both bounds given, the stricter one counts.
    for (exclusive, bound, stricter) in [
        ("exclusiveMinimum", "minimum", std::cmp::Ordering::Greater),
        ("exclusiveMaximum", "maximum", std::cmp::Ordering::Less),
    ] {
        let Some(n) = m.get(exclusive).and_then(Value::as_f64) else {
            continue;
        };
        let value = m.remove(exclusive).unwrap_or_default();
        let current = m.get(bound).and_then(Value::as_f64);
        let exclusive_wins = current.is_none_or(|c| {
            n.partial_cmp(&c)
                .is_some_and(|o| o == stricter || o == std::cmp::Ordering::Equal)
        });
        if exclusive_wins {
            m.insert(bound.into(), value);
            m.insert(exclusive.into(), json!(true));
        }
    }
    // A tuple: `prefixItems` is Draft 4's array form of `items`.
    if let Some(Value::Array(prefix)) = m.remove("prefixItems") {
        m.remove("items");
        m.insert("items".into(), Value::Array(prefix));
    }
    // `dependentRequired`: when the trigger is required, its dependents are too; when it is
    // optional, leave it out of generated values (never send it without its dependents).
    if let Some(Value::Object(deps)) = m.remove("dependentRequired") {
        let required: Vec<String> = m
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let mut add: Vec<String> = Vec::new();
        for (trigger, dependents) in &deps {
            if required.contains(trigger) {
                add.extend(
                    dependents
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v.as_str().map(String::from)),
                );
            } else if let Some(Value::Object(props)) = m.get_mut("properties") {
                props.shift_remove(trigger);
            }
        }
        if !add.is_empty() {
            let entry = m.entry("required").or_insert_with(|| json!([]));
            if let Value::Array(names) = entry {
                for name in add {
                    if !names.iter().any(|n| n == &json!(name)) {
                        names.push(json!(name));
                    }
                }
            }
        }
    }
    // `unevaluatedProperties: false` on a plain object is `additionalProperties: false`; next
    // to compositions it cannot be expressed in 3.0, and generators add no unknown properties.
    if let Some(unevaluated) = m.remove("unevaluatedProperties") {
        let composed = ["allOf", "anyOf", "oneOf", "$ref", "if"]
            .iter()
            .any(|k| m.contains_key(*k));
        if !composed && !m.contains_key("additionalProperties") {
            m.insert("additionalProperties".into(), unevaluated);
        }
    }
    for key in [
        "contentMediaType",
        "contentEncoding",
        "contentSchema",
        "$schema",
        "$id",
    ] {
        m.remove(key);
    }
    for (key, child) in m.iter_mut() {
        let k = key.as_str();
        if ONE.contains(&k) {
            normalize_schema(child, depth + 1);
        } else if LIST.contains(&k) || k == "items" {
            if let Value::Array(items) = child {
                items
                    .iter_mut()
                    .for_each(|s| normalize_schema(s, depth + 1));
            }
        } else if MAP.contains(&k)
            && let Value::Object(entries) = child
        {
            entries
                .values_mut()
                .for_each(|s| normalize_schema(s, depth + 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundles_refs_under_defs_and_annotates() {
        let raw = json!({"components": {"schemas": {
            "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B", "description": "x"}}},
            "B": {"type": ["string", "null"], "$id": "https://elsewhere/"}
        }}});
        let b = bundle(&raw, "/components/schemas/A", Direction::Response).unwrap();
        let r = b.pointer("/properties/b/$ref").unwrap().as_str().unwrap();
        assert!(r.starts_with("#/$defs/conform_B_"), "{r}");
        let name = r.trim_start_matches("#/$defs/");
        let def = &b["$defs"][name];
        assert_eq!(def[POINTER_KEY], json!("/components/schemas/B"));
        assert!(def.get("$id").is_none());
    }

    #[test]
    fn normalises_2020_shapes() {
        let mut s = json!({
            "type": "object",
            "required": ["a"],
            "dependentRequired": {"a": ["b"], "c": ["d"]},
            "unevaluatedProperties": false,
            "properties": {
                "a": {"const": 1},
                "b": {"$ref": "#/x", "minLength": 2},
                "c": {"type": "string"},
                "t": {"type": "array", "prefixItems": [{"type": "integer"}], "items": false},
                "p": {"type": "number", "exclusiveMinimum": 0, "minimum": -1, "exclusiveMaximum": 9, "maximum": 5}
            }
        });
        normalize_schema(&mut s, 0);
        assert_eq!(s["properties"]["a"], json!({"enum": [1]}));
        assert_eq!(s["properties"]["b"]["allOf"], json!([{"$ref": "#/x"}]));
        assert_eq!(s["properties"]["t"]["items"], json!([{"type": "integer"}]));
        assert_eq!(s["required"], json!(["a", "b"]));
        assert!(s["properties"].get("c").is_none());
        assert_eq!(s["additionalProperties"], json!(false));
        assert_eq!(
            s["properties"]["p"],
            json!({"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 5})
        );
    }
}
