//! `id_token_signature`: an id_token is signed (never `alg: none`), with an algorithm the
//! discovery document advertises in `id_token_signing_alg_values_supported`, by a key published
//! at its `jwks_uri` (the header's `kid` names it), and the signature verifies (OpenID Connect
//! Core §3.1.3.7 items 6-8, §10.1; RFC 7517). An HMAC-signed id_token verifies with the client
//! secret instead (§10.1).

use serde_json::{Map, Value};

use super::jwt::{self, Jwt};
use super::{Finding, ProtocolId, Session, Setup, Stop, body_text, json_object};
use crate::check::Violation;

const ID: ProtocolId = ProtocolId::IdTokenSignature;

pub fn run(setup: &Setup, session: &mut dyn Session) -> Finding {
    let discovery = jwt::discovery(session)?;
    let advertised: Option<Vec<&str>> = discovery
        .get("id_token_signing_alg_values_supported")
        .and_then(Value::as_array)
        .map(|algs| algs.iter().filter_map(Value::as_str).collect());
    let jwks_uri = discovery.get("jwks_uri").and_then(Value::as_str);
    let tokens = jwt::password_tokens(setup, session, None)?;
    let token = match jwt::id_token(&tokens)? {
        Ok(token) => token,
        Err(message) => return Ok(vec![ID.violation(message)]),
    };
    let observed = Value::Object(token.header.clone()).to_string();
    let fail = |message: String| Ok(vec![ID.violation(message).observed(observed.clone())]);
    let Some(alg) = token.alg() else {
        return fail("the id_token's header has no `alg` string".into());
    };
    if alg.eq_ignore_ascii_case("none") {
        // §3.1.3.7 item 7 requires the algorithm the client registered (RS256 by default);
        // an unsigned id_token can be forged by anyone.
        return fail("the id_token is unsigned (`alg: none`) from the token endpoint".into());
    }
    match &advertised {
        Some(algs) if !algs.contains(&alg) => {
            return fail(format!(
                "the id_token is signed with `{alg}`, which id_token_signing_alg_values_supported ({}) does not advertise",
                algs.join(", ")
            ));
        }
        Some(_) => {}
        None => {
            return fail(
                "the discovery document has no id_token_signing_alg_values_supported (OpenID Connect Discovery §3: REQUIRED)".into(),
            );
        }
    }
    if alg.starts_with("HS") {
        let secret = setup.need("client_secret")?;
        return match jwt::verify_with_secret(&token, secret) {
            Some(true) => Ok(Vec::new()),
            _ => fail(format!(
                "the `{alg}` id_token does not verify with the client secret"
            )),
        };
    }
    let Some(jwks_uri) = jwks_uri else {
        return fail("the discovery document has no jwks_uri to verify the id_token with".into());
    };
    let keys = session.get(jwks_uri)?;
    let Some(keys) = json_object(&keys)
        .and_then(|set| set.get("keys").cloned())
        .and_then(|keys| keys.as_array().cloned())
    else {
        return Ok(vec![
            ID.violation(format!(
                "{jwks_uri} answered {} with no JWK Set (`{{\"keys\": [...]}}`)",
                keys.response.status
            ))
            .observed(body_text(&keys)),
        ]);
    };
    let keys: Vec<Map<String, Value>> = keys
        .into_iter()
        .filter_map(|k| match k {
            Value::Object(k) => Some(k),
            _ => None,
        })
        .collect();
    verify(&token, alg, &keys, jwks_uri).map(|v| {
        v.into_iter()
            .map(|v| v.observed(observed.clone()))
            .collect()
    })
}

/// Judges the signature of `token` against the published `keys`.
fn verify(
    token: &Jwt,
    alg: &str,
    keys: &[Map<String, Value>],
    jwks_uri: &str,
) -> Result<Vec<Violation>, Stop> {
    let kid = token.header.get("kid").and_then(Value::as_str);
    let key_id = |k: &Map<String, Value>| k.get("kid").and_then(Value::as_str).map(String::from);
    let candidates: Vec<&Map<String, Value>> = match kid {
        Some(kid) => keys
            .iter()
            .filter(|k| key_id(k).as_deref() == Some(kid))
            .collect(),
        // Without `kid` the JWK Set must hold a single key (§10.1); try the ones that could.
        None => keys.iter().collect(),
    };
    if candidates.is_empty() {
        let published: Vec<String> = keys.iter().filter_map(key_id).collect();
        return Ok(vec![ID.violation(format!(
            "the id_token's key {} is not published at {jwks_uri} (published kids: {})",
            kid.map_or("(no kid)".to_string(), |k| format!("`{k}`")),
            published.join(", ")
        ))]);
    }
    let mut violations = Vec::new();
    for key in &candidates {
        if let Some(key_alg) = key.get("alg").and_then(Value::as_str)
            && key_alg != alg
        {
            // RFC 7517 §4.4: the key is meant for `alg` only.
            violations.push(ID.violation(format!(
                "the id_token is signed with `{alg}`, but its key is published for `{key_alg}`"
            )));
            continue;
        }
        match jwt::verify_with_jwk(token, key) {
            Ok(true) => return Ok(Vec::new()),
            Ok(false) => {}
            Err(e) => return Err(Stop::Error(format!("the id_token's signature: {e}"))),
        }
    }
    if violations.is_empty() {
        violations.push(ID.violation(format!(
            "the id_token's `{alg}` signature does not verify against the key{} published at {jwks_uri}",
            kid.map(|k| format!(" `{k}`")).unwrap_or_default()
        )));
    }
    Ok(violations)
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair, RsaPublicKeyComponents};
    use serde_json::json;

    use super::super::fake::{Scripted, printed, setup};
    use super::super::jwt::tests::{hs256, jwt};
    use super::*;

    const PUBLISHED: &[u8] =
        include_bytes!("../../../crates/conform-reference/src/demo-signing-key.pk8.der");
    const UNPUBLISHED: &[u8] =
        include_bytes!("../../../crates/conform-reference/src/demo-unpublished-key.pk8.der");

    fn rs256(key: &[u8], kid: &str, claims: &Value) -> String {
        let key = RsaKeyPair::from_pkcs8(key).expect("demo key");
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": kid});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut sig = vec![0u8; key.public().modulus_len()];
        key.sign(
            &RSA_PKCS1_SHA256,
            &ring::rand::SystemRandom::new(),
            input.as_bytes(),
            &mut sig,
        )
        .expect("signs");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    fn jwks(kid: &str) -> String {
        let key = RsaKeyPair::from_pkcs8(PUBLISHED).expect("demo key");
        let public = RsaPublicKeyComponents::<Vec<u8>>::from(key.public());
        json!({"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(&public.n), "e": URL_SAFE_NO_PAD.encode(&public.e)}]})
        .to_string()
    }

    const DISCOVERY: &str = r#"{"issuer":"http://t/","jwks_uri":"http://t/.well-known/jwks.json","id_token_signing_alg_values_supported":["RS256","HS256"]}"#;

    fn judge(id_token: &str, jwks: &str) -> Finding {
        let tokens = json!({"access_token": "a", "id_token": id_token}).to_string();
        let mut session =
            Scripted::new(&[(200, &[], DISCOVERY), (200, &[], &tokens), (200, &[], jwks)]);
        let found = run(&setup(), &mut session);
        assert!(session.asked.len() <= 3, "{:?}", session.asked);
        found
    }

    #[test]
    fn a_token_signed_with_the_published_key_holds() {
        let token = rs256(PUBLISHED, "k1", &json!({"sub": "u"}));
        assert_eq!(judge(&token, &jwks("k1")), Ok(Vec::new()));
        // HS256 verifies with the client secret (the fake setup's is "secret").
        let token = hs256(&json!({"sub": "u"}), "secret");
        assert_eq!(judge(&token, "unused"), Ok(Vec::new()));
    }

    #[test]
    fn a_token_signed_with_an_unpublished_key_fails() {
        let token = rs256(UNPUBLISHED, "k1", &json!({"sub": "u"}));
        let all = printed(judge(&token, &jwks("k1")));
        assert!(all.contains("signature does not verify"), "{all}");
        assert!(all.contains("§3.1.3.7"), "{all}");
    }

    #[test]
    fn an_unknown_kid_fails() {
        let token = rs256(PUBLISHED, "rotated-away", &json!({"sub": "u"}));
        let all = printed(judge(&token, &jwks("k1")));
        assert!(all.contains("`rotated-away` is not published"), "{all}");
    }

    #[test]
    fn unsigned_unadvertised_and_wrong_secret_fail() {
        let none = jwt(&json!({"alg": "none"}), &json!({"sub": "u"}), b"");
        assert!(printed(judge(&none, "")).contains("unsigned"));
        let es = jwt(&json!({"alg": "ES256", "kid": "k1"}), &json!({}), b"x");
        assert!(printed(judge(&es, "")).contains("does not advertise"));
        let hs = hs256(&json!({"sub": "u"}), "not-the-secret");
        assert!(printed(judge(&hs, "")).contains("does not verify with the client secret"));
    }
}
