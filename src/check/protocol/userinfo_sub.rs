//! `userinfo_sub`: `/userinfo`, called with an access token granted for scope `openid` alone,
//! speaks of the id_token's subject (OpenID Connect Core §5.3.2: the `sub` "MUST exactly
//! match") and returns none of the claims the `profile`, `email`, `address` and `phone` scopes
//! request (§5.4: those scopes are what asks for them; the issue's "scopes limit the claims
//! returned", and what Auth0 documents for `openid` alone: only `sub`).

use serde_json::Value;

use super::jwt;
use super::{Endpoint, Finding, ProtocolId, Session, Setup, Stop, body_text, json_object};

const ID: ProtocolId = ProtocolId::UserinfoSub;

/// The claims §5.4 assigns to the `profile`, `email`, `address` and `phone` scopes.
const SCOPED_CLAIMS: &[&str] = &[
    "name",
    "family_name",
    "given_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
    "email",
    "email_verified",
    "address",
    "phone_number",
    "phone_number_verified",
];

pub fn run(setup: &Setup, session: &mut dyn Session) -> Finding {
    let tokens = jwt::password_tokens(setup, session, Some("openid"))?;
    let token = match jwt::id_token(&tokens)? {
        Ok(token) => token,
        Err(message) => return Ok(vec![ID.violation(message)]),
    };
    let Some(sub) = token.claims.get("sub").and_then(Value::as_str) else {
        // A missing `sub` is id_token_claims' finding; without it there is nothing to compare.
        return Err(Stop::Unreached {
            status: 200,
            reason: "the id_token has no `sub` to compare /userinfo's with".into(),
        });
    };
    let Some(access_token) = tokens.get("access_token").and_then(Value::as_str) else {
        return Err(Stop::Unreached {
            status: 200,
            reason: "the token answer has no access_token to call /userinfo with".into(),
        });
    };
    let bearer = format!("Bearer {access_token}");
    let answer = session.call(Endpoint::UserInfo, &[], &[("authorization", &bearer)])?;
    let status = answer.response.status;
    let Some(claims) = json_object(&answer).filter(|_| (200..300).contains(&status)) else {
        return Ok(vec![
            ID.violation(format!(
                "/userinfo answered {status} without a JSON object to a fresh access token granted `openid` (§5.3.2)"
            ))
            .observed(body_text(&answer)),
        ]);
    };
    let observed = Value::Object(claims.clone()).to_string();
    let mut found = Vec::new();
    match claims.get("sub") {
        Some(Value::String(answered)) if answered == sub => {}
        other => found.push(ID.violation(format!(
            "/userinfo answers `sub` {}, the id_token's is \"{sub}\"",
            other.map_or("missing".to_string(), Value::to_string)
        ))),
    }
    let extra: Vec<&str> = SCOPED_CLAIMS
        .iter()
        .copied()
        .filter(|c| claims.contains_key(*c))
        .collect();
    if !extra.is_empty() {
        found.push(ID.violation(format!(
            "with scope `openid` alone /userinfo returns {}, which only the profile, email, address or phone scopes ask for (§5.4)",
            extra.join(", ")
        )));
    }
    Ok(found
        .into_iter()
        .map(|v| v.observed(observed.clone()))
        .collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::fake::{Scripted, printed, setup};
    use super::super::jwt::tests::jwt;
    use super::*;

    fn run_with(userinfo: (u16, &str)) -> Finding {
        let id_token = jwt(
            &json!({"alg": "RS256"}),
            &json!({"sub": "auth0|alice"}),
            b"s",
        );
        let tokens = json!({"access_token": "at", "id_token": id_token}).to_string();
        let mut session = Scripted::new(&[(200, &[], &tokens), (userinfo.0, &[], userinfo.1)]);
        let found = run(&setup(), &mut session);
        assert!(
            session.asked[0].contains("scope=openid&"),
            "{:?}",
            session.asked
        );
        assert!(
            session.asked[1].starts_with("userinfo"),
            "{:?}",
            session.asked
        );
        found
    }

    fn messages(found: Finding) -> String {
        let found = found.expect("judged");
        assert!(found.iter().all(|v| v.check.as_str() == "userinfo_sub"));
        printed(Ok(found))
    }

    #[test]
    fn the_same_subject_and_no_profile_holds() {
        assert_eq!(run_with((200, r#"{"sub":"auth0|alice"}"#)), Ok(Vec::new()));
    }

    #[test]
    fn another_subject_fails() {
        let all = messages(run_with((200, r#"{"sub":"auth0|bob"}"#)));
        assert!(
            all.contains("`sub` \"auth0|bob\", the id_token's is \"auth0|alice\""),
            "{all}"
        );
        assert!(all.contains("§5.3.2"), "{all}");
    }

    #[test]
    fn claims_of_scopes_not_granted_fail() {
        let all = messages(run_with((
            200,
            r#"{"sub":"auth0|alice","name":"Alice","email":"a@x"}"#,
        )));
        assert!(all.contains("returns name, email"), "{all}");
    }

    #[test]
    fn a_refused_fresh_token_fails() {
        let all = messages(run_with((401, "Unauthorized")));
        assert!(all.contains("answered 401"), "{all}");
    }
}
