//! Deliberate non-conformances (`Fault`) the reference server can be told to commit, so the
//! harness can prove it notices each one.

use std::fmt;
use std::str::FromStr;

macro_rules! faults {
    ($( $variant:ident => $name:literal, $desc:literal; )*) => {
        /// One deliberate deviation from the document (or from Auth0's documented behaviour).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Fault {
            $( #[doc = $desc] $variant, )*
        }

        static FAULTS: &[FaultInfo] = &[
            $( FaultInfo { fault: Fault::$variant, name: $name, description: $desc }, )*
        ];

        impl Fault {
            /// The kebab-case name used on the command line and in `FromStr`.
            pub fn name(self) -> &'static str {
                match self { $( Fault::$variant => $name, )* }
            }
        }
    };
}

faults! {
    WrongSuccessStatus => "wrong-success-status",
        "oauth_token 200: a successful token answer is sent as 201 Created (documented: 200).";
    UndocumentedStatus => "undocumented-status",
        "dbconnections_signup 400: validation errors are answered 422 Unprocessable Entity, a status the document does not list.";
    WrongContentType => "wrong-content-type",
        "userinfo 200: the profile is sent as text/plain instead of application/json.";
    NestedWrongType => "nested-wrong-type",
        "userinfo 200: address.country is a number where the document says string.";
    ArrayForObject => "array-for-object",
        "oidc_register 201: the registered client is wrapped in a JSON array where an object is documented.";
    NullForString => "null-for-string",
        "userinfo 200: name is null although the schema is a non-nullable string.";
    NonJsonErrorBody => "non-json-error-body",
        "oauth_token 400: error answers are an HTML page (text/html) instead of the JSON error object.";
    ErrorFieldWrongType => "error-field-wrong-type",
        "every JSON 401: the error field is the number 401 instead of a string.";
    RedirectWithoutLocation => "redirect-without-location",
        "authorize 302: the redirect carries no Location header.";
    NotFoundFor405 => "not-found-for-405",
        "every operation 405: a wrong method on a known path answers 404 instead of 405.";
    MissingAllowHeader => "missing-allow-header",
        "every operation 405: the 405 answer has no Allow header.";
    LongStringCrash => "long-string-crash",
        "every operation: any query or body string longer than 1000 characters answers 500 (an undocumented crash).";
    NonAsciiCrash => "non-ascii-crash",
        "every operation: any query or body string with a non-ASCII character answers 500.";
    EmptyArrayCrash => "empty-array-crash",
        "oidc_register and mfa_associate: an empty JSON array in the body answers 500.";
    UserinfoIgnoresAuth => "userinfo-ignores-auth",
        "userinfo 401: a missing or invalid token gets the default user's profile with 200.";
    ForbiddenForBadCredentials => "forbidden-for-bad-credentials",
        "every 401 caused by bad client credentials (unknown client_id, wrong client_secret) is answered 403.";
    RevokeNoop => "revoke-noop",
        "oauth_revoke 200: answers success but the refresh token keeps working at oauth_token.";
    AuthorizationCodeReuse => "authorization-code-reuse",
        "oauth_token 403: a used authorization code is accepted again (documented single use).";
    TruncatedJson => "truncated-json",
        "oauth_token 200: the JSON body is cut in half (invalid JSON with application/json).";
    SlowResponse => "slow-response",
        "userinfo (every status): each answer is delayed by 6 seconds.";
    MissingResponseField => "missing-response-field",
        "oauth_device_code 200: the device_code field is omitted (the document marks nothing required, so only flows notice).";
    ExtraStatusOnNotFound => "extra-status-on-not-found",
        "every operation 404 for unknown path ids (client_id, user_id, authenticator id): answered 410 Gone, undocumented.";
    UnknownPathOk => "unknown-path-ok",
        "unknown paths (outside the document) answer 200 with an empty JSON object instead of 404.";
    SimulationIgnored => "simulation-ignored",
        "every operation 500/501/503: the simulation header is ignored, so the 5xx statuses cannot be provoked.";
    RateLimitMissingHeaders => "rate-limit-missing-headers",
        "every operation 429: the answer has no Retry-After nor X-RateLimit-* headers and an empty body.";
    BurstBody => "burst-body",
        "every operation: while a burst drains its rate-limit bucket below half (before the limit bites), JSON answers are a JSON array instead of the documented object.";
    ErrorForSuccess => "error-for-success",
        "dbconnections_change_password 200: the sentence Auth0 answers as text/html is replaced by a JSON object.";
    TokenWithoutType => "token-without-type",
        "oauth_token 200: the answer has no token_type and no Cache-Control: no-store (schema-valid: the document marks nothing required).";
    AuthorizationCodeUnbound => "authorization-code-unbound",
        "oauth_token 200: an authorization code is exchanged by any client, with any redirect_uri or none (RFC 6749 §4.1.3 binds it to both).";
    PkceIgnored => "pkce-ignored",
        "oauth_token 200: the code_verifier of a code issued with a PKCE challenge is not checked (a wrong one or none is accepted).";
    StateDecodedTwice => "state-decoded-twice",
        "authorize 302: state is percent-decoded once more before it is echoed (`%41` comes back as `A`), on success and error redirects.";
    RedirectUriPrefixMatch => "redirect-uri-prefix-match",
        "authorize 302: a redirect_uri that merely starts with a registered callback is accepted and redirected to (RFC 9700 §4.1.3 requires exact matching).";
    RevokeUnknownNotFound => "revoke-unknown-not-found",
        "oauth_revoke 200: a token the server never issued is answered 404 instead of 200 (RFC 7009 §2.2).";
    DeviceNoSlowDown => "device-no-slow-down",
        "oauth_token (device grant): polling faster than the interval answers authorization_pending instead of slow_down (RFC 8628 §3.5).";
    RefreshNotRotated => "refresh-not-rotated",
        "oauth_token (refresh grant): a rotating client's used refresh token keeps working (a successor is issued, the old one is never spent, no reuse detection).";
    JwtStringIat => "jwt-string-iat",
        "oauth_token 200: a user's access token (a JWT) carries `iat` as a string of digits, not a NumericDate (RFC 7519 §4.1.6).";
    IdTokenUnpublishedKey => "id-token-unpublished-key",
        "oauth_token 200: id_tokens are signed by a key the JWKS does not publish (under the published kid).";
    IdTokenWrongAud => "id-token-wrong-aud",
        "oauth_token 200: the id_token's aud is the /userinfo URL (the access token's audience), not the client id.";
    UserinfoWrongSub => "userinfo-wrong-sub",
        "userinfo 200: sub is the user id without its connection prefix (`user-plain`, where the id_token says `auth0|user-plain`).";
    DiscoveryDeadEndpoint => "discovery-dead-endpoint",
        "/.well-known/openid-configuration: registration_endpoint names /oidc/registration, which answers 404 (the endpoint is /oidc/register).";
}

/// What a fault does, for `conform serve --fault` listings and reports.
#[derive(Clone, Copy, Debug)]
pub struct FaultInfo {
    pub fault: Fault,
    pub name: &'static str,
    pub description: &'static str,
}

/// Every fault the reference server knows, in a stable order.
pub fn faults() -> &'static [FaultInfo] {
    FAULTS
}

/// A fault name that is not in [`faults`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault `{0}` (see `faults()` for the list)")]
pub struct UnknownFault(pub String);

impl FromStr for Fault {
    type Err = UnknownFault;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FAULTS
            .iter()
            .find(|f| f.name == s)
            .map(|f| f.fault)
            .ok_or_else(|| UnknownFault(s.to_string()))
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
