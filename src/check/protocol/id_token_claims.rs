//! `id_token_claims`: an id_token from the code flow says what the request implies (OpenID
//! Connect Core §2, §3.1.3.6, §3.1.3.7): `iss` is exactly the discovery document's `issuer`,
//! `aud` holds the client id (and `azp`, when present, is the client), `exp` is after `iat` and
//! in the future, `iat` is not in the future, the `nonce` sent to `/authorize` comes back, and
//! `at_hash`/`c_hash`, when present, match the access token and the code.

use serde_json::{Map, Value};

use super::jwt::{self, Jwt};
use super::{Finding, ProtocolId, Session, Setup};
use crate::check::Violation;

const ID: ProtocolId = ProtocolId::IdTokenClaims;

/// The nonce sent to `/authorize`: printable, unlikely to be a server's default.
const NONCE: &str = "conform-nonce-5e1f0b7a";
/// How far the server's clock may be from ours before a time is judged wrong.
const SKEW_SECONDS: f64 = 300.0;

pub fn run(setup: &Setup, session: &mut dyn Session) -> Finding {
    let discovery = jwt::discovery(session)?;
    let (code, tokens) = jwt::code_tokens(
        setup,
        session,
        &[("nonce", NONCE), ("state", "conform-id-token-claims")],
    )?;
    let token = match jwt::id_token(&tokens)? {
        Ok(token) => token,
        Err(message) => return Ok(vec![ID.violation(message)]),
    };
    let client_id = setup.need("client_id")?;
    let mut found = judge(
        &token,
        discovery.get("issuer").and_then(Value::as_str),
        client_id,
        now(),
    );
    found.extend(hashes(
        &token,
        tokens.get("access_token").and_then(Value::as_str),
        &code,
    ));
    let observed = token.claims_text();
    Ok(found
        .into_iter()
        .map(|v| v.observed(observed.clone()))
        .collect())
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// The claims the request and the discovery document fix.
fn judge(token: &Jwt, issuer: Option<&str>, client_id: &str, now: f64) -> Vec<Violation> {
    let claims: &Map<String, Value> = &token.claims;
    let mut found = Vec::new();
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    match (text("iss"), issuer) {
        (Some(iss), Some(issuer)) if iss == issuer => {}
        (iss, Some(issuer)) => found.push(ID.violation(format!(
            "the id_token's `iss` is {}, not the discovery document's issuer `{issuer}` (exact match required)",
            iss.map_or("missing".to_string(), |i| format!("`{i}`"))
        ))),
        (_, None) => found.push(ID.violation(
            "the discovery document has no `issuer` to compare the id_token's `iss` with",
        )),
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(aud)) => vec![aud.as_str()],
        Some(Value::Array(auds)) => auds.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&client_id) {
        found.push(ID.violation(format!(
            "the id_token's `aud` ({}) does not hold the client id `{client_id}`",
            claims.get("aud").map_or("missing".to_string(), Value::to_string)
        )));
    }
    // Several audiences without `azp` is only a SHOULD for the client to notice (§3.1.3.7
    // item 4), so it is not judged; an `azp` naming another party is wrong (§2: "MUST
    // contain the OAuth 2.0 Client ID of this party").
    if let Some(azp) = claims.get("azp")
        && azp.as_str() != Some(client_id)
    {
        found.push(ID.violation(format!(
            "the id_token's `azp` is {azp}, not the client id `{client_id}`"
        )));
    }
    if text("sub").is_none_or(str::is_empty) {
        found.push(ID.violation("the id_token has no `sub` string (§2: REQUIRED)"));
    }
    let number = |name: &str| claims.get(name).and_then(Value::as_f64);
    match (number("iat"), number("exp")) {
        (Some(iat), Some(exp)) => {
            if exp <= iat {
                found.push(ID.violation(format!(
                    "the id_token expires (`exp` {exp}) no later than it was issued (`iat` {iat})"
                )));
            }
            if exp <= now - SKEW_SECONDS {
                found.push(ID.violation(format!(
                    "a fresh id_token has already expired (`exp` {exp}, now {})",
                    now.floor()
                )));
            }
            if iat > now + SKEW_SECONDS {
                found.push(ID.violation(format!(
                    "the id_token is issued in the future (`iat` {iat}, now {})",
                    now.floor()
                )));
            }
        }
        _ => found.push(ID.violation(
            "the id_token lacks a numeric `iat` or `exp` (§2: both REQUIRED NumericDates)",
        )),
    }
    match claims.get("nonce") {
        Some(Value::String(nonce)) if nonce == NONCE => {}
        other => found.push(ID.violation(format!(
            "the nonce sent to /authorize (`{NONCE}`) comes back as {} (§3.1.3.7 item 11)",
            other.map_or("nothing".to_string(), Value::to_string)
        ))),
    }
    found
}

/// `at_hash` and `c_hash`, when present: the left half of the access token's and the code's
/// hash with the id_token's algorithm (§3.1.3.6, §3.3.2.11).
fn hashes(token: &Jwt, access_token: Option<&str>, code: &str) -> Vec<Violation> {
    let alg = token.alg().unwrap_or_default();
    let mut found = Vec::new();
    for (claim, value) in [("at_hash", access_token), ("c_hash", Some(code))] {
        let Some(given) = token.claims.get(claim) else {
            continue;
        };
        let Some(value) = value else {
            continue;
        };
        // An algorithm with no SHA-2 hash size (none, EdDSA) cannot be judged here.
        let Some(expected) = jwt::half_hash(alg, value) else {
            continue;
        };
        if given.as_str() != Some(expected.as_str()) {
            found.push(ID.violation(format!(
                "the id_token's `{claim}` is {given}, not the {alg} half-hash {expected}"
            )));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::fake::{Scripted, setup};
    use super::super::jwt::tests::jwt;
    use super::*;

    const REDIRECT: &[(&str, &str)] = &[("location", "https://app.example/cb?code=c1&state=s")];

    fn run_with(claims: &Value) -> Vec<String> {
        let id_token = jwt(&json!({"alg": "RS256", "kid": "k"}), claims, b"sig");
        let tokens = json!({"access_token": "at-1", "id_token": id_token}).to_string();
        let mut session = Scripted::new(&[
            (200, &[], r#"{"issuer":"https://tenant.example/"}"#),
            (302, REDIRECT, ""),
            (200, &[], &tokens),
        ]);
        let found = run(&setup(), &mut session).expect("judged");
        assert!(
            session.asked[1].contains(&format!("nonce={NONCE}")),
            "{:?}",
            session.asked
        );
        assert!(session.asked[2].contains("code=c1"), "{:?}", session.asked);
        // As printed: the message and the source it cites.
        found.into_iter().map(|v| v.to_string()).collect()
    }

    fn good() -> Value {
        let now = now().floor();
        json!({
            "iss": "https://tenant.example/", "sub": "auth0|1", "aud": ["cid", "other"],
            "azp": "cid", "iat": now, "exp": now + 36000.0, "nonce": NONCE,
            "at_hash": jwt::half_hash("RS256", "at-1"), "c_hash": jwt::half_hash("RS256", "c1"),
        })
    }

    #[test]
    fn an_id_token_saying_what_the_request_implies_holds() {
        assert_eq!(run_with(&good()), Vec::<String>::new());
        let mut plain = good();
        let fields = plain.as_object_mut().expect("object");
        for optional in ["azp", "at_hash", "c_hash"] {
            fields.remove(optional);
        }
        fields.insert("aud".into(), json!("cid"));
        assert_eq!(run_with(&plain), Vec::<String>::new());
    }

    #[test]
    fn another_audience_fails() {
        let mut claims = good();
        claims["aud"] = json!("http://127.0.0.1:1/userinfo");
        let found = run_with(&claims);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("does not hold the client id `cid`"),
            "{found:?}"
        );
        assert!(found[0].contains("OpenID Connect Core"), "{found:?}");
    }

    #[test]
    fn each_wrong_claim_is_named() {
        let now = now().floor();
        let claims = json!({
            "iss": "https://tenant.example", "aud": "cid", "azp": "someone",
            "iat": now + 3600.0, "exp": now - 3600.0, "nonce": "other",
            "at_hash": "AAAA", "c_hash": "BBBB",
        });
        let all = run_with(&claims).join("\n");
        for needle in [
            "`iss` is `https://tenant.example`",
            "`azp` is \"someone\"",
            "no `sub`",
            "no later than it was issued",
            "already expired",
            "issued in the future",
            "comes back as \"other\"",
            "`at_hash` is \"AAAA\"",
            "`c_hash` is \"BBBB\"",
        ] {
            assert!(all.contains(needle), "{needle} missing in {all}");
        }
    }

    #[test]
    fn a_missing_nonce_and_times_fail() {
        let claims = json!({"iss": "https://tenant.example/", "sub": "u", "aud": "cid"});
        let all = run_with(&claims).join("\n");
        assert!(all.contains("comes back as nothing"), "{all}");
        assert!(all.contains("lacks a numeric `iat` or `exp`"), "{all}");
    }
}
