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

    /// A shell command that sends this request again. Redact the result before showing it
    /// (or use `Redactor::curl`, which puts secrets as shell variables).
    pub fn to_curl(&self, base_url: &str) -> String {
        self.to_curl_with(base_url, &mut |_, value| {
            vec![Part::Text(value.to_string())]
        })
    }

    /// [`Request::to_curl`] where `vars` may turn parts of each value into shell variables
    /// (`Part::Var`): words that hold one are double-quoted so the shell expands it; a form body
    /// or query that holds one is sent with `--data-urlencode`/`--url-query`, so curl encodes
    /// the variable's value. A variable inside a JSON string must hold nothing JSON escapes.
    pub fn to_curl_with(
        &self,
        base_url: &str,
        vars: &mut dyn FnMut(Slot<'_>, &str) -> Vec<Part>,
    ) -> String {
        let text = |s: &str| vec![Part::Text(s.to_string())];
        let has_var = |parts: &[Part]| parts.iter().any(|p| matches!(p, Part::Var(_)));
        let mut words: Vec<Word> = vec![flag("curl"), flag("-sS"), flag("-i")];
        if self.method != "GET" || self.body.is_some() {
            words.push(flag("-X"));
            words.push(flag(&self.method));
        }
        for (name, value) in &self.headers {
            words.push(flag("-H"));
            let mut word = text(&format!("{name}: "));
            word.extend(vars(Slot::Header(name), value));
            words.push(Word::Quoted(word));
        }
        if let Some(body) = &self.body {
            words.push(flag("-H"));
            words.push(Word::Quoted(text(&format!(
                "content-type: {}",
                body.content_type
            ))));
            words.extend(body_words(body, vars));
        }
        let url = format!("{}{}", base_url.trim_end_matches('/'), self.path);
        let mut url_word = vars(Slot::Other, &url);
        let query: Vec<(String, Vec<Part>)> = self
            .query
            .iter()
            .map(|(k, v)| (k.clone(), vars(Slot::Query(k), v)))
            .collect();
        if query.iter().any(|(_, parts)| has_var(parts)) {
            words.push(Word::Quoted(url_word));
            for (name, parts) in query {
                words.push(flag("--url-query"));
                let mut word = text(&format!("{}=", form_encode(&name)));
                word.extend(parts);
                words.push(Word::Quoted(word));
            }
        } else {
            if !self.query.is_empty() {
                let mut serializer = url::form_urlencoded::Serializer::new(String::new());
                for (k, v) in &self.query {
                    serializer.append_pair(k, v);
                }
                url_word.push(Part::Text(format!("?{}", serializer.finish())));
            }
            words.push(Word::Quoted(url_word));
        }
        words.iter().map(shell_word).collect::<Vec<_>>().join(" ")
    }
}

/// A piece of a curl word: text as is, or a shell variable standing for a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text(String),
    Var(String),
}

/// Where a value sits in a request, for [`Request::to_curl_with`]: a header, query parameter,
/// form field or JSON property by name, or anything else (URL, path, raw body).
#[derive(Debug, Clone, Copy)]
pub enum Slot<'a> {
    Header(&'a str),
    Query(&'a str),
    Form(&'a str),
    Json(&'a str),
    Other,
}

/// The curl words that send a body.
fn body_words(body: &Body, vars: &mut dyn FnMut(Slot<'_>, &str) -> Vec<Part>) -> Vec<Word> {
    let text = |s: &str| vec![Part::Text(s.to_string())];
    let has_var = |parts: &[Part]| parts.iter().any(|p| matches!(p, Part::Var(_)));
    let raw = String::from_utf8_lossy(&body.bytes).into_owned();
    let essence = crate::generate::encode::essence(&body.content_type);
    if essence == "application/x-www-form-urlencoded" {
        let pairs: Vec<(String, Vec<Part>)> = url::form_urlencoded::parse(&body.bytes)
            .map(|(k, v)| {
                let parts = vars(Slot::Form(&k), &v);
                (k.into_owned(), parts)
            })
            .collect();
        if pairs.iter().any(|(_, parts)| has_var(parts)) {
            let mut words = Vec::new();
            for (name, parts) in pairs {
                words.push(flag("--data-urlencode"));
                let mut word = text(&format!("{}=", form_encode(&name)));
                word.extend(parts);
                words.push(Word::Quoted(word));
            }
            return words;
        }
        return vec![flag("--data-binary"), Word::Quoted(text(&raw))];
    }
    if (essence == "application/json" || essence.ends_with("+json"))
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body.bytes)
    {
        let mut holes: Vec<(Vec<Part>, bool)> = Vec::new();
        let marked = mark_json(&value, None, vars, &mut holes);
        if holes.is_empty() {
            return vec![flag("--data-binary"), Word::Quoted(text(&raw))];
        }
        // Serialised with markers where variables go, then the markers replaced.
        let serialised = serde_json::to_string(&marked).unwrap_or_default();
        let mut word = Vec::new();
        let mut rest = serialised.as_str();
        while let Some(start) = rest.find(MARK) {
            let after = &rest[start + MARK.len_utf8()..];
            let Some(end) = after.find(MARK) else { break };
            let index: usize = after[..end].parse().unwrap_or(0);
            let (parts, quoted) = &holes[index];
            // A bare (non-string) value replaces its quotes too.
            let (before, skip) = if *quoted {
                (&rest[..start], 0)
            } else {
                (&rest[..start.saturating_sub(1)], 1)
            };
            word.push(Part::Text(before.to_string()));
            for part in parts {
                word.push(match part {
                    Part::Text(t) => {
                        let escaped = serde_json::to_string(t).unwrap_or_default();
                        Part::Text(escaped[1..escaped.len() - 1].to_string())
                    }
                    var => var.clone(),
                });
            }
            rest = &after[end + MARK.len_utf8() + skip..];
        }
        word.push(Part::Text(rest.to_string()));
        return vec![flag("--data-binary"), Word::Quoted(word)];
    }
    vec![flag("--data-binary"), Word::Quoted(vars(Slot::Other, &raw))]
}

/// One word of a command line: an option or method written bare, or a value to quote.
enum Word {
    Bare(String),
    Quoted(Vec<Part>),
}

fn flag(word: &str) -> Word {
    Word::Bare(word.to_string())
}

/// Marks where variables go in a JSON body (private-use character, index, same character).
const MARK: char = '\u{e000}';

fn mark_json(
    value: &serde_json::Value,
    name: Option<&str>,
    vars: &mut dyn FnMut(Slot<'_>, &str) -> Vec<Part>,
    holes: &mut Vec<(Vec<Part>, bool)>,
) -> serde_json::Value {
    use serde_json::Value;
    let hole = |parts: Vec<Part>, quoted: bool, holes: &mut Vec<(Vec<Part>, bool)>| {
        holes.push((parts, quoted));
        Value::String(format!("{MARK}{}{MARK}", holes.len() - 1))
    };
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), mark_json(v, Some(k), vars, holes)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| mark_json(v, name, vars, holes))
                .collect(),
        ),
        Value::String(s) => {
            let slot = name.map_or(Slot::Other, Slot::Json);
            let parts = vars(slot, s);
            if parts.iter().any(|p| matches!(p, Part::Var(_))) {
                hole(parts, true, holes)
            } else {
                value.clone()
            }
        }
        Value::Null => Value::Null,
        other => {
            let text = other.to_string();
            let slot = name.map_or(Slot::Other, Slot::Json);
            let parts = vars(slot, &text);
            if parts.iter().any(|p| matches!(p, Part::Var(_))) {
                hole(parts, false, holes)
            } else {
                value.clone()
            }
        }
    }
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// One shell word: single-quoted, or double-quoted when it holds a variable to expand.
fn shell_word(word: &Word) -> String {
    let parts = match word {
        Word::Bare(word) => return word.clone(),
        Word::Quoted(parts) => parts,
    };
    if !parts.iter().any(|p| matches!(p, Part::Var(_))) {
        let whole: String = parts
            .iter()
            .map(|p| match p {
                Part::Text(t) | Part::Var(t) => t.as_str(),
            })
            .collect();
        return shell_quote(&whole);
    }
    let mut out = String::from("\"");
    for (i, part) in parts.iter().enumerate() {
        match part {
            Part::Text(t) => {
                for c in t.chars() {
                    if matches!(c, '\\' | '"' | '$' | '`') {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
            Part::Var(var) => {
                let glued = matches!(parts.get(i + 1), Some(Part::Text(t))
                    if t.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'));
                if glued {
                    out.push_str(&format!("${{{var}}}"));
                } else {
                    out.push_str(&format!("${var}"));
                }
            }
        }
    }
    out.push('"');
    out
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
