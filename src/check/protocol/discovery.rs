//! `discovery`: the OpenID Provider's discovery document holds (OpenID Connect Discovery §3,
//! §4): its REQUIRED members are there, every endpoint it names on the target answers (a GET,
//! or an empty POST where the GET finds nothing, is not answered 404 or 5xx; 400, 401 or 405
//! prove the endpoint is there), `jwks_uri` serves a JWK Set, `response_types_supported`
//! includes `code`, every advertised grant type is known to the token endpoint (not
//! `unsupported_grant_type`), and every advertised PKCE method is accepted at `/authorize`
//! (when `/authorize` gives a code without one). Endpoints on another host are not followed.

use serde_json::{Map, Value};

use super::jwt;
use super::{
    Endpoint, Finding, ProtocolId, Session, Setup, Stop, authorization_code, body_text, json_object,
};
use crate::check::Violation;
use crate::execute::Exchange;

const ID: ProtocolId = ProtocolId::Discovery;

/// The members §3 marks REQUIRED (`token_endpoint`: unless only the implicit flow is used,
/// so it is asked for when `code` is advertised).
const REQUIRED: &[&str] = &[
    "issuer",
    "authorization_endpoint",
    "jwks_uri",
    "response_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
];

/// A PKCE verifier (RFC 7636 appendix B) and its S256 challenge.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const S256_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

pub fn run(setup: &Setup, session: &mut dyn Session) -> Finding {
    let doc = jwt::discovery(session)?;
    let mut found = members(&doc);
    let mut jwks = None;
    for (name, value) in &doc {
        if !(name.ends_with("_endpoint") || name == "jwks_uri") {
            continue;
        }
        let Some(url) = value.as_str() else {
            // A REQUIRED member's type is already judged with the members.
            if !REQUIRED.contains(&name.as_str()) && name != "token_endpoint" {
                found.push(ID.violation(format!("`{name}` is {value}, not a URL")));
            }
            continue;
        };
        let mut answer = match session.get(url) {
            Ok(answer) => answer,
            // Another host: conform talks to the target only.
            Err(Stop::Unreached { status: 0, .. }) => continue,
            Err(Stop::Error(e)) => {
                found.push(ID.violation(format!("`{name}` ({url}) cannot be called: {e}")));
                continue;
            }
            Err(other) => return Err(other),
        };
        if answer.response.status == 404 && name != "jwks_uri" {
            // Some servers answer a wrong method with 404: a POST-only endpoint (token,
            // revocation, registration) is dead only if an (empty) POST finds nothing either.
            answer = session.post_form(url, &[])?;
        }
        let status = answer.response.status;
        if status == 404 || status >= 500 {
            found.push(
                ID.violation(format!(
                    "`{name}` ({url}) answers {status}: the endpoint is not there"
                ))
                .observed(body_text(&answer)),
            );
        } else if name == "jwks_uri" {
            jwks = Some(answer);
        }
    }
    if let Some(answer) = &jwks {
        found.extend(key_set(answer));
    }
    let listed = |name: &str| -> Vec<String> {
        doc.get(name)
            .and_then(Value::as_array)
            .map(|v| {
                v.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    };
    if doc.contains_key("response_types_supported")
        && !listed("response_types_supported")
            .iter()
            .any(|t| t == "code")
    {
        found.push(ID.violation(
            "response_types_supported does not include `code` (the authorization code flow)",
        ));
    }
    for grant in listed("grant_types_supported") {
        // The implicit grant has no token request (RFC 6749 §4.2): Discovery §3 asks dynamic
        // providers to list it, and the token endpoint rightly does not know it.
        if grant != "implicit" {
            found.extend(grant_known(setup, session, &grant)?);
        }
    }
    let methods = listed("code_challenge_methods_supported");
    if !methods.is_empty() && code_without_challenge(setup, session)? {
        for method in methods {
            found.extend(challenge_accepted(setup, session, &method)?);
        }
    }
    Ok(found)
}

/// The REQUIRED members, with their types.
fn members(doc: &Map<String, Value>) -> Vec<Violation> {
    let mut found = Vec::new();
    let code = doc
        .get("response_types_supported")
        .and_then(Value::as_array)
        .is_some_and(|t| t.iter().any(|t| t == "code"));
    let token = code.then_some("token_endpoint");
    for name in REQUIRED.iter().copied().chain(token) {
        let ok = match doc.get(name) {
            None => {
                found.push(ID.violation(format!("the REQUIRED member `{name}` is missing")));
                continue;
            }
            Some(value) if name.ends_with("_supported") => value
                .as_array()
                .is_some_and(|v| !v.is_empty() && v.iter().all(Value::is_string)),
            Some(value) => value.as_str().is_some_and(|s| !s.is_empty()),
        };
        if !ok {
            found.push(ID.violation(format!(
                "`{name}` is {}, not {}",
                doc[name],
                if name.ends_with("_supported") {
                    "a non-empty array of strings"
                } else {
                    "a URL string"
                }
            )));
        }
    }
    found
}

/// `jwks_uri` serves `{"keys": [...]}`, each key with a `kty`, and a `kid` when there are
/// several (RFC 7517 §4.1, §5; OpenID Connect Core §10.1.1).
fn key_set(answer: &Exchange) -> Vec<Violation> {
    let observed = body_text(answer);
    let keys = json_object(answer).and_then(|set| set.get("keys").cloned());
    let Some(Value::Array(keys)) = keys else {
        return vec![
            ID.violation("jwks_uri does not serve a JWK Set (`{\"keys\": [...]}`)")
                .observed(observed),
        ];
    };
    if keys.is_empty() {
        return vec![ID.violation("jwks_uri serves no keys").observed(observed)];
    }
    let several = keys.len() > 1;
    let mut found = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let has = |member: &str| key.get(member).is_some_and(Value::is_string);
        if !has("kty") {
            found.push(ID.violation(format!("JWKS key {i} has no `kty` string")));
        }
        if several && !has("kid") {
            found.push(ID.violation(format!(
                "JWKS key {i} has no `kid`, which several keys need"
            )));
        }
    }
    found
        .into_iter()
        .map(|v| v.observed(observed.clone()))
        .collect()
}

/// An advertised grant type is known to the token endpoint: a request with it and nothing
/// else the grant needs is refused for what is missing, not as `unsupported_grant_type`.
fn grant_known(
    setup: &Setup,
    session: &mut dyn Session,
    grant: &str,
) -> Result<Vec<Violation>, Stop> {
    let mut params = vec![
        ("grant_type", grant),
        ("client_id", setup.need("client_id")?),
    ];
    if let Some(secret) = setup.get("client_secret") {
        params.push(("client_secret", secret));
    }
    let answer = session.call(Endpoint::Token, &params, &[])?;
    let error = json_object(&answer).and_then(|b| b.get("error").cloned());
    if error.as_ref().and_then(Value::as_str) == Some("unsupported_grant_type") {
        return Ok(vec![
            ID.violation(format!(
                "grant_types_supported advertises `{grant}`, but the token endpoint answers unsupported_grant_type"
            ))
            .observed(body_text(&answer)),
        ]);
    }
    Ok(Vec::new())
}

/// Whether `/authorize` gives the suite's client a code at all: if not, a challenge that
/// gets none says nothing about PKCE (the redirect itself is the cases' and other checks'
/// business).
fn code_without_challenge(setup: &Setup, session: &mut dyn Session) -> Result<bool, Stop> {
    match authorization_code(setup, session, &[("state", "conform-discovery")]) {
        Ok(_) => Ok(true),
        Err(Stop::Unreached { status, .. }) if status != 429 => Ok(false),
        Err(other) => Err(other),
    }
}

/// An advertised PKCE method is accepted at `/authorize`: a challenge with it gets a code.
fn challenge_accepted(
    setup: &Setup,
    session: &mut dyn Session,
    method: &str,
) -> Result<Vec<Violation>, Stop> {
    let challenge = match method {
        "S256" => S256_CHALLENGE,
        "plain" => VERIFIER,
        // A method RFC 7636 does not define: nothing conform can send.
        _ => return Ok(Vec::new()),
    };
    let extra = [
        ("code_challenge", challenge),
        ("code_challenge_method", method),
        ("state", "conform-discovery"),
    ];
    match authorization_code(setup, session, &extra) {
        Ok(_) => Ok(Vec::new()),
        Err(Stop::Unreached { status, reason }) if status != 429 => Ok(vec![ID.violation(
            format!(
                "code_challenge_methods_supported advertises `{method}`, but /authorize with such a challenge gives no code: {reason}"
            ),
        )]),
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Answer, Scripted, printed, setup};
    use super::*;

    const DOC: &str = r#"{
        "issuer": "http://t/",
        "authorization_endpoint": "http://t/authorize",
        "token_endpoint": "http://t/oauth/token",
        "userinfo_endpoint": "http://t/userinfo",
        "jwks_uri": "http://t/.well-known/jwks.json",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "grant_types_supported": ["authorization_code", "implicit"],
        "code_challenge_methods_supported": ["S256"]
    }"#;
    const JWKS: &str = r#"{"keys":[{"kty":"RSA","kid":"k","n":"x","e":"AQAB"}]}"#;
    const CODE: &[(&str, &str)] = &[("location", "https://app.example/cb?code=c1")];

    fn run_with(answers: &[Answer<'_>]) -> (Finding, Vec<String>) {
        let mut session = Scripted::new(answers);
        let found = run(&setup(), &mut session);
        (found, session.asked)
    }

    #[test]
    fn a_document_that_holds_passes() {
        let (found, asked) = run_with(&[
            (200, &[], DOC),
            (400, &[], "bad request"),
            (405, &[], ""),
            (401, &[], "Unauthorized"),
            (200, &[], JWKS),
            (403, &[], r#"{"error":"invalid_grant"}"#),
            (302, CODE, ""),
            (302, CODE, ""),
        ]);
        assert_eq!(found, Ok(Vec::new()));
        assert_eq!(asked[1], "GET http://t/authorize");
        assert_eq!(asked[4], "GET http://t/.well-known/jwks.json");
        assert!(
            asked[5].contains("grant_type=authorization_code"),
            "{asked:?}"
        );
        assert!(!asked[6].contains("code_challenge"), "{asked:?}");
        assert!(asked[7].contains("code_challenge_method=S256"), "{asked:?}");
    }

    #[test]
    fn a_post_only_endpoint_answering_get_with_404_is_alive_if_post_finds_it() {
        let (found, asked) = run_with(&[
            (200, &[], DOC),
            (400, &[], ""),
            (404, &[], ""),
            (400, &[], r#"{"error":"invalid_request"}"#),
            (401, &[], ""),
            (200, &[], JWKS),
            (403, &[], r#"{"error":"invalid_grant"}"#),
            // No code at all: the PKCE method is not judged.
            (400, &[], "no code today"),
        ]);
        assert_eq!(found, Ok(Vec::new()));
        assert_eq!(asked[3], "POST http://t/oauth/token");
        assert_eq!(asked.len(), 8, "{asked:?}");
    }

    #[test]
    fn a_dead_endpoint_and_broken_promises_fail() {
        let (found, _) = run_with(&[
            (200, &[], DOC),
            (400, &[], ""),
            (405, &[], ""),
            (404, &[], "Not Found"),
            (404, &[], "Not Found"),
            (200, &[], r#"{"keys":[{"kid":"a"},{"kty":"RSA"}]}"#),
            (400, &[], r#"{"error":"unsupported_grant_type"}"#),
            (302, CODE, ""),
            (400, &[], "invalid code_challenge_method"),
        ]);
        let all = printed(found);
        for needle in [
            "`userinfo_endpoint` (http://t/userinfo) answers 404",
            "JWKS key 0 has no `kty`",
            "JWKS key 1 has no `kid`",
            "advertises `authorization_code`, but the token endpoint answers unsupported_grant_type",
            "advertises `S256`, but /authorize",
            "OpenID Connect Discovery §3",
        ] {
            assert!(all.contains(needle), "{needle} missing in {all}");
        }
    }

    #[test]
    fn missing_members_fail_and_other_hosts_are_not_followed() {
        let (found, asked) = run_with(&[(
            200,
            &[],
            r#"{"issuer":"http://t/","jwks_uri":7,"response_types_supported":["token"]}"#,
        )]);
        let all = printed(found);
        for needle in [
            "`authorization_endpoint` is missing",
            "`subject_types_supported` is missing",
            "`jwks_uri` is 7, not a URL string",
            "does not include `code`",
        ] {
            assert!(all.contains(needle), "{needle} missing in {all}");
        }
        assert_eq!(asked.len(), 1, "{asked:?}");
    }
}
