//! The request (`Req`) and answer (`Reply`) shapes handlers work with, kept independent of axum
//! so that every byte of every answer (status, headers, body) is decided by the server, and
//! faults can rewrite answers after the fact.

use std::net::IpAddr;

use axum::http::{HeaderMap, Method, StatusCode};
use serde_json::{Map, Value, json};

/// One request, fully read (the body is capped by the server before it gets here).
pub(crate) struct Req {
    pub method: Method,
    pub path: String,
    pub raw_query: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub peer: IpAddr,
}

impl Req {
    /// First value of a query parameter.
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A header as text; headers that are not visible ASCII read as absent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Lower-cased media type of the body without parameters.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
    }

    /// The body as named fields: a JSON object or a form. An empty body is an empty set.
    pub fn params(&self) -> Result<Params, Reply> {
        if self.body.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(Params(Map::new()));
        }
        match self.media_type().as_deref() {
            Some("application/json") => match serde_json::from_slice::<Value>(&self.body) {
                Ok(Value::Object(m)) => Ok(Params(m)),
                Ok(_) => Err(Reply::error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "The request body must be a JSON object.",
                )),
                Err(_) => Err(Reply::error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "The request body is not valid JSON.",
                )),
            },
            Some("application/x-www-form-urlencoded") => {
                if std::str::from_utf8(&self.body).is_err() || !percent_encoding_ok(&self.body) {
                    return Err(Reply::error(
                        StatusCode::BAD_REQUEST,
                        "invalid_request",
                        "The form body is not valid UTF-8 percent-encoding.",
                    ));
                }
                let mut m = Map::new();
                for (k, v) in url::form_urlencoded::parse(&self.body) {
                    m.entry(k.into_owned())
                        .or_insert_with(|| Value::String(v.into_owned()));
                }
                Ok(Params(m))
            }
            _ => Err(Reply::error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Content-Type must be application/json or application/x-www-form-urlencoded.",
            )),
        }
    }

    /// The `Authorization` header split into scheme and credentials.
    pub fn authorization(&self) -> Option<Result<(String, String), ()>> {
        let raw = self.headers.get("authorization")?;
        let Ok(text) = raw.to_str() else {
            return Some(Err(()));
        };
        let mut parts = text.trim().splitn(2, ' ');
        let scheme = parts.next().unwrap_or_default().to_ascii_lowercase();
        let cred = parts.next().unwrap_or_default().trim().to_string();
        if cred.is_empty() || !(scheme == "bearer" || scheme == "basic") {
            return Some(Err(()));
        }
        Some(Ok((scheme, cred)))
    }

    /// Every string the client sent (query values and body string values), for crash faults.
    pub fn all_strings(&self) -> Vec<String> {
        let mut out: Vec<String> = self.query.iter().map(|(_, v)| v.clone()).collect();
        if let Ok(p) = self.params() {
            fn walk(v: &Value, out: &mut Vec<String>) {
                match v {
                    Value::String(s) => out.push(s.clone()),
                    Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
                    Value::Object(o) => o.iter().for_each(|(k, x)| {
                        out.push(k.clone());
                        walk(x, out)
                    }),
                    _ => {}
                }
            }
            for (k, v) in &p.0 {
                out.push(k.clone());
                walk(v, &mut out);
            }
        } else if let Ok(s) = std::str::from_utf8(&self.body) {
            out.push(s.to_string());
        }
        out
    }

    /// Whether the JSON body contains an empty array anywhere.
    pub fn has_empty_array(&self) -> bool {
        fn walk(v: &Value) -> bool {
            match v {
                Value::Array(a) => a.is_empty() || a.iter().any(walk),
                Value::Object(o) => o.values().any(walk),
                _ => false,
            }
        }
        self.params()
            .map(|p| p.0.values().any(walk))
            .unwrap_or(false)
    }
}

/// `%` must be followed by two hex digits.
pub(crate) fn percent_encoding_ok(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let ok = bytes
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
            if !ok {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

/// Decode one percent-encoded path segment; `None` if malformed or not UTF-8.
pub(crate) fn decode_segment(seg: &str) -> Option<String> {
    if !percent_encoding_ok(seg.as_bytes()) {
        return None;
    }
    let bytes = seg.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Named body fields with typed access that answers 400 instead of guessing.
pub(crate) struct Params(pub Map<String, Value>);

impl Params {
    /// A string field; present with another JSON type is a 400.
    pub fn str(&self, key: &str) -> Result<Option<String>, Reply> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Reply::error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &format!("Parameter {key} must be a string."),
            )),
        }
    }

    /// A string field that must be present and non-empty.
    pub fn req(&self, key: &str) -> Result<String, Reply> {
        match self.str(key)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(Reply::error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &format!("Missing required parameter: {key}"),
            )),
        }
    }

    /// An array-of-strings field.
    pub fn str_list(&self, key: &str) -> Result<Option<Vec<String>>, Reply> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .map(Some)
                .ok_or_else(|| {
                    Reply::error(
                        StatusCode::BAD_REQUEST,
                        "invalid_request",
                        &format!("Parameter {key} must be an array of strings."),
                    )
                }),
            Some(_) => Err(Reply::error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &format!("Parameter {key} must be an array of strings."),
            )),
        }
    }
}

/// Why an answer was given, where a fault needs to know more than the status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cause {
    Ordinary,
    /// 401 because client credentials were unknown or wrong.
    BadClient,
    /// 404 because an id in the path names nothing.
    UnknownPathId,
}

/// A complete answer.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub cause: Cause,
}

impl Reply {
    pub fn json(status: StatusCode, body: &Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
            cause: Cause::Ordinary,
        }
    }

    pub fn error(status: StatusCode, error: &str, description: &str) -> Self {
        Self::json(
            status,
            &json!({"error": error, "error_description": description}),
        )
    }

    pub fn bad_client(description: &str) -> Self {
        let mut r = Self::error(StatusCode::UNAUTHORIZED, "invalid_client", description);
        r.cause = Cause::BadClient;
        r
    }

    pub fn not_found(description: &str) -> Self {
        Self::error(StatusCode::NOT_FOUND, "not_found", description)
    }

    pub fn unknown_path_id(description: &str) -> Self {
        let mut r = Self::not_found(description);
        r.cause = Cause::UnknownPathId;
        r
    }

    pub fn bad_request(description: &str) -> Self {
        Self::error(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    pub fn forbidden(error: &str, description: &str) -> Self {
        Self::error(StatusCode::FORBIDDEN, error, description)
    }

    pub fn unauthorized(error: &str, description: &str) -> Self {
        Self::error(StatusCode::UNAUTHORIZED, error, description)
    }

    pub fn text(status: StatusCode, content_type: &str, body: String) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into_bytes(),
            cause: Cause::Ordinary,
        }
    }

    pub fn empty(status: StatusCode) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            cause: Cause::Ordinary,
        }
    }

    pub fn redirect(location: &str) -> Self {
        let mut r = Self::empty(StatusCode::FOUND);
        r.headers.push(("location".into(), location.into()));
        r
    }

    pub fn with_header(mut self, name: &str, value: String) -> Self {
        self.headers.push((name.to_string(), value));
        self
    }

    pub fn set_header(&mut self, name: &str, value: String) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value));
    }

    pub fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }

    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// Escape text for HTML and XML attribute/element content.
pub(crate) fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Append query parameters to a URL that may already have some.
pub(crate) fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        ser.append_pair(k, v);
    }
    let q = ser.finish();
    if q.is_empty() {
        base.to_string()
    } else if base.contains('?') {
        format!("{base}&{q}")
    } else {
        format!("{base}?{q}")
    }
}
