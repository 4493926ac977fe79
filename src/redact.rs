//! The one redactor every output shares: secrets never reach the console, a report or a baseline.
//!
//! On a structured exchange it masks first by name: every header, query parameter, form field
//! and JSON property under a sensitive name, and the userinfo of URLs. On text it masks (1) every
//! literal secret it was given (suite fixtures marked secret, captured tokens and codes), and
//! (2) as a fallback, by shape, whatever sits under a sensitive name in a query string, a form or
//! JSON body, a header line or a URL, and anything that looks like a JWT.
//!
//! It also writes the `curl` line of a request so that it runs after `export`: every secret
//! becomes a shell variable, the one it was read from (`"$AUTH0_CLIENT_SECRET"`) or a named
//! placeholder (`"$CONFORM_SECRET_1"`) the line documents; the value itself never appears.

use std::sync::{Arc, RwLock};

use regex::Regex;
use serde_json::Value;

use crate::execute::{Body, Exchange, Part, Request, Slot};

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

/// Where a secret came from: what a reproduction command uses in its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// The value of this environment variable, as it was when the run started.
    Env(String),
    /// Known to the run only (a literal in a suite, a `--header` value, a captured token): a
    /// named variable the reader exports, and what to put in it.
    Placeholder { var: String, what: String },
}

/// A secret and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    pub value: String,
    pub source: SecretSource,
}

impl Secret {
    /// A secret read from the environment variable `var`.
    pub fn env(value: impl Into<String>, var: impl Into<String>) -> Secret {
        Secret {
            value: value.into(),
            source: SecretSource::Env(var.into()),
        }
    }

    /// A secret only the run knows; `what` says what it is (`the value of fixtures.password`).
    /// The placeholder variable is numbered when the redactor learns it.
    pub fn named(value: impl Into<String>, what: impl Into<String>) -> Secret {
        Secret {
            value: value.into(),
            source: SecretSource::Placeholder {
                var: String::new(),
                what: what.into(),
            },
        }
    }

    /// A secret only the run knows, with the placeholder variable to use for it.
    pub fn placeholder(
        value: impl Into<String>,
        var: impl Into<String>,
        what: impl Into<String>,
    ) -> Secret {
        Secret {
            value: value.into(),
            source: SecretSource::Placeholder {
                var: var.into(),
                what: what.into(),
            },
        }
    }
}

/// Masks secrets in text. Cheap to clone; literal secrets can be added while a run goes on.
#[derive(Clone)]
pub struct Redactor {
    literals: Arc<RwLock<Vec<String>>>,
    /// Where each literal came from, for `curl` lines: environment ones first, then longest
    /// first, so a variable stands for the most it can.
    sources: Arc<RwLock<Vec<Secret>>>,
    keyed: Arc<Vec<Regex>>,
    /// A masked-looking value that is only a shell or template variable (`Bearer $TOKEN`,
    /// `${CONFORM_SECRET_1}`): what reproduction lines carry instead of a secret. A trailing
    /// backslash is the escape of the closing quote when the line sits in a JSON string.
    variable: Arc<Regex>,
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
            sources: Arc::new(RwLock::new(Vec::new())),
            keyed: Arc::new(keyed),
            variable: Arc::new(
                Regex::new(
                    r#"^\s*(?:[A-Za-z][A-Za-z0-9_-]*[ =])?\$(?:[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_.]*\})\\?\s*$"#,
                )
                .unwrap(),
            ),
        }
    }

    /// Adds a literal secret (ignored when shorter than 4 characters: masking `a` everywhere
    /// would destroy the report without protecting anything). A `curl` line shows it as a
    /// numbered placeholder; [`Redactor::add`] says where a secret came from.
    pub fn add_secret(&self, secret: impl Into<String>) {
        self.add(Secret::named(secret, "a secret value of the run"));
    }

    /// Adds a secret with its source. The first source given wins, except that the
    /// environment wins over a placeholder (the variable the user already has).
    pub fn add(&self, secret: Secret) {
        if secret.value.chars().count() < 4 {
            return;
        }
        {
            let mut literals = self.literals.write().unwrap_or_else(|e| e.into_inner());
            if !literals.contains(&secret.value) {
                literals.push(secret.value.clone());
                // Longest first, so a secret containing another is masked whole.
                literals.sort_by_key(|s| std::cmp::Reverse(s.len()));
            }
        }
        let mut sources = self.sources.write().unwrap_or_else(|e| e.into_inner());
        let numbered = sources
            .iter()
            .filter(|s| {
                matches!(&s.source, SecretSource::Placeholder { var, .. } if var.starts_with("CONFORM_SECRET_"))
            })
            .count();
        let mut secret = secret;
        if let SecretSource::Placeholder { var, .. } = &mut secret.source
            && var.is_empty()
        {
            *var = format!("CONFORM_SECRET_{}", numbered + 1);
        }
        match sources.iter_mut().find(|s| s.value == secret.value) {
            Some(known) => {
                if matches!(secret.source, SecretSource::Env(_))
                    && !matches!(known.source, SecretSource::Env(_))
                {
                    known.source = secret.source;
                }
            }
            None => sources.push(secret),
        }
        sources.sort_by_key(|s| {
            (
                !matches!(s.source, SecretSource::Env(_)),
                std::cmp::Reverse(s.value.len()),
            )
        });
    }

    /// A shell command that sends `request` again, every secret in it a shell variable, and a
    /// trailing comment naming the variables to export first. Values under sensitive names that
    /// are no known secret become placeholders too (the run masked them, so it cannot say them).
    pub fn curl(&self, request: &Request, base_url: &str) -> String {
        let sources = self
            .sources
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut used: Vec<(String, String)> = Vec::new();
        let mut vars = |slot: Slot<'_>, value: &str| -> Vec<Part> {
            let mut parts = vec![Part::Text(value.to_string())];
            for secret in &sources {
                let (var, what) = match &secret.source {
                    SecretSource::Env(var) => (var.clone(), "as in the run's environment".into()),
                    SecretSource::Placeholder { var, what } => (var.clone(), what.clone()),
                };
                let mut out = Vec::new();
                let mut hit = false;
                for part in parts {
                    match part {
                        Part::Text(text) if text.contains(secret.value.as_str()) => {
                            hit = true;
                            let mut pieces = text.split(secret.value.as_str()).peekable();
                            while let Some(piece) = pieces.next() {
                                if !piece.is_empty() {
                                    out.push(Part::Text(piece.to_string()));
                                }
                                if pieces.peek().is_some() {
                                    out.push(Part::Var(var.clone()));
                                }
                            }
                        }
                        other => out.push(other),
                    }
                }
                parts = out;
                if hit && !used.iter().any(|(v, _)| *v == var) {
                    used.push((var, what));
                }
            }
            let name = match slot {
                Slot::Header(name) | Slot::Query(name) | Slot::Form(name) | Slot::Json(name) => {
                    Some(name)
                }
                Slot::Other => None,
            };
            if let Some(name) = name
                && Redactor::is_sensitive(name)
                && !parts.iter().any(|p| matches!(p, Part::Var(_)))
                && !value.is_empty()
            {
                // Masked by name and not a secret the run was given: a placeholder that keeps
                // the authentication scheme word, if any.
                let var = format!(
                    "CONFORM_{}",
                    name.to_ascii_uppercase()
                        .chars()
                        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                        .collect::<String>()
                );
                let what = format!("the `{name}` value sent; masked, so not recorded");
                if !used.iter().any(|(v, _)| *v == var) {
                    used.push((var.clone(), what));
                }
                parts = match value.split_once(' ') {
                    Some((scheme, _))
                        if ["bearer", "basic", "token", "digest"]
                            .contains(&scheme.to_ascii_lowercase().as_str()) =>
                    {
                        vec![Part::Text(format!("{scheme} ")), Part::Var(var)]
                    }
                    _ => vec![Part::Var(var)],
                };
            }
            parts
        };
        let line = request.to_curl_with(base_url, &mut vars);
        // Whatever could not become a variable (a secret in another encoding) is masked.
        let mut line = self.redact(&line);
        if !used.is_empty() {
            let needs: Vec<String> = used
                .iter()
                .map(|(var, what)| format!("{var}=<{what}>"))
                .collect();
            line.push_str(&format!(
                "  # before running, export {}",
                self.redact(&needs.join(", "))
            ));
        }
        line
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
                    // A variable in a reproduction line stands for a secret; it is none.
                    if c[2].is_empty() || self.variable.is_match(&c[2]) {
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

#[cfg(test)]
mod curl_tests {
    use super::*;
    use crate::spec::Method;

    /// The words of a command line as bash sees them, with `env` set: `printf` in curl's place.
    fn words(line: &str, env: &[(&str, &str)]) -> Vec<String> {
        let line = line.replacen("curl", "printf '%s\\n'", 1);
        let out = std::process::Command::new("bash")
            .args(["-c", &line])
            .envs(env.iter().copied())
            .output()
            .expect("bash");
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(String::from)
            .collect()
    }

    #[test]
    fn secrets_become_variables_that_the_shell_gives_back() {
        let r = Redactor::new();
        r.add(Secret::env("env-s3cret \"q\" $x", "APP_SECRET"));
        r.add(Secret::named("lit'eral-42", "the value of fixtures.id"));
        let mut request = Request::new(Method::Post, "/token");
        request.headers = vec![
            ("authorization".into(), "Bearer env-s3cret \"q\" $x".into()),
            ("x-plain".into(), "visible".into()),
        ];
        request.query = vec![("api_key".into(), "gen-key-1".into())];
        request.body = Some(Body {
            content_type: "application/json".into(),
            bytes:
                br#"{"id":"lit'eral-42","nested":{"password":"gen-pw"},"otp":123456,"keep":"yes"}"#
                    .to_vec(),
        });
        let line = r.curl(&request, "http://127.0.0.1:1");
        for secret in [
            "env-s3cret",
            "lit'eral-42",
            "lit'\\''eral",
            "gen-pw",
            "123456",
            "gen-key-1",
        ] {
            assert!(!line.contains(secret), "{secret} in {line}");
        }
        assert!(
            line.contains(r#""authorization: Bearer $APP_SECRET""#),
            "{line}"
        );
        assert!(
            line.contains("CONFORM_SECRET_1=<the value of fixtures.id>"),
            "{line}"
        );
        assert!(line.contains("CONFORM_PASSWORD=<"), "{line}");
        // The line survives the redactor that every report runs on it.
        assert_eq!(r.redact(&line), line);
        let env = [
            ("APP_SECRET", "env-s3cret \"q\" $x"),
            ("CONFORM_SECRET_1", "lit'eral-42"),
            ("CONFORM_PASSWORD", "pw"),
            ("CONFORM_OTP", "7"),
            ("CONFORM_API_KEY", "k&y 1"),
        ];
        let words = words(line.split("  # ").next().unwrap(), &env);
        assert!(
            words.contains(&"authorization: Bearer env-s3cret \"q\" $x".to_string()),
            "{words:?}"
        );
        assert!(words.contains(&"x-plain: visible".to_string()), "{words:?}");
        let body = words
            .iter()
            .find(|w| w.starts_with('{'))
            .unwrap_or_else(|| panic!("{words:?}"));
        let body: serde_json::Value =
            serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
        assert_eq!(
            body,
            serde_json::json!({"id": "lit'eral-42", "nested": {"password": "pw"}, "otp": 7, "keep": "yes"})
        );
        let query = words
            .iter()
            .position(|w| w == "--url-query")
            .expect("--url-query");
        assert_eq!(words[query + 1], "api_key=k&y 1");
        assert_eq!(words[query - 1], "http://127.0.0.1:1/token");
    }
}
