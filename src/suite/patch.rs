//! Spec patches: a suite's corrections to the document (each with a reason), applied to the
//! document's JSON before planning.

use serde_json::Value;

use super::load::{Suite, SuiteError};
use super::template::expand_toml;
use crate::spec::{Document, unescape_token};

impl Suite {
    /// The document with this suite's patches applied (the document itself if there are none).
    pub fn patch(&self, doc: &Document) -> Result<Document, SuiteError> {
        if self.file.patches.is_empty() {
            return Ok(doc.clone());
        }
        let mut raw = (*doc.raw).clone();
        for (i, patch) in self.file.patches.iter().enumerate() {
            let error = |message: String| SuiteError {
                file: self.path.clone(),
                location: None,
                key: Some(format!("patches[{i}]")),
                message,
            };
            let value = match &patch.value {
                Some(v) => Some(
                    expand_toml(v, &mut |name| {
                        Err(format!("`${{{name}}}`: patches take literal values"))
                    })
                    .map_err(error)?,
                ),
                None => None,
            };
            apply(&mut raw, &patch.op, &patch.pointer, value)
                .map_err(|m| error(format!("{m} (pointer {})", patch.pointer)))?;
        }
        let text = serde_json::to_string(&raw).map_err(|e| SuiteError {
            file: self.path.clone(),
            location: None,
            key: Some("patches".into()),
            message: e.to_string(),
        })?;
        crate::spec::load_str(&doc.source, &text).map_err(|e| SuiteError {
            file: self.path.clone(),
            location: None,
            key: Some("patches".into()),
            message: format!(
                "the document is no longer valid OpenAPI 3.0 once patched: {}",
                e.kind
            ),
        })
    }

    /// `pointer (op): reason`, one per patch, for plans and reports.
    pub fn patch_notes(&self) -> Vec<String> {
        self.file
            .patches
            .iter()
            .map(|p| format!("#{} ({}): {}", p.pointer, p.op, p.reason))
            .collect()
    }
}

/// JSON Patch's `add`, `replace` and `remove` (RFC 6902) at one pointer.
fn apply(root: &mut Value, op: &str, pointer: &str, value: Option<Value>) -> Result<(), String> {
    let (parent_pointer, last) = pointer
        .rsplit_once('/')
        .ok_or("a patch pointer starts with `/`")?;
    let last = unescape_token(last);
    let parent = root
        .pointer_mut(parent_pointer)
        .ok_or_else(|| format!("nothing at {parent_pointer}"))?;
    match (op, parent) {
        ("remove", Value::Object(map)) => map
            .shift_remove(&last)
            .map(drop)
            .ok_or_else(|| format!("no `{last}` to remove")),
        ("remove", Value::Array(items)) => {
            let i: usize = last
                .parse()
                .map_err(|_| format!("`{last}` is not an array index"))?;
            (i < items.len())
                .then(|| drop(items.remove(i)))
                .ok_or_else(|| format!("no item {i} to remove"))
        }
        ("add" | "replace", Value::Object(map)) => {
            let value = value.ok_or("`add` and `replace` need a `value`")?;
            if op == "replace" && !map.contains_key(&last) {
                return Err(format!("no `{last}` to replace"));
            }
            map.insert(last, value);
            Ok(())
        }
        ("add" | "replace", Value::Array(items)) => {
            let value = value.ok_or("`add` and `replace` need a `value`")?;
            if last == "-" && op == "add" {
                items.push(value);
                return Ok(());
            }
            let i: usize = last
                .parse()
                .map_err(|_| format!("`{last}` is not an array index"))?;
            match op {
                "add" if i <= items.len() => items.insert(i, value),
                "replace" if i < items.len() => items[i] = value,
                _ => return Err(format!("index {i} is out of range")),
            }
            Ok(())
        }
        ("add" | "replace" | "remove", _) => {
            Err("the parent is neither an object nor an array".into())
        }
        (other, _) => Err(format!(
            "unknown patch op `{other}` (add, replace or remove)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::apply;
    use serde_json::json;

    #[test]
    fn add_replace_remove() {
        let mut doc = json!({"a": {"b": [1, 2]}, "c~d": 1});
        apply(&mut doc, "add", "/a/x", Some(json!(true))).unwrap();
        apply(&mut doc, "replace", "/a/b/0", Some(json!(9))).unwrap();
        apply(&mut doc, "remove", "/c~0d", None).unwrap();
        apply(&mut doc, "add", "/a/b/-", Some(json!(3))).unwrap();
        assert_eq!(doc, json!({"a": {"b": [9, 2, 3], "x": true}}));
        assert!(apply(&mut doc, "replace", "/a/nope", Some(json!(1))).is_err());
        assert!(apply(&mut doc, "remove", "/zzz/y", None).is_err());
        assert!(apply(&mut doc, "move", "/a", None).is_err());
    }
}
