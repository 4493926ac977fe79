//! The operations of Auth0's current Authentication API document (OpenAPI 3.1,
//! `../shared/seed/auth0-authentication-api-3.1.json`) that the 3.0 document lacks: pushed
//! authorization requests, CIBA back-channel login and global token revocation (`/login/unlink`
//! shares `legacy::unlink`); plus the reference helper that answers a Guardian push.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::crypto::now_unix;
use crate::http::{Reply, Req};
use crate::state::{ParRec, Shared, authenticate_client, bearer_from, lookup_access, split_scope};

/// Lifetime of a pushed request_uri (the current document's example: 90 seconds).
const PAR_LIFETIME: u64 = 90;

/// `POST /oauth/par`: 201 `{request_uri, expires_in}` (RFC 9126 §2.2, the current document).
pub(crate) fn par(sh: &Shared, req: &Req) -> Result<Reply, Reply> {
    let p = req.params()?;
    p.req("client_id")?;
    let client = authenticate_client(sh, req, &p, true)?;
    let response_type = p.req("response_type")?;
    if response_type != "code" {
        return Err(Reply::error(
            StatusCode::BAD_REQUEST,
            "unsupported_response_type",
            &format!("Unsupported response_type: {response_type}"),
        ));
    }
    if let Some(r) = p.str("redirect_uri")?
        && !client.callbacks.contains(&r)
    {
        return Err(Reply::bad_request(&format!(
            "Callback URL mismatch. {r} is not in the list of allowed callback URLs"
        )));
    }
    if p.0.contains_key("request_uri") {
        return Err(Reply::bad_request(
            "request_uri must not be sent to the PAR endpoint.",
        ));
    }
    let mut params = Vec::new();
    for (k, v) in &p.0 {
        if matches!(
            k.as_str(),
            "client_secret" | "client_assertion" | "client_assertion_type"
        ) {
            continue;
        }
        let Some(text) = v.as_str() else {
            return Err(Reply::bad_request(&format!(
                "Parameter {k} must be a string."
            )));
        };
        params.push((k.clone(), text.to_string()));
    }
    let request_uri = format!(
        "urn:ietf:params:oauth:request_uri:{}",
        sh.signer.random_token(24)
    );
    sh.lock().par.insert(
        request_uri.clone(),
        ParRec {
            client_id: client.client_id.clone(),
            params,
            exp: now_unix() + PAR_LIFETIME,
        },
    );
    Ok(Reply::json(
        StatusCode::CREATED,
        &json!({"request_uri": request_uri, "expires_in": PAR_LIFETIME}),
    ))
}

/// The parameters pushed under `request_uri` for `client_id`, spent on first use (RFC 9126
/// §4: one-time use is recommended, and Auth0 does so).
pub(crate) fn take_pushed(
    sh: &Shared,
    request_uri: &str,
    client_id: &str,
) -> Option<Vec<(String, String)>> {
    let mut st = sh.lock();
    let rec = st.par.get(request_uri).cloned()?;
    if rec.client_id != client_id || rec.exp <= now_unix() {
        return None;
    }
    st.par.remove(request_uri);
    Some(rec.params)
}

/// `POST /bc-authorize` (CIBA): 200 `{auth_req_id, expires_in, interval}`; 400
/// `invalid_request` "openid scope must be requested" and `unknown_user_id` (issue 11 and the
/// current document).
pub(crate) fn bc_authorize(sh: &Shared, req: &Req) -> Result<Reply, Reply> {
    let p = req.params()?;
    let client = authenticate_client(sh, req, &p, true)?;
    let scope = split_scope(p.str("scope")?.as_deref());
    if !scope.iter().any(|s| s == "openid") {
        return Err(Reply::bad_request("openid scope must be requested"));
    }
    p.req("binding_message")?;
    let hint = p.req("login_hint")?;
    let parsed: Value = serde_json::from_str(&hint)
        .map_err(|_| Reply::bad_request("login_hint must be a JSON object in iss_sub format."))?;
    if parsed["format"] != "iss_sub" || parsed["iss"] != json!(sh.issuer()) {
        return Err(Reply::bad_request(
            "login_hint must use format iss_sub with this tenant's issuer.",
        ));
    }
    let sub = parsed["sub"].as_str().unwrap_or_default().to_string();
    let mut st = sh.lock();
    if !st.users.contains_key(&sub) {
        return Err(Reply::error(
            StatusCode::BAD_REQUEST,
            "unknown_user_id",
            &format!("The user {sub} was not found."),
        ));
    }
    if let Some(a) = p.str("audience")?
        && sh.tenant.api(&a).is_none()
    {
        return Err(Reply::forbidden(
            "access_denied",
            &format!("Service not found: {a}"),
        ));
    }
    let auth_req_id = sh.signer.random_token(24);
    st.outbox.push(json!({
        "connection": "ciba", "to": sub, "kind": "ciba_push", "client_id": client.client_id,
        "auth_req_id": auth_req_id, "binding_message": p.str("binding_message")?,
    }));
    Ok(Reply::json(
        StatusCode::OK,
        &json!({"auth_req_id": auth_req_id, "expires_in": 300, "interval": 5}),
    ))
}

/// `POST /oauth/global-token-revocation/connection/{connection_name}` (Universal Logout): a
/// bearer token of this tenant; `subject` in `iss_sub` format; revokes the user's refresh
/// tokens; 200 with an empty body (the current document).
pub(crate) fn global_token_revocation(
    sh: &Shared,
    req: &Req,
    connection: &str,
) -> Result<Reply, Reply> {
    let Some(token) = bearer_from(req, None)? else {
        return Err(Reply::unauthorized(
            "invalid_token",
            "A bearer token is required.",
        ));
    };
    if lookup_access(&sh.lock(), &token).is_none() {
        return Err(Reply::unauthorized(
            "invalid_token",
            "The bearer token is invalid or expired.",
        ));
    }
    let p = req.params()?;
    let subject = p.0.get("subject").cloned().unwrap_or(Value::Null);
    let ok_format =
        subject["format"] == "iss_sub" && subject["iss"].is_string() && subject["sub"].is_string();
    if !ok_format {
        return Err(Reply::bad_request(
            "subject must be an object {format: iss_sub, iss, sub}.",
        ));
    }
    if sh.tenant.connection(connection).is_none() {
        return Err(Reply::bad_request(&format!(
            "Connection {connection} not found."
        )));
    }
    let sub = subject["sub"].as_str().unwrap_or_default().to_string();
    let mut st = sh.lock();
    for r in st.refresh.values_mut() {
        if r.user_id == sub {
            r.revoked = true;
        }
    }
    Ok(Reply::empty(StatusCode::OK))
}

/// `POST /__reference/mfa/push` `{oob_code, accept}`: the user answers a Guardian push on the
/// device (outside the document; a real tenant needs a phone for this).
pub(crate) fn mfa_push(sh: &Shared, req: &Req) -> Result<Reply, Reply> {
    let p = req.params()?;
    let oob_code = p.req("oob_code")?;
    let accept = match p.0.get("accept") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if s == "true" || s == "false" => s == "true",
        _ => return Err(Reply::bad_request("accept must be true or false.")),
    };
    let mut st = sh.lock();
    let Some(tx) = st.oob.get_mut(&oob_code).filter(|t| t.push) else {
        return Err(Reply::not_found("No pending push with this oob_code."));
    };
    tx.decision = Some(accept);
    Ok(Reply::json(
        StatusCode::OK,
        &json!({"oob_code": oob_code, "accept": accept}),
    ))
}
