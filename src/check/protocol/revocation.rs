//! `revocation`: a refresh token revoked at the revocation endpoint no longer works, and
//! revoking a token the server does not know still answers 200 (RFC 7009 §2.1, §2.2; the
//! refused refresh is `invalid_grant`, RFC 6749 §5.2).

use serde_json::Value;

use super::{Endpoint, Finding, ProtocolId, Session, Setup, Stop, body_text, json_object};
use crate::check::Violation;
use crate::execute::Exchange;

const ID: ProtocolId = ProtocolId::Revocation;

/// A token no server has issued: conform's own, recognisable in the server's logs.
const UNKNOWN_TOKEN: &str = "conform-never-issued-refresh-token";

pub fn run(setup: &Setup, session: &mut dyn Session) -> Finding {
    let client = Client::main(setup)?;
    let issued = refresh_token(setup, session, client)?;
    // Use it once first: a server that refuses every refresh grant would otherwise pass. Under
    // rotation the answer carries its successor, the one that is live now.
    let used = refresh(session, client, &issued)?;
    if !(200..300).contains(&used.response.status) {
        return Err(Stop::Unreached {
            status: used.response.status,
            reason: format!(
                "a fresh refresh token was refused before any revocation ({})",
                used.response.status
            ),
        });
    }
    let live = json_object(&used)
        .and_then(|b| {
            b.get("refresh_token")
                .and_then(Value::as_str)
                .map(String::from)
        })
        .unwrap_or(issued);

    let mut violations = Vec::new();
    let revoked = revoke(session, client, &live)?;
    let status = revoked.response.status;
    if !(200..300).contains(&status) {
        return Err(Stop::Unreached {
            status,
            reason: format!("revoking a live refresh token answered {status}"),
        });
    }
    if status != 200 {
        violations.push(
            ID.violation(format!(
                "revoking a refresh token answered {status}; §2.2 says 200"
            ))
            .observed(body_text(&revoked)),
        );
    }
    let after = refresh(session, client, &live)?;
    violations.extend(refused(ID, &after, "a revoked refresh token")?);

    // §2.2: "invalid tokens do not cause an error response".
    let unknown = revoke(session, client, UNKNOWN_TOKEN)?;
    if unknown.response.status != 200 {
        violations.push(
            ID.violation(format!(
                "revoking a token the server never issued answered {}, not 200",
                unknown.response.status
            ))
            .observed(body_text(&unknown)),
        );
    }
    Ok(violations)
}

/// The client a refresh token is issued to and used by.
#[derive(Debug, Clone, Copy)]
pub(super) struct Client<'a> {
    pub id: &'a str,
    pub secret: Option<&'a str>,
}

impl<'a> Client<'a> {
    /// The suite's `[protocol]` client.
    pub fn main(setup: &'a Setup) -> Result<Client<'a>, Stop> {
        Ok(Client {
            id: setup.need("client_id")?,
            secret: setup.get("client_secret"),
        })
    }

    fn params(self, mut params: Vec<(&'a str, &'a str)>) -> Vec<(&'a str, &'a str)> {
        params.push(("client_id", self.id));
        if let Some(secret) = self.secret {
            params.push(("client_secret", secret));
        }
        params
    }
}

/// A refresh token for the suite's user by the password grant, `offline_access` asked for;
/// none issued is `Unreached`.
pub(super) fn refresh_token(
    setup: &Setup,
    session: &mut dyn Session,
    client: Client<'_>,
) -> Result<String, Stop> {
    let scope = match setup.get("scope") {
        Some(s) if s.split(' ').any(|s| s == "offline_access") => s.to_string(),
        Some(s) => format!("{s} offline_access"),
        None => "openid offline_access".to_string(),
    };
    let mut params = client.params(vec![
        ("grant_type", "password"),
        ("username", setup.need("username")?),
        ("password", setup.need("password")?),
        ("scope", &scope),
    ]);
    if let Some(audience) = setup.get("audience") {
        params.push(("audience", audience));
    }
    let answer = session.call(Endpoint::Token, &params, &[])?;
    json_object(&answer)
        .and_then(|b| {
            b.get("refresh_token")
                .and_then(Value::as_str)
                .map(String::from)
        })
        .ok_or_else(|| Stop::Unreached {
            status: answer.response.status,
            reason: format!(
                "the password grant with offline_access gave no refresh token (answered {})",
                answer.response.status
            ),
        })
}

/// A refresh_token grant with `token`.
pub(super) fn refresh(
    session: &mut dyn Session,
    client: Client<'_>,
    token: &str,
) -> Result<Exchange, Stop> {
    let params = client.params(vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", token),
    ]);
    session.call(Endpoint::Token, &params, &[])
}

fn revoke(session: &mut dyn Session, client: Client<'_>, token: &str) -> Result<Exchange, Stop> {
    session.call(
        Endpoint::Revoke,
        &client.params(vec![("token", token)]),
        &[],
    )
}

/// A refresh grant that must have been refused with `invalid_grant` (RFC 6749 §5.2: the
/// refresh token is "invalid, expired, revoked"), judged for `check`; `what` names the token
/// in the message. A 5xx says nothing about the property: `Unreached`.
pub(super) fn refused(
    check: ProtocolId,
    answer: &Exchange,
    what: &str,
) -> Result<Option<Violation>, Stop> {
    let status = answer.response.status;
    if (200..300).contains(&status) {
        return Ok(Some(
            check
                .violation(format!("{what} still works (answered {status})"))
                .observed(body_text(answer)),
        ));
    }
    if !(400..500).contains(&status) {
        return Err(Stop::Unreached {
            status,
            reason: format!("the refresh grant with {what} answered {status}"),
        });
    }
    let error = json_object(answer).and_then(|b| b.get("error").cloned());
    if error != Some(Value::String("invalid_grant".into())) {
        return Ok(Some(
            check
                .violation(format!(
                    "{what} was refused with {status} {}, not `invalid_grant`",
                    error.map_or("and no error".to_string(), |e| e.to_string())
                ))
                .observed(body_text(answer)),
        ));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Scripted, setup};
    use super::*;

    const ISSUED: &str = r#"{"access_token":"a","refresh_token":"rt1","token_type":"Bearer"}"#;
    const REFRESHED: &str = r#"{"access_token":"b","token_type":"Bearer"}"#;
    const INVALID_GRANT: &str = r#"{"error":"invalid_grant"}"#;

    #[test]
    fn a_revoked_token_refused_and_an_unknown_one_accepted_holds() {
        let mut session = Scripted::new(&[
            (200, &[], ISSUED),
            (200, &[], REFRESHED),
            (200, &[], ""),
            (403, &[], INVALID_GRANT),
            (200, &[], ""),
        ]);
        assert_eq!(run(&setup(), &mut session), Ok(Vec::new()));
        let asked = &session.asked;
        assert!(asked[0].contains("grant_type=password"), "{asked:?}");
        assert!(asked[0].contains("offline_access"), "{asked:?}");
        assert!(asked[2].starts_with("revoke token=rt1"), "{asked:?}");
        assert!(asked[3].contains("refresh_token=rt1"), "{asked:?}");
        assert!(asked[4].contains(UNKNOWN_TOKEN), "{asked:?}");
    }

    #[test]
    fn under_rotation_the_live_successor_is_revoked() {
        let mut session = Scripted::new(&[
            (200, &[], ISSUED),
            (200, &[], r#"{"access_token":"b","refresh_token":"rt2"}"#),
            (200, &[], ""),
            (400, &[], INVALID_GRANT),
            (200, &[], ""),
        ]);
        assert_eq!(run(&setup(), &mut session), Ok(Vec::new()));
        assert!(
            session.asked[2].contains("token=rt2"),
            "{:?}",
            session.asked
        );
        assert!(session.asked[3].contains("refresh_token=rt2"));
    }

    #[test]
    fn a_revoked_token_that_still_works_fails() {
        let mut session = Scripted::new(&[
            (200, &[], ISSUED),
            (200, &[], REFRESHED),
            (200, &[], ""),
            (200, &[], REFRESHED),
            (200, &[], ""),
        ]);
        let found = run(&setup(), &mut session).expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("still works"), "{found:?}");
        assert!(found[0].to_string().contains("RFC 7009"), "{found:?}");
        assert_eq!(found[0].check.as_str(), "revocation");
    }

    #[test]
    fn a_revoked_token_refused_with_another_error_fails() {
        let mut session = Scripted::new(&[
            (200, &[], ISSUED),
            (200, &[], REFRESHED),
            (200, &[], ""),
            (400, &[], r#"{"error":"invalid_request"}"#),
            (200, &[], ""),
        ]);
        let found = run(&setup(), &mut session).expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.contains("not `invalid_grant`"),
            "{found:?}"
        );
    }

    #[test]
    fn an_unknown_token_refused_fails() {
        let mut session = Scripted::new(&[
            (200, &[], ISSUED),
            (200, &[], REFRESHED),
            (200, &[], ""),
            (403, &[], INVALID_GRANT),
            (404, &[], r#"{"error":"not_found"}"#),
        ]);
        let found = run(&setup(), &mut session).expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.contains("never issued answered 404"),
            "{found:?}"
        );
    }

    #[test]
    fn a_revocation_answered_204_fails() {
        let mut session = Scripted::new(&[
            (200, &[], ISSUED),
            (200, &[], REFRESHED),
            (204, &[], ""),
            (403, &[], INVALID_GRANT),
            (200, &[], ""),
        ]);
        let found = run(&setup(), &mut session).expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("answered 204"), "{found:?}");
    }

    #[test]
    fn no_refresh_token_issued_is_unreached() {
        let mut session = Scripted::new(&[(200, &[], REFRESHED)]);
        assert!(matches!(
            run(&setup(), &mut session),
            Err(Stop::Unreached { status: 200, .. })
        ));
    }

    #[test]
    fn refresh_refused_before_revocation_is_unreached() {
        let mut session = Scripted::new(&[(200, &[], ISSUED), (403, &[], INVALID_GRANT)]);
        assert!(matches!(
            run(&setup(), &mut session),
            Err(Stop::Unreached { status: 403, .. })
        ));
    }
}
