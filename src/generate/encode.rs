//! Encoders: request bodies (JSON, form, XML/text strings, multipart) and parameters per
//! OpenAPI `style`/`explode` (simple, form, label, matrix, spaceDelimited, pipeDelimited,
//! deepObject).

use serde_json::Value;

/// An encoded request body.
#[derive(Clone, Debug, PartialEq)]
pub struct Body {
    pub content_type: String,
    pub bytes: Vec<u8>,
    /// The value before encoding (absent for deliberately malformed bodies).
    pub value: Option<Value>,
}

/// Boundary for multipart bodies: fixed, so runs are reproducible.
pub const MULTIPART_BOUNDARY: &str = "conform-boundary-7MA4YWxkTrZu0gW";

/// Is this a JSON media type (`application/json`, `application/problem+json`, ...)?
pub fn is_json(media_type: &str) -> bool {
    let essence = essence(media_type);
    essence == "application/json" || essence.ends_with("+json") || essence == "*/*"
}

/// `type/subtype` without parameters, lowercased.
pub fn essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The media type requests should use: JSON first, then form, then the first listed.
pub fn choose_media_type<'a>(types: impl IntoIterator<Item = &'a str> + Clone) -> Option<&'a str> {
    let all: Vec<&str> = types.into_iter().collect();
    all.iter()
        .find(|t| is_json(t) && essence(t) != "*/*")
        .or_else(|| {
            all.iter()
                .find(|t| essence(t) == "application/x-www-form-urlencoded")
        })
        .or_else(|| all.first())
        .copied()
}

/// Encodes `value` as a body of `media_type`.
pub fn encode_body(media_type: &str, value: &Value) -> Body {
    let essence = essence(media_type);
    let content_type = if essence == "*/*" {
        "application/json".to_string()
    } else {
        media_type.to_string()
    };
    let bytes = if is_json(&essence) {
        serde_json::to_vec(value).unwrap_or_default()
    } else if essence == "application/x-www-form-urlencoded" {
        form_body(value).into_bytes()
    } else if essence == "multipart/form-data" || essence == "multipart/mixed" {
        return Body {
            content_type: format!("{essence}; boundary={MULTIPART_BOUNDARY}"),
            bytes: multipart(value),
            value: Some(value.clone()),
        };
    } else if essence.ends_with("/xml") || essence.ends_with("+xml") {
        match value {
            Value::String(s) => s.clone().into_bytes(),
            other => xml("root", other).into_bytes(),
        }
    } else {
        match value {
            Value::String(s) => s.clone().into_bytes(),
            other => serde_json::to_vec(other).unwrap_or_default(),
        }
    };
    Body {
        content_type,
        bytes,
        value: Some(value.clone()),
    }
}

/// `a=1&b=x`: object properties flattened; arrays repeat the key (OpenAPI's default `form`,
/// `explode: true`); nested objects travel as JSON text.
pub fn form_body(value: &Value) -> String {
    let mut pairs = url::form_urlencoded::Serializer::new(String::new());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::Array(items) => {
                        for item in items {
                            pairs.append_pair(k, &scalar_or_json(item));
                        }
                    }
                    other => {
                        pairs.append_pair(k, &scalar_or_json(other));
                    }
                }
            }
        }
        other => {
            // Not an object: nothing to name the fields with; send the value alone.
            return url::form_urlencoded::byte_serialize(scalar_or_json(other).as_bytes())
                .collect();
        }
    }
    pairs.finish()
}

fn multipart(value: &Value) -> Vec<u8> {
    let mut out = String::new();
    let empty = serde_json::Map::new();
    let fields = value.as_object().unwrap_or(&empty);
    for (k, v) in fields {
        let name = k.replace('"', "%22");
        out.push_str(&format!(
            "--{MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n"
        ));
        if matches!(v, Value::Object(_) | Value::Array(_)) {
            out.push_str("Content-Type: application/json\r\n");
        }
        out.push_str("\r\n");
        out.push_str(&scalar_or_json(v));
        out.push_str("\r\n");
    }
    out.push_str(&format!("--{MULTIPART_BOUNDARY}--\r\n"));
    out.into_bytes()
}

/// A minimal XML rendering of a JSON value (no attributes, arrays as repeated elements).
fn xml(name: &str, value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let inner: String = map.iter().map(|(k, v)| xml(&xml_name(k), v)).collect();
            format!("<{name}>{inner}</{name}>")
        }
        Value::Array(items) => items.iter().map(|v| xml(name, v)).collect(),
        Value::Null => format!("<{name}/>"),
        other => format!("<{name}>{}</{name}>", xml_escape(&scalar_or_json(other))),
    }
}

fn xml_name(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned
        .chars()
        .next()
        .is_none_or(|c| !c.is_alphabetic() && c != '_')
    {
        format!("_{cleaned}")
    } else {
        cleaned
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Strings as themselves, other scalars as JSON text, `null` as empty, structures as JSON.
pub fn scalar_or_json(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Bool(_) | Value::Number(_) => v.to_string(),
        other => other.to_string(),
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The pieces of a parameter value: a scalar, a list, or name/value pairs.
enum Shape {
    Scalar(String),
    List(Vec<String>),
    Pairs(Vec<(String, String)>),
}

fn shape(value: &Value) -> Shape {
    match value {
        Value::Array(items) => Shape::List(items.iter().map(scalar_or_json).collect()),
        Value::Object(map) => Shape::Pairs(
            map.iter()
                .map(|(k, v)| (k.clone(), scalar_or_json(v)))
                .collect(),
        ),
        other => Shape::Scalar(scalar_or_json(other)),
    }
}

/// A path parameter, percent-encoded, ready to replace `{name}` (styles simple, label, matrix).
pub fn encode_path_param(name: &str, style: &str, explode: bool, value: &Value) -> String {
    let enc = |s: &String| percent_encode(s);
    let name_enc = percent_encode(name);
    match (style, shape(value)) {
        ("label", Shape::Scalar(s)) => format!(".{}", enc(&s)),
        ("label", Shape::List(items)) => {
            let sep = if explode { "." } else { "," };
            format!(".{}", items.iter().map(enc).collect::<Vec<_>>().join(sep))
        }
        ("label", Shape::Pairs(pairs)) => {
            if explode {
                format!(
                    ".{}",
                    pairs
                        .iter()
                        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
                        .collect::<Vec<_>>()
                        .join(".")
                )
            } else {
                format!(
                    ".{}",
                    pairs
                        .iter()
                        .flat_map(|(k, v)| [enc(k), enc(v)])
                        .collect::<Vec<_>>()
                        .join(",")
                )
            }
        }
        ("matrix", Shape::Scalar(s)) => format!(";{name_enc}={}", enc(&s)),
        ("matrix", Shape::List(items)) => {
            if explode {
                items
                    .iter()
                    .map(|i| format!(";{name_enc}={}", enc(i)))
                    .collect()
            } else {
                format!(
                    ";{name_enc}={}",
                    items.iter().map(enc).collect::<Vec<_>>().join(",")
                )
            }
        }
        ("matrix", Shape::Pairs(pairs)) => {
            if explode {
                pairs
                    .iter()
                    .map(|(k, v)| format!(";{}={}", enc(k), enc(v)))
                    .collect()
            } else {
                format!(
                    ";{name_enc}={}",
                    pairs
                        .iter()
                        .flat_map(|(k, v)| [enc(k), enc(v)])
                        .collect::<Vec<_>>()
                        .join(",")
                )
            }
        }
        // `simple` (the default for path parameters).
        (_, Shape::Scalar(s)) => enc(&s),
        (_, Shape::List(items)) => items.iter().map(enc).collect::<Vec<_>>().join(","),
        (_, Shape::Pairs(pairs)) => {
            if explode {
                pairs
                    .iter()
                    .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
                    .collect::<Vec<_>>()
                    .join(",")
            } else {
                pairs
                    .iter()
                    .flat_map(|(k, v)| [enc(k), enc(v)])
                    .collect::<Vec<_>>()
                    .join(",")
            }
        }
    }
}

/// A query parameter as raw (not yet percent-encoded) name/value pairs (styles form,
/// spaceDelimited, pipeDelimited, deepObject).
pub fn encode_query_param(
    name: &str,
    style: &str,
    explode: bool,
    value: &Value,
) -> Vec<(String, String)> {
    let n = || name.to_string();
    match (style, shape(value)) {
        ("deepObject", Shape::Pairs(pairs)) => pairs
            .into_iter()
            .map(|(k, v)| (format!("{name}[{k}]"), v))
            .collect(),
        ("spaceDelimited", Shape::List(items)) if !explode => vec![(n(), items.join(" "))],
        ("pipeDelimited", Shape::List(items)) if !explode => vec![(n(), items.join("|"))],
        (_, Shape::Scalar(s)) => vec![(n(), s)],
        (_, Shape::List(items)) => {
            if explode {
                items.into_iter().map(|i| (n(), i)).collect()
            } else {
                vec![(n(), items.join(","))]
            }
        }
        (_, Shape::Pairs(pairs)) => {
            if explode {
                pairs
            } else {
                vec![(
                    n(),
                    pairs
                        .into_iter()
                        .flat_map(|(k, v)| [k, v])
                        .collect::<Vec<_>>()
                        .join(","),
                )]
            }
        }
    }
}

/// A header parameter value (style simple).
pub fn encode_header_param(explode: bool, value: &Value) -> String {
    match shape(value) {
        Shape::Scalar(s) => s,
        Shape::List(items) => items.join(","),
        Shape::Pairs(pairs) => {
            if explode {
                pairs
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(",")
            } else {
                pairs
                    .into_iter()
                    .flat_map(|(k, v)| [k, v])
                    .collect::<Vec<_>>()
                    .join(",")
            }
        }
    }
}

/// A cookie parameter (style form) as name/value pairs.
pub fn encode_cookie_param(name: &str, explode: bool, value: &Value) -> Vec<(String, String)> {
    encode_query_param(name, "form", explode, value)
}

/// Can this text be sent as an HTTP header value? (visible ASCII and spaces, no edge spaces)
pub fn header_safe(s: &str) -> bool {
    s.bytes()
        .all(|b| b == b' ' || b == b'\t' || (0x21..=0x7e).contains(&b))
        && s.trim() == s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn path_styles_follow_the_openapi_table() {
        let list = json!([3, 4, 5]);
        let obj = json!({"role": "admin", "firstName": "Alex"});
        assert_eq!(
            encode_path_param("id", "simple", false, &json!("a b/c")),
            "a%20b%2Fc"
        );
        assert_eq!(encode_path_param("id", "simple", false, &list), "3,4,5");
        assert_eq!(
            encode_path_param("id", "simple", true, &obj),
            "role=admin,firstName=Alex"
        );
        assert_eq!(
            encode_path_param("id", "simple", false, &obj),
            "role,admin,firstName,Alex"
        );
        assert_eq!(encode_path_param("id", "label", false, &list), ".3,4,5");
        assert_eq!(encode_path_param("id", "label", true, &list), ".3.4.5");
        assert_eq!(encode_path_param("id", "matrix", false, &json!(5)), ";id=5");
        assert_eq!(
            encode_path_param("id", "matrix", true, &list),
            ";id=3;id=4;id=5"
        );
        assert_eq!(
            encode_path_param("id", "matrix", true, &obj),
            ";role=admin;firstName=Alex"
        );
    }

    #[test]
    fn query_styles_follow_the_openapi_table() {
        let list = json!([3, 4, 5]);
        let obj = json!({"role": "admin", "firstName": "Alex"});
        let pairs = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            encode_query_param("id", "form", true, &list),
            pairs(&[("id", "3"), ("id", "4"), ("id", "5")])
        );
        assert_eq!(
            encode_query_param("id", "form", false, &list),
            pairs(&[("id", "3,4,5")])
        );
        assert_eq!(
            encode_query_param("id", "spaceDelimited", false, &list),
            pairs(&[("id", "3 4 5")])
        );
        assert_eq!(
            encode_query_param("id", "pipeDelimited", false, &list),
            pairs(&[("id", "3|4|5")])
        );
        assert_eq!(
            encode_query_param("id", "form", true, &obj),
            pairs(&[("role", "admin"), ("firstName", "Alex")])
        );
        assert_eq!(
            encode_query_param("id", "form", false, &obj),
            pairs(&[("id", "role,admin,firstName,Alex")])
        );
        assert_eq!(
            encode_query_param("id", "deepObject", true, &obj),
            pairs(&[("id[role]", "admin"), ("id[firstName]", "Alex")])
        );
    }

    #[test]
    fn bodies_are_encoded_by_media_type() {
        let v = json!({"grant_type": "client_credentials", "scope": ["a b", "c"], "n": 1, "meta": {"k": "v"}});
        let form = encode_body("application/x-www-form-urlencoded", &v);
        assert_eq!(
            String::from_utf8(form.bytes).unwrap(),
            "grant_type=client_credentials&scope=a+b&scope=c&n=1&meta=%7B%22k%22%3A%22v%22%7D"
        );
        let body = encode_body("application/json", &v);
        assert_eq!(serde_json::from_slice::<Value>(&body.bytes).unwrap(), v);
        let xml = encode_body("text/xml", &json!("<a>hi</a>"));
        assert_eq!(xml.bytes, b"<a>hi</a>");
        let multi = encode_body("multipart/form-data", &json!({"f": "x"}));
        assert!(multi.content_type.contains("boundary="));
        assert!(
            String::from_utf8(multi.bytes)
                .unwrap()
                .contains("name=\"f\"\r\n\r\nx\r\n")
        );
        assert_eq!(
            choose_media_type(["text/plain", "application/x-www-form-urlencoded"]),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(
            choose_media_type(["application/x-www-form-urlencoded", "application/json"]),
            Some("application/json")
        );
    }
}
