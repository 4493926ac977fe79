//! The one redactor every output shares: secrets never reach the console, a report or a baseline.
//!
//! On a structured exchange it masks first by name: every header, query parameter, form field
//! and JSON property under a sensitive name, and the userinfo of URLs. On text it masks (1) every
//! literal secret it was given (suite fixtures marked secret, captured tokens and codes), and
//! (2) as a fallback, by shape, whatever sits under a sensitive name in a query string, a form or
//! JSON body, a header line or a URL, and anything that looks like a JWT.

use std::sync::{Arc, RwLock};

use regex::Regex;
use serde_json::Value;

use crate::execute::{Body, Exchange, Request};

/// What masked text is replaced by.
pub const MASK: &str = "●●●●";

/// Field and header names whose values are always secret.
pub const SENSITIVE_NAMES: &[&str] = &[
    "client_secret",
    "password",
    "new_password",
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "code",
    "code_verifier",
    "device_code",
    "mfa_token",
    "otp",
    "binding_code",
    "recovery_code",
    "oob_code",
    "subject_token",
    "client_assertion",
    "assertion",
    "samlresponse",
    "wresult",
    "authorization",
    "cookie",
    "set-cookie",
    "secret",
    "verification_code",
];

/// Header names whose values are always secret (as `Name: value` lines).
pub const SENSITIVE_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "access_token",
    "x-api-key",
    "x-auth-token",
];

/// Masks secrets in text. Cheap to clone; literal secrets can be added while a run goes on.
#[derive(Clone)]
pub struct Redactor {
    literals: Arc<RwLock<Vec<String>>>,
    keyed: Arc<Vec<Regex>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redactor(..)")
    }
}

impl Default for Redactor {
    fn default() -> Self {
        Redactor::new()
    }
}

impl Redactor {
    pub fn new() -> Redactor {
        let names = SENSITIVE_NAMES.join("|");
        let headers = SENSITIVE_HEADERS.join("|");
        let keyed = vec![
            // JSON: "name": "value", also inside a JSON string (\"name\":\"value\") and cut
            // short by an excerpt; a value ends at a quote or a backslash
            Regex::new(&format!(
                r##"(?i)(\\?"(?:{names})\\?"\s*:\s*\\?")([^"\\\r\n]*)()"##
            ))
            .unwrap(),
            // query, form, URL fragment: name=value
            Regex::new(&format!(
                r##"(?i)((?:^|[?&#\s'"])(?:{names})=)([^&\s'"#]*)()"##
            ))
            .unwrap(),
            // header line: Name: value  (to the end of the line or a closing quote); header names
            // only, so prose such as "Error code: 501" stays readable
            Regex::new(&format!(
                r##"(?im)((?:^|['"\s])(?:{headers}):[ \t]*)([^'"\r\n]*)()"##
            ))
            .unwrap(),
            // a header as a JSON/debug pair: ("authorization", "Bearer …")
            Regex::new(&format!(
                r##"(?i)(\(\s*"(?:{names})"\s*,\s*")((?:[^"\\]|\\.)*)(")"##
            ))
            .unwrap(),
            // anything shaped like a JWT, even cut short after its header
            Regex::new(r"()(eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)?)()").unwrap(),
        ];
        Redactor {
            literals: Arc::new(RwLock::new(Vec::new())),
            keyed: Arc::new(keyed),
        }
    }

    /// Adds a literal secret (ignored when shorter than 4 characters: masking `a` everywhere
    /// would destroy the report without protecting anything).
    pub fn add_secret(&self, secret: impl Into<String>) {
        let secret = secret.into();
        if secret.chars().count() < 4 {
            return;
        }
        let mut literals = self.literals.write().unwrap_or_else(|e| e.into_inner());
        if !literals.contains(&secret) {
            literals.push(secret);
            // Longest first, so a secret containing another is masked whole.
            literals.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    /// Is a header, parameter or field of this name always secret?
    pub fn is_sensitive(name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        SENSITIVE_NAMES.contains(&name.as_str())
            || SENSITIVE_HEADERS.contains(&name.as_str())
            || name.ends_with("_secret")
            || name.ends_with("-token")
            || name.ends_with("_token")
            || name.contains("api-key")
            || name.contains("api_key")
            || name.contains("apikey")
    }

    /// The request with every value under a sensitive name masked (headers, query, form and
    /// JSON bodies, cookies), and the literal secrets masked in what remains.
    pub fn request(&self, request: &Request) -> Request {
        let mut out = request.clone();
        self.mask_pairs(&mut out.headers);
        for (name, value) in out.headers.iter_mut() {
            if name.eq_ignore_ascii_case("cookie") {
                *value = MASK.to_string();
            }
        }
        self.mask_pairs(&mut out.query);
        out.path = self.redact(&out.path);
        if let Some(body) = &mut out.body {
            *body = self.body(body);
        }
        out
    }

    /// The exchange with its request and response masked by name, then by literal.
    pub fn exchange(&self, exchange: &Exchange) -> Exchange {
        let mut out = exchange.clone();
        out.request = self.request(&exchange.request);
        self.mask_pairs(&mut out.response.headers);
        for (name, value) in out.response.headers.iter_mut() {
            if name.eq_ignore_ascii_case("location") {
                *value = self.redact(value);
            }
        }
        let content_type = out
            .response
            .header("content-type")
            .unwrap_or("")
            .to_string();
        let masked = self.body_bytes(&content_type, &out.response.body);
        out.response.body = masked;
        out
    }

    fn mask_pairs(&self, pairs: &mut [(String, String)]) {
        for (name, value) in pairs.iter_mut() {
            if Redactor::is_sensitive(name) {
                *value = MASK.to_string();
            } else {
                *value = self.literals_only(value);
            }
        }
    }

    fn body(&self, body: &Body) -> Body {
        Body {
            content_type: body.content_type.clone(),
            bytes: self.body_bytes(&body.content_type, &body.bytes),
        }
    }

    /// A body with sensitive JSON properties or form fields masked; other bodies by text.
    fn body_bytes(&self, content_type: &str, bytes: &[u8]) -> Vec<u8> {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence == "application/json" || essence.ends_with("+json") {
            if let Ok(mut value) = serde_json::from_slice::<Value>(bytes) {
                mask_json(&mut value);
                let text = serde_json::to_string(&value).unwrap_or_default();
                return self.literals_only(&text).into_bytes();
            }
        } else if essence == "application/x-www-form-urlencoded" {
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(bytes)
                .map(|(k, v)| {
                    let v = if Redactor::is_sensitive(&k) {
                        MASK.to_string()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            let mut serializer = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in &pairs {
                serializer.append_pair(k, v);
            }
            return self.literals_only(&serializer.finish()).into_bytes();
        }
        self.redact(&String::from_utf8_lossy(bytes)).into_bytes()
    }

    /// Only the literal secrets masked (values already taken apart by name).
    fn literals_only(&self, text: &str) -> String {
        let literals = self.literals.read().unwrap_or_else(|e| e.into_inner());
        let mut out = text.to_string();
        for secret in literals.iter() {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        out
    }

    /// The text with every secret masked.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        {
            let literals = self.literals.read().unwrap_or_else(|e| e.into_inner());
            for secret in literals.iter() {
                if out.contains(secret.as_str()) {
                    out = out.replace(secret.as_str(), MASK);
                }
                // The same secret as it appears percent- or form-encoded.
                let encoded: String =
                    url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
                if encoded != *secret && out.contains(encoded.as_str()) {
                    out = out.replace(encoded.as_str(), MASK);
                }
            }
        }
        for re in self.keyed.iter() {
            out = re
                .replace_all(&out, |c: &regex::Captures<'_>| {
                    if c[2].is_empty() {
                        c[0].to_string()
                    } else {
                        format!("{}{MASK}{}", &c[1], &c[3])
                    }
                })
                .into_owned();
        }
        out
    }
}

/// Masks every property under a sensitive name, at any depth.
fn mask_json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if Redactor::is_sensitive(k) && !v.is_null() {
                    *v = Value::String(MASK.to_string());
                } else {
                    mask_json(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_json),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_the_structure_by_name() {
        let r = Redactor::new();
        r.add_secret("lit-secret-1");
        let mut request = Request::new(crate::spec::Method::Post, "/oauth/token");
        request.headers = vec![
            ("Authorization".into(), "opaque-not-a-jwt".into()),
            ("X-Api-Key".into(), "key with 'quote' & space".into()),
            ("x-trace".into(), "has lit-secret-1 inside".into()),
        ];
        request.query = vec![("client_secret".into(), "s&'x y".into())];
        request.body = Some(Body {
            content_type: "application/json".into(),
            bytes: br#"{"nested":{"password":"p&' w"},"ok":"visible"}"#.to_vec(),
        });
        let masked = r.request(&request);
        let body = String::from_utf8(masked.body.clone().unwrap().bytes).unwrap();
        let text = format!("{masked:?} {body}");
        for secret in [
            "opaque-not-a-jwt",
            "key with",
            "s&'x y",
            "p&' w",
            "lit-secret-1",
        ] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert!(text.contains("visible"));
        let mut form = request.clone();
        form.body = Some(Body {
            content_type: "application/x-www-form-urlencoded".into(),
            bytes: b"password=a%26b+c&username=al".to_vec(),
        });
        let form = r.request(&form);
        let body = String::from_utf8(form.body.unwrap().bytes).unwrap();
        assert!(
            !body.contains("a%26b") && body.contains("username=al"),
            "{body}"
        );
    }

    #[test]
    fn masks_by_shape() {
        let r = Redactor::new();
        let masked = r.redact(
            r#"client_id=abc&client_secret=s3cr3t&grant_type=password&password=hunter22 {"refresh_token": "rt-1", "scope": "openid"} Authorization: Bearer tok-123
http://x/cb?code=AUTHCODE&state=xyz eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"#,
        );
        assert!(r.redact("Error code: 501").contains("501"));
        let escaped = r.redact(r#"{"body": "{\"access_token\":\"tok-9\",\"scope\":\"openid\"}"}"#);
        assert!(
            !escaped.contains("tok-9") && escaped.contains("openid"),
            "{escaped}"
        );
        let cut = r.redact("\"id_token\":\"eyJhbGciOiJSUzI1NiJ9.eyJzdWIi…\nnext line");
        assert!(
            !cut.contains("eyJ") && cut.ends_with("\nnext line"),
            "{cut}"
        );
        for secret in [
            "s3cr3t", "hunter22", "rt-1", "tok-123", "AUTHCODE", "eyJhbGci",
        ] {
            assert!(!masked.contains(secret), "{secret} leaked: {masked}");
        }
        for kept in [
            "client_id=abc",
            "grant_type=password",
            "\"scope\": \"openid\"",
            "state=xyz",
        ] {
            assert!(masked.contains(kept), "{kept} lost: {masked}");
        }
    }

    #[test]
    fn masks_literals_plain_and_encoded() {
        let r = Redactor::new();
        r.add_secret("p@ss word!");
        let masked = r.redact("x=p%40ss+word%21 and p@ss word! in text");
        assert!(!masked.contains("p@ss"), "{masked}");
        assert!(!masked.contains("p%40ss"), "{masked}");
    }
}
