//! Turns a generated request and the suite's resolved inputs into the request that is sent.

use indexmap::IndexMap;
use serde_json::Value;

use crate::execute::{Body, Request};
use crate::generate::{GeneratedRequest, encode::encode_body};
use crate::spec::{Method, Operation, ParamLocation};

/// Suite inputs with every template expanded.
#[derive(Debug, Clone, Default)]
pub struct ResolvedInputs {
    /// Parameter or top-level body property → value.
    pub fixed: IndexMap<String, Value>,
    pub omit: Vec<String>,
    pub headers: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
    pub content_type: Option<String>,
    pub body: Option<String>,
}

/// Placeholder for path parameters of requests that need no real values (405 recipes).
pub const PATH_FILLER: &str = "conform";

/// How much of a generated request to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Everything generated.
    All,
    /// Only required parameters and body properties, and whatever the suite pins.
    Required,
}

/// The request to send for `generated`, with the suite's inputs applied.
pub fn finish(
    op: &Operation,
    generated: &GeneratedRequest,
    inputs: &ResolvedInputs,
    keep: Keep,
    required_body: &[String],
) -> Request {
    // The input a schema-violating request breaks on purpose is never dropped.
    let target = generated.violation.as_deref().and_then(violation_target);
    let dropped = |name: &str, required: bool| {
        if target.as_deref() == Some(name) {
            return false;
        }
        inputs.omit.iter().any(|o| o == name)
            || (keep == Keep::Required && !required && !inputs.fixed.contains_key(name))
    };
    let param_required = |name: &str, location: ParamLocation| {
        op.parameters
            .iter()
            .any(|p| p.name.eq_ignore_ascii_case(name) && p.location == location && p.required)
    };
    let mut request = Request::new(generated.method, generated.path.clone());
    request.query = generated
        .query
        .iter()
        .filter(|(k, _)| {
            !dropped(
                base_name(k),
                param_required(base_name(k), ParamLocation::Query),
            )
        })
        .cloned()
        .collect();
    request.headers = generated
        .headers
        .iter()
        .filter(|(k, _)| !dropped(k, param_required(k, ParamLocation::Header)))
        .cloned()
        .collect();
    let cookies: Vec<String> = generated
        .cookies
        .iter()
        .filter(|(k, _)| !dropped(k, param_required(k, ParamLocation::Cookie)))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if !cookies.is_empty() {
        request.headers.push(("cookie".into(), cookies.join("; ")));
    }
    let is_param = |name: &str| op.parameters.iter().any(|p| p.name == name);
    request.body = generated.body.as_ref().map(|body| match &body.value {
        Some(Value::Object(map)) => {
            let mut map = map.clone();
            // Pinned values the generator could not place (a `oneOf` branch without them) go
            // in anyway: the suite asked for them.
            for (name, value) in &inputs.fixed {
                if !is_param(name)
                    && target.as_deref() != Some(name.as_str())
                    && !map.contains_key(name)
                {
                    map.insert(name.clone(), value.clone());
                }
            }
            map.retain(|k, _| !dropped(k, required_body.contains(k)));
            let encoded = encode_body(&body.content_type, &Value::Object(map));
            Body {
                content_type: encoded.content_type,
                bytes: encoded.bytes,
            }
        }
        _ => Body {
            content_type: body.content_type.clone(),
            bytes: body.bytes.clone(),
        },
    });
    // What the request breaks on purpose, no suite input repairs: not a header, query value or
    // cookie of the broken parameter's name, not a raw body or Content-Type header when the
    // body is what is broken.
    let broken_param = target.as_deref().and_then(|t| {
        op.parameters
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(t))
            .map(|p| (p.name.clone(), p.location))
    });
    let body_broken = generated.violation.is_some() && broken_param.is_none();
    let repairs = |name: &str, place: ParamLocation| match &broken_param {
        Some((broken, location)) => {
            (*location == place && broken.eq_ignore_ascii_case(name))
                || (*location == ParamLocation::Cookie
                    && place == ParamLocation::Header
                    && name.eq_ignore_ascii_case("cookie"))
        }
        None => {
            body_broken
                && place == ParamLocation::Header
                && name.eq_ignore_ascii_case("content-type")
        }
    };
    if let Some(raw) = inputs.body.as_ref().filter(|_| !body_broken) {
        let content_type = inputs
            .content_type
            .clone()
            .or_else(|| request.body.as_ref().map(|b| b.content_type.clone()))
            .unwrap_or_else(|| "application/json".into());
        request.body = Some(Body {
            content_type,
            bytes: raw.clone().into_bytes(),
        });
    }
    request.query.extend(
        inputs
            .query
            .iter()
            .filter(|(k, _)| !repairs(k, ParamLocation::Query))
            .cloned(),
    );
    for (name, value) in &inputs.headers {
        if repairs(name, ParamLocation::Header) {
            continue;
        }
        request
            .headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        request.headers.push((name.clone(), value.clone()));
    }
    request
}

/// The parameter or top-level body property a violation description names:
/// `missing required query parameter 'client_id'` → `client_id`, `body.grant_type: …` →
/// `grant_type`.
pub fn violation_target(description: &str) -> Option<String> {
    if let Some(rest) = description.split("parameter '").nth(1) {
        return rest.split('\'').next().map(String::from);
    }
    if let Some(rest) = description.strip_prefix("body.") {
        return rest.split(['.', ':']).next().map(String::from);
    }
    if let Some(rest) = description.split("property '").nth(1) {
        return rest.split('\'').next().map(String::from);
    }
    None
}

/// `deepObject` and exploded names look like `filter[a]`: the parameter is `filter`.
fn base_name(name: &str) -> &str {
    name.split('[').next().unwrap_or(name)
}

/// The path with every `{param}` replaced by `filler` (when no generated path is at hand).
pub fn filled_path(op: &Operation, filler: &str) -> String {
    let mut path = op.path.clone();
    for p in op
        .parameters
        .iter()
        .filter(|p| p.location == ParamLocation::Path)
    {
        path = path.replace(&format!("{{{}}}", p.name), filler);
    }
    path
}

/// The same request with another method.
pub fn with_method(mut request: Request, method: Method) -> Request {
    request.method = method.as_str().to_string();
    request
}

/// Top-level `required` property names of a converted body schema (through local `$ref`s and
/// `allOf`).
pub fn required_properties(schema: &Value) -> Vec<String> {
    required_in(schema, schema)
}

/// Top-level `required` property names of `schema`, following `$ref`s (`#/...`, resolved
/// against `root`) and `allOf`, in the order met; a name required twice is listed twice.
pub fn required_in(root: &Value, schema: &Value) -> Vec<String> {
    let mut names = Vec::new();
    collect_required(root, schema, 0, &mut names);
    names
}

fn collect_required(root: &Value, schema: &Value, depth: usize, names: &mut Vec<String>) {
    if depth > 16 {
        return;
    }
    if let Some(target) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|p| root.pointer(p))
    {
        collect_required(root, target, depth + 1, names);
    }
    if let Some(Value::Array(required)) = schema.get("required") {
        names.extend(required.iter().filter_map(|v| v.as_str().map(String::from)));
    }
    if let Some(Value::Array(all)) = schema.get("allOf") {
        for part in all {
            collect_required(root, part, depth + 1, names);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{required_in, required_properties, violation_target};
    use serde_json::json;

    #[test]
    fn required_names_follow_refs_and_all_of() {
        let root = json!({
            "allOf": [{"$ref": "#/$defs/base"}, {"required": ["b", "a"]}],
            "required": ["c"],
            "$defs": {"base": {"required": ["a"]}}
        });
        assert_eq!(required_properties(&root), ["c", "a", "b", "a"]);
        let doc = json!({"components": {"schemas": {"S": {"required": ["x"]}}}});
        let body = json!({"$ref": "#/components/schemas/S", "required": ["y"]});
        assert_eq!(required_in(&doc, &body), ["x", "y"]);
        // The root decides what a `$ref` reaches: the body alone does not hold `S`.
        assert_eq!(required_in(&body, &body), ["y"]);
    }

    #[test]
    fn violation_targets() {
        assert_eq!(
            violation_target("missing required query parameter 'client_id'").as_deref(),
            Some("client_id")
        );
        assert_eq!(
            violation_target("body.grant_type: not in enum").as_deref(),
            Some("grant_type")
        );
        assert_eq!(
            violation_target("body.a.b: wrong type").as_deref(),
            Some("a")
        );
        assert_eq!(violation_target("wrong Content-Type text/plain"), None);
    }
}
