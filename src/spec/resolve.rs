//! Local `$ref` checking and following: external refs refused, unknown targets and cycles
//! reported at the pointer of the offending `$ref`.

use std::collections::HashSet;

use serde_json::Value;

use super::error::SpecErrorKind;
use super::pointer::escape_token;

/// The longest acyclic `$ref` chain we follow; a real cycle is found by its repeated ref, at
/// any length. Bounds the work on a document that chains thousands of aliases.
const MAX_CHAIN: usize = 4096;

/// A problem found at a pointer (without `#`).
pub(crate) type Located = (String, SpecErrorKind);

/// Walks the whole document and checks every `$ref`: it must be local (`#/...`), point at
/// something, and not be part of a chain of refs that loops. Returns the first problem in
/// document order.
pub(crate) fn check_refs(root: &Value) -> Result<(), Located> {
    let mut path = String::new();
    walk(root, root, &mut path, None)
}

/// Is `path` (a JSON pointer) an entry of an `examples` map, e.g. `.../examples/basic`?
fn is_examples_entry(path: &str) -> bool {
    let mut tokens = path.rsplit('/');
    tokens.next();
    tokens.next() == Some("examples")
}

fn walk(
    root: &Value,
    value: &Value,
    path: &mut String,
    parent_key: Option<&str>,
) -> Result<(), Located> {
    match value {
        Value::Object(map) => {
            // Property names are data, not keywords: under `properties` a key named `example`
            // is a schema, not an example.
            let keys_are_names = matches!(parent_key, Some("properties" | "patternProperties"));
            if !keys_are_names && let Some(Value::String(reference)) = map.get("$ref") {
                let at = format!("{path}/$ref");
                follow(root, reference).map_err(|kind| (at, kind))?;
            }
            // An Example Object (an entry of an `examples` map) holds free-form data in `value`.
            let example_object = !keys_are_names && is_examples_entry(path);
            for (key, child) in map {
                if (!keys_are_names
                    && (key == "example"
                        || key == "enum"
                        || key == "default"
                        || key.starts_with("x-")))
                    || (example_object && key == "value")
                {
                    continue; // free-form data: a `$ref` key in there is not a reference
                }
                let len = path.len();
                path.push('/');
                path.push_str(&escape_token(key));
                walk(root, child, path, Some(key))?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = path.len();
                path.push('/');
                path.push_str(&i.to_string());
                walk(root, child, path, None)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Follows a `$ref` (and any chain of refs behind it) to the node it finally names.
/// Returns that node and its pointer (without `#`).
pub(crate) fn follow<'a>(
    root: &'a Value,
    reference: &str,
) -> Result<(&'a Value, String), SpecErrorKind> {
    let mut seen = HashSet::new();
    let mut chain = vec![reference.to_string()];
    let mut current = reference.to_string();
    loop {
        let Some(pointer) = current.strip_prefix('#') else {
            return Err(SpecErrorKind::ExternalRef(current));
        };
        if !pointer.is_empty() && !pointer.starts_with('/') {
            // `#anchor` style fragments do not exist in OpenAPI 3.0.
            return Err(SpecErrorKind::UnknownRef(current));
        }
        let pointer = percent_decode(pointer);
        let Some(target) = root.pointer(&pointer) else {
            return Err(SpecErrorKind::UnknownRef(current));
        };
        if !seen.insert(current.clone()) {
            return Err(SpecErrorKind::CyclicRef(chain));
        }
        if chain.len() > MAX_CHAIN {
            return Err(SpecErrorKind::RefChainTooLong {
                start: reference.to_string(),
                limit: MAX_CHAIN,
            });
        }
        match target.get("$ref") {
            Some(Value::String(next)) => {
                chain.push(next.clone());
                if seen.contains(next) {
                    return Err(SpecErrorKind::CyclicRef(chain));
                }
                current = next.clone();
            }
            _ => return Ok((target, pointer)),
        }
    }
}

/// URI fragments may percent-encode characters (`%7B` for `{`); JSON pointers do not.
pub(crate) fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// If `node` is a `$ref`, the node it names and its pointer; otherwise `node` itself.
pub(crate) fn deref<'a>(
    root: &'a Value,
    node: &'a Value,
    pointer: &str,
) -> Result<(&'a Value, String), SpecErrorKind> {
    match node.get("$ref") {
        Some(Value::String(reference)) => follow(root, reference),
        _ => Ok((node, pointer.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_unknown_external_and_cyclic_refs() {
        let doc = json!({"components": {"schemas": {
            "A": {"$ref": "#/components/schemas/B"},
            "B": {"$ref": "#/components/schemas/A"},
            "Tree": {"properties": {"kids": {"items": {"$ref": "#/components/schemas/Tree"}}}}
        }}});
        assert!(matches!(
            follow(&doc, "#/components/schemas/A"),
            Err(SpecErrorKind::CyclicRef(_))
        ));
        assert!(matches!(
            follow(&doc, "#/components/schemas/Nope"),
            Err(SpecErrorKind::UnknownRef(_))
        ));
        assert!(matches!(
            follow(&doc, "other.yaml#/X"),
            Err(SpecErrorKind::ExternalRef(_))
        ));
        // A recursive schema is not a cyclic chain: it resolves.
        assert!(follow(&doc, "#/components/schemas/Tree").is_ok());
        let err = check_refs(&doc).unwrap_err();
        assert_eq!(err.0, "/components/schemas/A/$ref");
    }

    #[test]
    fn property_named_example_is_still_walked() {
        let doc = json!({"properties": {"example": {"$ref": "#/missing"}}});
        assert_eq!(check_refs(&doc).unwrap_err().0, "/properties/example/$ref");
    }
}
