//! The operations the reference server answers (`Op`) and the router that maps a request path to
//! one of them.

use axum::http::Method;

use super::http::decode_segment;

/// The operations of the document, plus the reference-only helpers outside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Authorize,
    Logout,
    OidcLogout,
    SamlLogout(String),
    PasswordlessStart,
    PasswordlessVerify,
    OauthToken,
    Signup,
    ChangePassword,
    Userinfo,
    MfaChallenge,
    MfaAssociate,
    MfaAuthenticators,
    MfaAuthenticatorsDelete(String),
    SamlpLogin(String),
    SamlpMetadata(String),
    LoginCallback,
    WsfedLogin(String),
    WsfedMetadata,
    OidcRegister,
    DeviceCode,
    Revoke,
    AccessToken,
    Ro,
    Tokeninfo,
    Delegation,
    Unlink,
    Impersonate(String),
    // In Auth0's current document (OpenAPI 3.1), not in the 3.0 one:
    LoginUnlink,
    Par,
    BcAuthorize,
    GlobalTokenRevocation(String),
    // Outside the document:
    Jwks,
    Discovery,
    Outbox,
    Requests,
    DeviceApprove,
    DeviceExpire,
    MfaPush,
}

impl Op {
    /// The document's path template (used as the rate-limit key).
    pub fn template(&self) -> &'static str {
        match self {
            Op::Authorize => "/authorize",
            Op::Logout => "/v2/logout",
            Op::OidcLogout => "/oidc/logout",
            Op::SamlLogout(_) => "/samlp/{CLIENT_ID}/logout",
            Op::PasswordlessStart => "/passwordless/start",
            Op::PasswordlessVerify => "/passwordless/verify",
            Op::OauthToken => "/oauth/token",
            Op::Signup => "/dbconnections/signup",
            Op::ChangePassword => "/dbconnections/change_password",
            Op::Userinfo => "/userinfo",
            Op::MfaChallenge => "/mfa/challenge",
            Op::MfaAssociate => "/mfa/associate",
            Op::MfaAuthenticators => "/mfa/authenticators",
            Op::MfaAuthenticatorsDelete(_) => "/mfa/authenticators/{AUTHENTICATOR_ID}",
            Op::SamlpLogin(_) => "/samlp/{client_id}",
            Op::SamlpMetadata(_) => "/samlp/metadata/{client_id}",
            Op::LoginCallback => "/login/callback",
            Op::WsfedLogin(_) => "/wsfed/{client_id}",
            Op::WsfedMetadata => "/wsfed/FederationMetadata/2007-06/FederationMetadata.xml",
            Op::OidcRegister => "/oidc/register",
            Op::DeviceCode => "/oauth/device/code",
            Op::Revoke => "/oauth/revoke",
            Op::AccessToken => "/oauth/access_token",
            Op::Ro => "/oauth/ro",
            Op::Tokeninfo => "/tokeninfo",
            Op::Delegation => "/delegation",
            Op::Unlink => "/unlink",
            Op::Impersonate(_) => "/users/{user_id}/impersonate",
            Op::LoginUnlink => "/login/unlink",
            Op::Par => "/oauth/par",
            Op::BcAuthorize => "/bc-authorize",
            Op::GlobalTokenRevocation(_) => {
                "/oauth/global-token-revocation/connection/{connection_name}"
            }
            Op::MfaPush => "/__reference/mfa/push",
            Op::Jwks => "/.well-known/jwks.json",
            Op::Discovery => "/.well-known/openid-configuration",
            Op::Outbox => "/__reference/outbox",
            Op::Requests => "/__reference/requests",
            Op::DeviceApprove => "/__reference/device/approve",
            Op::DeviceExpire => "/__reference/device/expire",
        }
    }

    /// The one method the path has.
    pub fn method(&self) -> Method {
        match self {
            Op::Authorize
            | Op::Logout
            | Op::OidcLogout
            | Op::Userinfo
            | Op::MfaAuthenticators
            | Op::SamlpLogin(_)
            | Op::SamlpMetadata(_)
            | Op::WsfedLogin(_)
            | Op::WsfedMetadata
            | Op::Jwks
            | Op::Discovery
            | Op::Outbox
            | Op::Requests => Method::GET,
            Op::MfaAuthenticatorsDelete(_) => Method::DELETE,
            _ => Method::POST,
        }
    }

    /// Whether the operation is one of the document's 28.
    pub fn documented(&self) -> bool {
        !matches!(
            self,
            Op::Jwks
                | Op::Discovery
                | Op::Outbox
                | Op::Requests
                | Op::DeviceApprove
                | Op::DeviceExpire
                | Op::MfaPush
        )
    }

    /// Whether the handler reads a JSON/form body (so a bad body is its 400).
    pub(crate) fn takes_fields(&self) -> bool {
        self.method() == Method::POST && !matches!(self, Op::SamlLogout(_))
    }
}

/// Map a request path to an operation. `Err` = a path segment is not valid percent-encoding.
pub(crate) fn route(path: &str) -> Result<Option<Op>, ()> {
    let raw: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut seg = Vec::with_capacity(raw.len());
    for s in &raw {
        seg.push(decode_segment(s).ok_or(())?);
    }
    let s: Vec<&str> = seg.iter().map(String::as_str).collect();
    let id = |i: usize| s[i].to_string();
    Ok(match s.as_slice() {
        ["authorize"] => Some(Op::Authorize),
        ["v2", "logout"] => Some(Op::Logout),
        ["oidc", "logout"] => Some(Op::OidcLogout),
        ["oidc", "register"] => Some(Op::OidcRegister),
        ["samlp", "metadata", _] => Some(Op::SamlpMetadata(id(2))),
        ["samlp", c, "logout"] if !c.is_empty() => Some(Op::SamlLogout(id(1))),
        ["samlp", c] if !c.is_empty() => Some(Op::SamlpLogin(id(1))),
        ["passwordless", "start"] => Some(Op::PasswordlessStart),
        ["passwordless", "verify"] => Some(Op::PasswordlessVerify),
        ["oauth", "token"] => Some(Op::OauthToken),
        ["oauth", "device", "code"] => Some(Op::DeviceCode),
        ["oauth", "revoke"] => Some(Op::Revoke),
        ["oauth", "access_token"] => Some(Op::AccessToken),
        ["oauth", "ro"] => Some(Op::Ro),
        ["dbconnections", "signup"] => Some(Op::Signup),
        ["dbconnections", "change_password"] => Some(Op::ChangePassword),
        ["userinfo"] => Some(Op::Userinfo),
        ["mfa", "challenge"] => Some(Op::MfaChallenge),
        ["mfa", "associate"] => Some(Op::MfaAssociate),
        ["mfa", "authenticators"] => Some(Op::MfaAuthenticators),
        ["mfa", "authenticators", a] if !a.is_empty() => Some(Op::MfaAuthenticatorsDelete(id(2))),
        ["login", "callback"] => Some(Op::LoginCallback),
        [
            "wsfed",
            "FederationMetadata",
            "2007-06",
            "FederationMetadata.xml",
        ] => Some(Op::WsfedMetadata),
        ["wsfed", c] if !c.is_empty() => Some(Op::WsfedLogin(id(1))),
        ["tokeninfo"] => Some(Op::Tokeninfo),
        ["delegation"] => Some(Op::Delegation),
        ["unlink"] => Some(Op::Unlink),
        ["login", "unlink"] => Some(Op::LoginUnlink),
        ["oauth", "par"] => Some(Op::Par),
        ["bc-authorize"] => Some(Op::BcAuthorize),
        ["oauth", "global-token-revocation", "connection", c] if !c.is_empty() => {
            Some(Op::GlobalTokenRevocation(id(3)))
        }
        ["__reference", "mfa", "push"] => Some(Op::MfaPush),
        ["users", u, "impersonate"] if !u.is_empty() => Some(Op::Impersonate(id(1))),
        [".well-known", "jwks.json"] => Some(Op::Jwks),
        [".well-known", "openid-configuration"] => Some(Op::Discovery),
        ["__reference", "outbox"] => Some(Op::Outbox),
        ["__reference", "requests"] => Some(Op::Requests),
        ["__reference", "device", "approve"] => Some(Op::DeviceApprove),
        ["__reference", "device", "expire"] => Some(Op::DeviceExpire),
        _ => None,
    })
}
