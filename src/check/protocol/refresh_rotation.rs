//! `refresh_rotation`: where the server rotates refresh tokens (`[protocol] rotation = true`),
//! a used refresh token no longer works, and presenting it again revokes its successors too
//! (RFC 6749 §10.4; RFC 9700 §4.14.2; Auth0 calls it "automatic reuse detection").
//!
//! Rotation is optional (RFC 6749 §6: the server "MAY issue a new refresh token"; on Auth0 a
//! per-application setting), so without `rotation = true` the check judges nothing. With it,
//! the check assumes no reuse interval (Auth0's "Rotation Overlap Period", default 0): within
//! one, the previous token may legitimately be used again.

use serde_json::Value;

use super::revocation::{Client, refresh, refresh_token, refused};
use super::{Finding, ProtocolId, Session, Setup, Stop, body_text, json_object};
use crate::execute::Exchange;

const ID: ProtocolId = ProtocolId::RefreshRotation;

pub fn run(setup: &Setup, session: &mut dyn Session) -> Finding {
    if !setup.rotation {
        return Err(Stop::Unreached {
            status: 0,
            reason: "the suite does not say the server rotates refresh tokens ([protocol] rotation = true)".into(),
        });
    }
    // The rotating application, where it is not the suite's main client.
    let client = match setup.get("rotation_client_id") {
        Some(id) => Client {
            id,
            secret: setup.get("rotation_client_secret"),
        },
        None => Client::main(setup)?,
    };
    let first = refresh_token(setup, session, client)?;
    // Two rotations: the second proves the successor works (a server that hands out dead
    // successors must not pass the reuse step below).
    let second = rotate(session, client, &first)?;
    let second = match second {
        Rotated::To(token) => token,
        Rotated::Not(violation) => return Ok(vec![violation]),
    };
    let third = match rotate(session, client, &second)? {
        Rotated::To(token) => token,
        Rotated::Not(violation) => return Ok(vec![violation]),
    };
    let mut violations = Vec::new();
    // The spent token is refused ...
    let reused = refresh(session, client, &first)?;
    violations.extend(refused(ID, &reused, "a rotated (spent) refresh token")?);
    // ... and its use revoked the family: the live token is refused too.
    let live = refresh(session, client, &third)?;
    violations.extend(refused(
        ID,
        &live,
        "the live refresh token, after its spent ancestor was reused (reuse detection),",
    )?);
    Ok(violations)
}

enum Rotated {
    To(String),
    Not(crate::check::Violation),
}

/// One refresh grant with `token`: its successor, or the violation of a rotating server that
/// answered none.
fn rotate(session: &mut dyn Session, client: Client<'_>, token: &str) -> Result<Rotated, Stop> {
    let answer: Exchange = refresh(session, client, token)?;
    let status = answer.response.status;
    if !(200..300).contains(&status) {
        return Err(Stop::Unreached {
            status,
            reason: format!("a live refresh token was refused ({status})"),
        });
    }
    let next = json_object(&answer).and_then(|b| {
        b.get("refresh_token")
            .and_then(Value::as_str)
            .map(String::from)
    });
    Ok(match next {
        Some(next) if next != token => Rotated::To(next),
        Some(_) => Rotated::Not(
            ID.violation("rotation is on, but the refresh answer gave the same refresh token back")
                .observed(body_text(&answer)),
        ),
        None => Rotated::Not(
            ID.violation("rotation is on, but the refresh answer carries no new refresh_token")
                .observed(body_text(&answer)),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Scripted, setup};
    use super::*;

    fn rotating() -> Setup {
        let mut setup = setup();
        setup.rotation = true;
        setup
            .values
            .insert("rotation_client_id".into(), "rot".into());
        setup
            .values
            .insert("rotation_client_secret".into(), "rot-secret".into());
        setup
    }

    const RT1: &str = r#"{"access_token":"a","refresh_token":"rt1"}"#;
    const RT2: &str = r#"{"access_token":"b","refresh_token":"rt2"}"#;
    const RT3: &str = r#"{"access_token":"c","refresh_token":"rt3"}"#;
    const RT4: &str = r#"{"access_token":"d","refresh_token":"rt4"}"#;
    const INVALID_GRANT: &str = r#"{"error":"invalid_grant"}"#;

    #[test]
    fn spent_refused_and_family_revoked_holds() {
        let mut session = Scripted::new(&[
            (200, &[], RT1),
            (200, &[], RT2),
            (200, &[], RT3),
            (403, &[], INVALID_GRANT),
            (403, &[], INVALID_GRANT),
        ]);
        assert_eq!(run(&rotating(), &mut session), Ok(Vec::new()));
        let asked = &session.asked;
        assert!(
            asked[0].contains("client_id=rot&client_secret=rot-secret"),
            "{asked:?}"
        );
        assert!(asked[1].contains("refresh_token=rt1"), "{asked:?}");
        assert!(asked[2].contains("refresh_token=rt2"), "{asked:?}");
        assert!(asked[3].contains("refresh_token=rt1"), "{asked:?}");
        assert!(asked[4].contains("refresh_token=rt3"), "{asked:?}");
    }

    #[test]
    fn a_spent_token_that_still_works_fails() {
        let mut session = Scripted::new(&[
            (200, &[], RT1),
            (200, &[], RT2),
            (200, &[], RT3),
            (200, &[], RT4),
            (200, &[], RT4),
        ]);
        let found = run(&rotating(), &mut session).expect("judged");
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0]
                .message
                .contains("spent) refresh token still works"),
            "{found:?}"
        );
        assert!(found[1].message.contains("reuse detection"), "{found:?}");
        assert!(
            found[0].to_string().contains("RFC 9700 §4.14.2"),
            "{found:?}"
        );
        assert_eq!(found[0].check.as_str(), "refresh_rotation");
    }

    #[test]
    fn no_reuse_detection_fails() {
        let mut session = Scripted::new(&[
            (200, &[], RT1),
            (200, &[], RT2),
            (200, &[], RT3),
            (403, &[], INVALID_GRANT),
            (200, &[], RT4),
        ]);
        let found = run(&rotating(), &mut session).expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("live refresh token"), "{found:?}");
    }

    #[test]
    fn no_successor_under_rotation_fails() {
        let mut session = Scripted::new(&[(200, &[], RT1), (200, &[], r#"{"access_token":"b"}"#)]);
        let found = run(&rotating(), &mut session).expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.contains("no new refresh_token"),
            "{found:?}"
        );
        let mut session = Scripted::new(&[(200, &[], RT1), (200, &[], RT1)]);
        let found = run(&rotating(), &mut session).expect("judged");
        assert!(found[0].message.contains("same refresh token"), "{found:?}");
    }

    #[test]
    fn without_rotation_nothing_is_asked() {
        let mut session = Scripted::new(&[]);
        assert!(matches!(
            run(&setup(), &mut session),
            Err(Stop::Unreached { status: 0, reason }) if reason.contains("rotation = true")
        ));
        assert!(session.asked.is_empty());
    }

    #[test]
    fn the_main_client_when_no_rotating_one_is_named() {
        let mut setup = setup();
        setup.rotation = true;
        let mut session = Scripted::new(&[(200, &[], RT1), (403, &[], INVALID_GRANT)]);
        assert!(matches!(
            run(&setup, &mut session),
            Err(Stop::Unreached { status: 403, .. })
        ));
        assert!(
            session.asked[0].contains("client_id=cid"),
            "{:?}",
            session.asked
        );
    }
}
