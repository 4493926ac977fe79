//! Client-facing OAuth helpers: `oidc_register`, `oauth_device_code`, `oauth_revoke`, and the
//! reference-only endpoints outside the document (JWKS, discovery, outbox, device approval).

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::crypto::now_unix;
use crate::fault::Fault;
use crate::http::{Reply, Req, with_query};
use crate::state::{DeviceTx, Shared, authenticate_client, grant_scopes, split_scope};
use crate::tenant::Client;

pub(crate) fn oidc_register(sh: &Shared, req: &Req) -> Result<Reply, Reply> {
    let p = req.params()?;
    let uris = p
        .str_list("redirect_uris")?
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            Reply::error(
                StatusCode::BAD_REQUEST,
                "invalid_redirect_uri",
                "redirect_uris must be a non-empty array of URLs.",
            )
        })?;
    // Stored in their serialised (ASCII) form so they are always valid Location headers.
    let mut normalised = Vec::with_capacity(uris.len());
    for u in &uris {
        match url::Url::parse(u) {
            Ok(parsed) => normalised.push(parsed.to_string()),
            Err(_) => {
                return Err(Reply::error(
                    StatusCode::BAD_REQUEST,
                    "invalid_redirect_uri",
                    &format!("{u} is not a valid URL."),
                ));
            }
        }
    }
    let uris = normalised;
    let method = p
        .str("token_endpoint_auth_method")?
        .unwrap_or_else(|| "client_secret_post".into());
    if !["none", "client_secret_post", "client_secret_basic"].contains(&method.as_str()) {
        return Err(Reply::error(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            "token_endpoint_auth_method must be none, client_secret_post or client_secret_basic.",
        ));
    }
    let name = p.str("client_name")?.unwrap_or_else(|| "My App".into());
    let client_id = sh.signer.random_token(16);
    let secret = (method != "none").then(|| sh.signer.random_token(32));
    let client = Client {
        client_id: client_id.clone(),
        client_secret: secret.clone(),
        name: name.clone(),
        app_type: if method == "none" {
            "spa"
        } else {
            "regular_web"
        }
        .into(),
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        callbacks: uris.clone(),
        logout_urls: Vec::new(),
        client_grants: Default::default(),
        samlp: false,
        wsfed: false,
        saml_issuer: None,
        oidc_conformant: true,
        refresh_token_rotation: false,
    };
    sh.lock().clients.insert(client_id.clone(), client);
    let mut body = json!({
        "client_name": name, "client_id": client_id, "redirect_uris": uris,
        "client_secret_expires_at": 0,
    });
    if let Some(s) = secret {
        body["client_secret"] = json!(s);
    }
    // RFC 7591 §3.2.1, and Auth0 (issue 11): 201 Created; the document says 200.
    Ok(Reply::json(StatusCode::CREATED, &body))
}

pub(crate) fn device_code(sh: &Shared, req: &Req) -> Result<Reply, Reply> {
    let p = req.params()?;
    let client_id = p.req("client_id")?;
    let audience = p.str("audience")?;
    let requested = split_scope(p.str("scope")?.as_deref());
    let client = sh
        .lock()
        .clients
        .get(&client_id)
        .cloned()
        .ok_or_else(|| Reply::bad_client("Unknown client."))?;
    if !client
        .grant_types
        .iter()
        .any(|g| g == super::token::GT_DEVICE)
    {
        return Err(Reply::forbidden(
            "unauthorized_client",
            "The client is not allowed the device code grant.",
        ));
    }
    super::token::check_audience(sh, audience.as_deref())?;
    let scope = grant_scopes(&sh.tenant, &requested, audience.as_deref());
    let device_code = sh.signer.random_token(24);
    let letters: String = sh
        .signer
        .random_digits(8)
        .bytes()
        .map(|d| char::from(b"BCDFGHJKLMNPQRSTVWXZ"[usize::from(d - b'0') * 2]))
        .collect();
    let user_code = format!("{}-{}", &letters[..4], &letters[4..]);
    let expires_in = 900;
    sh.lock().devices.insert(
        device_code.clone(),
        DeviceTx {
            client_id,
            user_code: user_code.clone(),
            scope,
            audience,
            exp: now_unix() + expires_in,
            last_poll: None,
            approved_user: None,
        },
    );
    let verification_uri = format!("{}/activate", sh.base_url);
    Ok(Reply::json(
        StatusCode::OK,
        &json!({
            "device_code": device_code, "user_code": user_code,
            "verification_uri": verification_uri,
            "verification_uri_complete": with_query(&verification_uri, &[("user_code", user_code.as_str())]),
            "expires_in": expires_in, "interval": sh.tenant.device_interval_seconds,
        }),
    ))
}

pub(crate) fn revoke(sh: &Shared, req: &Req) -> Result<Reply, Reply> {
    let p = req.params()?;
    p.req("client_id")?;
    let token = p.req("token")?;
    let client = authenticate_client(sh, req, &p, true)?;
    let mut st = sh.lock();
    // Auth0 answers 200 with an empty body for a token issued to another client too (issue 11,
    // live tenant); that token is left alone.
    if let Some(rec) = st.refresh.get_mut(&token)
        && rec.client_id == client.client_id
        && !sh.has(Fault::RevokeNoop)
    {
        rec.revoked = true;
    }
    // RFC 7009: an unknown token is not an error.
    if sh.has(Fault::RevokeUnknownNotFound)
        && !st.refresh.contains_key(&token)
        && !st.access.contains_key(&token)
    {
        return Err(Reply::not_found("Unknown token."));
    }
    Ok(Reply::empty(StatusCode::OK))
}

pub(crate) fn device_approve(sh: &Shared, req: &Req) -> Result<Reply, Reply> {
    let p = req.params()?;
    let user_code = p.req("user_code")?;
    let user_id = p
        .str("user_id")?
        .unwrap_or_else(|| sh.tenant.default_user.clone());
    let mut st = sh.lock();
    if !st.users.contains_key(&user_id) {
        return Err(Reply::not_found(&format!("User {user_id} not found.")));
    }
    let Some(tx) = st
        .devices
        .values_mut()
        .find(|d| d.user_code.eq_ignore_ascii_case(&user_code))
    else {
        return Err(Reply::not_found("Unknown user_code."));
    };
    tx.approved_user = Some(user_id.clone());
    Ok(Reply::json(
        StatusCode::OK,
        &json!({"approved": true, "user_id": user_id}),
    ))
}

/// `POST /__reference/device/expire` `{user_code}`: the device code of that user code expires
/// now (test-only like the approval: real expiry takes `expires_in`, 900 s).
pub(crate) fn device_expire(sh: &Shared, req: &Req) -> Result<Reply, Reply> {
    let p = req.params()?;
    let user_code = p.req("user_code")?;
    let mut st = sh.lock();
    let Some(tx) = st
        .devices
        .values_mut()
        .find(|d| d.user_code.eq_ignore_ascii_case(&user_code))
    else {
        return Err(Reply::not_found("Unknown user_code."));
    };
    tx.exp = now_unix();
    Ok(Reply::json(StatusCode::OK, &json!({"expired": true})))
}

pub(crate) fn outbox(sh: &Shared) -> Reply {
    Reply::json(StatusCode::OK, &Value::Array(sh.lock().outbox.clone()))
}

pub(crate) fn discovery(sh: &Shared) -> Reply {
    let b = &sh.base_url;
    let registration = if sh.has(Fault::DiscoveryDeadEndpoint) {
        format!("{b}/oidc/registration")
    } else {
        format!("{b}/oidc/register")
    };
    Reply::json(
        StatusCode::OK,
        &json!({
            "issuer": sh.issuer(),
            "authorization_endpoint": format!("{b}/authorize"),
            "token_endpoint": format!("{b}/oauth/token"),
            "device_authorization_endpoint": format!("{b}/oauth/device/code"),
            "userinfo_endpoint": format!("{b}/userinfo"),
            "mfa_challenge_endpoint": format!("{b}/mfa/challenge"),
            "jwks_uri": format!("{b}/.well-known/jwks.json"),
            "registration_endpoint": registration,
            "revocation_endpoint": format!("{b}/oauth/revoke"),
            "end_session_endpoint": format!("{b}/oidc/logout"),
            "scopes_supported": ["openid", "profile", "email", "phone", "address", "offline_access"],
            "response_types_supported": ["code", "token", "id_token token"],
            "code_challenge_methods_supported": ["S256"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "grant_types_supported": [
                "authorization_code", "client_credentials", "password", "refresh_token",
                super::token::GT_PASSWORD_REALM, super::token::GT_MFA_OTP, super::token::GT_MFA_OOB,
                super::token::GT_MFA_RECOVERY, super::token::GT_PASSWORDLESS, super::token::GT_DEVICE,
                super::token::GT_TOKEN_EXCHANGE,
            ],
        }),
    )
}

pub(crate) fn jwks(sh: &Shared) -> Reply {
    Reply::json(StatusCode::OK, &sh.signer.jwks())
}
