//! `pkce`: a code issued with an `S256` code_challenge is exchanged only with the matching
//! code_verifier: the right one succeeds, a wrong one fails with `invalid_grant`, none at all
//! fails (RFC 7636 §4.2, §4.5, §4.6).

use super::steps::{error_code, refused_with};
use super::{
    Endpoint, Finding, ProtocolId, Session, Setup, Stop, authorization_code, body_text,
    code_exchange,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

const ID: ProtocolId = ProtocolId::Pkce;

/// Verifiers of the RFC's alphabet and length (§4.1: 43 to 128 unreserved characters), so a
/// refusal of the wrong one can only be about the match, never about its form.
const VERIFIER: &str = "conform-pkce-verifier.0123456789_abcdefghijklmnopqrstuvwxyz~";
const WRONG_VERIFIER: &str = "conform-pkce-mismatch.0123456789_abcdefghijklmnopqrstuvwxyz~";

/// The `S256` code_challenge of `verifier`: BASE64URL(SHA256(ASCII(verifier))) (§4.2).
pub fn s256(verifier: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

pub fn run(setup: &Setup, session: &mut dyn Session) -> Finding {
    let challenge = s256(VERIFIER);
    let extra = [
        ("state", "conform-pkce"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let mut violations = Vec::new();

    // Each attempt gets a fresh code: a server may revoke a code after a failed attempt.
    // The matching verifier first: S256 is mandatory to implement on the server (§4.2).
    let code = authorization_code(setup, session, &extra)?;
    let mut params = code_exchange(setup, &code)?;
    params.push(("code_verifier", VERIFIER));
    let right = session.call(Endpoint::Token, &params, &[])?;
    let status = right.response.status;
    if (500..600).contains(&status) {
        return Err(Stop::Unreached {
            status,
            reason: format!("the exchange with the matching code_verifier answered {status}"),
        });
    }
    if !(200..300).contains(&status) {
        violations.push(
            ID.violation(format!(
                "the matching code_verifier of an S256 challenge was refused ({status}{})",
                error_code(&right)
                    .map(|e| format!(" `{e}`"))
                    .unwrap_or_default()
            ))
            .observed(body_text(&right)),
        );
    }

    let code = authorization_code(setup, session, &extra)?;
    let mut params = code_exchange(setup, &code)?;
    params.push(("code_verifier", WRONG_VERIFIER));
    let wrong = session.call(Endpoint::Token, &params, &[])?;
    // §4.6: "If the values are not equal, an error response indicating "invalid_grant" as
    // described in Section 5.2 of [RFC6749] MUST be returned."
    violations.extend(refused_with(
        ID,
        &wrong,
        "a code issued with an S256 challenge was exchanged with a wrong code_verifier",
        &["invalid_grant"],
    ));

    let code = authorization_code(setup, session, &extra)?;
    let params = code_exchange(setup, &code)?;
    let missing = session.call(Endpoint::Token, &params, &[])?;
    // The RFC names no code for a missing verifier: a missing required parameter is
    // `invalid_request` and a failed verification `invalid_grant` (RFC 6749 §5.2); both refuse.
    violations.extend(refused_with(
        ID,
        &missing,
        "a code issued with an S256 challenge was exchanged without a code_verifier",
        &["invalid_grant", "invalid_request"],
    ));
    Ok(violations)
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Scripted, setup};
    use super::*;

    const REDIRECT: &[(&str, &str)] = &[("location", "https://app.example/cb?code=c1&state=s")];
    const GRANT: &str = r#"{"error":"invalid_grant"}"#;
    const TOKEN: &str = r#"{"access_token":"a","token_type":"Bearer"}"#;

    fn script(right: (u16, &str), wrong: (u16, &str), missing: (u16, &str)) -> Scripted {
        Scripted::new(&[
            (302, REDIRECT, ""),
            (right.0, &[], right.1),
            (302, REDIRECT, ""),
            (wrong.0, &[], wrong.1),
            (302, REDIRECT, ""),
            (missing.0, &[], missing.1),
        ])
    }

    #[test]
    fn s256_is_the_rfc_example() {
        // RFC 7636 Appendix B.
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!((43..=128).contains(&VERIFIER.len()));
        assert!((43..=128).contains(&WRONG_VERIFIER.len()));
    }

    #[test]
    fn a_verified_challenge_holds() {
        let mut session = script(
            (200, TOKEN),
            (403, GRANT),
            (400, r#"{"error":"invalid_request"}"#),
        );
        assert_eq!(run(&setup(), &mut session), Ok(Vec::new()));
        let challenge = format!("code_challenge={}", s256(VERIFIER));
        for i in [0, 2, 4] {
            assert!(
                session.asked[i].contains(&challenge)
                    && session.asked[i].contains("code_challenge_method=S256"),
                "{:?}",
                session.asked
            );
        }
        assert!(session.asked[1].contains(&format!("code_verifier={VERIFIER}")));
        assert!(session.asked[3].contains(&format!("code_verifier={WRONG_VERIFIER}")));
        assert!(!session.asked[5].contains("code_verifier"));
    }

    #[test]
    fn a_wrong_verifier_accepted_fails() {
        let mut session = script((200, TOKEN), (200, TOKEN), (403, GRANT));
        let found = run(&setup(), &mut session).expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.contains("wrong code_verifier"),
            "{found:?}"
        );
        assert!(found[0].to_string().contains("RFC 7636"), "{found:?}");
        assert_eq!(found[0].check.as_str(), "pkce");
    }

    #[test]
    fn no_verifier_accepted_fails() {
        let mut session = script((200, TOKEN), (403, GRANT), (200, TOKEN));
        let found = run(&setup(), &mut session).expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.contains("without a code_verifier"),
            "{found:?}"
        );
    }

    #[test]
    fn a_wrong_verifier_refused_with_another_code_fails() {
        let mut session = script(
            (200, TOKEN),
            (400, r#"{"error":"invalid_request"}"#),
            (403, GRANT),
        );
        let found = run(&setup(), &mut session).expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.contains("not `invalid_grant`"),
            "{found:?}"
        );
    }

    #[test]
    fn the_right_verifier_refused_fails() {
        let mut session = script((403, GRANT), (403, GRANT), (403, GRANT));
        let found = run(&setup(), &mut session).expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.contains("matching code_verifier"),
            "{found:?}"
        );
    }

    #[test]
    fn a_challenge_refused_at_authorize_is_unreached() {
        let error: &[(&str, &str)] = &[(
            "location",
            "https://app.example/cb?error=invalid_request&state=conform-pkce",
        )];
        let mut session = Scripted::new(&[(302, error, "")]);
        assert!(matches!(
            run(&setup(), &mut session),
            Err(Stop::Unreached { status: 302, .. })
        ));
    }
}
