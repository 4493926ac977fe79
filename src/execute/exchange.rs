//! The plain data of one HTTP exchange: the request we built, the response we got, and `to_curl`.

use std::time::Duration;

use serde::Serialize;

use crate::spec::Method;

/// A request ready to send, relative to the target's base URL.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request {
    /// Any method name: recipes for 405 may use one the document never mentions.
    pub method: String,
    /// The expanded, percent-encoded path, starting with `/`.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Body>,
}

/// A request body as bytes, with its content type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Body {
    pub content_type: String,
    #[serde(serialize_with = "lossy")]
    pub bytes: Vec<u8>,
}

fn lossy<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(bytes))
}

impl Request {
    pub fn new(method: Method, path: impl Into<String>) -> Request {
        Request {
            method: method.as_str().to_string(),
            path: path.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// The path with its query string, e.g. `/authorize?client_id=abc`.
    pub fn path_and_query(&self) -> String {
        if self.query.is_empty() {
            return self.path.clone();
        }
        let mut serializer = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.query {
            serializer.append_pair(k, v);
        }
        format!("{}?{}", self.path, serializer.finish())
    }

    /// A shell command that sends this request again. Redact the result before showing it.
    pub fn to_curl(&self, base_url: &str) -> String {
        let mut parts = vec!["curl".to_string(), "-sS".to_string(), "-i".to_string()];
        if self.method != "GET" || self.body.is_some() {
            parts.push("-X".into());
            parts.push(self.method.clone());
        }
        for (name, value) in &self.headers {
            parts.push("-H".into());
            parts.push(shell_quote(&format!("{name}: {value}")));
        }
        if let Some(body) = &self.body {
            parts.push("-H".into());
            parts.push(shell_quote(&format!("content-type: {}", body.content_type)));
            parts.push("--data-binary".into());
            parts.push(shell_quote(&String::from_utf8_lossy(&body.bytes)));
        }
        parts.push(shell_quote(&format!(
            "{}{}",
            base_url.trim_end_matches('/'),
            self.path_and_query()
        )));
        parts.join(" ")
    }
}

/// Single-quotes a word for POSIX shells.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// What came back.
#[derive(Debug, Clone, Serialize)]
pub struct Response {
    pub status: u16,
    /// Header names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    #[serde(serialize_with = "lossy")]
    pub body: Vec<u8>,
    #[serde(serialize_with = "millis")]
    pub elapsed: Duration,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}

impl Response {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header, by case-insensitive name, in arrival order: a repeated
    /// `Content-Type` or conflicting `Content-Length` shows here as more than one value.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The media type of the body without parameters, lower-cased (`application/json`).
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type")
            .map(crate::generate::encode::essence)
    }
}

/// A request and the response it got.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    pub request: Request,
    pub response: Response,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_quotes_and_orders_parts() {
        let mut req = Request::new(Method::Post, "/oauth/token");
        req.query.push(("a b".into(), "c&d".into()));
        req.headers.push(("x-it".into(), "it's".into()));
        req.body = Some(Body {
            content_type: "application/json".into(),
            bytes: br#"{"k":1}"#.to_vec(),
        });
        assert_eq!(
            req.to_curl("http://127.0.0.1:1/"),
            r#"curl -sS -i -X POST -H 'x-it: it'\''s' -H 'content-type: application/json' --data-binary '{"k":1}' 'http://127.0.0.1:1/oauth/token?a+b=c%26d'"#
        );
    }
}
