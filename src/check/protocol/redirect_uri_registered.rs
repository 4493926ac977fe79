//! `redirect_uri_registered`: `/authorize` never redirects to a `redirect_uri` the client has
//! not registered: not to another host, not to a registered URI with something appended (a
//! prefix match), not even to report an error (RFC 6749 §3.1.2.4, §4.1.2.1; exact matching:
//! RFC 9700 §4.1.3).

use url::Url;

use super::steps::location_text;
use super::{Endpoint, Finding, ProtocolId, Session, Setup, Stop};
use crate::check::Violation;
use crate::execute::Exchange;

const ID: ProtocolId = ProtocolId::RedirectUriRegistered;

/// A host that cannot exist (RFC 2606 `.invalid`), so a server that redirects there harms no one.
const FOREIGN: &str = "https://conform-unregistered.invalid/callback";
const UNSUPPORTED: &str = "conform_unsupported";

pub fn run(setup: &Setup, session: &mut dyn Session) -> Finding {
    let client_id = setup.need("client_id")?;
    let redirect_uri = setup.need("redirect_uri")?;
    let registered = Url::parse(redirect_uri).map_err(|e| {
        Stop::Error(format!(
            "[protocol] redirect_uri `{redirect_uri}` is not an absolute URL: {e}"
        ))
    })?;
    let authorize = |session: &mut dyn Session, uri: &str, response_type: &str| {
        session.call(
            Endpoint::Authorize,
            &[
                ("client_id", client_id),
                ("response_type", response_type),
                ("redirect_uri", uri),
                ("state", "conform-redirect-uri"),
            ],
            &[],
        )
    };

    // The control: with the registered URI, an error goes back there (§4.1.2.1). Without it a
    // refusal below could be about the client, not the redirect_uri, and would prove nothing.
    let control = authorize(session, redirect_uri, UNSUPPORTED)?;
    if !lands_on(&control, &registered, &registered) {
        return Err(Stop::Unreached {
            status: control.response.status,
            reason: format!(
                "/authorize did not redirect even to the registered redirect_uri (answered {}{}), \
                 so a refusal of an unregistered one would prove nothing",
                control.response.status,
                location_text(&control)
            ),
        });
    }

    // Appended to the registered URI: a server matching by prefix takes it for registered.
    let lookalike = format!("{redirect_uri}.conform-unregistered.invalid");
    let mut violations = Vec::new();
    for (uri, response_type, why) in [
        (FOREIGN, "code", "an unregistered redirect_uri"),
        (
            lookalike.as_str(),
            "code",
            "the registered redirect_uri with text appended (not an exact match)",
        ),
        (
            FOREIGN,
            UNSUPPORTED,
            "an unregistered redirect_uri, to report an error (§4.1.2.1: MUST NOT)",
        ),
    ] {
        let target = Url::parse(uri)
            .map_err(|e| Stop::Error(format!("the unregistered URI `{uri}`: {e}")))?;
        let answer = authorize(session, uri, response_type)?;
        if lands_on(&answer, &target, &registered) {
            violations.push(redirected(&answer, uri, response_type, why));
        }
    }
    Ok(violations)
}

/// The answer sends the user agent to `target`: same origin and path, or, when `target` is on
/// another origin than the registered URI, anywhere on that origin.
fn lands_on(exchange: &Exchange, target: &Url, registered: &Url) -> bool {
    let Some(location) = exchange.response.header("location") else {
        return false;
    };
    // A relative Location stays on the server itself.
    let Ok(location) = Url::parse(location) else {
        return false;
    };
    location.origin() == target.origin()
        && (location.path() == target.path() || target.origin() != registered.origin())
}

fn redirected(exchange: &Exchange, uri: &str, response_type: &str, why: &str) -> Violation {
    ID.violation(format!(
        "/authorize (response_type={response_type}) redirected to {why}: {uri}"
    ))
    .observed(format!(
        "{}{}",
        exchange.response.status,
        location_text(exchange)
    ))
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Scripted, setup};
    use super::*;

    const CONTROL: &[(&str, &str)] = &[(
        "location",
        "https://app.example/cb?error=unsupported_response_type&state=conform-redirect-uri",
    )];
    const PAGE: &str = "<html>Callback URL mismatch</html>";

    #[test]
    fn unregistered_uris_refused_holds() {
        let mut session = Scripted::new(&[
            (302, CONTROL, ""),
            (400, &[], PAGE),
            (400, &[], PAGE),
            (400, &[], PAGE),
        ]);
        assert_eq!(run(&setup(), &mut session), Ok(Vec::new()));
        assert!(session.asked[0].contains("redirect_uri=https://app.example/cb&"));
        assert!(session.asked[1].contains(&format!("redirect_uri={FOREIGN}")));
        assert!(
            session.asked[2]
                .contains("redirect_uri=https://app.example/cb.conform-unregistered.invalid")
        );
        assert!(session.asked[3].contains(&format!("response_type={UNSUPPORTED}")));
    }

    #[test]
    fn a_redirect_to_another_host_fails() {
        let foreign: &[(&str, &str)] = &[(
            "location",
            "https://conform-unregistered.invalid/callback?code=c1",
        )];
        let mut session = Scripted::new(&[
            (302, CONTROL, ""),
            (302, foreign, ""),
            (400, &[], PAGE),
            (400, &[], PAGE),
        ]);
        let found = run(&setup(), &mut session).expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.contains("an unregistered redirect_uri:"),
            "{found:?}"
        );
        assert_eq!(found[0].check.as_str(), "redirect_uri_registered");
    }

    #[test]
    fn a_prefix_match_fails() {
        let lookalike: &[(&str, &str)] = &[(
            "location",
            "https://app.example/cb.conform-unregistered.invalid?code=c1",
        )];
        let mut session = Scripted::new(&[
            (302, CONTROL, ""),
            (400, &[], PAGE),
            (302, lookalike, ""),
            (400, &[], PAGE),
        ]);
        let found = run(&setup(), &mut session).expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("text appended"), "{found:?}");
    }

    #[test]
    fn an_error_redirected_to_an_unregistered_uri_fails() {
        let error: &[(&str, &str)] = &[(
            "location",
            "https://conform-unregistered.invalid/other?error=unsupported_response_type",
        )];
        let mut session = Scripted::new(&[
            (302, CONTROL, ""),
            (400, &[], PAGE),
            (400, &[], PAGE),
            (302, error, ""),
        ]);
        let found = run(&setup(), &mut session).expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("to report an error"), "{found:?}");
    }

    #[test]
    fn a_redirect_to_the_servers_own_page_holds() {
        let own: &[(&str, &str)] = &[("location", "/u/login?state=x")];
        let mut session = Scripted::new(&[
            (302, CONTROL, ""),
            (302, own, ""),
            (302, own, ""),
            (302, own, ""),
        ]);
        assert_eq!(run(&setup(), &mut session), Ok(Vec::new()));
    }

    #[test]
    fn no_redirect_even_to_the_registered_uri_is_unreached() {
        let mut session = Scripted::new(&[(400, &[], "<html>Unknown client</html>")]);
        assert!(matches!(
            run(&setup(), &mut session),
            Err(Stop::Unreached { status: 400, .. })
        ));
    }
}
