//! JWTs for the token checks: decoding a compact JWS (RFC 7515 §7.1) into header and claims,
//! verifying its signature against a JWK (RFC 7517/7518) or a client secret, and getting a
//! user's tokens (password grant or code flow) to judge.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::{
    Endpoint, Session, Setup, Stop, authorization_code, body_text, code_exchange, json_object,
};

/// A decoded compact JWS: nothing is verified yet.
#[derive(Debug, Clone)]
pub struct Jwt {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    /// `BASE64URL(header) "." BASE64URL(payload)`: what the signature covers.
    pub signing_input: String,
    pub signature: Vec<u8>,
}

impl Jwt {
    /// Decodes `token`; the error says which part is malformed (never echoes the token).
    pub fn decode(token: &str) -> Result<Jwt, String> {
        let parts: Vec<&str> = token.split('.').collect();
        let [header, payload, signature] = parts[..] else {
            return Err(format!(
                "is not a compact JWS (3 dot-separated parts, got {})",
                parts.len()
            ));
        };
        let object = |part: &str, what: &str| -> Result<Map<String, Value>, String> {
            let bytes = URL_SAFE_NO_PAD
                .decode(part.trim_end_matches('='))
                .map_err(|e| format!("has a {what} that is not base64url: {e}"))?;
            match serde_json::from_slice(&bytes) {
                Ok(Value::Object(map)) => Ok(map),
                _ => Err(format!("has a {what} that is not a JSON object")),
            }
        };
        Ok(Jwt {
            header: object(header, "header")?,
            claims: object(payload, "payload")?,
            signing_input: format!("{header}.{payload}"),
            signature: URL_SAFE_NO_PAD
                .decode(signature.trim_end_matches('='))
                .map_err(|e| format!("has a signature that is not base64url: {e}"))?,
        })
    }

    /// The header's `alg`, if a string.
    pub fn alg(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }

    /// The claims as JSON text, for a violation's "observed" (never the token itself).
    pub fn claims_text(&self) -> String {
        Value::Object(self.claims.clone()).to_string()
    }
}

/// Whether `token` looks like a JWT at all (an opaque access token is not judged as one).
pub fn is_jwt(token: &str) -> bool {
    token.split('.').count() == 3 && Jwt::decode(token).is_ok()
}

/// Verifies `jwt`'s signature with `key` (a JWK object); `Ok(false)` is a signature that does
/// not verify, `Err` a key or algorithm conform cannot use.
pub fn verify_with_jwk(jwt: &Jwt, key: &Map<String, Value>) -> Result<bool, String> {
    use ring::signature as sig;
    let alg = jwt.alg().unwrap_or_default();
    let field = |name: &str| -> Result<Vec<u8>, String> {
        let text = key
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("the key has no `{name}`"))?;
        URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|e| format!("the key's `{name}` is not base64url: {e}"))
    };
    let rsa = |params: &'static sig::RsaParameters| -> Result<bool, String> {
        let public = sig::RsaPublicKeyComponents {
            n: field("n")?,
            e: field("e")?,
        };
        Ok(public
            .verify(params, jwt.signing_input.as_bytes(), &jwt.signature)
            .is_ok())
    };
    let ec = |params: &'static sig::EcdsaVerificationAlgorithm| -> Result<bool, String> {
        // An uncompressed SEC1 point: 0x04 || x || y.
        let mut point = vec![4u8];
        point.extend(field("x")?);
        point.extend(field("y")?);
        Ok(sig::UnparsedPublicKey::new(params, point)
            .verify(jwt.signing_input.as_bytes(), &jwt.signature)
            .is_ok())
    };
    match alg {
        "RS256" => rsa(&sig::RSA_PKCS1_2048_8192_SHA256),
        "RS384" => rsa(&sig::RSA_PKCS1_2048_8192_SHA384),
        "RS512" => rsa(&sig::RSA_PKCS1_2048_8192_SHA512),
        "PS256" => rsa(&sig::RSA_PSS_2048_8192_SHA256),
        "PS384" => rsa(&sig::RSA_PSS_2048_8192_SHA384),
        "PS512" => rsa(&sig::RSA_PSS_2048_8192_SHA512),
        "ES256" => ec(&sig::ECDSA_P256_SHA256_FIXED),
        "ES384" => ec(&sig::ECDSA_P384_SHA384_FIXED),
        other => Err(format!("conform cannot verify `{other}` signatures")),
    }
}

/// Verifies an HMAC-signed `jwt` with the client secret (OpenID Connect Core §10.1: the
/// octets of the UTF-8 `client_secret` are the key). `None`: not an HMAC algorithm.
pub fn verify_with_secret(jwt: &Jwt, secret: &str) -> Option<bool> {
    use ring::hmac;
    let algorithm = match jwt.alg()? {
        "HS256" => hmac::HMAC_SHA256,
        "HS384" => hmac::HMAC_SHA384,
        "HS512" => hmac::HMAC_SHA512,
        _ => return None,
    };
    let key = hmac::Key::new(algorithm, secret.as_bytes());
    Some(hmac::verify(&key, jwt.signing_input.as_bytes(), &jwt.signature).is_ok())
}

/// The left half of the hash of `value` that `alg` implies, base64url: `at_hash` and `c_hash`
/// (OpenID Connect Core §3.1.3.6, §3.3.2.11). `None`: an algorithm with no known hash.
pub fn half_hash(alg: &str, value: &str) -> Option<String> {
    use ring::digest;
    let algorithm = match alg.get(2..)? {
        "256" => &digest::SHA256,
        "384" => &digest::SHA384,
        "512" => &digest::SHA512,
        _ => return None,
    };
    let hash = digest::digest(algorithm, value.as_bytes());
    let bytes = hash.as_ref();
    Some(URL_SAFE_NO_PAD.encode(&bytes[..bytes.len() / 2]))
}

/// A successful token answer's JSON object; a refusal is `Unreached` (the property is about
/// the tokens, not about getting them).
fn granted(answer: &crate::execute::Exchange, what: &str) -> Result<Map<String, Value>, Stop> {
    let status = answer.response.status;
    if !(200..300).contains(&status) {
        return Err(Stop::Unreached {
            status,
            reason: format!("{what} answered {status}"),
        });
    }
    json_object(answer).ok_or_else(|| Stop::Unreached {
        status,
        reason: format!(
            "{what} answered {status} with no JSON object: {}",
            body_text(answer).chars().take(200).collect::<String>()
        ),
    })
}

/// The suite user's tokens from the password grant, asking for `scope` (default: the
/// suite's `scope`, else `openid`).
pub fn password_tokens(
    setup: &Setup,
    session: &mut dyn Session,
    scope: Option<&str>,
) -> Result<Map<String, Value>, Stop> {
    let mut params = vec![
        ("grant_type", "password"),
        ("client_id", setup.need("client_id")?),
        ("username", setup.need("username")?),
        ("password", setup.need("password")?),
        ("scope", scope.or(setup.get("scope")).unwrap_or("openid")),
    ];
    if let Some(secret) = setup.get("client_secret") {
        params.push(("client_secret", secret));
    }
    let answer = session.call(Endpoint::Token, &params, &[])?;
    granted(&answer, "the password grant with the suite's user")
}

/// Tokens from the code flow (`/authorize` with `extra`, then the code exchange), and the code.
pub fn code_tokens(
    setup: &Setup,
    session: &mut dyn Session,
    extra: &[(&str, &str)],
) -> Result<(String, Map<String, Value>), Stop> {
    let mut extra = extra.to_vec();
    if setup.get("scope").is_none() {
        // An id_token needs `openid`; the suite's scope, when given, is used as written.
        extra.push(("scope", "openid"));
    }
    let code = authorization_code(setup, session, &extra)?;
    let answer = session.call(Endpoint::Token, &code_exchange(setup, &code)?, &[])?;
    let tokens = granted(&answer, "the exchange of a fresh authorization code")?;
    Ok((code, tokens))
}

/// The `id_token` of a token answer, decoded; none is `Unreached` (the server issued no
/// id_token to judge), a malformed one is the caller's violation (`Err(Ok(message))`).
pub fn id_token(tokens: &Map<String, Value>) -> Result<Result<Jwt, String>, Stop> {
    let Some(token) = tokens.get("id_token").and_then(Value::as_str) else {
        return Err(Stop::Unreached {
            status: 200,
            reason: "the token answer carries no id_token (is `openid` in the scope?)".into(),
        });
    };
    Ok(Jwt::decode(token).map_err(|e| format!("the id_token {e}")))
}

/// The discovery document, as a JSON object: the document's operation in that role, else a
/// GET of the well-known path (Auth0's own API document does not describe it).
pub fn discovery(session: &mut dyn Session) -> Result<Map<String, Value>, Stop> {
    let answer = match session.call(Endpoint::Discovery, &[], &[]) {
        Ok(answer) => answer,
        Err(Stop::Error(_)) => session.get(Endpoint::Discovery.conventional_path())?,
        Err(other) => return Err(other),
    };
    granted(&answer, "the discovery document")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A JWT with these header and claims and signature bytes `sig` (unsigned otherwise).
    pub fn jwt(header: &Value, claims: &Value, sig: &[u8]) -> String {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            URL_SAFE_NO_PAD.encode(sig)
        )
    }

    /// An HS256 JWT signed with `secret`.
    pub fn hs256(claims: &Value, secret: &str) -> String {
        let header = serde_json::json!({"alg": "HS256", "typ": "JWT"});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
        let tag = ring::hmac::sign(&key, input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    #[test]
    fn decodes_and_rejects_malformed_tokens() {
        let token = jwt(
            &serde_json::json!({"alg": "RS256"}),
            &serde_json::json!({"sub": "u"}),
            b"x",
        );
        let decoded = Jwt::decode(&token).expect("decodes");
        assert_eq!(decoded.alg(), Some("RS256"));
        assert_eq!(decoded.claims["sub"], "u");
        assert!(is_jwt(&token));
        assert!(!is_jwt("opaque-token"));
        assert!(Jwt::decode("a.b").unwrap_err().contains("3 dot-separated"));
        assert!(Jwt::decode("!!.e30.").unwrap_err().contains("header"));
    }

    #[test]
    fn hmac_signatures_verify_only_with_the_right_secret() {
        let token = Jwt::decode(&hs256(&serde_json::json!({"sub": "u"}), "s3cret")).unwrap();
        assert_eq!(verify_with_secret(&token, "s3cret"), Some(true));
        assert_eq!(verify_with_secret(&token, "other"), Some(false));
    }

    #[test]
    fn half_hash_matches_the_openid_example() {
        // OpenID Connect Core appendix A.3: at_hash of this access token is 77QmUPtjPfzWtF2AnpK9RQ.
        assert_eq!(
            half_hash("RS256", "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y").as_deref(),
            Some("77QmUPtjPfzWtF2AnpK9RQ")
        );
        assert_eq!(half_hash("none", "x"), None);
    }
}
