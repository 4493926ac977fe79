//! Schema shapes for generators: `$ref`s followed, `allOf` merged into one schema, so the value
//! generators only ever see one node with plain keywords (plus `anyOf`/`oneOf` branches).

use crate::schema::types_of;
use serde_json::{Map, Value, json};

/// `$ref` hops followed before a chain is treated as unsatisfiable (the converter never
/// produces ref-only cycles, but a hand-written schema might).
const MAX_HOPS: usize = 32;

/// Follows `$ref`s against `root`; returns the node and how many refs were followed.
pub(crate) fn deref<'a>(mut node: &'a Value, root: &'a Value) -> Option<(&'a Value, usize)> {
    let mut hops = 0;
    while let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        let fragment = reference.strip_prefix('#')?;
        node = root.pointer(&crate::schema::percent_decode(fragment))?;
        hops += 1;
        if hops > MAX_HOPS {
            return None;
        }
    }
    Some((node, hops))
}

/// The node with its refs followed and its `allOf` merged in. `None`: unsatisfiable (e.g. two
/// `enum`s with nothing in common). The count is the number of refs followed.
pub(crate) fn flatten(node: &Value, root: &Value) -> Option<(Value, usize)> {
    flatten_inner(node, root, 0)
}

fn flatten_inner(node: &Value, root: &Value, level: usize) -> Option<(Value, usize)> {
    if level > MAX_HOPS {
        return None;
    }
    let (node, mut hops) = deref(node, root)?;
    let Value::Object(map) = node else {
        return Some((json!({}), hops));
    };
    let mut base = map.clone();
    let parts = base.remove("allOf");
    let mut out = Value::Object(base);
    if let Some(Value::Array(parts)) = parts {
        for part in parts {
            let (part, h) = flatten_inner(&part, root, level + 1)?;
            hops = hops.max(h);
            out = merge(&out, &part)?;
        }
    }
    Some((out, hops))
}

/// Both schemas at once, as one schema (nested conflicts become `allOf`, resolved when that
/// node is generated).
pub(crate) fn merge(a: &Value, b: &Value) -> Option<Value> {
    let (Value::Object(am), Value::Object(bm)) = (a, b) else {
        return Some(a.clone());
    };
    // A closed side admits only its own property names: the other side's others are dropped,
    // and a required one among them makes the merge unsatisfiable.
    let am = &prune(am, bm)?;
    let bm = &prune(bm, am)?;
    let mut out: Map<String, Value> = am.clone();
    for (key, vb) in bm {
        let Some(va) = am.get(key) else {
            out.insert(key.clone(), vb.clone());
            continue;
        };
        match key.as_str() {
            "type" => {
                let (ta, tb) = (
                    types_of(a).unwrap_or_default(),
                    types_of(b).unwrap_or_default(),
                );
                let mut both: Vec<String> = Vec::new();
                for t in &ta {
                    let keep =
                        tb.contains(t) || (t == "integer" && tb.iter().any(|x| x == "number"));
                    if keep {
                        both.push(t.clone());
                    }
                }
                if tb.iter().any(|x| x == "integer") && ta.iter().any(|x| x == "number") {
                    both.push("integer".into());
                }
                both.dedup();
                if both.is_empty() {
                    return None;
                }
                out.insert(key.clone(), json!(both));
            }
            "enum" => {
                let (Value::Array(ea), Value::Array(eb)) = (va, vb) else {
                    continue;
                };
                let both: Vec<Value> = ea.iter().filter(|v| eb.contains(v)).cloned().collect();
                if both.is_empty() {
                    return None;
                }
                out.insert(key.clone(), Value::Array(both));
            }
            "required" => {
                let mut names = va.as_array().cloned().unwrap_or_default();
                for n in vb.as_array().into_iter().flatten() {
                    if !names.contains(n) {
                        names.push(n.clone());
                    }
                }
                out.insert(key.clone(), Value::Array(names));
            }
            "properties" => {
                let mut props = va.as_object().cloned().unwrap_or_default();
                for (name, pb) in vb.as_object().into_iter().flatten() {
                    let merged = match props.get(name) {
                        Some(pa) => json!({"allOf": [pa, pb]}),
                        None => pb.clone(),
                    };
                    props.insert(name.clone(), merged);
                }
                out.insert(key.clone(), Value::Object(props));
            }
            "minimum" | "minLength" | "minItems" | "minProperties" if vb.as_f64() > va.as_f64() => {
                out.insert(key.clone(), vb.clone());
                if key == "minimum" {
                    out.insert(
                        "exclusiveMinimum".into(),
                        bm.get("exclusiveMinimum").cloned().unwrap_or(json!(false)),
                    );
                }
            }
            "maximum" | "maxLength" | "maxItems" | "maxProperties" if vb.as_f64() < va.as_f64() => {
                out.insert(key.clone(), vb.clone());
                if key == "maximum" {
                    out.insert(
                        "exclusiveMaximum".into(),
                        bm.get("exclusiveMaximum").cloned().unwrap_or(json!(false)),
                    );
                }
            }
            "exclusiveMinimum" | "exclusiveMaximum" => {
                // Settled together with the bound above.
            }
            "additionalProperties" => {
                let merged = match (va, vb) {
                    (Value::Bool(false), _) | (_, Value::Bool(false)) => json!(false),
                    (Value::Bool(true), other) | (other, Value::Bool(true)) => other.clone(),
                    _ => json!({"allOf": [va, vb]}),
                };
                out.insert(key.clone(), merged);
            }
            "items" | "not" => {
                let merged = if key == "not" {
                    json!({"anyOf": [va, vb]})
                } else {
                    json!({"allOf": [va, vb]})
                };
                out.insert(key.clone(), merged);
            }
            "anyOf" | "oneOf" => {
                // Both sides choose: every pair of branches.
                let mut pairs = Vec::new();
                for x in va.as_array().into_iter().flatten() {
                    for y in vb.as_array().into_iter().flatten() {
                        pairs.push(json!({"allOf": [x, y]}));
                    }
                }
                out.insert(key.clone(), Value::Array(pairs));
            }
            "uniqueItems" => {
                out.insert(key.clone(), json!(va == &json!(true) || vb == &json!(true)));
            }
            // pattern, format, multipleOf, $schema, definitions: the first wins (documents
            // rarely give two; the property test catches the ones that matter).
            _ => {}
        }
    }
    Some(Value::Object(out))
}

/// `side` without the properties a closed `other` (`additionalProperties: false`) forbids.
fn prune(side: &Map<String, Value>, other: &Map<String, Value>) -> Option<Map<String, Value>> {
    if other.get("additionalProperties") != Some(&Value::Bool(false)) {
        return Some(side.clone());
    }
    let allowed: Vec<&String> = other
        .get("properties")
        .and_then(Value::as_object)
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    let mut out = side.clone();
    if let Some(Value::Object(props)) = out.get_mut("properties") {
        props.retain(|k, _| allowed.contains(&k));
    }
    let required_ok = side
        .get("required")
        .and_then(Value::as_array)
        .is_none_or(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .all(|n| allowed.iter().any(|a| a.as_str() == n))
        });
    required_ok.then_some(out)
}
