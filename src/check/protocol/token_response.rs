//! `token_response`: a successful token answer carries `access_token`, `token_type` and a
//! positive integer `expires_in`, and is not cached; an error answer carries a registered
//! `error` code (RFC 6749 §5.1, §5.2). The 3.0 document marks no property required, so without
//! this check a 200 with no token passes.

use serde_json::Value;

use super::{Endpoint, Finding, ProtocolId, Session, Setup, Stop, body_text, json_object};
use crate::check::Violation;
use crate::execute::Exchange;

const ID: ProtocolId = ProtocolId::TokenResponse;

/// Error codes a token endpoint may answer: RFC 6749 §5.2 and the extensions registered in
/// the IANA "OAuth Extensions Error Registry" that concern the token endpoint.
const REGISTERED_ERRORS: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "access_denied",
    "server_error",
    "temporarily_unavailable",
    "authorization_pending",
    "slow_down",
    "expired_token",
    "invalid_target",
    "invalid_dpop_proof",
    "use_dpop_nonce",
    "invalid_authorization_details",
];

pub fn run(setup: &Setup, session: &mut dyn Session) -> Finding {
    let mut violations = Vec::new();
    let granted = session.call(Endpoint::Token, &token_request(setup)?, &[])?;
    if !(200..300).contains(&granted.response.status) {
        return Err(Stop::Unreached {
            status: granted.response.status,
            reason: format!(
                "the token request with the suite's credentials answered {}",
                granted.response.status
            ),
        });
    }
    violations.extend(success(&granted));
    let refused = session.call(
        Endpoint::Token,
        &[
            ("grant_type", "urn:conform:no-such-grant"),
            ("client_id", setup.need("client_id")?),
        ],
        &[],
    )?;
    violations.extend(error(&refused));
    Ok(violations)
}

/// The grant the suite's values allow: the password grant with a user, else client credentials.
fn token_request(setup: &Setup) -> Result<Vec<(&str, &str)>, Stop> {
    let mut params = vec![("client_id", setup.need("client_id")?)];
    if let Some(secret) = setup.get("client_secret") {
        params.push(("client_secret", secret));
    }
    match (setup.get("username"), setup.get("password")) {
        (Some(username), Some(password)) => params.extend([
            ("grant_type", "password"),
            ("username", username),
            ("password", password),
        ]),
        _ => params.push(("grant_type", "client_credentials")),
    }
    if let Some(scope) = setup.get("scope") {
        params.push(("scope", scope));
    }
    if let Some(audience) = setup.get("audience") {
        params.push(("audience", audience));
    }
    Ok(params)
}

/// The rules of a successful answer (§5.1).
fn success(exchange: &Exchange) -> Vec<Violation> {
    let observed = body_text(exchange);
    let Some(body) = json_object(exchange) else {
        return vec![
            ID.violation("a successful token answer is not a JSON object")
                .observed(observed),
        ];
    };
    let mut violations = Vec::new();
    match body.get("access_token") {
        Some(Value::String(token)) if !token.is_empty() => {}
        Some(_) => violations.push(ID.violation("`access_token` is not a non-empty string")),
        None => violations.push(ID.violation("a successful token answer has no `access_token`")),
    }
    match body.get("token_type") {
        Some(Value::String(kind)) if kind.eq_ignore_ascii_case("bearer") => {}
        Some(other) => violations.push(ID.violation(format!(
            "`token_type` is {other}, not \"Bearer\" (RFC 6750 §4)"
        ))),
        None => violations.push(ID.violation("a successful token answer has no `token_type`")),
    }
    match body.get("expires_in") {
        None => {}
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n > 0) => {}
        Some(other) => violations.push(ID.violation(format!(
            "`expires_in` is {other}, not a positive integer of seconds"
        ))),
    }
    match body.get("scope") {
        None | Some(Value::String(_)) => {}
        Some(other) => violations
            .push(ID.violation(format!("`scope` is {other}, not a space-delimited string"))),
    }
    let cache = exchange.response.header("cache-control").unwrap_or("");
    if !cache
        .split(',')
        .any(|d| d.trim().eq_ignore_ascii_case("no-store"))
    {
        violations.push(ID.violation(format!(
            "a token answer must carry `Cache-Control: no-store` (got {})",
            if cache.is_empty() { "none" } else { cache }
        )));
    }
    violations
        .into_iter()
        .map(|v| v.observed(observed.clone()))
        .collect()
}

/// The rules of an error answer (§5.2).
fn error(exchange: &Exchange) -> Vec<Violation> {
    let status = exchange.response.status;
    let observed = body_text(exchange);
    if (200..300).contains(&status) {
        return vec![
            ID.violation(format!(
                "an unknown grant_type was answered {status}, not an error"
            ))
            .observed(observed),
        ];
    }
    if !(400..500).contains(&status) {
        // A 5xx or a redirect is judged by the response checks of the cases.
        return Vec::new();
    }
    let error = json_object(exchange).and_then(|b| b.get("error").cloned());
    match error {
        Some(Value::String(code)) if REGISTERED_ERRORS.contains(&code.as_str()) => Vec::new(),
        Some(Value::String(code)) => vec![
            ID.violation(format!(
                "error `{code}` is not a registered OAuth error code (expected e.g. unsupported_grant_type)"
            ))
            .observed(observed),
        ],
        _ => vec![
            ID.violation(format!("a {status} error answer carries no `error` string"))
                .observed(observed),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Scripted, setup};
    use super::*;

    const NO_STORE: &[(&str, &str)] = &[("cache-control", "no-store")];

    fn checks(answers: &[super::super::fake::Answer<'_>]) -> Vec<String> {
        let mut session = Scripted::new(answers);
        run(&setup(), &mut session)
            .expect("judged")
            .into_iter()
            .map(|v| v.to_string())
            .collect()
    }

    #[test]
    fn a_conformant_exchange_holds() {
        let found = checks(&[
            (
                200,
                NO_STORE,
                r#"{"access_token":"a","token_type":"Bearer","expires_in":86400}"#,
            ),
            (400, &[], r#"{"error":"unsupported_grant_type"}"#),
        ]);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn a_token_answer_without_token_fails_and_names_what_is_missing() {
        let found = checks(&[
            (200, &[], r#"{"expires_in":0}"#),
            (400, &[], r#"{"error":"nope"}"#),
        ]);
        let all = found.join("\n");
        for needle in [
            "no `access_token`",
            "no `token_type`",
            "`expires_in` is 0",
            "Cache-Control",
            "error `nope`",
            "RFC 6749 §5.1",
        ] {
            assert!(all.contains(needle), "{needle} missing in {all}");
        }
    }

    #[test]
    fn a_refused_grant_is_unreached_not_failed() {
        let mut session = Scripted::new(&[(403, &[], r#"{"error":"access_denied"}"#)]);
        assert!(matches!(
            run(&setup(), &mut session),
            Err(Stop::Unreached { status: 403, .. })
        ));
    }
}
