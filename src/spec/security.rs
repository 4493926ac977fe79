//! Security schemes and requirements (OpenAPI 3.0 and 3.1 spell them the same way), read from
//! the document's JSON so both loaders share one reading.

use serde_json::Value;

use super::error::SpecErrorKind;
use super::model::{ParamLocation, SchemeKind, SecurityScheme};
use super::pointer::escape_token;
use super::resolve::deref;

/// `components.securitySchemes`, each followed through its `$ref`. An unusable entry is an
/// error at its pointer.
pub(crate) fn schemes(raw: &Value) -> Result<Vec<SecurityScheme>, (String, SpecErrorKind)> {
    let Some(Value::Object(map)) = raw.pointer("/components/securitySchemes") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(map.len());
    for (name, node) in map {
        let at = format!("/components/securitySchemes/{}", escape_token(name));
        let (node, pointer) = deref(raw, node, &at).map_err(|kind| (format!("{at}/$ref"), kind))?;
        let text = |key: &str| node.get(key).and_then(Value::as_str).unwrap_or("");
        let invalid = |what: String| (pointer.clone(), SpecErrorKind::Invalid(what));
        let kind = match text("type") {
            "http" => match text("scheme").to_ascii_lowercase().as_str() {
                "bearer" => SchemeKind::Bearer,
                "basic" => SchemeKind::Basic,
                "" => {
                    return Err(invalid(format!(
                        "security scheme `{name}` (http) has no `scheme`"
                    )));
                }
                other => SchemeKind::Unsupported(format!("http scheme `{other}`")),
            },
            "oauth2" | "openIdConnect" => SchemeKind::Bearer,
            "apiKey" => {
                let location = match text("in") {
                    "header" => ParamLocation::Header,
                    "query" => ParamLocation::Query,
                    "cookie" => ParamLocation::Cookie,
                    other => {
                        return Err(invalid(format!(
                            "security scheme `{name}` (apiKey) has `in: {other}`; expected header, query or cookie"
                        )));
                    }
                };
                let key = text("name");
                if key.is_empty() {
                    return Err(invalid(format!(
                        "security scheme `{name}` (apiKey) has no `name`"
                    )));
                }
                SchemeKind::ApiKey {
                    location,
                    name: key.to_string(),
                }
            }
            "" => return Err(invalid(format!("security scheme `{name}` has no `type`"))),
            other => SchemeKind::Unsupported(other.to_string()),
        };
        out.push(SecurityScheme {
            name: name.clone(),
            kind,
            pointer,
        });
    }
    Ok(out)
}

/// A `security` array: alternatives, each the names of the schemes it needs together.
/// `None` when absent or not an array.
pub(crate) fn requirements(node: Option<&Value>) -> Option<Vec<Vec<String>>> {
    let Value::Array(items) = node? else {
        return None;
    };
    Some(
        items
            .iter()
            .map(|req| match req {
                Value::Object(map) => map.keys().cloned().collect(),
                _ => Vec::new(),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_every_kind_of_scheme() {
        let raw = json!({"components": {"securitySchemes": {
            "b": {"type": "http", "scheme": "Bearer"},
            "basic": {"type": "http", "scheme": "basic"},
            "k": {"type": "apiKey", "in": "cookie", "name": "sid"},
            "o": {"type": "oauth2", "flows": {}},
            "alias": {"$ref": "#/components/securitySchemes/k"},
            "m": {"type": "mutualTLS"}
        }}});
        let s = schemes(&raw).unwrap();
        assert_eq!(s[0].kind, SchemeKind::Bearer);
        assert_eq!(s[1].kind, SchemeKind::Basic);
        assert_eq!(
            s[2].kind,
            SchemeKind::ApiKey {
                location: ParamLocation::Cookie,
                name: "sid".into()
            }
        );
        assert_eq!(s[3].kind, SchemeKind::Bearer);
        assert_eq!(s[4].kind, s[2].kind);
        assert_eq!(s[4].pointer, "/components/securitySchemes/k");
        assert!(matches!(s[5].kind, SchemeKind::Unsupported(_)));
        let bad = json!({"components": {"securitySchemes": {"k": {"type": "apiKey", "in": "body", "name": "x"}}}});
        assert_eq!(
            schemes(&bad).unwrap_err().0,
            "/components/securitySchemes/k"
        );
        assert_eq!(
            requirements(Some(&json!([{"a": []}, {}]))),
            Some(vec![vec!["a".to_string()], vec![]])
        );
        assert_eq!(requirements(Some(&json!([]))), Some(vec![]));
    }
}
