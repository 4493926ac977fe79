//! Credentials from the document's security schemes: which scheme an operation needs, the
//! header, query parameter or cookie that carries it (from the suite's `[auth.<scheme>]`), and
//! how a 401 case leaves exactly that credential out.

use base64::Engine;

use crate::spec::{Document, Operation, ParamLocation, SchemeKind, SecurityScheme};
use crate::suite::{AuthSettings, Inputs, Suite};

/// One credential on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Credential {
    pub location: ParamLocation,
    pub name: String,
    /// The value to send (templates not yet expanded); `None` when the suite gives none.
    pub value: Option<String>,
}

/// The security an operation needs, as far as requests go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Security {
    /// The document declares none (or `security: []`).
    None,
    /// An alternative without requirements (`{}`): anonymous requests are allowed.
    Optional,
    /// The credentials of the chosen alternative.
    Needs(Vec<Credential>),
    /// No alternative can be sent, with why.
    Unusable(String),
}

/// The security of `op`: the first alternative whose schemes all have credentials in the
/// suite, else the first whose schemes conform can send at all.
pub(crate) fn security(doc: &Document, suite: Option<&Suite>, op: &Operation) -> Security {
    if op.security.is_empty() {
        return Security::None;
    }
    if op.security.iter().any(Vec::is_empty) {
        return Security::Optional;
    }
    let mut fallback: Option<Vec<Credential>> = None;
    let mut why = String::new();
    for alternative in &op.security {
        let mut creds = Vec::new();
        let mut configured = true;
        let mut usable = true;
        for name in alternative {
            let Some(scheme) = doc.security_schemes.iter().find(|s| &s.name == name) else {
                why = format!(
                    "security scheme `{name}` is not declared in components.securitySchemes"
                );
                usable = false;
                break;
            };
            let settings = suite.and_then(|s| s.file.auth.get(name));
            match credential(scheme, settings, suite) {
                Ok(c) => {
                    configured &= c.value.is_some();
                    creds.push(c);
                }
                Err(reason) => {
                    why = reason;
                    usable = false;
                    break;
                }
            }
        }
        if !usable {
            continue;
        }
        if configured {
            return Security::Needs(creds);
        }
        fallback.get_or_insert(creds);
    }
    match fallback {
        Some(creds) => Security::Needs(creds),
        None => Security::Unusable(why),
    }
}

/// Where a scheme's credential goes, and its value from the suite.
fn credential(
    scheme: &SecurityScheme,
    settings: Option<&AuthSettings>,
    suite: Option<&Suite>,
) -> Result<Credential, String> {
    // `flow = "user"` alone means the token that flow captures as `access_token`.
    let token = settings.and_then(|s| {
        s.value.clone().or_else(|| s.token.clone()).or_else(|| {
            s.flow
                .as_ref()
                .map(|f| format!("${{flows.{f}.access_token}}"))
        })
    });
    Ok(match &scheme.kind {
        SchemeKind::Bearer => Credential {
            location: ParamLocation::Header,
            name: "authorization".into(),
            value: token.map(|t| format!("Bearer {t}")),
        },
        SchemeKind::Basic => {
            let pair = match settings {
                Some(AuthSettings {
                    username: Some(user),
                    password: Some(password),
                    ..
                }) => Some(format!("{user}:{password}")),
                _ => token,
            };
            let value = match pair {
                Some(pair) => {
                    let pair = resolve_now(&pair, suite)
                        .map_err(|e| format!("[auth.{}]: {e}", scheme.name))?;
                    Some(format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(pair)
                    ))
                }
                None => None,
            };
            Credential {
                location: ParamLocation::Header,
                name: "authorization".into(),
                value,
            }
        }
        SchemeKind::ApiKey { location, name } => Credential {
            location: *location,
            name: name.clone(),
            value: token,
        },
        SchemeKind::Unsupported(what) => {
            return Err(format!(
                "security scheme `{}` is {what}, which conform cannot send",
                scheme.name
            ));
        }
    })
}

/// Basic credentials are encoded before sending, so their templates are expanded here:
/// `${fixtures.X}` and `${ENV}`; a flow value cannot be known yet.
fn resolve_now(text: &str, suite: Option<&Suite>) -> Result<String, String> {
    let mut lookup = |name: &str| -> Result<serde_json::Value, String> {
        if let Some(fixture) = name.strip_prefix("fixtures.") {
            return suite
                .and_then(|s| s.fixtures.get(fixture))
                .cloned()
                .ok_or_else(|| format!("no fixture `{fixture}`"));
        }
        if name.contains('.') {
            return Err(format!(
                "`${{{name}}}` cannot be used for basic credentials (they are encoded before the run)"
            ));
        }
        std::env::var(name)
            .map(serde_json::Value::String)
            .map_err(|_| format!("environment variable {name} is not set"))
    };
    match crate::suite::expand(text, &mut lookup)? {
        serde_json::Value::String(s) => Ok(s),
        other => Ok(other.to_string()),
    }
}

/// `${ENV}` in a token is read from the environment now; other templates stay for the runner.
fn env_expanded(text: &str) -> Result<String, String> {
    let mut lookup = |name: &str| -> Result<serde_json::Value, String> {
        if name.contains('.') || name == "status" || name == "unique" {
            return Ok(serde_json::Value::String(format!("${{{name}}}")));
        }
        std::env::var(name)
            .map(serde_json::Value::String)
            .map_err(|_| format!("environment variable {name} is not set"))
    };
    match crate::suite::expand(text, &mut lookup)? {
        serde_json::Value::String(s) => Ok(s),
        other => Ok(other.to_string()),
    }
}

/// Does `inputs` already set this credential (the suite's own headers, query or inputs win)?
fn given(inputs: &Inputs, c: &Credential) -> bool {
    let named = |k: &String| k.eq_ignore_ascii_case(&c.name);
    match c.location {
        ParamLocation::Header => {
            inputs.headers.keys().any(named) || inputs.inputs.keys().any(named)
        }
        ParamLocation::Query => inputs.query.keys().any(named) || inputs.inputs.keys().any(named),
        ParamLocation::Cookie | ParamLocation::Path => inputs.inputs.keys().any(named),
    }
}

/// Adds the credentials the suite supplies and the inputs do not already set.
pub(crate) fn add(inputs: &mut Inputs, creds: &[Credential]) -> Result<(), String> {
    let mut cookies: Vec<String> = Vec::new();
    for c in creds {
        let Some(value) = &c.value else { continue };
        if given(inputs, c) {
            continue;
        }
        let value = env_expanded(value)?;
        match c.location {
            ParamLocation::Header => {
                inputs.headers.insert(c.name.clone(), value);
            }
            ParamLocation::Query => {
                inputs.query.insert(c.name.clone(), value);
            }
            ParamLocation::Cookie => cookies.push(format!("{}={value}", c.name)),
            ParamLocation::Path => {}
        }
    }
    if !cookies.is_empty() {
        inputs.headers.insert("cookie".into(), cookies.join("; "));
    }
    Ok(())
}

/// Leaves every credential out: suite headers and query values of that name are dropped, and a
/// documented parameter of that name is omitted.
pub(crate) fn remove(inputs: &mut Inputs, creds: &[Credential]) {
    for c in creds {
        let other = |k: &String, _: &mut String| !k.eq_ignore_ascii_case(&c.name);
        match c.location {
            ParamLocation::Header => inputs.headers.retain(other),
            ParamLocation::Query => inputs.query.retain(other),
            ParamLocation::Cookie => inputs
                .headers
                .retain(|k, _| !k.eq_ignore_ascii_case("cookie")),
            ParamLocation::Path => {}
        }
        inputs
            .inputs
            .retain(|k, _| !k.eq_ignore_ascii_case(&c.name));
        if !inputs.omit.iter().any(|o| o.eq_ignore_ascii_case(&c.name)) {
            inputs.omit.push(c.name.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_and_removes_exactly_the_credential() {
        let creds = vec![
            Credential {
                location: ParamLocation::Header,
                name: "authorization".into(),
                value: Some("Bearer t".into()),
            },
            Credential {
                location: ParamLocation::Query,
                name: "api_key".into(),
                value: Some("k".into()),
            },
            Credential {
                location: ParamLocation::Cookie,
                name: "sid".into(),
                value: Some("c".into()),
            },
        ];
        let mut inputs = Inputs::default();
        inputs.headers.insert("x-other".into(), "1".into());
        add(&mut inputs, &creds).unwrap();
        assert_eq!(inputs.headers["authorization"], "Bearer t");
        assert_eq!(inputs.query["api_key"], "k");
        assert_eq!(inputs.headers["cookie"], "sid=c");
        remove(&mut inputs, &creds);
        assert_eq!(inputs.headers.len(), 1, "{:?}", inputs.headers);
        assert!(inputs.query.is_empty());
        assert!(inputs.omit.contains(&"api_key".to_string()));
    }
}
