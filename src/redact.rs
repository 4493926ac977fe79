//! The one redactor every output shares: secrets never reach the console, a report or a baseline.
//!
//! It masks (1) every literal secret it was given (suite fixtures marked secret, captured tokens
//! and codes), and (2) by shape, whatever sits under a sensitive name in a query string, a form or
//! JSON body, a header line or a URL, and anything that looks like a JWT.

use std::sync::{Arc, RwLock};

use regex::Regex;

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

#[cfg(test)]
mod tests {
    use super::*;

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
