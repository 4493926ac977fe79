//! `code_binding`: an authorization code is bound to the client and the `redirect_uri` it was
//! issued for; another client, a different `redirect_uri` or none at all cannot exchange it
//! (RFC 6749 §4.1.3, §5.2 `invalid_grant`).

use super::steps::{error_code, refused_with};
use super::{
    Endpoint, Finding, ProtocolId, Session, Setup, Stop, authorization_code, code_exchange,
};

const ID: ProtocolId = ProtocolId::CodeBinding;

pub fn run(setup: &Setup, session: &mut dyn Session) -> Finding {
    let other_client = setup.need("other_client_id")?;
    let redirect_uri = setup.need("redirect_uri")?;
    let mut violations = Vec::new();

    // A fresh code for each attempt: a server may revoke a code after a misuse (§10.5 lets it),
    // and that must not make a later attempt look refused for the wrong reason.
    let code = authorization_code(setup, session, &[("state", "conform-code-binding")])?;
    let other_redirect = format!("{redirect_uri}-conform-other");
    let mut params = code_exchange(setup, &code)?;
    set(&mut params, "redirect_uri", &other_redirect);
    let answer = session.call(Endpoint::Token, &params, &[])?;
    // §4.1.3: "if included [in the authorization request] ensure that their values are
    // identical"; §5.2 names `invalid_grant` for a code that "does not match the redirection URI".
    violations.extend(refused_with(
        ID,
        &answer,
        "a code was exchanged with another redirect_uri than the one it was issued for",
        &["invalid_grant"],
    ));

    let code = authorization_code(setup, session, &[("state", "conform-code-binding")])?;
    let mut params = code_exchange(setup, &code)?;
    params.retain(|(k, _)| *k != "redirect_uri");
    let answer = session.call(Endpoint::Token, &params, &[])?;
    // §4.1.3: redirect_uri is REQUIRED when the authorization request included it; a missing
    // required parameter is `invalid_request` (§5.2), a mismatch `invalid_grant`: both refuse.
    violations.extend(refused_with(
        ID,
        &answer,
        "a code issued for a redirect_uri was exchanged without one",
        &["invalid_grant", "invalid_request"],
    ));

    let code = authorization_code(setup, session, &[("state", "conform-code-binding")])?;
    let mut params = vec![
        ("grant_type", "authorization_code"),
        ("client_id", other_client),
        ("code", code.as_str()),
        ("redirect_uri", redirect_uri),
    ];
    if let Some(secret) = setup.get("other_client_secret") {
        params.push(("client_secret", secret));
    }
    let answer = session.call(Endpoint::Token, &params, &[])?;
    let status = answer.response.status;
    let error = error_code(&answer);
    // A refusal of the other client's own credentials (401, `invalid_client`) says nothing
    // about the code: the property was not reached, unless something else already failed.
    if status == 401 || error.as_deref() == Some("invalid_client") {
        if violations.is_empty() {
            return Err(Stop::Unreached {
                status,
                reason: format!(
                    "the other client `{other_client}` could not authenticate ({status}{}), so \
                     the code's binding to its client was not tested",
                    error.map(|e| format!(" {e}")).unwrap_or_default()
                ),
            });
        }
        return Ok(violations);
    }
    // §5.2: `invalid_grant` is the answer for a code "issued to another client";
    // `unauthorized_client` (the other client may not use this grant at all) refuses too.
    violations.extend(refused_with(
        ID,
        &answer,
        &format!(
            "a code issued to `{}` was exchanged by `{other_client}`",
            setup.need("client_id")?
        ),
        &["invalid_grant", "unauthorized_client"],
    ));
    Ok(violations)
}

/// Replaces (or adds) one parameter.
fn set<'a>(params: &mut Vec<(&'a str, &'a str)>, name: &'a str, value: &'a str) {
    params.retain(|(k, _)| *k != name);
    params.push((name, value));
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Scripted, setup};
    use super::*;

    const REDIRECT: &[(&str, &str)] = &[("location", "https://app.example/cb?code=c1&state=s")];
    const GRANT: &str = r#"{"error":"invalid_grant"}"#;
    const TOKEN: &str = r#"{"access_token":"a","token_type":"Bearer"}"#;

    fn with_other() -> Setup {
        let mut s = setup();
        s.values.insert("other_client_id".into(), "other".into());
        s.values
            .insert("other_client_secret".into(), "other-secret".into());
        s
    }

    fn script(redirect: (u16, &str), missing: (u16, &str), client: (u16, &str)) -> Scripted {
        Scripted::new(&[
            (302, REDIRECT, ""),
            (redirect.0, &[], redirect.1),
            (302, REDIRECT, ""),
            (missing.0, &[], missing.1),
            (302, REDIRECT, ""),
            (client.0, &[], client.1),
        ])
    }

    #[test]
    fn every_misuse_refused_holds() {
        let mut session = script(
            (403, GRANT),
            (400, r#"{"error":"invalid_request"}"#),
            (403, GRANT),
        );
        assert_eq!(run(&with_other(), &mut session), Ok(Vec::new()));
        assert!(
            session.asked[1].contains("redirect_uri=https://app.example/cb-conform-other"),
            "{:?}",
            session.asked
        );
        assert!(
            !session.asked[3].contains("redirect_uri"),
            "{:?}",
            session.asked
        );
        assert!(
            session.asked[5].contains("client_id=other")
                && session.asked[5].contains("client_secret=other-secret")
                && session.asked[5].contains("redirect_uri=https://app.example/cb"),
            "{:?}",
            session.asked
        );
    }

    #[test]
    fn a_code_exchanged_by_another_client_fails() {
        let mut session = script((403, GRANT), (403, GRANT), (200, TOKEN));
        let found = run(&with_other(), &mut session).expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .message
                .contains("issued to `cid` was exchanged by `other`"),
            "{found:?}"
        );
        assert_eq!(found[0].check.as_str(), "code_binding");
        assert!(
            found[0].to_string().contains("(RFC 6749 §4.1.3)"),
            "{found:?}"
        );
    }

    #[test]
    fn a_code_exchanged_with_another_redirect_uri_fails() {
        let mut session = script((200, TOKEN), (403, GRANT), (403, GRANT));
        let found = run(&with_other(), &mut session).expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.contains("another redirect_uri"),
            "{found:?}"
        );
    }

    #[test]
    fn a_code_exchanged_without_its_redirect_uri_fails() {
        let mut session = script((403, GRANT), (200, TOKEN), (403, GRANT));
        let found = run(&with_other(), &mut session).expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("without one"), "{found:?}");
    }

    #[test]
    fn a_mismatch_refused_with_the_wrong_code_fails() {
        let mut session = script(
            (400, r#"{"error":"invalid_request"}"#),
            (403, GRANT),
            (403, r#"{"error":"unauthorized_client"}"#),
        );
        let found = run(&with_other(), &mut session).expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .message
                .contains("400 `invalid_request`, not `invalid_grant`"),
            "{found:?}"
        );
    }

    #[test]
    fn the_other_client_failing_to_authenticate_is_unreached() {
        let mut session = script(
            (403, GRANT),
            (403, GRANT),
            (
                401,
                r#"{"error":"access_denied","error_description":"Unauthorized"}"#,
            ),
        );
        assert!(matches!(
            run(&with_other(), &mut session),
            Err(Stop::Unreached { status: 401, .. })
        ));
    }

    #[test]
    fn no_other_client_is_a_harness_error() {
        let mut session = Scripted::new(&[]);
        assert!(
            matches!(run(&setup(), &mut session), Err(Stop::Error(m)) if m.contains("other_client_id"))
        );
        assert!(session.asked.is_empty());
    }
}
