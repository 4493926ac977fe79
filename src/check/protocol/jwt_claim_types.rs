//! `jwt_claim_types`: the registered claims of the JWTs a server issues have their registered
//! types (RFC 7519 §4.1): `iss`, `sub` and `jti` strings, `iat`, `exp` and `nbf` NumericDates
//! (JSON numbers, §2), `aud` a string or an array of strings. Both the id_token and an access
//! token that is a JWT are judged; an opaque access token is not (RFC 6749 leaves its format
//! to the server).

use serde_json::Value;

use super::jwt::{self, Jwt};
use super::{Finding, ProtocolId, Session, Setup, Stop};
use crate::check::Violation;

const ID: ProtocolId = ProtocolId::JwtClaimTypes;

pub fn run(setup: &Setup, session: &mut dyn Session) -> Finding {
    let tokens = jwt::password_tokens(setup, session, None)?;
    let mut judged = 0;
    let mut violations = Vec::new();
    for field in ["id_token", "access_token"] {
        let Some(token) = tokens.get(field).and_then(Value::as_str) else {
            continue;
        };
        // An id_token must be a JWT (OpenID Connect Core §2); an access token may be opaque.
        if field == "access_token" && !jwt::is_jwt(token) {
            continue;
        }
        judged += 1;
        match Jwt::decode(token) {
            Ok(decoded) => violations.extend(claim_types(field, &decoded)),
            Err(e) => violations.push(ID.violation(format!("the {field} {e}"))),
        }
    }
    if judged == 0 {
        return Err(Stop::Unreached {
            status: 200,
            reason: "the token answer has no id_token and an opaque access_token: no JWT to judge"
                .into(),
        });
    }
    Ok(violations)
}

/// The registered claims of `jwt` (from the token answer's `field`) with a wrong type.
fn claim_types(field: &str, jwt: &Jwt) -> Vec<Violation> {
    let mut violations = Vec::new();
    for (claim, value) in &jwt.claims {
        let expected = match claim.as_str() {
            "iss" | "sub" | "jti" if !value.is_string() => "a string",
            "iat" | "exp" | "nbf" if !value.is_number() => "a NumericDate (a JSON number)",
            "aud" if !is_audience(value) => "a string or an array of strings",
            _ => continue,
        };
        violations.push(
            ID.violation(format!(
                "the {field}'s `{claim}` is {}, not {expected}",
                describe(value)
            ))
            .observed(jwt.claims_text()),
        );
    }
    violations
}

fn is_audience(value: &Value) -> bool {
    match value {
        Value::String(_) => true,
        Value::Array(items) => items.iter().all(Value::is_string),
        _ => false,
    }
}

/// A value with its JSON type, e.g. `the string "1700000000"`.
fn describe(value: &Value) -> String {
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "the boolean",
        Value::Number(_) => "the number",
        Value::String(_) => "the string",
        Value::Array(_) => "the array",
        Value::Object(_) => "the object",
    };
    if value.is_null() {
        kind.to_string()
    } else {
        format!("{kind} {value}")
    }
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Scripted, setup};
    use super::super::jwt::tests::jwt;
    use super::*;
    use serde_json::json;

    fn answer(id_claims: &Value, access: &str) -> String {
        let id_token = jwt(&json!({"alg": "RS256"}), id_claims, b"sig");
        json!({"access_token": access, "id_token": id_token, "token_type": "Bearer"}).to_string()
    }

    fn found(body: &str) -> Finding {
        let mut session = Scripted::new(&[(200, &[], body)]);
        let found = run(&setup(), &mut session);
        assert!(
            session.asked[0].contains("grant_type=password"),
            "{:?}",
            session.asked
        );
        found
    }

    #[test]
    fn registered_types_hold() {
        let claims = json!({"iss": "https://t/", "sub": "u", "aud": ["a", "b"], "iat": 1, "exp": 2.5, "nbf": 0, "jti": "j"});
        let access = jwt(
            &json!({"alg": "RS256"}),
            &json!({"aud": "api", "iat": 1}),
            b"s",
        );
        assert_eq!(found(&answer(&claims, &access)), Ok(Vec::new()));
        // An opaque access token is not judged.
        assert_eq!(found(&answer(&claims, "opaque")), Ok(Vec::new()));
    }

    #[test]
    fn a_string_iat_in_the_access_token_fails() {
        let claims = json!({"sub": "u", "iat": 1});
        let access = jwt(
            &json!({"alg": "RS256"}),
            &json!({"iat": "1700000000", "jti": 7, "aud": [1]}),
            b"s",
        );
        let found = found(&answer(&claims, &access)).expect("judged");
        let all: Vec<String> = found.iter().map(|v| v.to_string()).collect();
        assert_eq!(found.len(), 3, "{all:?}");
        assert!(
            all[0].contains("access_token's `iat` is the string \"1700000000\""),
            "{all:?}"
        );
        assert!(found[0].to_string().contains("RFC 7519 §4.1"), "{all:?}");
        assert!(
            all.iter().any(|m| m.contains("`jti` is the number 7")),
            "{all:?}"
        );
        assert!(
            all.iter().any(|m| m.contains("`aud` is the array [1]")),
            "{all:?}"
        );
        assert_eq!(found[0].check.as_str(), "jwt_claim_types");
    }

    #[test]
    fn wrong_types_in_the_id_token_fail() {
        let claims = json!({"iss": 1, "sub": null, "exp": "soon", "aud": {"x": 1}});
        let found = found(&answer(&claims, "opaque")).expect("judged");
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(found.iter().all(|v| v.message.contains("the id_token's")));
    }

    #[test]
    fn a_malformed_id_token_fails_and_no_jwt_is_unreached() {
        let body = json!({"access_token": "opaque", "id_token": "not-a-jwt"}).to_string();
        let found = found(&body).expect("judged");
        assert!(found[0].message.contains("not a compact JWS"), "{found:?}");
        let body = json!({"access_token": "opaque"}).to_string();
        assert!(matches!(self::found(&body), Err(Stop::Unreached { .. })));
    }
}
