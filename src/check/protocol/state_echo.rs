//! `state_echo`: the `state` a client sends to `/authorize` comes back unchanged, URL-special
//! characters and all, in the success redirect and in an error redirect, which also carries
//! `error` (RFC 6749 §4.1.2, §4.1.2.1).

use super::steps::location_text;
use super::{Endpoint, Finding, ProtocolId, Session, Setup, Stop, location_param};
use crate::check::Violation;
use crate::execute::Exchange;

const ID: ProtocolId = ProtocolId::StateEcho;

/// A state with every character that means something in a URL or a form (space, `+`, `&`, `=`,
/// `?`, `#`, `/`, `%` and an escape-like `%41`): a server that decodes once too often, or
/// echoes without encoding, gives back something else. ASCII only: the RFC's `state` is
/// VSCHAR (%x20-7E, Appendix A.5).
pub const STATE: &str = "conform state/&=?#+%41%2B;,:@$!'()*~";

/// A response_type no server supports: the error goes back to the (valid) redirect_uri.
const UNSUPPORTED: &str = "conform_unsupported";

pub fn run(setup: &Setup, session: &mut dyn Session) -> Finding {
    let client_id = setup.need("client_id")?;
    let redirect_uri = setup.need("redirect_uri")?;
    let mut violations = Vec::new();

    let success = session.call(
        Endpoint::Authorize,
        &[
            ("client_id", client_id),
            ("response_type", "code"),
            ("redirect_uri", redirect_uri),
            ("state", STATE),
        ],
        &[],
    )?;
    if location_param(&success, "code").is_none() {
        return Err(Stop::Unreached {
            status: success.response.status,
            reason: format!(
                "/authorize gave no code (answered {}{})",
                success.response.status,
                location_text(&success)
            ),
        });
    }
    violations.extend(echoed(&success, "the success redirect"));

    // §4.1.2.1: once client and redirect_uri are valid, an error goes back to the client by
    // redirect with `error` and, "if the "state" parameter was present in the client
    // authorization request", the exact value received.
    let error = session.call(
        Endpoint::Authorize,
        &[
            ("client_id", client_id),
            ("response_type", UNSUPPORTED),
            ("redirect_uri", redirect_uri),
            ("state", STATE),
        ],
        &[],
    )?;
    let status = error.response.status;
    if !(300..400).contains(&status) || error.response.header("location").is_none() {
        violations.push(
            ID.violation(format!(
                "response_type={UNSUPPORTED} with a valid client and redirect_uri answered \
                 {status} without redirecting the error back to the client"
            ))
            .observed(super::body_text(&error)),
        );
        return Ok(violations);
    }
    match location_param(&error, "error") {
        None => violations.push(
            ID.violation(format!(
                "the redirect for response_type={UNSUPPORTED} carries no `error`"
            ))
            .observed(location(&error)),
        ),
        Some(_) => violations.extend(echoed(&error, "the error redirect")),
    }
    Ok(violations)
}

/// The redirect's `state` is exactly [`STATE`].
fn echoed(exchange: &Exchange, which: &str) -> Option<Violation> {
    match location_param(exchange, "state") {
        Some(state) if state == STATE => None,
        Some(state) => Some(
            ID.violation(format!(
                "{which} changed `state`: sent {STATE:?}, got back {state:?}"
            ))
            .observed(location(exchange)),
        ),
        None => Some(
            ID.violation(format!("{which} dropped `state` (sent {STATE:?})"))
                .observed(location(exchange)),
        ),
    }
}

/// The redirect, as observed.
fn location(exchange: &Exchange) -> String {
    format!(
        "Location: {}",
        exchange.response.header("location").unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Scripted, setup};
    use super::*;

    fn redirect(params: &[(&str, &str)]) -> String {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        ser.extend_pairs(params);
        format!("https://app.example/cb?{}", ser.finish())
    }

    fn judge(success: &str, error: &str) -> Finding {
        let mut session = Scripted::new(&[
            (302, &[("location", success)], ""),
            (302, &[("location", error)], ""),
        ]);
        let found = run(&setup(), &mut session);
        assert!(
            session.asked[0].contains(&format!("state={STATE}"))
                && session.asked[1].contains(&format!("response_type={UNSUPPORTED}")),
            "{:?}",
            session.asked
        );
        found
    }

    #[test]
    fn state_echoed_on_success_and_error_holds() {
        let found = judge(
            &redirect(&[("code", "c1"), ("state", STATE)]),
            &redirect(&[("error", "unsupported_response_type"), ("state", STATE)]),
        );
        assert_eq!(found, Ok(Vec::new()));
    }

    #[test]
    fn a_state_decoded_twice_fails() {
        let twice = STATE.replace("%41", "A").replace("%2B", "+");
        let found = judge(
            &redirect(&[("code", "c1"), ("state", &twice)]),
            &redirect(&[("error", "unsupported_response_type"), ("state", STATE)]),
        )
        .expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.contains("success redirect changed"),
            "{found:?}"
        );
        assert_eq!(found[0].check.as_str(), "state_echo");
        assert!(
            found[0]
                .observed
                .as_deref()
                .is_some_and(|o| o.starts_with("Location: https://app.example/cb?code=c1")),
            "{found:?}"
        );
    }

    #[test]
    fn a_state_echoed_without_encoding_fails() {
        // `&`, `#` and `+` unescaped cut the value short.
        let raw = format!("https://app.example/cb?code=c1&state={STATE}");
        let found = judge(
            &raw,
            &redirect(&[("error", "unsupported_response_type"), ("state", STATE)]),
        )
        .expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("changed `state`"), "{found:?}");
    }

    #[test]
    fn an_error_redirect_without_state_fails() {
        let found = judge(
            &redirect(&[("code", "c1"), ("state", STATE)]),
            &redirect(&[("error", "unsupported_response_type")]),
        )
        .expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.contains("error redirect dropped"),
            "{found:?}"
        );
    }

    #[test]
    fn an_error_redirect_without_error_fails() {
        let found = judge(
            &redirect(&[("code", "c1"), ("state", STATE)]),
            &redirect(&[("state", STATE)]),
        )
        .expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("carries no `error`"), "{found:?}");
    }

    #[test]
    fn an_error_page_instead_of_a_redirect_fails() {
        let mut session = Scripted::new(&[
            (
                302,
                &[("location", &redirect(&[("code", "c1"), ("state", STATE)]))],
                "",
            ),
            (400, &[], "<html>Oops</html>"),
        ]);
        let found = run(&setup(), &mut session).expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.contains("without redirecting"),
            "{found:?}"
        );
    }

    #[test]
    fn no_code_is_unreached() {
        let mut session = Scripted::new(&[(200, &[], "<html>login</html>")]);
        assert!(matches!(
            run(&setup(), &mut session),
            Err(Stop::Unreached { status: 200, .. })
        ));
    }
}
