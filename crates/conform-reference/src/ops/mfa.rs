//! Multi-factor authentication: `mfa_challenge`, `mfa_associate`, `mfa_authenticators`,
//! `mfa_authenticators_delete`.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::crypto::now_unix;
use crate::http::{Reply, Req};
use crate::state::{
    AccessRec, Authenticator, OobTx, Shared, Subject, authenticate_client, bearer_from,
    invalid_token, lookup_access,
};

pub(crate) fn challenge(sh: &Shared, req: &Req) -> Result<Reply, Reply> {
    let p = req.params()?;
    let mfa_token = p.req("mfa_token")?;
    p.req("client_id")?;
    let accepted: Vec<String> = match p.str("challenge_type")? {
        Some(s) => s.split_whitespace().map(str::to_string).collect(),
        None => vec!["otp".into(), "oob".into()],
    };
    if accepted.is_empty() || accepted.iter().any(|t| t != "otp" && t != "oob") {
        return Err(Reply::error(
            StatusCode::BAD_REQUEST,
            "unsupported_challenge_type",
            "challenge_type must be a space-separated list of otp and oob.",
        ));
    }
    let authenticator_id = p.str("authenticator_id")?;
    let client = authenticate_client(sh, req, &p, true)?;
    let mut st = sh.lock();
    let Some(tx) = st
        .mfa
        .get(&mfa_token)
        .cloned()
        .filter(|t| t.exp > now_unix())
    else {
        return Err(Reply::forbidden(
            "invalid_grant",
            "Invalid or expired mfa_token.",
        ));
    };
    if tx.client_id != client.client_id {
        return Err(Reply::forbidden(
            "invalid_grant",
            "The mfa_token was issued to another client.",
        ));
    }
    let user = st.users.get(&tx.user_id).cloned();
    let authenticators = user.map(|u| u.authenticators).unwrap_or_default();
    let chosen = match &authenticator_id {
        Some(id) => match authenticators.iter().find(|a| &a.id == id) {
            Some(a) => Some(a.clone()),
            None => return Err(Reply::not_found(&format!("Authenticator {id} not found."))),
        },
        None => authenticators
            .iter()
            .find(|a| a.active && accepted.contains(&a.authenticator_type))
            .cloned(),
    };
    let Some(a) = chosen.filter(|a| accepted.contains(&a.authenticator_type)) else {
        return Err(Reply::error(
            StatusCode::BAD_REQUEST,
            "unsupported_challenge_type",
            "The user is not enrolled with an authenticator of the accepted challenge types.",
        ));
    };
    if a.authenticator_type == "otp" {
        return Ok(Reply::json(
            StatusCode::OK,
            &json!({"challenge_type": "otp"}),
        ));
    }
    let oob_code = sh.signer.random_token(24);
    let binding_code = sh.signer.random_digits(6);
    let push = a.oob_channel.as_deref() == Some("auth0");
    st.oob.insert(
        oob_code.clone(),
        OobTx {
            mfa_token,
            binding_code: binding_code.clone(),
            push,
            decision: None,
        },
    );
    if push {
        // Guardian push: the device is notified; no binding code (Auth0 docs "Authenticate
        // Using the Resource Owner Password Flow with MFA", push challenge).
        st.outbox.push(json!({
            "connection": "mfa", "to": a.name.clone().unwrap_or_default(), "kind": "mfa_push",
            "oob_code": oob_code, "authenticator_id": a.id,
        }));
        return Ok(Reply::json(
            StatusCode::OK,
            &json!({"challenge_type": "oob", "oob_code": oob_code}),
        ));
    }
    st.outbox.push(json!({
        "connection": "mfa", "to": a.name.clone().unwrap_or_default(), "kind": "mfa_oob",
        "code": binding_code, "authenticator_id": a.id,
    }));
    Ok(Reply::json(
        StatusCode::OK,
        &json!({"challenge_type": "oob", "oob_code": oob_code, "binding_method": "prompt"}),
    ))
}

/// The user a token for the MFA API belongs to, after the checks every MFA operation shares.
fn mfa_user(
    sh: &Shared,
    req: &Req,
    alt_header: Option<&str>,
    scope: &str,
) -> Result<String, Reply> {
    let Some(token) = bearer_from(req, alt_header)? else {
        return Err(invalid_token("Missing access token."));
    };
    let st = sh.lock();
    let Some(AccessRec {
        subject,
        scope: granted,
        audience,
        ..
    }) = lookup_access(&st, &token)
    else {
        return Err(invalid_token("Invalid or expired access token."));
    };
    let Subject::User(user_id) = subject else {
        return Err(Reply::not_found(
            "The token's subject is a client (client_credentials): no user.",
        ));
    };
    if audience.as_deref() != Some(sh.tenant.mfa_audience.as_str())
        || !granted.iter().any(|s| s == scope)
    {
        return Err(Reply::forbidden(
            "insufficient_scope",
            &format!(
                "The token needs audience {} and scope {scope}.",
                sh.tenant.mfa_audience
            ),
        ));
    }
    if !st.users.contains_key(&user_id) {
        return Err(Reply::not_found("User not found."));
    }
    Ok(user_id)
}

pub(crate) fn associate(sh: &Shared, req: &Req) -> Result<Reply, Reply> {
    // Either an mfa_token (user without active authenticators) or an access token with `enroll`.
    let token = bearer_from(req, None)?.ok_or_else(|| invalid_token("Missing access token."))?;
    let mfa_tx = sh
        .lock()
        .mfa
        .get(&token)
        .cloned()
        .filter(|t| t.exp > now_unix());
    let user_id = if let Some(tx) = mfa_tx {
        let enrolled = sh
            .lock()
            .users
            .get(&tx.user_id)
            .is_some_and(|u| u.has_active_mfa());
        if enrolled {
            return Err(Reply::forbidden(
                "access_denied",
                "The user already has an active authenticator: use an access token with enroll.",
            ));
        }
        tx.user_id
    } else {
        mfa_user(sh, req, None, "enroll")?
    };
    let p = req.params()?;
    let types = p
        .str_list("authenticator_types")?
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Reply::bad_request("Missing required parameter: authenticator_types"))?;
    if types.iter().any(|t| t != "otp" && t != "oob") {
        return Err(Reply::bad_request(
            "authenticator_types items must be otp or oob.",
        ));
    }
    let channels = p.str_list("oob_channels")?.unwrap_or_default();
    if types.iter().any(|t| t == "oob") && channels.is_empty() {
        return Err(Reply::bad_request("oob_channels is required for oob."));
    }
    if channels
        .iter()
        .any(|c| !["auth0", "sms", "voice"].contains(&c.as_str()))
    {
        return Err(Reply::bad_request(
            "oob_channels items must be auth0, sms or voice.",
        ));
    }
    let phone = p.str("phone_number")?;
    if channels.iter().any(|c| c == "sms" || c == "voice")
        && phone.as_deref().is_none_or(str::is_empty)
    {
        return Err(Reply::bad_request(
            "phone_number is required for sms and voice.",
        ));
    }
    if let Some(id) = p.str("client_id")?
        && !sh.lock().clients.contains_key(&id)
    {
        return Err(Reply::not_found(&format!("Client {id} not found.")));
    }
    let mut st = sh.lock();
    let Some(user) = st.users.get_mut(&user_id) else {
        return Err(Reply::not_found("User not found."));
    };
    let first = user.authenticators.is_empty();
    let kind = types[0].clone();
    let mut body = json!({"authenticator_type": kind});
    let n = user.authenticators.len() + 1;
    if kind == "otp" {
        let secret = sh.signer.random_token(20).into_bytes();
        let secret = secret[..20.min(secret.len())].to_vec();
        let b32 = base32(&secret);
        body["secret"] = json!(b32);
        body["barcode_uri"] = json!(format!(
            "otpauth://totp/conform:{}?secret={b32}&issuer=conform",
            user.email.clone().unwrap_or_default()
        ));
        user.authenticators.push(Authenticator {
            id: format!("totp|dev_new_{n}"),
            authenticator_type: "otp".into(),
            oob_channel: None,
            name: None,
            active: false,
            secret: Some(secret),
        });
    } else {
        let channel = channels[0].clone();
        body["oob_channel"] = json!(channel);
        body["binding_method"] = json!("prompt");
        body["oob_code"] = json!(sh.signer.random_token(24));
        user.authenticators.push(Authenticator {
            id: format!("{channel}|dev_new_{n}"),
            authenticator_type: "oob".into(),
            oob_channel: Some(channel),
            name: phone,
            active: false,
            secret: None,
        });
    }
    if first {
        let code = sh.signer.random_token(15).to_ascii_uppercase();
        user.recovery_code = Some(code.clone());
        body["recovery_codes"] = json!([code]);
    }
    Ok(Reply::json(StatusCode::OK, &body))
}

pub(crate) fn list(sh: &Shared, req: &Req) -> Result<Reply, Reply> {
    let user_id = mfa_user(sh, req, Some("access_token"), "read:authenticators")?;
    let st = sh.lock();
    let items: Vec<Value> = st
        .users
        .get(&user_id)
        .map(|u| {
            u.authenticators
                .iter()
                .map(|a| {
                    let mut v = json!({"id": a.id, "authenticator_type": a.authenticator_type, "active": a.active});
                    // Auth0 (issue 11, live tenant; docs "Manage Authenticator Factors using
                    // MFA API"): `oob_channel` singular, and a phone number is masked but for
                    // its last four digits.
                    if let Some(c) = &a.oob_channel {
                        v["oob_channel"] = json!(c);
                    }
                    if let Some(nm) = &a.name {
                        v["name"] = json!(mask_phone(nm));
                    }
                    v
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Reply::json(StatusCode::OK, &Value::Array(items)))
}

/// `+15550000002` -> `XXXXXXXX0002`: every character but the last four becomes `X`.
fn mask_phone(name: &str) -> String {
    if !name.starts_with('+') {
        return name.to_string();
    }
    let n = name.chars().count();
    name.chars()
        .enumerate()
        .map(|(i, c)| if i + 4 < n { 'X' } else { c })
        .collect()
}

pub(crate) fn delete(sh: &Shared, req: &Req, id: &str) -> Result<Reply, Reply> {
    let user_id = mfa_user(sh, req, Some("access_token"), "remove:authenticators")?;
    let mut st = sh.lock();
    let Some(user) = st.users.get_mut(&user_id) else {
        return Err(Reply::not_found("User not found."));
    };
    let before = user.authenticators.len();
    user.authenticators.retain(|a| a.id != id);
    if user.authenticators.len() == before {
        return Err(Reply::unknown_path_id(&format!(
            "Authenticator {id} not found."
        )));
    }
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// RFC 4648 base32 without padding (OTP secrets for authenticator apps).
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for b in bytes {
        buffer = (buffer << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            let idx = ((buffer >> (bits - 5)) & 31) as usize;
            out.push(char::from(ALPHABET[idx]));
            bits -= 5;
        }
    }
    if bits > 0 {
        let idx = ((buffer << (5 - bits)) & 31) as usize;
        out.push(char::from(ALPHABET[idx]));
    }
    out
}
