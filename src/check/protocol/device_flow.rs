//! `device_flow`: the device authorization grant's polling answers (RFC 8628 §3.4, §3.5): a
//! code the user has not approved is `authorization_pending`, polling again sooner than
//! `interval` is `slow_down`, an approved code gives tokens, an expired one `expired_token`.
//!
//! Approval (and expiry) need the user's side, which no OAuth endpoint offers: the suite names
//! the server's test hooks (`[protocol] device_approve`, `device_expire`; the reference
//! server's `/__reference/device/approve` and `/__reference/device/expire`). Each step uses a
//! fresh device code, so no answer depends on how the server orders its own rules (RFC 8628
//! does not say whether an approved code polled too fast is `slow_down` or tokens).

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Endpoint, Finding, ProtocolId, Session, Setup, Stop, body_text, json_object};
use crate::check::Violation;
use crate::execute::Exchange;

const ID: ProtocolId = ProtocolId::DeviceFlow;

const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the default."
const DEFAULT_INTERVAL: u64 = 5;

pub fn run(setup: &Setup, session: &mut dyn Session) -> Finding {
    let client_id = setup.need("device_client_id")?;
    let approve = setup.need("device_approve")?;
    let mut violations = Vec::new();

    // Before approval: pending, then slow_down when polled again at once.
    let mut slowed = false;
    for attempt in 0..2 {
        let pending = DeviceCode::request(session, client_id)?;
        let started = Instant::now();
        let first = poll(session, client_id, &pending.device_code)?;
        if attempt == 0 {
            // §3.2: interval is the time to wait *between* polls: a first poll is never too
            // fast.
            violations.extend(expect_error(
                &first,
                "authorization_pending",
                "before approval",
            ));
        }
        let second = poll(session, client_id, &pending.device_code)?;
        // A loaded machine may take the whole interval for the two polls; then the second was
        // not too fast and slow_down cannot be asked of the server: once more with a new code.
        if started.elapsed() < Duration::from_secs(pending.interval) {
            violations.extend(expect_error(
                &second,
                "slow_down",
                &format!("polled again sooner than interval ({} s)", pending.interval),
            ));
            slowed = true;
            break;
        }
    }
    if !slowed {
        return Err(Stop::Unreached {
            status: 0,
            reason: "two polls took longer than the device code's interval, twice: \
                     slow_down could not be provoked"
                .into(),
        });
    }

    // After approval: tokens.
    let approved = DeviceCode::request(session, client_id)?;
    hook(session, approve, &approved.user_code, "device_approve")?;
    let granted = poll(session, client_id, &approved.device_code)?;
    let token = json_object(&granted).and_then(|b| b.get("access_token").cloned());
    if !(200..300).contains(&granted.response.status) || !matches!(token, Some(Value::String(_))) {
        violations.push(
            ID.violation(format!(
                "a device code the user approved gave no access_token (answered {})",
                granted.response.status
            ))
            .observed(body_text(&granted)),
        );
    }

    // After expiry: expired_token (only where the server has a hook to expire a code: real
    // expiry takes `expires_in`, minutes on Auth0).
    if let Some(expire) = setup.get("device_expire") {
        let expired = DeviceCode::request(session, client_id)?;
        hook(session, expire, &expired.user_code, "device_expire")?;
        let answer = poll(session, client_id, &expired.device_code)?;
        violations.extend(expect_error(&answer, "expired_token", "after it expired"));
    }
    Ok(violations)
}

/// A device authorization answer (§3.2).
struct DeviceCode {
    device_code: String,
    user_code: String,
    interval: u64,
}

impl DeviceCode {
    /// A fresh device code; an answer without one is `Unreached` (what the answer must hold is
    /// the document's and the verification flows' business, not this property's).
    fn request(session: &mut dyn Session, client_id: &str) -> Result<DeviceCode, Stop> {
        let answer = session.call(
            Endpoint::DeviceCode,
            &[("client_id", client_id), ("scope", "openid")],
            &[],
        )?;
        let body = json_object(&answer).unwrap_or_default();
        let text = |name: &str| body.get(name).and_then(Value::as_str).map(String::from);
        match (text("device_code"), text("user_code")) {
            (Some(device_code), Some(user_code))
                if (200..300).contains(&answer.response.status) =>
            {
                Ok(DeviceCode {
                    device_code,
                    user_code,
                    interval: body
                        .get("interval")
                        .and_then(Value::as_u64)
                        .unwrap_or(DEFAULT_INTERVAL),
                })
            }
            _ => Err(Stop::Unreached {
                status: answer.response.status,
                reason: format!(
                    "the device authorization request gave no device_code and user_code (answered {})",
                    answer.response.status
                ),
            }),
        }
    }
}

fn poll(session: &mut dyn Session, client_id: &str, device_code: &str) -> Result<Exchange, Stop> {
    session.call(
        Endpoint::Token,
        &[
            ("grant_type", GRANT),
            ("client_id", client_id),
            ("device_code", device_code),
        ],
        &[],
    )
}

/// The server's test hook for the user's side; it failing is conform's (or the suite's)
/// problem, not the property's.
fn hook(session: &mut dyn Session, path: &str, user_code: &str, key: &str) -> Result<(), Stop> {
    let answer = session.post_form(path, &[("user_code", user_code)])?;
    if (200..300).contains(&answer.response.status) {
        return Ok(());
    }
    Err(Stop::Error(format!(
        "the [protocol] {key} hook {path} answered {}: {}",
        answer.response.status,
        body_text(&answer)
    )))
}

/// The poll must be refused with `error` (§3.5: an error answer, RFC 6749 §5.2; the status is
/// the server's choice, Auth0 uses 403 and 429, so only "an error" is judged).
fn expect_error(answer: &Exchange, error: &str, when: &str) -> Option<Violation> {
    let status = answer.response.status;
    let got = json_object(answer).and_then(|b| b.get("error").cloned());
    if status >= 400 && got.as_ref().and_then(Value::as_str) == Some(error) {
        return None;
    }
    let what = if (200..300).contains(&status) {
        "tokens".to_string()
    } else {
        got.map_or("no error code".to_string(), |e| e.to_string())
    };
    Some(
        ID.violation(format!(
            "a device code {when} was answered {status} with {what}, not `{error}`"
        ))
        .observed(body_text(answer)),
    )
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Scripted, setup};
    use super::*;

    fn device_setup() -> Setup {
        let mut setup = setup();
        for (k, v) in [
            ("device_client_id", "dev"),
            ("device_approve", "/__reference/device/approve"),
            ("device_expire", "/__reference/device/expire"),
        ] {
            setup.values.insert(k.into(), v.into());
        }
        setup
    }

    const CODE_A: &str = r#"{"device_code":"dA","user_code":"UA","interval":5}"#;
    const CODE_B: &str = r#"{"device_code":"dB","user_code":"UB","interval":5}"#;
    const CODE_C: &str = r#"{"device_code":"dC","user_code":"UC","interval":5}"#;
    const PENDING: &str = r#"{"error":"authorization_pending"}"#;
    const SLOW: &str = r#"{"error":"slow_down"}"#;
    const TOKENS: &str = r#"{"access_token":"a","token_type":"Bearer"}"#;
    const EXPIRED: &str = r#"{"error":"expired_token"}"#;

    #[test]
    fn pending_slow_down_tokens_and_expiry_hold() {
        let mut session = Scripted::new(&[
            (200, &[], CODE_A),
            (403, &[], PENDING),
            (429, &[], SLOW),
            (200, &[], CODE_B),
            (200, &[], "{}"),
            (200, &[], TOKENS),
            (200, &[], CODE_C),
            (200, &[], "{}"),
            (400, &[], EXPIRED),
        ]);
        assert_eq!(run(&device_setup(), &mut session), Ok(Vec::new()));
        let asked = &session.asked;
        assert!(asked[1].contains("device_code=dA"), "{asked:?}");
        assert_eq!(asked[4], "POST /__reference/device/approve", "{asked:?}");
        assert!(asked[5].contains("device_code=dB"), "{asked:?}");
        assert_eq!(asked[7], "POST /__reference/device/expire", "{asked:?}");
        assert!(asked[8].contains("device_code=dC"), "{asked:?}");
    }

    #[test]
    fn without_an_expiry_hook_expiry_is_not_asked() {
        let mut setup = device_setup();
        setup.values.remove("device_expire");
        let mut session = Scripted::new(&[
            (200, &[], CODE_A),
            (403, &[], PENDING),
            (429, &[], SLOW),
            (200, &[], CODE_B),
            (200, &[], "{}"),
            (200, &[], TOKENS),
        ]);
        assert_eq!(run(&setup, &mut session), Ok(Vec::new()));
        assert_eq!(session.asked.len(), 6);
    }

    #[test]
    fn pending_where_slow_down_is_due_fails() {
        let mut session = Scripted::new(&[
            (200, &[], CODE_A),
            (403, &[], PENDING),
            (403, &[], PENDING),
            (200, &[], CODE_B),
            (200, &[], "{}"),
            (200, &[], TOKENS),
            (200, &[], CODE_C),
            (200, &[], "{}"),
            (400, &[], EXPIRED),
        ]);
        let found = run(&device_setup(), &mut session).expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("not `slow_down`"), "{found:?}");
        assert!(found[0].to_string().contains("RFC 8628"), "{found:?}");
        assert_eq!(found[0].check.as_str(), "device_flow");
    }

    #[test]
    fn tokens_before_approval_fail() {
        let mut session = Scripted::new(&[
            (200, &[], CODE_A),
            (200, &[], TOKENS),
            (429, &[], SLOW),
            (200, &[], CODE_B),
            (200, &[], "{}"),
            (200, &[], TOKENS),
        ]);
        let mut setup = device_setup();
        setup.values.remove("device_expire");
        let found = run(&setup, &mut session).expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .message
                .contains("before approval was answered 200 with tokens"),
            "{found:?}"
        );
    }

    #[test]
    fn no_tokens_after_approval_fail() {
        let mut session = Scripted::new(&[
            (200, &[], CODE_A),
            (403, &[], PENDING),
            (429, &[], SLOW),
            (200, &[], CODE_B),
            (200, &[], "{}"),
            (403, &[], PENDING),
            (200, &[], CODE_C),
            (200, &[], "{}"),
            (400, &[], EXPIRED),
        ]);
        let found = run(&device_setup(), &mut session).expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.contains("approved gave no access_token"),
            "{found:?}"
        );
    }

    #[test]
    fn an_expired_code_still_pending_fails() {
        let mut session = Scripted::new(&[
            (200, &[], CODE_A),
            (403, &[], PENDING),
            (429, &[], SLOW),
            (200, &[], CODE_B),
            (200, &[], "{}"),
            (200, &[], TOKENS),
            (200, &[], CODE_C),
            (200, &[], "{}"),
            (403, &[], PENDING),
        ]);
        let found = run(&device_setup(), &mut session).expect("judged");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("after it expired"), "{found:?}");
        assert!(
            found[0].message.contains("not `expired_token`"),
            "{found:?}"
        );
    }

    #[test]
    fn a_failing_hook_is_an_error_and_no_device_code_unreached() {
        let mut session = Scripted::new(&[
            (200, &[], CODE_A),
            (403, &[], PENDING),
            (429, &[], SLOW),
            (200, &[], CODE_B),
            (404, &[], r#"{"error":"not_found"}"#),
        ]);
        assert!(matches!(
            run(&device_setup(), &mut session),
            Err(Stop::Error(m)) if m.contains("device_approve")
        ));
        let mut session = Scripted::new(&[(200, &[], r#"{"user_code":"U"}"#)]);
        assert!(matches!(
            run(&device_setup(), &mut session),
            Err(Stop::Unreached { status: 200, .. })
        ));
    }

    #[test]
    fn polls_never_faster_than_interval_are_unreached() {
        let zero = r#"{"device_code":"d","user_code":"U","interval":0}"#;
        let mut session = Scripted::new(&[
            (200, &[], zero),
            (403, &[], PENDING),
            (403, &[], PENDING),
            (200, &[], zero),
            (403, &[], PENDING),
            (403, &[], PENDING),
        ]);
        assert!(matches!(
            run(&device_setup(), &mut session),
            Err(Stop::Unreached { reason, .. }) if reason.contains("slow_down could not")
        ));
        assert_eq!(session.asked.len(), 6);
    }

    #[test]
    fn without_an_approval_hook_the_check_cannot_run() {
        let mut setup = device_setup();
        setup.values.remove("device_approve");
        let mut session = Scripted::new(&[]);
        assert!(matches!(
            run(&setup, &mut session),
            Err(Stop::Error(m)) if m.contains("device_approve")
        ));
    }
}
