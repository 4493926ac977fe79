//! OpenAPI 3.0 Schema Object -> JSON Schema Draft 4: `nullable`, integer formats,
//! `readOnly`/`writeOnly`, OpenAPI-only keywords, ambiguous `oneOf`, and local `$ref`s rewritten
//! to `#/definitions/<name>` so recursive schemas compile without looping.
//!
//! Every converted schema node carries [`POINTER_KEY`]: the pointer of the OpenAPI node it came
//! from, so a failing Draft 4 keyword can be traced back to the document. Draft 4 ignores
//! unknown keywords, and [`strip_annotations`] removes them for generators.

use std::collections::{HashMap, HashSet};

use crate::spec::percent_decode;
use serde_json::{Map, Value, json};

use super::types::{Direction, SchemaError, SpecWarning};
use crate::spec::escape_token;

/// Annotation: the OpenAPI pointer of the node a converted node came from.
pub(crate) const POINTER_KEY: &str = "x-conform-pointer";
/// Annotation on a `oneOf` turned into a dispatch on a property value:
/// `{"property": K, "values": [v0, v1, ...]}`, one value per `anyOf` branch.
pub(crate) const DISPATCH_KEY: &str = "x-conform-dispatch";
/// Annotation on the `enum` node that lists the dispatch values: its failure is reported by the
/// dispatch itself, with a better message.
pub(crate) const DISPATCH_ENUM_KEY: &str = "x-conform-dispatch-enum";

/// Deeper than this, a schema (without `$ref`s) is refused rather than risking the stack.
const MAX_DEPTH: usize = 96;

const TYPES: [&str; 7] = [
    "string", "number", "integer", "boolean", "object", "array", "null",
];

/// A converted definition: its name under `definitions`, the converted body, and the pointers
/// it refers to.
#[derive(Clone, Debug)]
pub(crate) struct Definition {
    pub name: String,
    pub body: Value,
    pub refs: Vec<String>,
}

/// Converts schemas of one document for one direction, keeping converted `$ref` targets so each
/// is converted once, however many schemas use it.
pub(crate) struct Converter {
    dir: Direction,
    names: HashMap<String, String>,
    defs: HashMap<String, Definition>,
    pub warnings: Vec<SpecWarning>,
}

/// One tree being converted: the refs it uses.
struct Walk {
    refs: Vec<String>,
}

impl Converter {
    pub(crate) fn new(dir: Direction) -> Self {
        Converter {
            dir,
            names: HashMap::new(),
            defs: HashMap::new(),
            warnings: Vec::new(),
        }
    }

    /// Converts the schema at `pointer` into a standalone Draft 4 document (annotated).
    pub(crate) fn convert(&mut self, root: &Value, pointer: &str) -> Result<Value, SchemaError> {
        let node = root
            .pointer(pointer)
            .ok_or_else(|| SchemaError::NotFound(pointer.to_string()))?;
        let mut walk = Walk { refs: Vec::new() };
        let mut top = self.node(root, node, pointer, 0, &mut walk)?;
        // Close over every definition the tree uses, converting each once.
        let mut needed: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut queue = walk.refs;
        while let Some(target) = queue.pop() {
            if !seen.insert(target.clone()) {
                continue;
            }
            if !self.defs.contains_key(&target) {
                let def = self.definition(root, &target)?;
                self.defs.insert(target.clone(), def);
            }
            let def = &self.defs[&target];
            queue.extend(def.refs.iter().cloned());
            needed.push(target);
        }
        if !needed.is_empty() {
            let mut definitions = Map::new();
            needed.sort();
            for target in needed {
                let def = &self.defs[&target];
                definitions.insert(def.name.clone(), def.body.clone());
            }
            if let Value::Object(map) = &mut top {
                map.insert("definitions".into(), Value::Object(definitions));
            }
        }
        if let Value::Object(map) = &mut top {
            map.insert(
                "$schema".into(),
                json!("http://json-schema.org/draft-04/schema#"),
            );
        }
        Ok(top)
    }

    fn definition(&mut self, root: &Value, target: &str) -> Result<Definition, SchemaError> {
        let name = self.name_for(target);
        let node = root
            .pointer(target)
            .ok_or_else(|| SchemaError::NotFound(target.to_string()))?;
        let mut walk = Walk { refs: Vec::new() };
        let body = self.node(root, node, target, 0, &mut walk)?;
        Ok(Definition {
            name,
            body,
            refs: walk.refs,
        })
    }

    /// A stable, URI-safe name for a ref target.
    fn name_for(&mut self, target: &str) -> String {
        if let Some(name) = self.names.get(target) {
            return name.clone();
        }
        let clean = uri_safe_token(target);
        let name = format!("{}_{}", clean, self.names.len());
        self.names.insert(target.to_string(), name.clone());
        name
    }

    fn warn(&mut self, pointer: &str, message: impl Into<String>) {
        self.warnings.push(SpecWarning {
            pointer: pointer.to_string(),
            message: message.into(),
        });
    }

    fn node(
        &mut self,
        root: &Value,
        node: &Value,
        at: &str,
        depth: usize,
        walk: &mut Walk,
    ) -> Result<Value, SchemaError> {
        if depth > MAX_DEPTH {
            return Err(SchemaError::TooDeep {
                pointer: at.to_string(),
                limit: MAX_DEPTH,
            });
        }
        let m = match node {
            Value::Object(m) => m,
            Value::Bool(true) => return Ok(json!({ POINTER_KEY: at })),
            Value::Bool(false) => return Ok(json!({ POINTER_KEY: at, "not": {} })),
            _ => {
                self.warn(at, "schema is not an object; anything is accepted here");
                return Ok(json!({ POINTER_KEY: at }));
            }
        };
        if let Some(reference) = m.get("$ref") {
            let target = match reference.as_str().and_then(|r| r.strip_prefix('#')) {
                Some(fragment) => percent_decode(fragment),
                None => {
                    self.warn(
                        at,
                        "$ref is not a local reference; anything is accepted here",
                    );
                    return Ok(json!({ POINTER_KEY: at }));
                }
            };
            if root.pointer(&target).is_none() {
                self.warn(
                    at,
                    format!("$ref {target} names nothing; anything is accepted here"),
                );
                return Ok(json!({ POINTER_KEY: at }));
            }
            let name = self.name_for(&target);
            walk.refs.push(target);
            let reference = json!({ "$ref": format!("#/definitions/{name}"), POINTER_KEY: at });
            if m.get("nullable") == Some(&Value::Bool(true)) {
                // OpenAPI 3.0 ignores a `$ref`'s siblings, but servers send the null the
                // author meant to allow.
                self.warn(
                    at,
                    "nullable next to $ref (siblings of $ref are ignored in OpenAPI 3.0); null accepted",
                );
                return Ok(json!({
                    POINTER_KEY: at,
                    "anyOf": [{ POINTER_KEY: at, "type": "null" }, reference],
                }));
            }
            return Ok(reference);
        }

        let mut out = Map::new();
        out.insert(POINTER_KEY.into(), json!(at));
        let mut types: Option<Vec<String>> = None;
        for (key, val) in m {
            let here = || format!("{at}/{}", escape_token(key));
            match key.as_str() {
                "type" => match val {
                    Value::String(t) if TYPES.contains(&t.as_str()) => {
                        types = Some(vec![t.clone()])
                    }
                    Value::Array(ts)
                        if ts
                            .iter()
                            .all(|t| t.as_str().is_some_and(|t| TYPES.contains(&t)))
                            && !ts.is_empty() =>
                    {
                        types = Some(
                            ts.iter()
                                .filter_map(|t| t.as_str().map(String::from))
                                .collect(),
                        )
                    }
                    _ => self.warn(&here(), format!("unknown type {val}; ignored")),
                },
                "enum" => match val {
                    Value::Array(items) if !items.is_empty() => {
                        out.insert(key.clone(), val.clone());
                    }
                    _ => self.warn(&here(), "enum is not a non-empty array; ignored"),
                },
                "minimum" | "maximum" => match val {
                    Value::Number(_) => {
                        out.insert(key.clone(), val.clone());
                    }
                    _ => self.warn(&here(), format!("{key} is not a number; ignored")),
                },
                "multipleOf" => match val.as_f64() {
                    Some(n) if n > 0.0 => {
                        out.insert(key.clone(), val.clone());
                    }
                    _ => self.warn(&here(), "multipleOf is not a positive number; ignored"),
                },
                "exclusiveMinimum" | "exclusiveMaximum" => match val {
                    Value::Bool(_) => {
                        out.insert(key.clone(), val.clone());
                    }
                    Value::Number(_) => {
                        // OpenAPI 3.1 / Draft 6 form: the bound itself. Draft 4 spells it as
                        // `minimum` + `exclusiveMinimum: true`.
                        let bound = if key == "exclusiveMinimum" {
                            "minimum"
                        } else {
                            "maximum"
                        };
                        out.insert(bound.into(), val.clone());
                        out.insert(key.clone(), json!(true));
                        self.warn(&here(), format!("{key} is a number (OpenAPI 3.1 style); read as {bound} {val}, exclusive"));
                    }
                    _ => self.warn(&here(), format!("{key} is not a boolean; ignored")),
                },
                "minLength" | "maxLength" | "minItems" | "maxItems" | "minProperties"
                | "maxProperties" => match val.as_f64() {
                    Some(n) if n >= 0.0 && n.fract() == 0.0 && n < 9.0e15 => {
                        out.insert(key.clone(), json!(n as u64));
                    }
                    _ => self.warn(
                        &here(),
                        format!("{key} is not a non-negative integer; ignored"),
                    ),
                },
                "pattern" | "format" => match val {
                    Value::String(_) => {
                        out.insert(key.clone(), val.clone());
                    }
                    _ => self.warn(&here(), format!("{key} is not a string; ignored")),
                },
                // Kept as annotations (Draft 4 ignores them) so generators leave out what this
                // side never sends.
                "readOnly" if self.dir == Direction::Request && val == &Value::Bool(true) => {
                    out.insert(key.clone(), val.clone());
                }
                "writeOnly" if self.dir == Direction::Response && val == &Value::Bool(true) => {
                    out.insert(key.clone(), val.clone());
                }
                "uniqueItems" => match val {
                    Value::Bool(_) => {
                        out.insert(key.clone(), val.clone());
                    }
                    _ => self.warn(&here(), "uniqueItems is not a boolean; ignored"),
                },
                "required" => match val {
                    Value::Array(items) if items.iter().all(Value::is_string) => {
                        let mut names: Vec<Value> = Vec::new();
                        for item in items {
                            if !names.contains(item) {
                                names.push(item.clone());
                            }
                        }
                        out.insert(key.clone(), Value::Array(names));
                    }
                    _ => self.warn(&here(), "required is not an array of names; ignored"),
                },
                "properties" => match val {
                    Value::Object(props) => {
                        let mut converted = Map::new();
                        for (name, schema) in props {
                            let p = format!("{at}/properties/{}", escape_token(name));
                            converted.insert(
                                name.clone(),
                                self.node(root, schema, &p, depth + 1, walk)?,
                            );
                        }
                        out.insert(key.clone(), Value::Object(converted));
                    }
                    _ => self.warn(&here(), "properties is not an object; ignored"),
                },
                "additionalProperties" => match val {
                    Value::Bool(_) => {
                        out.insert(key.clone(), val.clone());
                    }
                    Value::Object(_) => {
                        let c = self.node(root, val, &here(), depth + 1, walk)?;
                        out.insert(key.clone(), c);
                    }
                    _ => self.warn(
                        &here(),
                        "additionalProperties is neither a boolean nor a schema; ignored",
                    ),
                },
                "items" => match val {
                    Value::Object(_) => {
                        let c = self.node(root, val, &here(), depth + 1, walk)?;
                        out.insert(key.clone(), c);
                    }
                    Value::Array(items) => {
                        let mut converted = Vec::new();
                        for (i, item) in items.iter().enumerate() {
                            converted.push(self.node(
                                root,
                                item,
                                &format!("{at}/items/{i}"),
                                depth + 1,
                                walk,
                            )?);
                        }
                        out.insert(key.clone(), Value::Array(converted));
                    }
                    _ => self.warn(&here(), "items is not a schema; ignored"),
                },
                "not" => {
                    let c = self.node(root, val, &here(), depth + 1, walk)?;
                    out.insert(key.clone(), c);
                }
                "allOf" | "anyOf" => match val {
                    Value::Array(items) if !items.is_empty() => {
                        let mut converted = Vec::new();
                        for (i, item) in items.iter().enumerate() {
                            converted.push(self.node(
                                root,
                                item,
                                &format!("{at}/{key}/{i}"),
                                depth + 1,
                                walk,
                            )?);
                        }
                        if key == "allOf" {
                            self.closed_all_of(root, items, at);
                        }
                        out.insert(key.clone(), Value::Array(converted));
                    }
                    _ => self.warn(&here(), format!("{key} is not a non-empty array; ignored")),
                },
                // Handled below, once the siblings are known.
                "oneOf" | "nullable" => {}
                // OpenAPI-only or annotation keywords: nothing to validate.
                _ => {}
            }
        }

        // Integer formats bound the value; jsonschema ignores the format names themselves.
        let format = m.get("format").and_then(Value::as_str);
        let numeric = types
            .as_ref()
            .is_some_and(|ts| ts.iter().any(|t| t == "integer" || t == "number"));
        match format {
            Some("int32") if numeric => tighten(&mut out, i32::MIN as i64, i32::MAX as i64),
            Some("int64") if numeric => tighten(&mut out, i64::MIN, i64::MAX),
            _ => {}
        }

        // `readOnly` properties are never sent, `writeOnly` ones never returned.
        if let (Some(Value::Array(required)), Some(Value::Object(props))) =
            (out.get("required"), m.get("properties"))
        {
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
                    let prop = deref(root, prop);
                    prop.get(skip) != Some(&Value::Bool(true))
                })
                .cloned()
                .collect();
            out.insert("required".into(), Value::Array(kept));
        }
        if matches!(out.get("required"), Some(Value::Array(r)) if r.is_empty()) {
            // Draft 4 forbids an empty `required`.
            out.remove("required");
        }

        if let Some(Value::Array(branches)) = m.get("oneOf") {
            if branches.is_empty() {
                self.warn(&format!("{at}/oneOf"), "oneOf is empty; ignored");
            } else {
                self.one_of(root, m, branches, at, depth, walk, &mut out)?;
            }
        } else if m.contains_key("oneOf") {
            self.warn(&format!("{at}/oneOf"), "oneOf is not an array; ignored");
        }

        if let Some(ts) = &types {
            if let Some(Value::Array(values)) = m.get("enum")
                && !values
                    .iter()
                    .any(|v| ts.iter().any(|t| has_type(v, t)) || v.is_null())
            {
                self.warn(
                    &format!("{at}/enum"),
                    format!(
                        "no enum value has the declared type {}; no value can validate",
                        ts.join(" or ")
                    ),
                );
            }
            out.insert(
                "type".into(),
                if ts.len() == 1 {
                    json!(ts[0])
                } else {
                    json!(ts)
                },
            );
        }
        if m.get("nullable") == Some(&Value::Bool(true)) {
            return Ok(nullable(out, at));
        }
        Ok(Value::Object(out))
    }

    /// A classic mistake: `additionalProperties: false` in one `allOf` part rejects the
    /// properties the other parts declare. Validation follows JSON Schema; the warning says why
    /// conforming objects fail.
    fn closed_all_of(&mut self, root: &Value, parts: &[Value], at: &str) {
        let parts: Vec<&Value> = parts.iter().map(|p| deref(root, p)).collect();
        let names = |p: &Value| -> Vec<String> {
            p.get("properties")
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        };
        for (i, part) in parts.iter().enumerate() {
            if part.get("additionalProperties") != Some(&Value::Bool(false)) {
                continue;
            }
            let own = names(part);
            let foreign: Vec<String> = parts
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .flat_map(|(_, p)| names(p))
                .filter(|n| !own.contains(n))
                .collect();
            if let Some(first) = foreign.first() {
                self.warn(
                    &format!("{at}/allOf/{i}"),
                    format!(
                        "additionalProperties: false in an allOf part rejects properties other parts declare ({first} and {} more)",
                        foreign.len() - 1
                    ),
                );
            }
        }
    }

    /// `oneOf` as JSON Schema means "exactly one branch", which documents rarely mean: branches
    /// often overlap. Provably disjoint branches keep `oneOf`; branches keyed by a single-value
    /// `enum` on one property become a dispatch on that property; anything else is validated as
    /// `anyOf`. Both workarounds are reported as spec warnings.
    #[allow(clippy::too_many_arguments)]
    fn one_of(
        &mut self,
        root: &Value,
        m: &Map<String, Value>,
        branches: &[Value],
        at: &str,
        depth: usize,
        walk: &mut Walk,
        out: &mut Map<String, Value>,
    ) -> Result<(), SchemaError> {
        let mut converted = Vec::new();
        for (i, branch) in branches.iter().enumerate() {
            converted.push(self.node(root, branch, &format!("{at}/oneOf/{i}"), depth + 1, walk)?);
        }
        let resolved: Vec<&Value> = branches.iter().map(|b| deref(root, b)).collect();
        if branches.len() == 1 || disjoint_by_type(&resolved) {
            out.insert("oneOf".into(), Value::Array(converted));
            return Ok(());
        }
        let discriminator = m
            .get("discriminator")
            .and_then(|d| d.get("propertyName"))
            .and_then(Value::as_str);
        if let Some((key, values)) = dispatch_key(&resolved, discriminator) {
            let keyed: Vec<usize> = (0..values.len()).filter(|&i| values[i].is_some()).collect();
            let all_required = keyed.iter().all(|&i| requires(resolved[i], &key));
            let mut distinct: Vec<&Value> =
                keyed.iter().filter_map(|&i| values[i].as_ref()).collect();
            let total = distinct.len();
            distinct.sort_by_key(|v| v.to_string());
            distinct.dedup();
            if keyed.len() == branches.len() && all_required && distinct.len() == total {
                // Each value selects exactly one branch: strict oneOf is what was meant.
                out.insert("oneOf".into(), Value::Array(converted));
                return Ok(());
            }
            let unkeyed: Vec<String> = (0..values.len())
                .filter(|&i| values[i].is_none())
                .map(|i| i.to_string())
                .collect();
            let mut message = format!(
                "oneOf branches overlap; validated by {key}: the branch whose {key} enum holds the value is used"
            );
            if !unkeyed.is_empty() {
                message.push_str(&format!(
                    "; branches {} have no fixed {key} and are never selected",
                    unkeyed.join(", ")
                ));
            }
            self.warn(&format!("{at}/oneOf"), message);
            let mut any_of = Vec::new();
            let mut per_branch = Vec::new();
            for &i in &keyed {
                any_of.push(converted[i].clone());
                per_branch.push(values[i].clone().unwrap_or(Value::Null));
            }
            let mut enum_values: Vec<Value> = Vec::new();
            for v in &per_branch {
                if !enum_values.contains(v) {
                    enum_values.push(v.clone());
                }
            }
            let dispatch = json!({
                POINTER_KEY: at,
                DISPATCH_KEY: {"property": key, "values": per_branch},
                "required": [key],
                "properties": {key.clone(): {POINTER_KEY: at, DISPATCH_ENUM_KEY: true, "enum": enum_values}},
                "anyOf": any_of,
            });
            push_all_of(out, dispatch);
            return Ok(());
        }
        self.warn(
            &format!("{at}/oneOf"),
            "oneOf branches may overlap and no property tells them apart; validated as anyOf",
        );
        push_all_of(out, json!({ POINTER_KEY: at, "anyOf": converted }));
        Ok(())
    }
}

/// Is `v` of JSON Schema type `t`? (An integral float counts as an integer, as in Draft 4.)
/// The last token of a ref target as a URI-safe name part (at most 48 characters): what the
/// bundled definitions of both drafts are named after.
pub(super) fn uri_safe_token(target: &str) -> String {
    let last = target.rsplit('/').next().unwrap_or("");
    last.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(48)
        .collect()
}

/// The types a schema's `type` names (a string or, in 3.1, an array), if it has one.
pub(crate) fn types_of(s: &Value) -> Option<Vec<String>> {
    match s.get("type") {
        Some(Value::String(t)) => Some(vec![t.clone()]),
        Some(Value::Array(ts)) => Some(
            ts.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect(),
        ),
        _ => None,
    }
}

pub(crate) fn has_type(v: &Value, t: &str) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        "number" => v.is_number(),
        "string" => v.is_string(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => false,
    }
}

/// Adds a constraint next to the node's own keywords without clobbering them.
fn push_all_of(out: &mut Map<String, Value>, extra: Value) {
    let conflicts = ["anyOf", "required", "properties"]
        .iter()
        .any(|k| out.contains_key(*k) && extra.get(*k).is_some());
    if !conflicts && !out.contains_key("allOf") {
        if let Value::Object(extra) = extra {
            for (k, v) in extra {
                if k != POINTER_KEY {
                    out.insert(k, v);
                }
            }
        }
        return;
    }
    match out.get_mut("allOf") {
        Some(Value::Array(all)) => all.push(extra),
        _ => {
            out.insert("allOf".into(), json!([extra]));
        }
    }
}

/// `nullable: true`: `null` joins the types (and the `enum`); with composition keywords, whose
/// branches would reject `null`, the node becomes `anyOf [null, node]`.
fn nullable(mut out: Map<String, Value>, at: &str) -> Value {
    let composed = ["allOf", "anyOf", "oneOf", "not", "$ref"]
        .iter()
        .any(|k| out.contains_key(*k));
    if let Some(Value::Array(items)) = out.get_mut("enum")
        && !items.contains(&Value::Null)
    {
        items.push(Value::Null);
    }
    match out.get("type").cloned() {
        Some(Value::String(t)) if t != "null" => {
            out.insert("type".into(), json!([t, "null"]));
        }
        Some(Value::Array(mut ts)) => {
            if !ts.contains(&json!("null")) {
                ts.push(json!("null"));
            }
            out.insert("type".into(), Value::Array(ts));
        }
        _ => {}
    }
    if composed {
        return json!({ POINTER_KEY: at, "anyOf": [{ POINTER_KEY: at, "type": "null" }, Value::Object(out)] });
    }
    Value::Object(out)
}

/// Narrows `minimum`/`maximum` to the range of an integer format, keeping a stricter bound the
/// document already gives.
fn tighten(out: &mut Map<String, Value>, lo: i64, hi: i64) {
    let keep_min = out
        .get("minimum")
        .and_then(Value::as_f64)
        .is_some_and(|m| m >= lo as f64);
    if !keep_min {
        out.insert("minimum".into(), json!(lo));
        out.remove("exclusiveMinimum");
    }
    let keep_max = out
        .get("maximum")
        .and_then(Value::as_f64)
        .is_some_and(|m| m <= hi as f64);
    if !keep_max {
        out.insert("maximum".into(), json!(hi));
        out.remove("exclusiveMaximum");
    }
}

/// Follows `$ref`s in the OpenAPI document (the loader has already refused cycles of refs).
pub(crate) fn deref<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..64 {
        match node
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
        {
            Some(fragment) => match root.pointer(&percent_decode(fragment)) {
                Some(next) => node = next,
                None => return node,
            },
            None => return node,
        }
    }
    node
}

/// Branches that each declare types no other branch declares can never both match.
fn disjoint_by_type(branches: &[&Value]) -> bool {
    let mut seen: HashSet<&str> = HashSet::new();
    for branch in branches {
        let types: Vec<&str> = match branch.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => return false,
        };
        let nullable = branch.get("nullable") == Some(&Value::Bool(true));
        let mut all = types.clone();
        if nullable {
            all.push("null");
        }
        // An integer is also a number.
        if all.contains(&"integer") {
            all.push("number");
        }
        if all.contains(&"number") {
            all.push("integer");
        }
        all.sort();
        all.dedup();
        for t in all {
            if !seen.insert(t) {
                return false;
            }
        }
    }
    true
}

/// The property whose single-value `enum` (or discriminator mapping) keys the most branches,
/// when at least two branches and a majority are keyed. Returns it with each branch's value.
fn dispatch_key(
    branches: &[&Value],
    discriminator: Option<&str>,
) -> Option<(String, Vec<Option<Value>>)> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for branch in branches {
        if let Some(Value::Object(props)) = branch.get("properties") {
            for (name, schema) in props {
                if single_value(schema).is_some() {
                    if !counts.contains_key(name) {
                        order.push(name.clone());
                    }
                    *counts.entry(name.clone()).or_default() += 1;
                }
            }
        }
    }
    let mut best: Option<(String, usize)> =
        discriminator.map(|d| (d.to_string(), counts.get(d).copied().unwrap_or(0)));
    for name in order {
        let n = counts[&name];
        if best.as_ref().is_none_or(|(_, b)| n > *b) {
            best = Some((name, n));
        }
    }
    let (key, n) = best?;
    if n < 2 || n * 2 <= branches.len() {
        return None;
    }
    let values = branches
        .iter()
        .map(|b| {
            b.get("properties")
                .and_then(|p| p.get(&key))
                .and_then(single_value)
        })
        .collect();
    Some((key, values))
}

fn single_value(schema: &Value) -> Option<Value> {
    match schema.get("enum") {
        Some(Value::Array(items)) if items.len() == 1 => Some(items[0].clone()),
        _ => None,
    }
}

fn requires(branch: &Value, key: &str) -> bool {
    matches!(branch.get("required"), Some(Value::Array(r)) if r.iter().any(|n| n == key))
}

/// Removes the `x-conform-*` annotations: what generators and humans should see.
pub(crate) fn strip_annotations(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|k, _| !k.starts_with("x-conform-"));
            for (k, v) in map.iter_mut() {
                // Enum values and examples are data, not schemas.
                if k != "enum" {
                    strip_annotations(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_annotations),
        _ => {}
    }
}
