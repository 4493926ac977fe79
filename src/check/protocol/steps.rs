//! Judging steps several protocol checks share: an answer's `error` code, "this attempt must be
//! refused with one of these codes", and a redirect's `Location` for a message.

use serde_json::Value;

use super::{ProtocolId, body_text, json_object};
use crate::check::Violation;
use crate::execute::Exchange;

/// The answer's `error` member (RFC 6749 §5.2), as text; a non-string shown as JSON.
pub(super) fn error_code(exchange: &Exchange) -> Option<String> {
    match json_object(exchange)?.get("error")? {
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// For `check`, the attempt must be refused with one of `codes`: a success breaks the
/// property, a client error with another code is the wrong refusal; a 5xx proves nothing
/// either way.
pub(super) fn refused_with(
    check: ProtocolId,
    exchange: &Exchange,
    accepted_what: &str,
    codes: &[&str],
) -> Option<Violation> {
    let status = exchange.response.status;
    if (200..300).contains(&status) {
        return Some(
            check
                .violation(format!("{accepted_what} (answered {status})"))
                .observed(body_text(exchange)),
        );
    }
    if !(400..500).contains(&status) {
        return None;
    }
    let error = error_code(exchange);
    if error.as_deref().is_some_and(|e| codes.contains(&e)) {
        return None;
    }
    Some(
        check
            .violation(format!(
                "refused with {status} {}, not `{}`: {accepted_what} must fail that way",
                error.map_or("and no error".to_string(), |e| format!("`{e}`")),
                codes.join("` or `")
            ))
            .observed(body_text(exchange)),
    )
}

/// `, Location <value>` when the answer has a `Location` header, else nothing: the tail of a
/// message or an observation that names where a redirect went.
pub(super) fn location_text(exchange: &Exchange) -> String {
    exchange
        .response
        .header("location")
        .map(|l| format!(", Location {l}"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::Endpoint;
    use super::super::fake::Scripted;
    use super::*;
    use crate::check::protocol::Session as _;

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Exchange {
        let mut session = Scripted::new(&[(status, headers, body)]);
        session.call(Endpoint::Token, &[], &[]).expect("scripted")
    }

    #[test]
    fn error_code_reads_strings_and_shows_other_values_as_json() {
        assert_eq!(
            error_code(&answer(400, &[], r#"{"error":"invalid_grant"}"#)).as_deref(),
            Some("invalid_grant")
        );
        assert_eq!(
            error_code(&answer(400, &[], r#"{"error":7}"#)).as_deref(),
            Some("7")
        );
        assert_eq!(error_code(&answer(400, &[], "not json")), None);
    }

    #[test]
    fn refused_with_judges_success_wrong_code_and_server_error() {
        let id = ProtocolId::Pkce;
        let codes = &["invalid_grant", "invalid_request"];
        let accepted = refused_with(id, &answer(200, &[], "{}"), "it worked", codes)
            .expect("a success is a violation");
        assert!(accepted.message.contains("it worked (answered 200)"));
        let wrong = refused_with(
            id,
            &answer(401, &[], r#"{"error":"invalid_client"}"#),
            "it worked",
            codes,
        )
        .expect("another code is a violation");
        assert!(
            wrong.message.contains(
                "refused with 401 `invalid_client`, not `invalid_grant` or `invalid_request`"
            ),
            "{wrong:?}"
        );
        let no_code = refused_with(id, &answer(400, &[], ""), "it worked", codes).expect("no code");
        assert!(no_code.message.contains("400 and no error"), "{no_code:?}");
        let right = answer(400, &[], r#"{"error":"invalid_request"}"#);
        assert_eq!(refused_with(id, &right, "it worked", codes), None);
        assert_eq!(refused_with(id, &answer(503, &[], ""), "x", codes), None);
    }

    #[test]
    fn location_text_names_the_redirect_or_nothing() {
        let redirect = answer(302, &[("location", "https://app.example/cb")], "");
        assert_eq!(
            location_text(&redirect),
            ", Location https://app.example/cb"
        );
        assert_eq!(location_text(&answer(200, &[], "")), "");
    }
}
