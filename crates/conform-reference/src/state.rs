//! In-memory tenant state (`Shared`, `State`): users, clients, grants, tokens, codes, outbox and
//! rate-limit buckets. A restart is a clean slate. Locks are never held across an `.await`.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use base64::Engine;
use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use super::config::RateLimits;
use super::crypto::{Signer, now_unix};
use super::fault::Fault;
use super::http::{Params, Reply, Req};
use super::tenant::{Client, Tenant};

/// Lifetime of access and id tokens, seconds.
pub(crate) const TOKEN_LIFETIME: u64 = 86_400;
/// OpenID Connect scopes every user grant may carry regardless of audience.
const OIDC_SCOPES: [&str; 6] = [
    "openid",
    "profile",
    "email",
    "phone",
    "address",
    "offline_access",
];

pub(crate) struct Shared {
    pub tenant: Tenant,
    pub signer: Signer,
    pub faults: HashSet<Fault>,
    pub allow_simulation: bool,
    pub rate_limits: RateLimits,
    pub base_url: String,
    pub state: Mutex<State>,
    /// Every request answered (outside `/__reference/`), for tests that check what a client sent.
    pub log: RequestLog,
}

/// The server's own record of requests: method, path, status, milliseconds since start.
pub(crate) struct RequestLog {
    started: std::time::Instant,
    entries: Mutex<std::collections::VecDeque<serde_json::Value>>,
}

impl RequestLog {
    /// Entries kept; older ones are dropped so a long `conform serve` stays small.
    const CAPACITY: usize = 100_000;

    pub fn new() -> RequestLog {
        RequestLog {
            started: std::time::Instant::now(),
            entries: Mutex::new(std::collections::VecDeque::new()),
        }
    }

    pub fn record(&self, method: &str, path: &str, status: u16, peer: std::net::IpAddr) {
        let at_ms = self.started.elapsed().as_secs_f64() * 1000.0;
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= Self::CAPACITY {
            entries.pop_front();
        }
        entries.push_back(serde_json::json!({
            "method": method, "path": path, "status": status, "at_ms": at_ms, "peer": peer.to_string(),
        }));
    }

    pub fn snapshot(&self) -> serde_json::Value {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        serde_json::Value::Array(entries.iter().cloned().collect())
    }
}

impl Shared {
    pub fn has(&self, f: Fault) -> bool {
        self.faults.contains(&f)
    }

    /// The state lock; a poisoned lock (a panic elsewhere) is recovered, not propagated.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn issuer(&self) -> String {
        format!("{}/", self.base_url)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Authenticator {
    pub id: String,
    pub authenticator_type: String,
    pub oob_channel: Option<String>,
    pub name: Option<String>,
    pub active: bool,
    pub secret: Option<Vec<u8>>,
}

#[derive(Clone, Debug)]
pub(crate) struct UserRec {
    pub user_id: String,
    pub connection: String,
    pub email: Option<String>,
    pub password: Option<String>,
    pub name: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub nickname: String,
    pub phone_number: Option<String>,
    pub picture: Option<String>,
    pub linked: Vec<String>,
    pub blocked: bool,
    pub email_verified: bool,
    pub authenticators: Vec<Authenticator>,
    pub recovery_code: Option<String>,
    pub user_metadata: Value,
}

impl UserRec {
    pub fn has_active_mfa(&self) -> bool {
        self.authenticators
            .iter()
            .any(|a| a.active && a.authenticator_type != "recovery-code")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Subject {
    User(String),
    Client(String),
}

#[derive(Clone, Debug)]
pub(crate) struct AccessRec {
    pub subject: Subject,
    pub scope: Vec<String>,
    pub audience: Option<String>,
    pub exp: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct RefreshRec {
    pub user_id: String,
    pub client_id: String,
    pub scope: Vec<String>,
    pub audience: Option<String>,
    pub revoked: bool,
    /// The first refresh token of its rotation family (itself, when not rotated from another).
    pub family: String,
    /// Spent by a rotation: presenting it again is reuse.
    pub rotated: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct CodeGrant {
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: Option<String>,
    pub code_challenge: Option<String>,
    pub scope: Vec<String>,
    pub audience: Option<String>,
    pub nonce: Option<String>,
    pub used: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct MfaTx {
    pub user_id: String,
    pub client_id: String,
    pub scope: Vec<String>,
    pub audience: Option<String>,
    pub exp: u64,
}

/// A pushed authorization request (RFC 9126): who pushed it, what, until when.
#[derive(Clone, Debug)]
pub(crate) struct ParRec {
    pub client_id: String,
    pub params: Vec<(String, String)>,
    pub exp: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct OobTx {
    pub mfa_token: String,
    pub binding_code: String,
    /// A Guardian push (`oob_channel` `auth0`): no binding code; the user accepts or rejects
    /// on the device (`None` until then; `POST /__reference/mfa/push` decides).
    pub push: bool,
    pub decision: Option<bool>,
}

#[derive(Clone, Debug)]
pub(crate) struct DeviceTx {
    pub client_id: String,
    pub user_code: String,
    pub scope: Vec<String>,
    pub audience: Option<String>,
    pub exp: u64,
    pub last_poll: Option<Instant>,
    pub approved_user: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct OtpRec {
    pub code: String,
    pub exp: u64,
}

/// Whom a rate-limit bucket counts: Auth0 keys its limits by IP, by user, or both (issue 11).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum BucketKey {
    Ip(IpAddr),
    User(String),
}

#[derive(Clone, Debug)]
pub(crate) struct Bucket {
    pub tokens: f64,
    pub updated: Instant,
}

pub(crate) struct State {
    pub users: IndexMap<String, UserRec>,
    pub clients: IndexMap<String, Client>,
    pub codes: HashMap<String, CodeGrant>,
    pub access: HashMap<String, AccessRec>,
    pub id_tokens: HashMap<String, (String, String)>,
    pub refresh: HashMap<String, RefreshRec>,
    pub mfa: HashMap<String, MfaTx>,
    pub oob: HashMap<String, OobTx>,
    pub devices: HashMap<String, DeviceTx>,
    /// (connection, email or phone) -> current one-time code.
    pub otp_codes: HashMap<(String, String), OtpRec>,
    pub outbox: Vec<Value>,
    /// Rate-limit buckets by (path template, key): the client IP, or for `/userinfo` the user
    /// the bearer token belongs to.
    pub buckets: HashMap<(&'static str, BucketKey), Bucket>,
    /// Pushed authorization requests by request_uri.
    pub par: HashMap<String, ParRec>,
    /// Brute-force protection: consecutive wrong passwords per (user_id, client IP) ...
    pub failed_logins: HashMap<(String, IpAddr), u32>,
    /// ... and the (user_id, client IP) pairs it has blocked.
    pub brute_force_blocks: HashSet<(String, IpAddr)>,
    pub seq: u64,
}

impl State {
    pub fn seeded(t: &Tenant) -> Self {
        let mut users = IndexMap::new();
        for u in &t.users {
            let mut authenticators = Vec::new();
            if let Some(secret) = &u.otp_secret {
                let short = u.user_id.rsplit('-').next().unwrap_or("user").to_string();
                authenticators.push(Authenticator {
                    id: format!("totp|dev_{short}_otp"),
                    authenticator_type: "otp".into(),
                    oob_channel: None,
                    name: None,
                    active: true,
                    secret: Some(secret.as_bytes().to_vec()),
                });
                authenticators.push(Authenticator {
                    id: format!("sms|dev_{short}_sms"),
                    authenticator_type: "oob".into(),
                    oob_channel: Some("sms".into()),
                    name: u.phone_number.clone(),
                    active: true,
                    secret: None,
                });
                authenticators.push(Authenticator {
                    id: format!("push|dev_{short}_push"),
                    authenticator_type: "oob".into(),
                    oob_channel: Some("auth0".into()),
                    name: Some(format!("{}'s phone", u.nickname)),
                    active: true,
                    secret: None,
                });
                authenticators.push(Authenticator {
                    id: format!("recovery-code|dev_{short}_rc"),
                    authenticator_type: "recovery-code".into(),
                    oob_channel: None,
                    name: None,
                    active: true,
                    secret: None,
                });
            }
            users.insert(
                u.user_id.clone(),
                UserRec {
                    user_id: u.user_id.clone(),
                    connection: u.connection.clone(),
                    email: Some(u.email.clone()),
                    password: Some(u.password.clone()),
                    name: u.name.clone(),
                    given_name: u.given_name.clone(),
                    family_name: u.family_name.clone(),
                    nickname: u.nickname.clone(),
                    phone_number: u.phone_number.clone(),
                    picture: None,
                    linked: u.linked_identities.clone(),
                    blocked: u.blocked,
                    email_verified: true,
                    authenticators,
                    recovery_code: u.recovery_code.clone(),
                    user_metadata: json!({}),
                },
            );
        }
        let clients = t
            .clients
            .iter()
            .map(|c| (c.client_id.clone(), c.clone()))
            .collect();
        let mut devices = HashMap::new();
        devices.insert(
            t.expired_device_code.clone(),
            DeviceTx {
                client_id: "conform-device".into(),
                user_code: "EXPD-CODE".into(),
                scope: vec!["openid".into()],
                audience: None,
                exp: 0,
                last_poll: None,
                approved_user: None,
            },
        );
        Self {
            users,
            clients,
            codes: HashMap::new(),
            failed_logins: HashMap::new(),
            par: HashMap::new(),
            brute_force_blocks: HashSet::new(),
            access: HashMap::new(),
            id_tokens: HashMap::new(),
            refresh: HashMap::new(),
            mfa: HashMap::new(),
            oob: HashMap::new(),
            devices,
            otp_codes: HashMap::new(),
            outbox: Vec::new(),
            buckets: HashMap::new(),
            seq: 0,
        }
    }

    pub fn user_by_login(&self, connection: Option<&str>, username: &str) -> Option<&UserRec> {
        self.users.values().find(|u| {
            connection.is_none_or(|c| u.connection == c)
                && (u.email.as_deref() == Some(username)
                    || u.nickname == username
                    || u.phone_number.as_deref() == Some(username))
        })
    }

    pub fn user_by_email(&self, email: &str) -> Option<&UserRec> {
        self.users.values().find(|u| {
            u.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
    }
}

/// Identify (and for confidential clients authenticate) the calling application.
///
/// The client id comes from the body or from HTTP Basic; unknown -> 401, wrong or missing secret
/// of a confidential client -> 401 (`require_secret`), missing client id -> 400.
pub(crate) fn authenticate_client(
    sh: &Shared,
    req: &Req,
    p: &Params,
    require_secret: bool,
) -> Result<Client, Reply> {
    let mut basic: Option<(String, String)> = None;
    if let Some(Ok((scheme, cred))) = req.authorization()
        && scheme == "basic"
    {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(cred.as_bytes())
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        if let Some((id, secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) {
            basic = Some((id.to_string(), secret.to_string()));
        }
    }
    let client_id = match (p.str("client_id")?, &basic) {
        (Some(id), _) if !id.is_empty() => id,
        (_, Some((id, _))) => id.clone(),
        _ => return Err(Reply::bad_request("Missing required parameter: client_id")),
    };
    let st = sh.lock();
    let Some(client) = st.clients.get(&client_id).cloned() else {
        return Err(Reply::bad_client("Unknown client."));
    };
    drop(st);
    if require_secret && let Some(expected) = &client.client_secret {
        let given = p
            .str("client_secret")?
            .or_else(|| basic.as_ref().map(|(_, s)| s.clone()));
        match given {
            Some(s) if &s == expected => {}
            Some(_) => return Err(Reply::bad_client("Wrong client_secret.")),
            None => {
                return Err(Reply::bad_client(
                    "Client authentication required: client_secret is missing.",
                ));
            }
        }
    }
    Ok(client)
}

/// Split a space-delimited scope string.
pub(crate) fn split_scope(s: Option<&str>) -> Vec<String> {
    s.unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// The scopes a user grant obtains: OIDC scopes plus those the audience defines.
pub(crate) fn grant_scopes(
    t: &Tenant,
    requested: &[String],
    audience: Option<&str>,
) -> Vec<String> {
    let api_scopes: Vec<String> = audience
        .and_then(|a| t.api(a))
        .map(|a| a.scopes.clone())
        .unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for s in requested {
        if (OIDC_SCOPES.contains(&s.as_str()) || api_scopes.contains(s)) && !out.contains(s) {
            out.push(s.clone());
        }
    }
    out
}

/// Issue access (+ id, + refresh) tokens for a user and record them.
// Each argument is one independent fact of the grant; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
pub(crate) fn issue_user_tokens(
    sh: &Shared,
    st: &mut State,
    user_id: &str,
    client: &Client,
    scope: &[String],
    audience: Option<&str>,
    nonce: Option<&str>,
    allow_refresh: bool,
) -> Value {
    let now = now_unix();
    let iss = sh.issuer();
    let mut aud: Vec<Value> = Vec::new();
    if let Some(a) = audience {
        aud.push(json!(a));
    }
    aud.push(json!(format!("{}/userinfo", sh.base_url)));
    st.seq += 1;
    let mut claims = json!({
        "iss": iss, "sub": user_id, "aud": aud, "iat": now, "exp": now + TOKEN_LIFETIME,
        "azp": client.client_id, "scope": scope.join(" "), "jti": st.seq.to_string(),
    });
    if sh.has(Fault::JwtStringIat) {
        claims["iat"] = json!(now.to_string());
    }
    let access_token = sh
        .signer
        .sign(&claims)
        .unwrap_or_else(|| sh.signer.random_token(32));
    st.access.insert(
        access_token.clone(),
        AccessRec {
            subject: Subject::User(user_id.to_string()),
            scope: scope.to_vec(),
            audience: audience.map(str::to_string),
            exp: now + TOKEN_LIFETIME,
        },
    );
    let mut body = Map::new();
    body.insert("access_token".into(), json!(access_token));
    if scope.iter().any(|s| s == "openid") {
        let mut idc = json!({
            "iss": iss, "sub": user_id, "aud": client.client_id, "iat": now,
            "exp": now + TOKEN_LIFETIME, "jti": st.seq.to_string(),
        });
        if let Some(n) = nonce {
            idc["nonce"] = json!(n);
        }
        if sh.has(Fault::IdTokenWrongAud) {
            // The access token's audience copied onto the id_token.
            idc["aud"] = json!(format!("{}/userinfo", sh.base_url));
        }
        if let Some(u) = st.users.get(user_id) {
            profile_claims(u, scope, &mut idc);
        }
        let signed = if sh.has(Fault::IdTokenUnpublishedKey) {
            sh.signer.sign_unpublished(&idc)
        } else {
            sh.signer.sign(&idc)
        };
        if let Some(id_token) = signed {
            st.id_tokens.insert(
                id_token.clone(),
                (user_id.to_string(), client.client_id.clone()),
            );
            body.insert("id_token".into(), json!(id_token));
        }
    }
    if allow_refresh
        && scope.iter().any(|s| s == "offline_access")
        && client.grant_types.iter().any(|g| g == "refresh_token")
    {
        let rt = sh.signer.random_token(32);
        st.refresh.insert(
            rt.clone(),
            RefreshRec {
                user_id: user_id.to_string(),
                client_id: client.client_id.clone(),
                scope: scope.to_vec(),
                audience: audience.map(str::to_string),
                revoked: false,
                family: rt.clone(),
                rotated: false,
            },
        );
        body.insert("refresh_token".into(), json!(rt));
    }
    body.insert("scope".into(), json!(scope.join(" ")));
    body.insert("expires_in".into(), json!(TOKEN_LIFETIME));
    body.insert("token_type".into(), json!("Bearer"));
    Value::Object(body)
}

/// Add the OIDC profile claims `scope` allows to `out`.
pub(crate) fn profile_claims(u: &UserRec, scope: &[String], out: &mut Value) {
    let has = |s: &str| scope.iter().any(|x| x == s);
    out["sub"] = json!(u.user_id);
    if has("profile") {
        out["name"] = json!(u.name);
        out["nickname"] = json!(u.nickname);
        if let Some(g) = &u.given_name {
            out["given_name"] = json!(g);
        }
        if let Some(f) = &u.family_name {
            out["family_name"] = json!(f);
        }
        out["picture"] = json!(
            u.picture
                .clone()
                .unwrap_or_else(|| format!("https://avatars.conform.test/{}.png", u.nickname))
        );
        out["updated_at"] = json!("2026-01-01T00:00:00.000Z");
    }
    if has("email")
        && let Some(e) = &u.email
    {
        out["email"] = json!(e);
        out["email_verified"] = json!(u.email_verified);
    }
    if has("phone")
        && let Some(p) = &u.phone_number
    {
        out["phone_number"] = json!(p);
        out["phone_number_verified"] = json!(true);
    }
    if has("address") {
        out["address"] = json!({"country": "us"});
    }
}

/// Look up a bearer access token (not expired).
pub(crate) fn lookup_access(st: &State, token: &str) -> Option<AccessRec> {
    st.access.get(token).filter(|a| a.exp > now_unix()).cloned()
}

/// Whether `token` is anything this tenant issued and still honours as a bearer credential.
pub(crate) fn known_bearer(st: &State, token: &str) -> bool {
    lookup_access(st, token).is_some() || st.mfa.get(token).is_some_and(|m| m.exp > now_unix())
}

/// `Bearer x` from `Authorization`, or from the document's `access_token` header.
pub(crate) fn bearer_from(req: &Req, alt_header: Option<&str>) -> Result<Option<String>, Reply> {
    let from_alt = req.header("authorization").is_none();
    let raw = req
        .header("authorization")
        .map(str::to_string)
        .or_else(|| alt_header.and_then(|h| req.header(h)).map(str::to_string));
    let Some(raw) = raw else {
        if req.headers.contains_key("authorization")
            || alt_header.is_some_and(|h| req.headers.contains_key(h))
        {
            return Err(Reply::bad_request(
                "The access token header is not valid text.",
            ));
        }
        return Ok(None);
    };
    // The document's `access_token`/`ACCESS_TOKEN` header may carry the bare token.
    if from_alt && !raw.trim().contains(' ') && !raw.trim().is_empty() {
        return Ok(Some(raw.trim().to_string()));
    }
    let mut parts = raw.trim().splitn(2, ' ');
    let scheme = parts.next().unwrap_or_default();
    let token = parts.next().unwrap_or_default().trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(Reply::bad_request(
            "The access token must be sent as `Bearer <token>`.",
        ));
    }
    Ok(Some(token.to_string()))
}

/// A 401 for a missing or unknown bearer token.
pub(crate) fn invalid_token(desc: &str) -> Reply {
    Reply::unauthorized("invalid_token", desc)
        .with_header("www-authenticate", "Bearer error=\"invalid_token\"".into())
}

/// Check and consume a passwordless code; the user is created on first login.
pub(crate) fn consume_otp(
    st: &mut State,
    connection: &str,
    username: &str,
    otp: &str,
) -> Option<String> {
    let key = (connection.to_string(), username.to_string());
    let rec = st.otp_codes.get(&key)?;
    if rec.code != otp || rec.exp <= now_unix() {
        return None;
    }
    st.otp_codes.remove(&key);
    let existing = st
        .users
        .values()
        .find(|u| {
            u.email.as_deref() == Some(username) || u.phone_number.as_deref() == Some(username)
        })
        .map(|u| u.user_id.clone());
    if let Some(id) = existing {
        return Some(id);
    }
    st.seq += 1;
    let user_id = format!("{connection}|{:024x}", st.seq + 0x7200_0000_0000);
    let is_email = username.contains('@');
    st.users.insert(
        user_id.clone(),
        UserRec {
            user_id: user_id.clone(),
            connection: connection.to_string(),
            email: is_email.then(|| username.to_string()),
            password: None,
            name: username.to_string(),
            given_name: None,
            family_name: None,
            nickname: username.split('@').next().unwrap_or(username).to_string(),
            phone_number: (!is_email).then(|| username.to_string()),
            picture: None,
            linked: Vec::new(),
            blocked: false,
            email_verified: is_email,
            authenticators: Vec::new(),
            recovery_code: None,
            user_metadata: json!({}),
        },
    );
    Some(user_id)
}
