//! Protocol checks: OAuth 2.0 / OpenID Connect properties no schema can express (a code is
//! single use, a token answer carries a token, ...), one property per file.
//!
//! A protocol check does no I/O of its own: it asks a [`Session`] for each call it needs, by
//! endpoint role and parameters, and judges the answers. The runner provides the session (every
//! request goes through the gate, built from the document like any flow step), so a check reads
//! as the protocol's own steps and can be tested against any server.

mod code_binding;
mod code_single_use;
mod device_flow;
mod discovery;
mod id_token_claims;
mod id_token_signature;
mod jwt;
mod jwt_claim_types;
mod pkce;
mod redirect_uri_registered;
mod refresh_rotation;
mod revocation;
mod state_echo;
mod steps;
mod token_response;
mod userinfo_sub;

use std::fmt;

use serde_json::Value;

use super::{CheckId, Violation};
use crate::execute::Exchange;

/// Every protocol check, by the property it proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProtocolId {
    /// A successful token answer carries a token; an error answer a registered error code.
    TokenResponse,
    /// An authorization code is good for one token request only.
    CodeSingleUse,
    /// An authorization code is bound to the client and the redirect_uri it was issued for.
    CodeBinding,
    /// PKCE: the code_verifier must match the code_challenge.
    Pkce,
    /// `state` comes back unchanged, on success and on error redirects.
    StateEcho,
    /// Only a registered redirect_uri is ever redirected to.
    RedirectUriRegistered,
    /// Registered JWT claims have their registered types.
    JwtClaimTypes,
    /// id_tokens are signed with a key the server publishes, with the algorithm it publishes.
    IdTokenSignature,
    /// id_token claims: issuer, audience, times, nonce, at_hash.
    IdTokenClaims,
    /// A used refresh token stops working when rotation is on; reusing it revokes its family.
    RefreshRotation,
    /// A revoked refresh token stops working; revoking an unknown token still answers 200.
    Revocation,
    /// `/userinfo` speaks of the id_token's subject, within the granted scopes.
    UserinfoSub,
    /// The discovery document's endpoints answer and its advertised values hold.
    Discovery,
    /// The device authorization grant: pending, slow_down, approval, expiry.
    DeviceFlow,
}

impl ProtocolId {
    pub const ALL: [ProtocolId; 14] = [
        ProtocolId::TokenResponse,
        ProtocolId::CodeSingleUse,
        ProtocolId::CodeBinding,
        ProtocolId::Pkce,
        ProtocolId::StateEcho,
        ProtocolId::RedirectUriRegistered,
        ProtocolId::JwtClaimTypes,
        ProtocolId::IdTokenSignature,
        ProtocolId::IdTokenClaims,
        ProtocolId::RefreshRotation,
        ProtocolId::Revocation,
        ProtocolId::UserinfoSub,
        ProtocolId::Discovery,
        ProtocolId::DeviceFlow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProtocolId::TokenResponse => "token_response",
            ProtocolId::CodeSingleUse => "code_single_use",
            ProtocolId::CodeBinding => "code_binding",
            ProtocolId::Pkce => "pkce",
            ProtocolId::StateEcho => "state_echo",
            ProtocolId::RedirectUriRegistered => "redirect_uri_registered",
            ProtocolId::JwtClaimTypes => "jwt_claim_types",
            ProtocolId::IdTokenSignature => "id_token_signature",
            ProtocolId::IdTokenClaims => "id_token_claims",
            ProtocolId::RefreshRotation => "refresh_rotation",
            ProtocolId::Revocation => "revocation",
            ProtocolId::UserinfoSub => "userinfo_sub",
            ProtocolId::Discovery => "discovery",
            ProtocolId::DeviceFlow => "device_flow",
        }
    }

    /// Where the property is specified.
    pub fn source(self) -> &'static str {
        match self {
            ProtocolId::TokenResponse => "RFC 6749 §5.1, §5.2",
            ProtocolId::CodeSingleUse => "RFC 6749 §4.1.2, §10.5",
            ProtocolId::CodeBinding => "RFC 6749 §4.1.3",
            ProtocolId::Pkce => "RFC 7636 §4.2, §4.6",
            ProtocolId::StateEcho => "RFC 6749 §4.1.2, §4.1.2.1",
            ProtocolId::RedirectUriRegistered => "RFC 6749 §3.1.2.4, §4.1.2.1; RFC 9700 §4.1.3",
            ProtocolId::JwtClaimTypes => "RFC 7519 §4.1",
            ProtocolId::IdTokenSignature => "OpenID Connect Core §3.1.3.7, §10.1; RFC 7517",
            ProtocolId::IdTokenClaims => "OpenID Connect Core §2, §3.1.3.6, §3.1.3.7",
            ProtocolId::RefreshRotation => "RFC 6749 §10.4; RFC 9700 §4.14.2",
            ProtocolId::Revocation => "RFC 7009 §2.1, §2.2",
            ProtocolId::UserinfoSub => "OpenID Connect Core §5.3.2, §5.4",
            ProtocolId::Discovery => "OpenID Connect Discovery §3, §4",
            ProtocolId::DeviceFlow => "RFC 8628 §3.4, §3.5",
        }
    }

    /// The property, in a sentence (the test's name in reports).
    pub fn property(self) -> &'static str {
        match self {
            ProtocolId::TokenResponse => {
                "token answers carry access_token, token_type and a positive expires_in; errors a registered code"
            }
            ProtocolId::CodeSingleUse => "an authorization code is good for one token request",
            ProtocolId::CodeBinding => {
                "an authorization code is bound to its client_id and redirect_uri"
            }
            ProtocolId::Pkce => "a code issued with a PKCE challenge needs the matching verifier",
            ProtocolId::StateEcho => "state comes back unchanged, on success and on error",
            ProtocolId::RedirectUriRegistered => {
                "an unregistered redirect_uri is never redirected to"
            }
            ProtocolId::JwtClaimTypes => "registered JWT claims have their registered types",
            ProtocolId::IdTokenSignature => {
                "id_tokens verify against the published keys with the published algorithm"
            }
            ProtocolId::IdTokenClaims => {
                "id_token iss, aud, exp, iat, nonce and at_hash are what the request implies"
            }
            ProtocolId::RefreshRotation => {
                "a rotated refresh token no longer works, and its reuse revokes the live one"
            }
            ProtocolId::Revocation => {
                "a revoked refresh token no longer works; revoking an unknown token answers 200"
            }
            ProtocolId::UserinfoSub => "/userinfo answers for the id_token's subject",
            ProtocolId::Discovery => {
                "the discovery document's endpoints answer and what it advertises holds"
            }
            ProtocolId::DeviceFlow => {
                "device codes are pending, slowed down, approved and expired as RFC 8628 says"
            }
        }
    }

    /// A violation of this property, citing its source.
    pub fn violation(self, message: impl fmt::Display) -> Violation {
        Violation::new(CheckId::Protocol(self), message.to_string()).cite(self.source())
    }

    /// Runs the check through `session` with the suite's `setup`.
    pub fn run(self, setup: &Setup, session: &mut dyn Session) -> Finding {
        match self {
            ProtocolId::TokenResponse => token_response::run(setup, session),
            ProtocolId::CodeSingleUse => code_single_use::run(setup, session),
            ProtocolId::CodeBinding => code_binding::run(setup, session),
            ProtocolId::Pkce => pkce::run(setup, session),
            ProtocolId::StateEcho => state_echo::run(setup, session),
            ProtocolId::RedirectUriRegistered => redirect_uri_registered::run(setup, session),
            ProtocolId::Revocation => revocation::run(setup, session),
            ProtocolId::DeviceFlow => device_flow::run(setup, session),
            ProtocolId::RefreshRotation => refresh_rotation::run(setup, session),
            ProtocolId::JwtClaimTypes => jwt_claim_types::run(setup, session),
            ProtocolId::IdTokenSignature => id_token_signature::run(setup, session),
            ProtocolId::IdTokenClaims => id_token_claims::run(setup, session),
            ProtocolId::UserinfoSub => userinfo_sub::run(setup, session),
            ProtocolId::Discovery => discovery::run(setup, session),
        }
    }
}

impl fmt::Display for ProtocolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ProtocolId {
    type Err = String;

    fn from_str(s: &str) -> Result<ProtocolId, String> {
        ProtocolId::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = ProtocolId::ALL.iter().map(|c| c.as_str()).collect();
                format!("no protocol check `{s}` (known: {})", names.join(", "))
            })
    }
}

/// The roles of the endpoints protocol checks call; the runner finds each one's operation in
/// the document (by its conventional path, or the suite's `[protocol] endpoints`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Authorize,
    Token,
    Revoke,
    UserInfo,
    Jwks,
    Discovery,
    DeviceCode,
}

impl Endpoint {
    pub const ALL: [Endpoint; 7] = [
        Endpoint::Authorize,
        Endpoint::Token,
        Endpoint::Revoke,
        Endpoint::UserInfo,
        Endpoint::Jwks,
        Endpoint::Discovery,
        Endpoint::DeviceCode,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Authorize => "authorize",
            Endpoint::Token => "token",
            Endpoint::Revoke => "revoke",
            Endpoint::UserInfo => "userinfo",
            Endpoint::Jwks => "jwks",
            Endpoint::Discovery => "discovery",
            Endpoint::DeviceCode => "device_code",
        }
    }

    /// The path this endpoint has on Auth0 and most OpenID providers.
    pub fn conventional_path(self) -> &'static str {
        match self {
            Endpoint::Authorize => "/authorize",
            Endpoint::Token => "/oauth/token",
            Endpoint::Revoke => "/oauth/revoke",
            Endpoint::UserInfo => "/userinfo",
            Endpoint::Jwks => "/.well-known/jwks.json",
            Endpoint::Discovery => "/.well-known/openid-configuration",
            Endpoint::DeviceCode => "/oauth/device/code",
        }
    }
}

/// What a protocol check found: the violations (none: the property holds), or why it could
/// not tell.
pub type Finding = Result<Vec<Violation>, Stop>;

/// Why a protocol check could not judge its property.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    /// The server never got to the point the property is about (no code was issued, the
    /// suite gives no user): not a failure of the property. `status` is the last answer's.
    Unreached { status: u16, reason: String },
    /// conform could not run the check (a request could not be sent, the suite lacks a
    /// value the check needs, the document has no such endpoint).
    Error(String),
}

/// The values a suite's `[protocol]` table gives the checks, templates expanded.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    pub values: std::collections::BTreeMap<String, String>,
    /// The server rotates refresh tokens (`[protocol] rotation = true`).
    pub rotation: bool,
}

impl Setup {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// A value the check cannot go without: missing is a harness error naming the key.
    pub fn need(&self, key: &str) -> Result<&str, Stop> {
        self.get(key).ok_or_else(|| {
            Stop::Error(format!(
                "the suite's [protocol] table gives no `{key}`, which this check needs"
            ))
        })
    }
}

/// How a protocol check reaches the server. The runner's session sends through the gate and
/// builds each request from the document like a flow step.
pub trait Session {
    /// Calls the operation in `endpoint`'s role with these parameters (query, form or JSON as
    /// the document says) and headers.
    fn call(
        &mut self,
        endpoint: Endpoint,
        params: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Result<Exchange, Stop>;

    /// A GET of a path on the target or an absolute URL on the same host (a `jwks_uri`).
    fn get(&mut self, target: &str) -> Result<Exchange, Stop>;

    /// A request to a path outside the document (a test hook such as the reference server's
    /// device approval), with a form body.
    fn post_form(&mut self, path: &str, form: &[(&str, &str)]) -> Result<Exchange, Stop>;
}

/// The JSON body of an answer, if it is a JSON object.
pub fn json_object(exchange: &Exchange) -> Option<serde_json::Map<String, Value>> {
    match serde_json::from_slice(&exchange.response.body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// A query (or fragment) parameter of the answer's `Location` header.
pub fn location_param(exchange: &Exchange, name: &str) -> Option<String> {
    let location = exchange.response.header("location")?;
    let url = url::Url::parse(location)
        .or_else(|_| url::Url::parse("http://relative.invalid/")?.join(location))
        .ok()?;
    url.query_pairs()
        .chain(url::form_urlencoded::parse(
            url.fragment().unwrap_or_default().as_bytes(),
        ))
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The body, shortened, for a violation's "observed".
pub fn body_text(exchange: &Exchange) -> String {
    String::from_utf8_lossy(&exchange.response.body).into_owned()
}

/// An authorization code from `/authorize` (code flow, as the suite's client), with extra
/// parameters (`state`, a PKCE challenge, ...); not reaching a code is `Unreached`.
pub fn authorization_code(
    setup: &Setup,
    session: &mut dyn Session,
    extra: &[(&str, &str)],
) -> Result<String, Stop> {
    let client_id = setup.need("client_id")?;
    let redirect_uri = setup.need("redirect_uri")?;
    let mut params = vec![
        ("client_id", client_id),
        ("response_type", "code"),
        ("redirect_uri", redirect_uri),
    ];
    if let Some(scope) = setup.get("scope") {
        params.push(("scope", scope));
    }
    params.extend_from_slice(extra);
    let answer = session.call(Endpoint::Authorize, &params, &[])?;
    location_param(&answer, "code").ok_or_else(|| Stop::Unreached {
        status: answer.response.status,
        reason: format!(
            "/authorize gave no code (answered {}{})",
            answer.response.status,
            steps::location_text(&answer)
        ),
    })
}

/// The token endpoint's parameters for exchanging `code` as the suite's client.
pub fn code_exchange<'a>(setup: &'a Setup, code: &'a str) -> Result<Vec<(&'a str, &'a str)>, Stop> {
    let mut params = vec![
        ("grant_type", "authorization_code"),
        ("client_id", setup.need("client_id")?),
        ("code", code),
        ("redirect_uri", setup.need("redirect_uri")?),
    ];
    if let Some(secret) = setup.get("client_secret") {
        params.push(("client_secret", secret));
    }
    Ok(params)
}

#[cfg(test)]
pub(crate) mod fake {
    //! A scripted session for unit tests: answers in order, records what was asked.

    use super::*;
    use crate::execute::{Request, Response};

    /// One scripted answer: status, headers, body.
    pub type Answer<'a> = (u16, &'a [(&'a str, &'a str)], &'a str);
    type Owned = (u16, Vec<(String, String)>, String);

    pub struct Scripted {
        pub answers: Vec<Owned>,
        pub asked: Vec<String>,
    }

    impl Scripted {
        pub fn new(answers: &[Answer<'_>]) -> Scripted {
            Scripted {
                answers: answers
                    .iter()
                    .rev()
                    .map(|(s, h, b)| {
                        (
                            *s,
                            h.iter()
                                .map(|(k, v)| (k.to_string(), v.to_string()))
                                .collect(),
                            b.to_string(),
                        )
                    })
                    .collect(),
                asked: Vec::new(),
            }
        }

        fn answer(&mut self, what: String) -> Result<Exchange, Stop> {
            self.asked.push(what.clone());
            let (status, headers, body) = self
                .answers
                .pop()
                .ok_or_else(|| Stop::Error(format!("unscripted call: {what}")))?;
            Ok(Exchange {
                request: Request::new(crate::spec::Method::Get, "/"),
                response: Response {
                    status,
                    headers,
                    body: body.into_bytes(),
                    elapsed: Default::default(),
                },
            })
        }
    }

    impl Session for Scripted {
        fn call(
            &mut self,
            endpoint: Endpoint,
            params: &[(&str, &str)],
            _headers: &[(&str, &str)],
        ) -> Result<Exchange, Stop> {
            let params: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            self.answer(format!("{} {}", endpoint.as_str(), params.join("&")))
        }

        fn get(&mut self, target: &str) -> Result<Exchange, Stop> {
            self.answer(format!("GET {target}"))
        }

        fn post_form(&mut self, path: &str, _form: &[(&str, &str)]) -> Result<Exchange, Stop> {
            self.answer(format!("POST {path}"))
        }
    }

    /// The violations a check found, one a line as printed (the message and the source it
    /// cites); a check that stopped panics.
    pub fn printed(found: Finding) -> String {
        found
            .expect("judged")
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn setup() -> Setup {
        let mut setup = Setup::default();
        for (k, v) in [
            ("client_id", "cid"),
            ("client_secret", "secret"),
            ("redirect_uri", "https://app.example/cb"),
            ("username", "alice@example.com"),
            ("password", "pw"),
        ] {
            setup.values.insert(k.into(), v.into());
        }
        setup
    }
}
