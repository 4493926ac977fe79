//! `code_single_use`: an authorization code is good for one token request; the second
//! exchange of the same code is refused with `invalid_grant` (RFC 6749 §4.1.2, §5.2, §10.5).

use serde_json::Value;

use super::{
    Endpoint, Finding, ProtocolId, Session, Setup, Stop, authorization_code, body_text,
    code_exchange, json_object,
};

const ID: ProtocolId = ProtocolId::CodeSingleUse;

pub fn run(setup: &Setup, session: &mut dyn Session) -> Finding {
    let code = authorization_code(setup, session, &[("state", "conform-single-use")])?;
    let params = code_exchange(setup, &code)?;
    let first = session.call(Endpoint::Token, &params, &[])?;
    if !(200..300).contains(&first.response.status) {
        return Err(Stop::Unreached {
            status: first.response.status,
            reason: format!(
                "the first exchange of a fresh code answered {}",
                first.response.status
            ),
        });
    }
    let second = session.call(Endpoint::Token, &params, &[])?;
    let status = second.response.status;
    if (200..300).contains(&status) {
        return Ok(vec![
            ID.violation(format!(
                "the same authorization code was exchanged twice (second answer {status})"
            ))
            .observed(body_text(&second)),
        ]);
    }
    let error = json_object(&second).and_then(|b| b.get("error").cloned());
    if (400..500).contains(&status) && error != Some(Value::String("invalid_grant".into())) {
        return Ok(vec![
            ID.violation(format!(
                "a used code was refused with {status} {}, not `invalid_grant`",
                error.map_or("and no error".to_string(), |e| e.to_string())
            ))
            .observed(body_text(&second)),
        ]);
    }
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Scripted, setup};
    use super::*;

    const REDIRECT: &[(&str, &str)] = &[("location", "https://app.example/cb?code=c1&state=s")];

    #[test]
    fn a_second_exchange_refused_with_invalid_grant_holds() {
        let mut session = Scripted::new(&[
            (302, REDIRECT, ""),
            (200, &[], r#"{"access_token":"a"}"#),
            (403, &[], r#"{"error":"invalid_grant"}"#),
        ]);
        assert_eq!(run(&setup(), &mut session), Ok(Vec::new()));
        assert!(session.asked[1].contains("code=c1"), "{:?}", session.asked);
        assert_eq!(session.asked[1], session.asked[2]);
    }

    #[test]
    fn a_code_accepted_twice_fails() {
        let mut session = Scripted::new(&[
            (302, REDIRECT, ""),
            (200, &[], r#"{"access_token":"a"}"#),
            (200, &[], r#"{"access_token":"b"}"#),
        ]);
        let found = run(&setup(), &mut session).expect("judged");
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("exchanged twice"), "{found:?}");
        assert_eq!(found[0].check.as_str(), "code_single_use");
    }

    #[test]
    fn no_code_is_unreached() {
        let mut session = Scripted::new(&[(400, &[], r#"{"error":"invalid_request"}"#)]);
        assert!(matches!(
            run(&setup(), &mut session),
            Err(Stop::Unreached { status: 400, .. })
        ));
    }
}
