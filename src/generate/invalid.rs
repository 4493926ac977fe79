//! Strategies for values that violate a converted schema in exactly one named way (wrong type,
//! outside the enum, a missing required property, out of bounds, too long or short, pattern or
//! format mismatch), the rest generated valid.

use std::fmt;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::strategy::{SBoxedStrategy, Union};
use serde_json::{Value, json};

use super::shape::flatten;
use super::value::{infer_types, integer_range, node, validator_for};
use crate::schema::types_of;
use crate::spec::escape_token;

/// How deep into nested properties and items violations are planted.
const MAX_DEPTH: usize = 4;

/// The one thing an invalid value gets wrong. `path` is a JSON pointer into the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViolationKind {
    WrongType { path: String, expected: String },
    NotInEnum { path: String },
    MissingRequired { path: String, property: String },
    AdditionalProperty { path: String, property: String },
    BelowMinimum { path: String },
    AboveMaximum { path: String },
    TooShort { path: String },
    TooLong { path: String },
    PatternMismatch { path: String },
    BadFormat { path: String, format: String },
    TooFewItems { path: String },
    TooManyItems { path: String },
}

impl ViolationKind {
    /// Where in the value the violation is.
    pub fn path(&self) -> &str {
        match self {
            ViolationKind::WrongType { path, .. }
            | ViolationKind::NotInEnum { path }
            | ViolationKind::MissingRequired { path, .. }
            | ViolationKind::AdditionalProperty { path, .. }
            | ViolationKind::BelowMinimum { path }
            | ViolationKind::AboveMaximum { path }
            | ViolationKind::TooShort { path }
            | ViolationKind::TooLong { path }
            | ViolationKind::PatternMismatch { path }
            | ViolationKind::BadFormat { path, .. }
            | ViolationKind::TooFewItems { path }
            | ViolationKind::TooManyItems { path } => path,
        }
    }

    /// Human words, the path written from `root`: `body.grant_type: not in enum`.
    pub fn describe(&self, root: &str) -> String {
        let mut at = root.to_string();
        for token in crate::spec::unescape_token(self.path()).split('/').skip(1) {
            at.push('.');
            at.push_str(token);
        }
        let what = match self {
            ViolationKind::WrongType { expected, .. } => {
                format!("wrong type (expected {expected})")
            }
            ViolationKind::NotInEnum { .. } => "not in enum".into(),
            ViolationKind::MissingRequired { property, .. } => {
                format!("missing required property '{property}'")
            }
            ViolationKind::AdditionalProperty { property, .. } => {
                format!("unexpected property '{property}'")
            }
            ViolationKind::BelowMinimum { .. } => "below minimum".into(),
            ViolationKind::AboveMaximum { .. } => "above maximum".into(),
            ViolationKind::TooShort { .. } => "shorter than minLength".into(),
            ViolationKind::TooLong { .. } => "longer than maxLength".into(),
            ViolationKind::PatternMismatch { .. } => "does not match pattern".into(),
            ViolationKind::BadFormat { format, .. } => format!("not a valid {format}"),
            ViolationKind::TooFewItems { .. } => "fewer items than minItems".into(),
            ViolationKind::TooManyItems { .. } => "more items than maxItems".into(),
        };
        format!("{at}: {what}")
    }
}

impl fmt::Display for ViolationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe("value"))
    }
}

type Invalid = SBoxedStrategy<(Value, ViolationKind)>;

/// Values that fail `schema` in one named way; `None` when nothing can (e.g. `{}`).
pub fn invalid(schema: &Value, root: &Value) -> Option<Invalid> {
    let root = Arc::new(root.clone());
    inner(schema, None, &root, 0, "", false, false)
}

/// Like [`invalid`], for a value that travels as text (a parameter): only violations that
/// survive being written as a string (no "a number where a string goes").
pub fn invalid_textual(schema: &Value, root: &Value) -> Option<Invalid> {
    let root = Arc::new(root.clone());
    inner(schema, None, &root, 0, "", true, true)
}

/// Like [`invalid`], with the untouched rest of the value drawn from `base` (valid values of a
/// narrower schema, e.g. one with fixture values pinned). `form`: the properties travel as text
/// (`application/x-www-form-urlencoded`), so only violations that survive that are planted.
pub(crate) fn invalid_with_base(
    schema: &Value,
    base: SBoxedStrategy<Value>,
    root: &Value,
    form: bool,
) -> Option<Invalid> {
    let root = Arc::new(root.clone());
    inner(schema, Some(base), &root, 0, "", false, form)
}

fn inner(
    schema: &Value,
    base: Option<SBoxedStrategy<Value>>,
    root: &Arc<Value>,
    depth: usize,
    path: &str,
    textual: bool,
    children_textual: bool,
) -> Option<Invalid> {
    if depth > MAX_DEPTH {
        return None;
    }
    let (s, _) = flatten(schema, root)?;
    let composed = s.get("anyOf").is_some() || s.get("oneOf").is_some() || s.get("not").is_some();
    let declared = types_of(&s);
    let types = declared.clone().unwrap_or_else(|| {
        if composed {
            Vec::new()
        } else {
            infer_types(&s)
        }
    });
    let is = |t: &str| types.iter().any(|x| x == t);
    let p = path.to_string();
    let mut options: Vec<Invalid> = Vec::new();
    let mut push = |v: Value, kind: ViolationKind| options.push(Just((v, kind)).sboxed());

    if let Some(types) = &declared
        && let Some(wrong) = wrong_type(types, textual)
    {
        push(
            wrong,
            ViolationKind::WrongType {
                path: p.clone(),
                expected: types.join(" or "),
            },
        );
    }
    if let Some(Value::Array(values)) = s.get("enum") {
        let candidates = [json!("zz-not-in-enum"), json!(987654321), json!(-987654321)];
        let fits =
            |c: &Value| types.is_empty() || types.iter().any(|t| super::value::has_type(c, t));
        if let Some(c) = candidates.into_iter().find(|c| {
            !values.contains(c) && fits(c) && (!textual || c.is_string() || !is("string"))
        }) {
            push(c, ViolationKind::NotInEnum { path: p.clone() });
        }
    } else {
        if is("integer") || is("number") {
            let integer_only = !is("number");
            if let Some(m) = s.get("minimum").and_then(Value::as_f64) {
                let v = if integer_only {
                    integer_range(&s)
                        .map(|(lo, _)| lo.checked_sub(1).map_or(json!(-1.9e19), |v| json!(v)))
                } else if s.get("exclusiveMinimum") == Some(&json!(true)) {
                    Some(json!(m))
                } else {
                    Some(json!(m - 1.0))
                };
                if let Some(v) = v {
                    push(v, ViolationKind::BelowMinimum { path: p.clone() });
                }
            }
            if let Some(m) = s.get("maximum").and_then(Value::as_f64) {
                let v = if integer_only {
                    integer_range(&s).map(|(_, hi)| {
                        hi.checked_add(1)
                            .map_or(json!(i64::MAX as u64 + 1), |v| json!(v))
                    })
                } else if s.get("exclusiveMaximum") == Some(&json!(true)) {
                    Some(json!(m))
                } else {
                    Some(json!(m + 1.0))
                };
                if let Some(v) = v {
                    push(v, ViolationKind::AboveMaximum { path: p.clone() });
                }
            }
        }
        if is("string") {
            if let Some(min) = s
                .get("minLength")
                .and_then(Value::as_u64)
                .filter(|m| *m > 0 && *m < 100_000)
            {
                push(
                    json!("a".repeat(min as usize - 1)),
                    ViolationKind::TooShort { path: p.clone() },
                );
            }
            if let Some(max) = s
                .get("maxLength")
                .and_then(Value::as_u64)
                .filter(|m| *m < 100_000)
            {
                push(
                    json!("a".repeat(max as usize + 1)),
                    ViolationKind::TooLong { path: p.clone() },
                );
            }
            if let Some(pattern) = s.get("pattern").and_then(Value::as_str)
                && let Some(validator) = validator_for(&json!({ "pattern": pattern }), &json!({}))
            {
                let candidates = ["!", " ", "~~", "", "0", "a", "A", "-", "zz-no-match \u{7f}"];
                if let Some(c) = candidates.iter().find(|c| !validator.is_valid(&json!(c))) {
                    push(json!(c), ViolationKind::PatternMismatch { path: p.clone() });
                }
            }
            if let Some(format) = s.get("format").and_then(Value::as_str)
                && let Some(validator) = validator_for(&json!({ "format": format }), &json!({}))
            {
                let bad = json!("not a valid value!");
                if !validator.is_valid(&bad) {
                    push(
                        bad,
                        ViolationKind::BadFormat {
                            path: p.clone(),
                            format: format.to_string(),
                        },
                    );
                }
            }
        }
    }

    // Structural violations need a valid value to break.
    let structural =
        is("object") || is("array") || (types.is_empty() && s.get("properties").is_some());
    if structural && !textual {
        let base = match base {
            Some(b) => Some(b),
            None => node(&s, root, depth),
        };
        if let Some(base) = base {
            // A nullable structure's base may be `null`: nothing to break structurally there.
            let base = base
                .prop_filter("a structure to break", |v| v.is_object() || v.is_array())
                .sboxed();
            if is("object") || s.get("properties").is_some() || s.get("required").is_some() {
                object_violations(&s, &base, root, depth, path, children_textual, &mut options);
            }
            if is("array") {
                array_violations(&s, &base, root, depth, path, children_textual, &mut options);
            }
        }
    }
    if options.is_empty() {
        return None;
    }
    Some(Union::new(options).sboxed())
}

fn object_violations(
    s: &Value,
    base: &SBoxedStrategy<Value>,
    root: &Arc<Value>,
    depth: usize,
    path: &str,
    textual: bool,
    options: &mut Vec<Invalid>,
) {
    let required: Vec<String> = s
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(String::from)
        .collect();
    for name in required.iter().take(8) {
        let name = name.clone();
        let p = path.to_string();
        options.push(
            base.clone()
                .prop_map(move |mut v| {
                    if let Value::Object(m) = &mut v {
                        m.shift_remove(&name);
                    }
                    (
                        v,
                        ViolationKind::MissingRequired {
                            path: p.clone(),
                            property: name.clone(),
                        },
                    )
                })
                .sboxed(),
        );
    }
    if s.get("additionalProperties") == Some(&Value::Bool(false)) {
        let p = path.to_string();
        let declared = s
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut extra = "unexpected_property".to_string();
        while declared.contains_key(&extra) {
            extra.push('_');
        }
        options.push(
            base.clone()
                .prop_map(move |mut v| {
                    if let Value::Object(m) = &mut v {
                        m.insert(extra.clone(), json!("x"));
                    }
                    (
                        v,
                        ViolationKind::AdditionalProperty {
                            path: p.clone(),
                            property: extra.clone(),
                        },
                    )
                })
                .sboxed(),
        );
    }
    if let Some(Value::Object(props)) = s.get("properties") {
        // Required properties first: a broken optional one says less about the server.
        let mut names: Vec<&String> = props.keys().filter(|k| required.contains(k)).collect();
        names.extend(props.keys().filter(|k| !required.contains(k)));
        for name in names.into_iter().take(12) {
            let child = format!("{path}/{}", escape_token(name));
            let Some(bad) = inner(
                &props[name],
                None,
                root,
                depth + 1,
                &child,
                textual,
                textual,
            ) else {
                continue;
            };
            let name = name.clone();
            options.push(
                (base.clone(), bad)
                    .prop_map(move |(mut v, (bad, kind))| {
                        if let Value::Object(m) = &mut v {
                            m.insert(name.clone(), bad);
                        }
                        (v, kind)
                    })
                    .sboxed(),
            );
        }
    }
}

fn array_violations(
    s: &Value,
    base: &SBoxedStrategy<Value>,
    root: &Arc<Value>,
    depth: usize,
    path: &str,
    textual: bool,
    options: &mut Vec<Invalid>,
) {
    if let Some(min) = s.get("minItems").and_then(Value::as_u64).filter(|m| *m > 0) {
        let p = path.to_string();
        options.push(
            base.clone()
                .prop_map(move |mut v| {
                    if let Value::Array(items) = &mut v {
                        items.truncate(min as usize - 1);
                    }
                    (v, ViolationKind::TooFewItems { path: p.clone() })
                })
                .sboxed(),
        );
    }
    let items = s
        .get("items")
        .filter(|i| i.is_object())
        .cloned()
        .unwrap_or(json!({}));
    if let Some(max) = s
        .get("maxItems")
        .and_then(Value::as_u64)
        .filter(|m| *m < 1000)
        && s.get("uniqueItems") != Some(&json!(true))
        && let Some(item) = node(&items, root, depth + 1)
    {
        let p = path.to_string();
        let n = max as usize + 1;
        options.push(
            proptest::collection::vec(item, n..=n)
                .prop_map(move |items| {
                    (
                        Value::Array(items),
                        ViolationKind::TooManyItems { path: p.clone() },
                    )
                })
                .sboxed(),
        );
    }
    let child = format!("{path}/0");
    if let Some(bad) = inner(&items, None, root, depth + 1, &child, textual, textual) {
        options.push(
            (base.clone(), bad)
                .prop_map(|(mut v, (bad, kind))| {
                    if let Value::Array(items) = &mut v {
                        if items.is_empty() {
                            items.push(bad);
                        } else {
                            items[0] = bad;
                        }
                    }
                    (v, kind)
                })
                .sboxed(),
        );
    }
}

/// A value of none of `types`. As text, only a word where a number or boolean goes survives.
fn wrong_type(types: &[String], textual: bool) -> Option<Value> {
    let has = |t: &str| types.iter().any(|x| x == t);
    if textual {
        let scalar = has("integer") || has("number") || has("boolean");
        return (scalar && !has("string")).then(|| json!("wrong-type"));
    }
    let candidates = [
        ("string", json!("wrong-type")),
        ("integer", json!(12345)),
        ("boolean", json!(true)),
        ("object", json!({"wrong": "type"})),
        ("array", json!(["wrong-type"])),
        ("number", json!(1.5)),
        ("null", Value::Null),
    ];
    candidates
        .into_iter()
        .find(|(t, _)| !(has(t) || (*t == "integer" && has("number"))))
        .map(|(_, v)| v)
}
