//! `POST /oauth/token` (operation `oauth_token`): every grant the document lists, form or JSON.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::crypto::{now_unix, pkce_s256, totp};
use crate::fault::Fault;
use crate::http::{Cause, Params, Reply, Req};
use crate::state::{
    AccessRec, Shared, Subject, TOKEN_LIFETIME, authenticate_client, grant_scopes,
    issue_user_tokens, split_scope,
};
use crate::tenant::Client;

pub(crate) const GT_PASSWORD_REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";
pub(crate) const GT_MFA_OTP: &str = "http://auth0.com/oauth/grant-type/mfa-otp";
pub(crate) const GT_MFA_OOB: &str = "http://auth0.com/oauth/grant-type/mfa-oob";
pub(crate) const GT_MFA_RECOVERY: &str = "http://auth0.com/oauth/grant-type/mfa-recovery-code";
pub(crate) const GT_PASSWORDLESS: &str = "http://auth0.com/oauth/grant-type/passwordless/otp";
pub(crate) const GT_DEVICE: &str = "urn:ietf:params:oauth:grant-type:device_code";
pub(crate) const GT_TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub(crate) const APPLE_AUTHZ_CODE_TYPE: &str = "http://auth0.com/oauth/token-type/apple-authz-code";
pub(crate) const DATABASE: &str = "Username-Password-Authentication";

pub(crate) fn oauth_token(sh: &Shared, req: &Req) -> Result<Reply, Reply> {
    let p = req.params()?;
    let grant_type = p.req("grant_type")?;
    const KNOWN: [&str; 11] = [
        "authorization_code",
        "client_credentials",
        "password",
        "refresh_token",
        GT_PASSWORD_REALM,
        GT_MFA_OTP,
        GT_MFA_OOB,
        GT_MFA_RECOVERY,
        GT_PASSWORDLESS,
        GT_DEVICE,
        GT_TOKEN_EXCHANGE,
    ];
    if !KNOWN.contains(&grant_type.as_str()) {
        return Err(Reply::error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("Unsupported grant type: {grant_type}"),
        ));
    }
    // Failed client authentication on /oauth/token is 401 `access_denied` "Unauthorized"
    // (issue 11, live tenant; Auth0.Android#154 quotes the same answer), not `invalid_client`.
    let client = authenticate_client(sh, req, &p, true).map_err(|r| {
        if r.cause == Cause::BadClient {
            let mut u = Reply::unauthorized("access_denied", "Unauthorized");
            u.cause = Cause::BadClient;
            u
        } else {
            r
        }
    })?;
    if !client.grant_types.contains(&grant_type) {
        return Err(Reply::forbidden(
            "unauthorized_client",
            &format!("Grant type '{grant_type}' not allowed for the client."),
        ));
    }
    let mut body = match grant_type.as_str() {
        "authorization_code" => authorization_code(sh, &p, &client)?,
        "client_credentials" => client_credentials(sh, &p, &client)?,
        "password" | GT_PASSWORD_REALM => password(sh, req, &p, &client, &grant_type)?,
        "refresh_token" => refresh(sh, &p, &client)?,
        GT_DEVICE => device(sh, &p, &client)?,
        GT_MFA_OTP | GT_MFA_OOB | GT_MFA_RECOVERY => mfa(sh, &p, &client, &grant_type)?,
        GT_PASSWORDLESS => passwordless(sh, &p, &client)?,
        _ => token_exchange(sh, &p, &client)?,
    };
    if sh.has(Fault::TokenWithoutType)
        && let Some(fields) = body.as_object_mut()
    {
        fields.remove("token_type");
        return Ok(Reply::json(StatusCode::OK, &body));
    }
    Ok(Reply::json(StatusCode::OK, &body)
        .with_header("cache-control", "no-store".into())
        .with_header("pragma", "no-cache".into()))
}

fn invalid_grant(desc: &str) -> Reply {
    Reply::forbidden("invalid_grant", desc)
}

/// Unknown audience -> 403 `access_denied` "Service not found: ..." (issue 11, live tenant;
/// not a 404).
pub(crate) fn check_audience(sh: &Shared, audience: Option<&str>) -> Result<(), Reply> {
    if let Some(a) = audience
        && sh.tenant.api(a).is_none()
    {
        return Err(Reply::forbidden(
            "access_denied",
            &format!("Service not found: {a}"),
        ));
    }
    Ok(())
}

fn authorization_code(sh: &Shared, p: &Params, client: &Client) -> Result<Value, Reply> {
    let code = p.req("code")?;
    let verifier = p.str("code_verifier")?;
    let redirect_uri = p.str("redirect_uri")?;
    let mut st = sh.lock();
    let Some(grant) = st.codes.get(&code).cloned() else {
        return Err(invalid_grant("Invalid authorization code"));
    };
    if grant.used && !sh.has(Fault::AuthorizationCodeReuse) {
        return Err(invalid_grant("Authorization code has already been used."));
    }
    let unbound = sh.has(Fault::AuthorizationCodeUnbound);
    if grant.client_id != client.client_id && !unbound {
        return Err(invalid_grant(
            "Authorization code was issued to another client.",
        ));
    }
    if grant.redirect_uri.is_some() && grant.redirect_uri != redirect_uri && !unbound {
        return Err(invalid_grant(
            "redirect_uri does not match the one sent to /authorize.",
        ));
    }
    if let Some(challenge) = &grant.code_challenge
        && !sh.has(Fault::PkceIgnored)
    {
        let Some(v) = verifier else {
            return Err(Reply::bad_request(
                "Missing required parameter: code_verifier",
            ));
        };
        if pkce_s256(&v) != *challenge {
            return Err(invalid_grant("Failed to verify code verifier."));
        }
    }
    if let Some(g) = st.codes.get_mut(&code) {
        g.used = true;
    }
    Ok(issue_user_tokens(
        sh,
        &mut st,
        &grant.user_id,
        client,
        &grant.scope,
        grant.audience.as_deref(),
        grant.nonce.as_deref(),
        true,
    ))
}

fn client_credentials(sh: &Shared, p: &Params, client: &Client) -> Result<Value, Reply> {
    let audience = p.req("audience")?;
    check_audience(sh, Some(&audience))?;
    let Some(granted) = client.client_grants.get(&audience) else {
        return Err(Reply::forbidden(
            "access_denied",
            &format!("Client has not been granted scopes for {audience}."),
        ));
    };
    let requested = split_scope(p.str("scope")?.as_deref());
    let scope: Vec<String> = if requested.is_empty() {
        granted.clone()
    } else {
        if let Some(bad) = requested.iter().find(|s| !granted.contains(s)) {
            return Err(Reply::forbidden(
                "access_denied",
                &format!("Client has not been granted scope {bad}."),
            ));
        }
        requested
    };
    let now = now_unix();
    let claims = json!({
        "iss": sh.issuer(), "sub": format!("{}@clients", client.client_id), "aud": audience,
        "iat": now, "exp": now + TOKEN_LIFETIME, "azp": client.client_id,
        "scope": scope.join(" "), "gty": "client-credentials",
    });
    let token = sh
        .signer
        .sign(&claims)
        .unwrap_or_else(|| sh.signer.random_token(32));
    let mut st = sh.lock();
    st.access.insert(
        token.clone(),
        AccessRec {
            subject: Subject::Client(client.client_id.clone()),
            scope: scope.clone(),
            audience: Some(audience),
            exp: now + TOKEN_LIFETIME,
        },
    );
    Ok(json!({
        "access_token": token, "scope": scope.join(" "),
        "expires_in": TOKEN_LIFETIME, "token_type": "Bearer",
    }))
}

/// Resource owner password (and password-realm): 403 on wrong credentials or blocked user,
/// 403 `mfa_required` (with `mfa_token`) for users with an active authenticator.
fn password(
    sh: &Shared,
    req: &Req,
    p: &Params,
    client: &Client,
    grant_type: &str,
) -> Result<Value, Reply> {
    let username = p.req("username")?;
    let password = p.req("password")?;
    let realm = if grant_type == GT_PASSWORD_REALM {
        p.req("realm")?
    } else {
        p.str("realm")?.unwrap_or_else(|| DATABASE.to_string())
    };
    let audience = p.str("audience")?;
    let Some(conn) = sh.tenant.connection(&realm) else {
        return Err(Reply::not_found(&format!("Connection {realm} not found.")));
    };
    check_audience(sh, audience.as_deref())?;
    if conn.strategy != "auth0" {
        return Err(Reply::bad_request(&format!(
            "Connection {realm} is not a database connection."
        )));
    }
    if !conn.enabled_clients.contains(&client.client_id) {
        return Err(Reply::forbidden(
            "unauthorized_client",
            &format!("Connection {realm} is not enabled for this client."),
        ));
    }
    let requested = split_scope(Some(p.str("scope")?.as_deref().unwrap_or("openid")));
    let scope = grant_scopes(&sh.tenant, &requested, audience.as_deref());
    let mut st = sh.lock();
    let known = st.user_by_login(Some(&realm), &username).cloned();
    // Brute-force protection (auth0/docs brute-force-protection-triggers-actions.md): after
    // `brute_force_threshold` consecutive wrong passwords for one user from one IP address,
    // that user is blocked from that address (429 `too_many_attempts`, issue 11) and notified
    // by email; a successful login resets the count.
    if let Some(u) = &known {
        let key = (u.user_id.clone(), req.peer);
        if st.brute_force_blocks.contains(&key) {
            return Err(too_many_attempts());
        }
        if u.password.as_deref() != Some(password.as_str()) {
            let n = st.failed_logins.entry(key.clone()).or_insert(0);
            *n += 1;
            if *n >= sh.tenant.brute_force_threshold {
                st.failed_logins.remove(&key);
                st.brute_force_blocks.insert(key);
                st.outbox.push(json!({
                    "connection": realm, "to": u.email.clone().unwrap_or_default(),
                    "kind": "brute_force_blocked", "ip": req.peer.to_string(),
                }));
                return Err(too_many_attempts());
            }
        } else {
            st.failed_logins.remove(&key);
        }
    }
    let user = known.filter(|u| u.password.as_deref() == Some(password.as_str()));
    let Some(user) = user else {
        return Err(invalid_grant("Wrong email or password."));
    };
    if user.blocked {
        // A blocked user is 401 (issue 11, live tenant), not 403.
        return Err(Reply::unauthorized("unauthorized", "user is blocked"));
    }
    if user.has_active_mfa() {
        let mfa_token = sh.signer.random_token(32);
        st.mfa.insert(
            mfa_token.clone(),
            crate::state::MfaTx {
                user_id: user.user_id.clone(),
                client_id: client.client_id.clone(),
                scope,
                audience,
                exp: now_unix() + 600,
            },
        );
        return Err(Reply::json(
            StatusCode::FORBIDDEN,
            &json!({
                "error": "mfa_required",
                "error_description": "Multifactor authentication required",
                "mfa_token": mfa_token,
            }),
        ));
    }
    Ok(issue_user_tokens(
        sh,
        &mut st,
        &user.user_id,
        client,
        &scope,
        audience.as_deref(),
        None,
        true,
    ))
}

fn too_many_attempts() -> Reply {
    Reply::error(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        "Your account has been blocked after multiple consecutive login attempts. \
         We've sent you an email with instructions on how to unblock it.",
    )
}

fn refresh(sh: &Shared, p: &Params, client: &Client) -> Result<Value, Reply> {
    let token = p.req("refresh_token")?;
    let requested = split_scope(p.str("scope")?.as_deref());
    let mut st = sh.lock();
    let Some(rec) = st.refresh.get(&token).cloned() else {
        return Err(invalid_grant("Unknown or invalid refresh token."));
    };
    // (Fault revoke-noop acts at /oauth/revoke alone: reuse detection revokes here too.)
    if rec.revoked {
        return Err(invalid_grant("Unknown or invalid refresh token."));
    }
    if rec.client_id != client.client_id {
        return Err(invalid_grant(
            "The refresh token was issued to another client.",
        ));
    }
    let rotating = client.refresh_token_rotation && !sh.has(Fault::RefreshNotRotated);
    if rotating && rec.rotated {
        // Automatic reuse detection: a spent token means one of two parties holds a stolen
        // one, so the whole family goes, the live token included (RFC 9700 §4.14.2).
        for r in st.refresh.values_mut().filter(|r| r.family == rec.family) {
            r.revoked = true;
        }
        return Err(invalid_grant("Unknown or invalid refresh token."));
    }
    let scope = if requested.is_empty() {
        rec.scope.clone()
    } else {
        if let Some(bad) = requested.iter().find(|s| !rec.scope.contains(s)) {
            return Err(Reply::error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                &format!("Scope {bad} was not granted originally."),
            ));
        }
        requested
    };
    // Rotation answers a successor in the same family (fault refresh-not-rotated: a successor
    // too, but the used token is never spent); without it the token stays as it is.
    let rotates = client.refresh_token_rotation;
    let body = issue_user_tokens(
        sh,
        &mut st,
        &rec.user_id,
        client,
        &scope,
        rec.audience.as_deref(),
        None,
        rotates,
    );
    if rotates && let Some(next) = body.get("refresh_token").and_then(Value::as_str) {
        if let Some(r) = st.refresh.get_mut(next) {
            r.family = rec.family.clone();
        }
        if let Some(r) = st.refresh.get_mut(&token)
            && rotating
        {
            r.rotated = true;
        }
    }
    Ok(body)
}

/// Device flow polling: 403 authorization_pending, 429 slow_down, 403 expired_token.
fn device(sh: &Shared, p: &Params, client: &Client) -> Result<Value, Reply> {
    let code = p.req("device_code")?;
    let mut st = sh.lock();
    let Some(tx) = st.devices.get(&code).cloned() else {
        return Err(invalid_grant("Invalid or unknown device code."));
    };
    if tx.client_id != client.client_id {
        return Err(invalid_grant(
            "The device code was issued to another client.",
        ));
    }
    if tx.exp <= now_unix() {
        return Err(Reply::forbidden(
            "expired_token",
            "The device code has expired.",
        ));
    }
    if let Some(user_id) = tx.approved_user.clone() {
        st.devices.remove(&code);
        return Ok(issue_user_tokens(
            sh,
            &mut st,
            &user_id,
            client,
            &tx.scope,
            tx.audience.as_deref(),
            None,
            true,
        ));
    }
    let interval = std::time::Duration::from_secs(sh.tenant.device_interval_seconds);
    let now = std::time::Instant::now();
    let too_fast = tx
        .last_poll
        .is_some_and(|last| now.duration_since(last) < interval);
    if let Some(t) = st.devices.get_mut(&code) {
        t.last_poll = Some(now);
    }
    if too_fast && !sh.has(Fault::DeviceNoSlowDown) {
        return Err(Reply::error(
            StatusCode::TOO_MANY_REQUESTS,
            "slow_down",
            &format!(
                "You are polling faster than the specified interval of {} seconds.",
                interval.as_secs()
            ),
        ));
    }
    Err(Reply::forbidden(
        "authorization_pending",
        "User has yet to authorize device code.",
    ))
}

fn mfa(sh: &Shared, p: &Params, client: &Client, grant_type: &str) -> Result<Value, Reply> {
    let mfa_token = p.req("mfa_token")?;
    let otp = if grant_type == GT_MFA_OTP {
        Some(p.req("otp")?)
    } else {
        None
    };
    let oob_code = if grant_type == GT_MFA_OOB {
        Some(p.req("oob_code")?)
    } else {
        None
    };
    let recovery = if grant_type == GT_MFA_RECOVERY {
        Some(p.req("recovery_code")?)
    } else {
        None
    };
    let binding_code = p.str("binding_code")?;
    let mut st = sh.lock();
    let Some(tx) = st
        .mfa
        .get(&mfa_token)
        .cloned()
        .filter(|t| t.exp > now_unix())
    else {
        return Err(invalid_grant("Malformed or expired mfa_token."));
    };
    if tx.client_id != client.client_id {
        return Err(invalid_grant("The mfa_token was issued to another client."));
    }
    let Some(user) = st.users.get(&tx.user_id).cloned() else {
        return Err(invalid_grant(
            "The user of this mfa_token no longer exists.",
        ));
    };
    let mut extra: Option<(String, String)> = None;
    if let Some(otp) = otp {
        let now = now_unix();
        let ok = user.authenticators.iter().any(|a| {
            a.active
                && a.authenticator_type == "otp"
                && a.secret.as_ref().is_some_and(|s| {
                    [now.saturating_sub(30), now, now + 30]
                        .iter()
                        .any(|t| totp(s, *t) == otp)
                })
        });
        if !ok {
            return Err(invalid_grant("Invalid otp_code."));
        }
    } else if let Some(oob_code) = oob_code {
        let Some(oob) = st.oob.get(&oob_code).cloned() else {
            return Err(invalid_grant("Invalid oob_code."));
        };
        if oob.mfa_token != mfa_token {
            return Err(invalid_grant(
                "The oob_code belongs to another transaction.",
            ));
        }
        if oob.push {
            // Issue 11 (live tenant): a push not yet answered is 400 `authorization_pending`,
            // a rejected one 400 `access_denied`.
            match oob.decision {
                None => {
                    return Err(Reply::error(
                        StatusCode::BAD_REQUEST,
                        "authorization_pending",
                        "Authorization pending: please repeat the request in a few seconds.",
                    ));
                }
                Some(false) => {
                    st.oob.remove(&oob_code);
                    return Err(Reply::error(
                        StatusCode::BAD_REQUEST,
                        "access_denied",
                        "MFA Authorization rejected.",
                    ));
                }
                Some(true) => {}
            }
        } else if binding_code.as_deref() != Some(oob.binding_code.as_str()) {
            return Err(invalid_grant("Invalid binding_code."));
        }
        st.oob.remove(&oob_code);
    } else if let Some(code) = recovery {
        if user.recovery_code.as_deref() != Some(code.as_str()) {
            return Err(invalid_grant("Invalid recovery_code."));
        }
        let fresh = sh.signer.random_token(15).to_ascii_uppercase();
        extra = Some(("recovery_code".into(), fresh.clone()));
        if let Some(u) = st.users.get_mut(&tx.user_id) {
            u.recovery_code = Some(fresh);
        }
    }
    st.mfa.remove(&mfa_token);
    let mut body = issue_user_tokens(
        sh,
        &mut st,
        &tx.user_id,
        client,
        &tx.scope,
        tx.audience.as_deref(),
        None,
        true,
    );
    if let Some((k, v)) = extra {
        body[k] = json!(v);
    }
    Ok(body)
}

fn passwordless(sh: &Shared, p: &Params, client: &Client) -> Result<Value, Reply> {
    let username = p.req("username")?;
    let otp = p.req("otp")?;
    let realm = p.req("realm")?;
    let audience = p.str("audience")?;
    let Some(conn) = sh.tenant.connection(&realm) else {
        return Err(Reply::not_found(&format!("Connection {realm} not found.")));
    };
    check_audience(sh, audience.as_deref())?;
    if conn.strategy != "email" && conn.strategy != "sms" {
        return Err(Reply::bad_request(&format!(
            "Connection {realm} is not a passwordless connection."
        )));
    }
    let requested = split_scope(Some(p.str("scope")?.as_deref().unwrap_or("openid")));
    let scope = grant_scopes(&sh.tenant, &requested, audience.as_deref());
    let mut st = sh.lock();
    let user_id = crate::state::consume_otp(&mut st, &realm, &username, &otp)
        .ok_or_else(|| invalid_grant("Wrong email or verification code."))?;
    Ok(issue_user_tokens(
        sh,
        &mut st,
        &user_id,
        client,
        &scope,
        audience.as_deref(),
        None,
        true,
    ))
}

fn token_exchange(sh: &Shared, p: &Params, client: &Client) -> Result<Value, Reply> {
    let subject_token = p.req("subject_token")?;
    let subject_token_type = p.req("subject_token_type")?;
    let audience = p.str("audience")?;
    if subject_token_type != APPLE_AUTHZ_CODE_TYPE {
        return Err(Reply::bad_request(&format!(
            "Unsupported subject_token_type; use {APPLE_AUTHZ_CODE_TYPE}."
        )));
    }
    check_audience(sh, audience.as_deref())?;
    if subject_token != sh.tenant.apple_authz_code {
        return Err(invalid_grant("Invalid Apple authorization code."));
    }
    let requested = split_scope(Some(p.str("scope")?.as_deref().unwrap_or("openid")));
    let scope = grant_scopes(&sh.tenant, &requested, audience.as_deref());
    let mut st = sh.lock();
    let user = sh.tenant.default_user.clone();
    Ok(issue_user_tokens(
        sh,
        &mut st,
        &user,
        client,
        &scope,
        audience.as_deref(),
        None,
        true,
    ))
}
