//! Strategies for values that satisfy a converted (Draft 4) schema: types, enums, formats,
//! lengths, patterns, bounds, objects, arrays, `allOf`/`anyOf`/`oneOf`, bounded recursion.

use std::sync::Arc;

use base64::Engine;
use proptest::collection;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::{SBoxedStrategy, Union};
use serde_json::{Map, Value, json};

use super::shape::{flatten, merge};
use crate::schema::types_of;

/// Past this many nested refs, optional properties are left out and arrays kept at their
/// minimum size, so recursive schemas stay small.
const SOFT_DEPTH: usize = 3;
/// Past this nesting, a schema that still insists on going deeper is treated as unsatisfiable.
const HARD_DEPTH: usize = 24;
/// Longest string generated when the schema sets no `maxLength`, beyond `minLength`.
const EXTRA_LENGTH: u64 = 24;
/// Documents may ask for absurd sizes (`minLength: 1e12`, `minItems: 4294967295`): past these,
/// the generator calls the schema unsatisfiable instead of allocating the value.
pub(crate) const MAX_GENERATED_LENGTH: u64 = 64 * 1024;
pub(crate) const MAX_GENERATED_ITEMS: u64 = 1024;
/// The largest `{n}` / `{n,m}` repetition count a `pattern` may carry for the generator.
const MAX_PATTERN_REPEAT: u64 = 1024;

/// Values valid against `schema`, `$ref`s resolved against `root` (the converted document, which
/// holds the `definitions`). When the schema admits no value the generator can find, yields
/// `null` (the generator property test reports those schemas).
pub fn valid(schema: &Value, root: &Value) -> SBoxedStrategy<Value> {
    try_valid(schema, root).unwrap_or_else(|| Just(Value::Null).sboxed())
}

/// Like [`valid`], but `None` when the generator finds the schema unsatisfiable (e.g. an
/// `allOf` of two disjoint enums, or a pinned value the schema forbids).
pub fn try_valid(schema: &Value, root: &Value) -> Option<SBoxedStrategy<Value>> {
    let root = Arc::new(root.clone());
    node(schema, &root, 0)
}

/// A Draft 4 validator for a sub-schema of `root`: the sub-schema with `root`'s definitions.
pub(crate) fn validator_for(schema: &Value, root: &Value) -> Option<Arc<jsonschema::Validator>> {
    let mut doc = match schema {
        Value::Object(m) => m.clone(),
        _ => return None,
    };
    // Only the definitions the schema reaches: compiling all of a Stripe-sized document for
    // every enum or oneOf node would take seconds each.
    if let Some(Value::Object(defs)) = root.get("definitions") {
        let mut needed = Map::new();
        let mut queue = vec![schema];
        while let Some(node) = queue.pop() {
            let mut refs = Vec::new();
            collect_refs(node, &mut refs);
            for name in refs {
                if !needed.contains_key(&name)
                    && let Some(def) = defs.get(&name)
                {
                    needed.insert(name, def.clone());
                    queue.push(def);
                }
            }
        }
        if !needed.is_empty() {
            doc.insert("definitions".into(), Value::Object(needed));
        }
    }
    doc.insert(
        "$schema".into(),
        json!("http://json-schema.org/draft-04/schema#"),
    );
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&Value::Object(doc))
        .ok()
        .map(Arc::new)
}

/// Names of `#/definitions/<name>` refs in a schema (not following them).
fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/definitions/"))
            {
                out.push(crate::spec::unescape_token(&crate::schema::percent_decode(
                    name,
                )));
            }
            for (k, v) in map {
                if k != "enum" && k != "definitions" {
                    collect_refs(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

pub(crate) fn node(
    schema: &Value,
    root: &Arc<Value>,
    depth: usize,
) -> Option<SBoxedStrategy<Value>> {
    if depth > HARD_DEPTH {
        return None;
    }
    let (s, hops) = flatten(schema, root)?;
    let depth = depth + hops;

    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(branches)) = s.get(key) {
            let mut base = s.clone();
            if let Value::Object(m) = &mut base {
                m.remove(key);
            }
            let mut options = Vec::new();
            for branch in branches {
                let Some((branch, h)) = flatten(branch, root) else {
                    continue;
                };
                let Some(merged) = merge(&base, &branch) else {
                    continue;
                };
                if let Some(strategy) = node(&merged, root, depth + h) {
                    options.push(strategy);
                }
            }
            if options.is_empty() {
                return None;
            }
            let union = Union::new(options).sboxed();
            if key == "oneOf"
                && let Some(validator) = validator_for(&s, root)
            {
                if !any_sample(&union, |v| validator.is_valid(v)) {
                    return None; // no value matches exactly one branch: unsatisfiable here
                }
                // Branches may overlap: keep the values exactly one branch accepts.
                return Some(
                    union
                        .prop_filter("matches exactly one oneOf branch", move |v| {
                            validator.is_valid(v)
                        })
                        .sboxed(),
                );
            }
            return Some(union);
        }
    }

    if let Some(not) = s.get("not").cloned() {
        let mut rest = s.clone();
        if let Value::Object(m) = &mut rest {
            m.remove("not");
        }
        let inner = node(&rest, root, depth)?;
        return match validator_for(&not, root) {
            // `not: {}`, or `not: {maximum: 0}` on strings, excludes everything the rest
            // generates: a filter would burn its whole reject budget (65,536 tries) per sample.
            Some(validator) if !any_sample(&inner, |v| !validator.is_valid(v)) => None,
            Some(validator) => Some(
                inner
                    .prop_filter("fails the `not` schema", move |v| !validator.is_valid(v))
                    .sboxed(),
            ),
            None => Some(inner),
        };
    }

    if let Some(Value::Array(values)) = s.get("enum") {
        let allowed = types_of(&s);
        let values: Vec<Value> = values
            .iter()
            .filter(|v| {
                allowed
                    .as_ref()
                    .is_none_or(|ts| ts.iter().any(|t| has_type(v, t)))
            })
            .cloned()
            .collect();
        // Documents pair enums with constraints their own values break (`maxLength: 1` next to
        // "FEMALE"): keep the values the whole node accepts.
        let constrained = s.as_object().is_some_and(|m| {
            m.keys()
                .any(|k| !matches!(k.as_str(), "enum" | "type" | "$schema" | "definitions"))
        });
        let values = match constrained.then(|| validator_for(&s, root)).flatten() {
            Some(validator) => values
                .into_iter()
                .filter(|v| validator.is_valid(v))
                .collect(),
            None => values,
        };
        if values.is_empty() {
            return None;
        }
        return Some(select(values).sboxed());
    }

    let types = types_of(&s).unwrap_or_else(|| infer_types(&s));
    let mut options = Vec::new();
    for t in &types {
        let strategy = match t.as_str() {
            "null" => Some(Just(Value::Null).sboxed()),
            "boolean" => Some(any::<bool>().prop_map(Value::Bool).sboxed()),
            "integer" => integer(&s),
            "number" => number(&s),
            "string" => string(&s),
            "array" => array(&s, root, depth),
            "object" => object(&s, root, depth),
            _ => None,
        };
        options.extend(strategy);
    }
    match options.len() {
        0 => None,
        1 => options.pop(),
        _ => Some(Union::new(options).sboxed()),
    }
}

/// Whether any of a few values of `strategy` passes `keep`: a filter that keeps none of 64
/// would spend proptest's whole reject budget on every sample, for nothing.
fn any_sample(strategy: &SBoxedStrategy<Value>, keep: impl Fn(&Value) -> bool) -> bool {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    (0..64).any(|_| {
        strategy
            .new_tree(&mut runner)
            .is_ok_and(|tree| keep(&tree.current()))
    })
}

/// Without `type`, the keywords present say what was meant; with none, simple scalars.
pub(crate) fn infer_types(s: &Value) -> Vec<String> {
    let has = |keys: &[&str]| keys.iter().any(|k| s.get(*k).is_some());
    let t = if has(&[
        "properties",
        "required",
        "additionalProperties",
        "minProperties",
        "maxProperties",
    ]) {
        "object"
    } else if has(&["items", "minItems", "maxItems", "uniqueItems"]) {
        "array"
    } else if has(&["minLength", "maxLength", "pattern", "format"]) {
        "string"
    } else if has(&["minimum", "maximum", "multipleOf"]) {
        "number"
    } else {
        return vec!["string".into(), "integer".into(), "boolean".into()];
    };
    vec![t.into()]
}

pub(crate) use crate::schema::has_type;

/// The inclusive integer range a schema allows, or `None` when empty.
pub(crate) fn integer_range(s: &Value) -> Option<(i64, i64)> {
    let min = s.get("minimum").and_then(Value::as_f64);
    let max = s.get("maximum").and_then(Value::as_f64);
    let exclusive = |k: &str| s.get(k) == Some(&Value::Bool(true));
    let lo = min.map(|m| {
        let c = m.ceil();
        if exclusive("exclusiveMinimum") && c == m {
            c + 1.0
        } else {
            c
        }
    });
    let hi = max.map(|m| {
        let f = m.floor();
        if exclusive("exclusiveMaximum") && f == m {
            f - 1.0
        } else {
            f
        }
    });
    // Unbounded sides stay near the other bound (or zero): realistic values, not i64::MAX.
    let (lo, hi) = match (lo, hi) {
        (Some(lo), Some(hi)) => (lo, hi),
        (Some(lo), None) => (lo, lo + 1000.0),
        (None, Some(hi)) => (hi - 1000.0, hi),
        (None, None) => (-1000.0, 1000.0),
    };
    let (lo, hi) = (
        lo.max(i64::MIN as f64) as i64,
        hi.min(i64::MAX as f64) as i64,
    );
    (lo <= hi).then_some((lo, hi))
}

/// proptest's integer ranges overflow (a debug-build panic) when shrinking near `i64::MIN` or
/// across a span wider than `i64::MAX`: ranges stay within this; exact extremes are still
/// generated as boundary values (`Just`).
const SAFE_SPAN: i64 = i64::MAX / 4;

/// `lo..=hi`, clamped to what proptest handles; a range wholly outside gives its ends.
fn span(lo: i64, hi: i64) -> SBoxedStrategy<i64> {
    let (clo, chi) = (lo.max(-SAFE_SPAN), hi.min(SAFE_SPAN));
    if clo <= chi {
        (clo..=chi).sboxed()
    } else {
        prop_oneof![Just(lo), Just(hi)].sboxed()
    }
}

fn integer(s: &Value) -> Option<SBoxedStrategy<Value>> {
    let (lo, hi) = integer_range(s)?;
    let step = s.get("multipleOf").and_then(Value::as_f64).unwrap_or(1.0);
    if step.fract() != 0.0 || step < 1.0 {
        // A fractional step on integers: values that are multiples of both.
        return Some(
            span(lo, hi)
                .prop_filter("multipleOf", move |n| ((*n as f64) / step).fract() == 0.0)
                .prop_map(|n| json!(n))
                .sboxed(),
        );
    }
    let step = step as i64;
    let (klo, khi) = (div_ceil(lo, step), lo.max(hi).div_euclid(step));
    let khi = if khi * step > hi { khi - 1 } else { khi };
    if klo > khi {
        return None;
    }
    let range = span(klo, khi).prop_map(move |k| json!(k.saturating_mul(step)));
    // Small values are what servers mostly see; wide ranges (int64) would almost never give one.
    let (slo, shi) = (klo.max(-1000 / step), khi.min(1000 / step));
    let small = if slo <= shi {
        span(slo, shi)
            .prop_map(move |k| json!(k.saturating_mul(step)))
            .sboxed()
    } else {
        range.clone().sboxed()
    };
    // Boundaries find more bugs than the middle.
    Some(
        prop_oneof![
            3 => range,
            3 => small,
            1 => Just(json!(klo.saturating_mul(step))),
            1 => Just(json!(khi.saturating_mul(step)))
        ]
        .sboxed(),
    )
}

fn div_ceil(a: i64, b: i64) -> i64 {
    let q = a.div_euclid(b);
    if q * b < a { q + 1 } else { q }
}

fn number(s: &Value) -> Option<SBoxedStrategy<Value>> {
    if let Some(step) = s.get("multipleOf").and_then(Value::as_f64) {
        // Multiples as integers times the step, checked exactly by the validator's rules.
        let scaled = json!({
            "minimum": s.get("minimum").and_then(Value::as_f64).map(|m| (m / step).ceil()),
            "maximum": s.get("maximum").and_then(Value::as_f64).map(|m| (m / step).floor()),
        });
        let scaled = strip_nulls(scaled);
        let (lo, hi) = integer_range(&scaled)?;
        let min = s.get("minimum").and_then(Value::as_f64);
        let max = s.get("maximum").and_then(Value::as_f64);
        let (xmin, xmax) = (
            s.get("exclusiveMinimum") == Some(&json!(true)),
            s.get("exclusiveMaximum") == Some(&json!(true)),
        );
        return Some(
            span(lo, hi)
                .prop_map(move |k| round_to_step(k as f64 * step, step))
                .prop_filter("within bounds", move |v| {
                    min.is_none_or(|m| if xmin { *v > m } else { *v >= m })
                        && max.is_none_or(|m| if xmax { *v < m } else { *v <= m })
                })
                .prop_map(number_value)
                .sboxed(),
        );
    }
    // Quarters are exact in binary floating point, so bounds hold exactly.
    let q = |k: &str| s.get(k).and_then(Value::as_f64).map(|m| m * 4.0);
    let mut quarter = Map::new();
    if let Some(m) = q("minimum") {
        quarter.insert("minimum".into(), json!(m));
    }
    if let Some(m) = q("maximum") {
        quarter.insert("maximum".into(), json!(m));
    }
    for k in ["exclusiveMinimum", "exclusiveMaximum"] {
        if let Some(v) = s.get(k) {
            quarter.insert(k.into(), v.clone());
        }
    }
    let (lo, hi) = integer_range(&Value::Object(quarter))?;
    Some(
        span(lo, hi)
            .prop_map(|k| number_value(k as f64 / 4.0))
            .sboxed(),
    )
}

fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.into_iter().filter(|(_, v)| !v.is_null()).collect()),
        other => other,
    }
}

/// `k * step` printed with the step's decimals, so `0.07` stays `0.07`.
fn round_to_step(v: f64, step: f64) -> f64 {
    let decimals = format!("{step}").split('.').nth(1).map_or(0, str::len);
    format!("{v:.decimals$}").parse().unwrap_or(v)
}

/// Whole numbers as JSON integers (what a server most likely sends), others as floats.
fn number_value(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

fn string(s: &Value) -> Option<SBoxedStrategy<Value>> {
    let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(0);
    if min > MAX_GENERATED_LENGTH {
        return None;
    }
    let max = s
        .get("maxLength")
        .and_then(Value::as_u64)
        .unwrap_or(u64::MAX)
        .min(min.saturating_add(EXTRA_LENGTH));
    if min > max {
        return None;
    }
    let bounded = s.get("minLength").is_some() || s.get("maxLength").is_some();
    let real_max = s
        .get("maxLength")
        .and_then(Value::as_u64)
        .unwrap_or(u64::MAX);
    let within = move |v: &String| {
        let n = v.chars().count() as u64;
        n >= min && n <= real_max
    };
    let base: SBoxedStrategy<String> =
        if let Some(pattern) = s.get("pattern").and_then(Value::as_str) {
            pattern_strategy(pattern, min, max)?
        } else if let Some(f) = s
            .get("format")
            .and_then(Value::as_str)
            .and_then(format_strategy)
        {
            f
        } else {
            edgy(min, max, real_max)
        };
    let strategy = if bounded {
        base.prop_filter("string length", within).sboxed()
    } else {
        base
    };
    Some(strategy.prop_map(Value::String).sboxed())
}

/// Longest edge-case string generated when the schema sets no `maxLength`.
const LONG_STRING: u64 = 2048;

/// Plain strings most of the time; now and then the values servers mishandle: non-ASCII text
/// and strings far longer than usual (still within `maxLength`).
fn edgy(min: u64, max: u64, real_max: u64) -> SBoxedStrategy<String> {
    let unicode = proptest::char::ranges(
        vec!['a'..='z', 'à'..='ÿ', 'α'..='ω', '一'..='龥', '😀'..='🙏'].into(),
    );
    let non_ascii = collection::vec(unicode, (min.max(1) as usize)..=(max.max(1) as usize))
        .prop_map(|cs| cs.into_iter().collect::<String>());
    let long_max = real_max.min(LONG_STRING);
    let mut options: Vec<(u32, SBoxedStrategy<String>)> = vec![(6, plain(min, max))];
    if min <= max.max(1) && real_max >= 1 {
        options.push((1, non_ascii.sboxed()));
    }
    if long_max > max.saturating_add(64) {
        let long_min = (long_max / 2).max(min);
        options.push((1, plain(long_min, long_max)));
    }
    proptest::strategy::Union::new_weighted(options).sboxed()
}

fn plain(min: u64, max: u64) -> SBoxedStrategy<String> {
    let chars = proptest::char::ranges(vec!['a'..='z', 'A'..='Z', '0'..='9'].into());
    collection::vec(chars, min as usize..=max as usize)
        .prop_map(|cs| cs.into_iter().collect())
        .sboxed()
}

/// ECMA-262 classes (`\d`, `\w`, `\s`) are ASCII; the regex generator's are Unicode. Anchors are
/// dropped: a full match of the rest also contains a match, and the generator refuses anchors.
pub(crate) fn ecma_to_generator(pattern: &str) -> String {
    let mut out = String::new();
    let mut in_class = false;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else { break };
                let replacement = match (next, in_class) {
                    ('d', false) => "[0-9]",
                    ('d', true) => "0-9",
                    ('w', false) => "[A-Za-z0-9_]",
                    ('w', true) => "A-Za-z0-9_",
                    ('s', false) => "[ ]",
                    ('s', true) => " ",
                    ('D', false) => "[^0-9]",
                    ('W', false) => "[^A-Za-z0-9_]",
                    ('S', false) => "[!-~]",
                    _ => "",
                };
                if replacement.is_empty() {
                    out.push('\\');
                    out.push(next);
                } else {
                    out.push_str(replacement);
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().unwrap_or('^'));
                }
                if chars.peek() == Some(&']') {
                    out.push('\\');
                    out.push(chars.next().unwrap_or(']'));
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '^' | '$' if !in_class => {}
            // ECMA `.` excludes every line terminator; printable ASCII is a readable subset.
            '.' if !in_class => out.push_str("[ -~]"),
            // Unbounded repetition makes big value trees (slow) and long strings (over
            // `maxLength`): a few repeats show the shape just as well.
            '*' if !in_class => out.push_str("{0,4}"),
            '+' if !in_class => out.push_str("{1,4}"),
            _ => out.push(c),
        }
    }
    out
}

/// The largest counted repetition (`{n}`, `{n,}`, `{n,m}`) in a pattern; saturates on overflow.
fn largest_repeat(pattern: &str) -> u64 {
    let bytes = pattern.as_bytes();
    let mut largest = 0u64;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'{' && (i == 0 || bytes[i - 1] != b'\\') {
            let mut n = 0u64;
            let mut j = i + 1;
            while j < bytes.len() && (bytes[j].is_ascii_digit() || bytes[j] == b',') {
                if bytes[j] == b',' {
                    largest = largest.max(n);
                    n = 0;
                } else {
                    n = n
                        .saturating_mul(10)
                        .saturating_add(u64::from(bytes[j] - b'0'));
                }
                j += 1;
            }
            largest = largest.max(n);
            i = j;
        } else {
            i += 1;
        }
    }
    largest
}

fn pattern_strategy(pattern: &str, min: u64, max: u64) -> Option<SBoxedStrategy<String>> {
    if largest_repeat(pattern) > MAX_PATTERN_REPEAT || pattern.len() > 64 * 1024 {
        // `a{1000000000}` would build gigantic strings (or regex programs): unsatisfiable here.
        return None;
    }
    let translated = ecma_to_generator(pattern);
    // Printable ASCII stand-in for `.` keeps generated text readable and header-safe.
    let translated = translated.replace("(?s)", "");
    match proptest::string::string_regex(&translated) {
        Ok(strategy) => Some(strategy.sboxed()),
        Err(_) => {
            // The generator cannot read this pattern: try plain strings and keep those the
            // validator's own regex accepts.
            let validator = validator_for(&json!({"pattern": pattern}), &json!({}))?;
            Some(
                plain(min.max(1), max.max(1))
                    .prop_filter("matches the pattern", move |v| {
                        validator.is_valid(&json!(v))
                    })
                    .sboxed(),
            )
        }
    }
}

/// Strings in a named format. `None` for formats without a generator (plain strings are used).
pub(crate) fn format_strategy(format: &str) -> Option<SBoxedStrategy<String>> {
    let regex = |r: &str| proptest::string::string_regex(r).ok().map(|s| s.sboxed());
    match format {
        "email" | "idn-email" => regex("[a-z]{1,8}(\\.[a-z]{1,5})?@[a-z]{1,8}\\.(com|org|net|io)"),
        "uri" | "url" | "iri" => {
            regex("https://[a-z]{1,10}\\.example\\.(com|org)(/[a-z0-9]{1,8}){0,3}")
        }
        "uri-reference" | "iri-reference" => regex("/[a-z0-9]{1,8}(/[a-z0-9]{1,8}){0,2}"),
        "hostname" | "idn-hostname" => regex("[a-z]{1,10}(\\.[a-z]{1,10}){0,2}"),
        "uuid" => regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
        "ipv6" => regex("[0-9a-f]{1,4}(:[0-9a-f]{1,4}){7}"),
        "ipv4" => Some(
            (0u8..=255, 0u8..=255, 0u8..=255, 0u8..=255)
                .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}"))
                .sboxed(),
        ),
        "date" => Some(date().sboxed()),
        "date-time" => Some(
            (date(), 0u8..24, 0u8..60, 0u8..60)
                .prop_map(|(d, h, m, s)| format!("{d}T{h:02}:{m:02}:{s:02}Z"))
                .sboxed(),
        ),
        "time" => Some(
            (0u8..24, 0u8..60, 0u8..60)
                .prop_map(|(h, m, s)| format!("{h:02}:{m:02}:{s:02}Z"))
                .sboxed(),
        ),
        "byte" => Some(
            collection::vec(any::<u8>(), 0..24)
                .prop_map(|b| base64::engine::general_purpose::STANDARD.encode(b))
                .sboxed(),
        ),
        _ => None,
    }
}

fn date() -> impl Strategy<Value = String> {
    (1970u16..=2099, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
}

fn array(s: &Value, root: &Arc<Value>, depth: usize) -> Option<SBoxedStrategy<Value>> {
    let min = s.get("minItems").and_then(Value::as_u64).unwrap_or(0);
    if min > MAX_GENERATED_ITEMS {
        return None;
    }
    let min = min as usize;
    let max_allowed = s
        .get("maxItems")
        .and_then(Value::as_u64)
        .map_or(usize::MAX, |m| m as usize);
    let max = if depth >= SOFT_DEPTH {
        min
    } else {
        max_allowed.min(min.saturating_add(3))
    };
    if min > max_allowed {
        return None;
    }
    if let Some(Value::Array(tuple)) = s.get("items") {
        // Draft 4 tuple form: one strategy per position.
        let items: Option<Vec<_>> = tuple.iter().map(|t| node(t, root, depth + 1)).collect();
        return Some(items?.prop_map(Value::Array).sboxed());
    }
    let items = s.get("items").cloned().unwrap_or(json!({}));
    let Some(item) = node(&items, root, depth + 1) else {
        return (min == 0).then(|| Just(json!([])).sboxed());
    };
    let unique = s.get("uniqueItems") == Some(&Value::Bool(true));
    let strategy = collection::vec(item, min..=max);
    if unique {
        return Some(
            strategy
                .prop_map(|mut items| {
                    let mut seen: Vec<Value> = Vec::new();
                    items.retain(|v| {
                        let fresh = !seen.contains(v);
                        if fresh {
                            seen.push(v.clone());
                        }
                        fresh
                    });
                    items
                })
                .prop_filter("enough unique items", move |items| items.len() >= min)
                .prop_map(Value::Array)
                .sboxed(),
        );
    }
    Some(strategy.prop_map(Value::Array).sboxed())
}

fn object(s: &Value, root: &Arc<Value>, depth: usize) -> Option<SBoxedStrategy<Value>> {
    let empty = Map::new();
    let props = s
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let required: Vec<String> = s
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(String::from)
        .collect();
    let additional = s.get("additionalProperties");
    let closed = additional == Some(&Value::Bool(false));
    let min_props = s.get("minProperties").and_then(Value::as_u64).unwrap_or(0);
    if min_props > MAX_GENERATED_ITEMS {
        return None;
    }
    let min_props = min_props as usize;
    let max_props = s
        .get("maxProperties")
        .and_then(Value::as_u64)
        .map(|m| m as usize);
    let shallow = depth >= SOFT_DEPTH;
    let extra_schema = match additional {
        Some(schema @ Value::Object(_)) => schema.clone(),
        _ => json!({"type": "string"}),
    };

    let mut entries: Vec<SBoxedStrategy<Option<(String, Value)>>> = Vec::new();
    for (name, schema) in props {
        let name = name.clone();
        let is_required = required.contains(&name);
        // `readOnly` in a request schema, `writeOnly` in a response one: not sent by this side.
        let one_sided = super::shape::deref(schema, root).is_some_and(|(p, _)| {
            p.get("readOnly") == Some(&Value::Bool(true))
                || p.get("writeOnly") == Some(&Value::Bool(true))
        });
        if one_sided && !is_required {
            continue;
        }
        let generated = if is_required || !shallow {
            node(schema, root, depth + 1)
        } else {
            None
        };
        match (generated, is_required) {
            (Some(g), true) => entries.push(g.prop_map(move |v| Some((name.clone(), v))).sboxed()),
            (None, true) => return None,
            // With `minProperties`, optional properties are always present (maxProperties trims
            // them afterwards): `option::weighted(1.0, _)` would panic on a zero weight for `None`.
            (Some(g), false) if min_props > 0 => {
                entries.push(g.prop_map(move |v| Some((name.clone(), v))).sboxed())
            }
            (Some(g), false) => {
                entries.push(
                    option::weighted(0.5, g)
                        .prop_map(move |v| v.map(|v| (name.clone(), v)))
                        .sboxed(),
                );
            }
            (None, false) => {}
        }
    }
    for name in required.iter().filter(|n| !props.contains_key(*n)) {
        // Required but not described: any value the additionalProperties schema allows.
        if closed {
            return None;
        }
        let g = node(&extra_schema, root, depth + 1)?;
        let name = name.clone();
        entries.push(g.prop_map(move |v| Some((name.clone(), v))).sboxed());
    }
    let mut pads = 0;
    if !closed {
        let declared = props.len() + required.iter().filter(|n| !props.contains_key(*n)).count();
        pads = min_props.saturating_sub(declared);
        if matches!(additional, Some(Value::Object(_))) && !shallow {
            pads = pads.max(1);
        }
    }
    let pad = if pads > 0 {
        node(&extra_schema, root, depth + 1)
    } else {
        None
    };
    let pad_count = if pad.is_some() { pads } else { 0 };
    let pad_strategy = match pad {
        Some(p) => collection::vec(p, pad_count..=pad_count).sboxed(),
        None => Just(Vec::new()).sboxed(),
    };
    let optional_extra = min_props == 0;
    let required_names = required.clone();
    let declared_names: Vec<String> = props.keys().cloned().collect();
    Some(
        (entries, pad_strategy, any::<bool>())
            .prop_map(move |(entries, pads, use_pads)| {
                let mut map = Map::new();
                for (k, v) in entries.into_iter().flatten() {
                    map.insert(k, v);
                }
                if !optional_extra || use_pads {
                    for (i, v) in pads.into_iter().enumerate() {
                        let mut key = format!("extra_{i}");
                        while map.contains_key(&key) || declared_names.contains(&key) {
                            key.push('_');
                        }
                        map.insert(key, v);
                    }
                }
                if let Some(max) = max_props {
                    let optional: Vec<String> = map
                        .keys()
                        .filter(|k| !required_names.contains(k))
                        .cloned()
                        .collect();
                    for k in optional {
                        if map.len() <= max {
                            break;
                        }
                        map.shift_remove(&k);
                    }
                }
                Value::Object(map)
            })
            .sboxed(),
    )
}
