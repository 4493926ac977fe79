//! `GET /authorize` (operation `authorize`): code, implicit and PKCE flows with a
//! non-interactive login (the tenant's default user, or `login_hint=<email>`).

use axum::http::StatusCode;

use crate::http::{Reply, Req, with_query};
use crate::state::{
    CodeGrant, Shared, grant_scopes, issue_user_tokens, split_scope,
};

pub(crate) fn authorize(sh: &Shared, req: &Req) -> Result<Reply, Reply> {
    let nonempty = |k: &str| req.q(k).filter(|v| !v.is_empty()).map(str::to_string);
    let Some(client_id) = nonempty("client_id") else {
        return Err(Reply::bad_request("Missing required parameter: client_id"));
    };
    let Some(response_type) = nonempty("response_type") else {
        return Err(Reply::bad_request(
            "Missing required parameter: response_type",
        ));
    };
    if !["code", "token", "id_token token"].contains(&response_type.as_str()) {
        return Err(Reply::error(
            StatusCode::BAD_REQUEST,
            "unsupported_response_type",
            &format!("Unsupported response_type: {response_type}"),
        ));
    }
    let client = sh.lock().clients.get(&client_id).cloned();
    let Some(client) = client else {
        return Err(Reply::bad_client("Unknown client."));
    };
    if !client.grant_types.iter().any(|g| g == "authorization_code") {
        return Err(Reply::forbidden(
            "unauthorized_client",
            "This client may not use /authorize.",
        ));
    }
    let redirect_uri = match nonempty("redirect_uri") {
        Some(r) if client.callbacks.contains(&r) => r,
        Some(_) => {
            return Err(Reply::forbidden(
                "access_denied",
                "redirect_uri is not in the client's Allowed Callback URLs.",
            ));
        }
        None => match client.callbacks.first() {
            Some(r) => r.clone(),
            None => {
                return Err(Reply::bad_request(
                    "Missing required parameter: redirect_uri",
                ));
            }
        },
    };
    let audience = nonempty("audience");
    if let Some(conn) = nonempty("connection") {
        let Some(c) = sh.tenant.connection(&conn) else {
            return Err(Reply::not_found(&format!("Connection {conn} not found.")));
        };
        if !c.enabled_clients.contains(&client.client_id) {
            return Err(Reply::forbidden(
                "unauthorized_client",
                &format!("Connection {conn} is not enabled for this client."),
            ));
        }
    }
    super::token::check_audience(sh, audience.as_deref())?;
    let challenge = nonempty("code_challenge");
    match (req.q("code_challenge_method"), &challenge) {
        (Some("S256"), Some(_)) | (None, _) => {}
        (Some("S256"), None) => {
            return Err(Reply::bad_request(
                "code_challenge is required with code_challenge_method.",
            ));
        }
        (Some(_), _) => {
            return Err(Reply::bad_request("code_challenge_method must be S256."));
        }
    }
    let nonce = nonempty("nonce");
    if response_type == "id_token token" && nonce.is_none() {
        return Err(Reply::bad_request(
            "nonce is required for response_type=id_token token.",
        ));
    }
    let state = req.q("state").unwrap_or_default().to_string();
    let mut st = sh.lock();
    let user = match nonempty("login_hint") {
        Some(hint) => st.user_by_email(&hint).cloned(),
        None => st.users.get(&sh.tenant.default_user).cloned(),
    };
    let error_redirect = |error: &str, desc: &str| {
        let mut pairs = vec![("error", error), ("error_description", desc)];
        if !state.is_empty() {
            pairs.push(("state", state.as_str()));
        }
        Ok(Reply::redirect(&with_query(&redirect_uri, &pairs)))
    };
    let Some(user) = user else {
        return error_redirect("access_denied", "No such user (login_hint).");
    };
    if user.blocked {
        return error_redirect("unauthorized", "user is blocked");
    }
    let requested = split_scope(Some(req.q("scope").unwrap_or("openid")));
    let scope = grant_scopes(&sh.tenant, &requested, audience.as_deref());
    if response_type == "code" {
        let code = sh.signer.random_token(24);
        st.codes.insert(
            code.clone(),
            CodeGrant {
                client_id: client.client_id.clone(),
                user_id: user.user_id.clone(),
                redirect_uri: nonempty("redirect_uri"),
                code_challenge: challenge,
                scope,
                audience,
                nonce,
                used: false,
            },
        );
        let mut pairs = vec![("code", code.as_str())];
        if !state.is_empty() {
            pairs.push(("state", state.as_str()));
        }
        return Ok(Reply::redirect(&with_query(&redirect_uri, &pairs)));
    }
    // Implicit: tokens in the fragment, never a refresh token.
    let body = issue_user_tokens(
        sh,
        &mut st,
        &user.user_id,
        &client,
        &scope,
        audience.as_deref(),
        nonce.as_deref(),
        false,
    );
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for key in [
        "access_token",
        "id_token",
        "token_type",
        "expires_in",
        "scope",
    ] {
        if response_type == "token" && key == "id_token" {
            continue;
        }
        if let Some(v) = body.get(key) {
            let text = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            ser.append_pair(key, &text);
        }
    }
    if !state.is_empty() {
        ser.append_pair("state", &state);
    }
    Ok(Reply::redirect(&format!("{redirect_uri}#{}", ser.finish())))
}
