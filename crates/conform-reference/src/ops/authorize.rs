//! `GET /authorize` (operation `authorize`): code, implicit and PKCE flows with a
//! non-interactive login (the tenant's default user, or `login_hint=<email>`).

use axum::http::StatusCode;

use crate::fault::Fault;
use crate::http::{Reply, Req, with_query, xml_escape};
use crate::state::{CodeGrant, Shared, grant_scopes, issue_user_tokens, split_scope};

/// Auth0 (issue 11, live tenant; docs "Authentication API: Authorize Application"): until the
/// client and `redirect_uri` are known to be valid, an error is an HTML error page, since there
/// is nowhere safe to redirect to. Auth0's page status is not recorded; 400 is ours.
pub(crate) fn error_page(error: &str, description: &str) -> Reply {
    let page = format!(
        "<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Oops!, something went \
         wrong</h1><p class=\"error\">{}</p><p class=\"error-description\">{}</p></body></html>",
        xml_escape(error),
        xml_escape(description)
    );
    Reply::text(StatusCode::BAD_REQUEST, "text/html; charset=utf-8", page)
}

pub(crate) fn authorize(sh: &Shared, req: &Req) -> Result<Reply, Reply> {
    // PAR (RFC 9126 §4): `client_id` + `request_uri` stand for the pushed parameters.
    if let (Some(uri), Some(cid)) = (req.q("request_uri"), req.q("client_id")) {
        let Some(mut pushed) = super::current::take_pushed(sh, uri, cid) else {
            return Err(error_page(
                "invalid_request",
                "request_uri is invalid, expired or already used.",
            ));
        };
        pushed.retain(|(k, _)| k != "client_id");
        pushed.push(("client_id".into(), cid.to_string()));
        let inner = Req {
            method: req.method.clone(),
            path: req.path.clone(),
            raw_query: String::new(),
            query: pushed,
            headers: req.headers.clone(),
            body: Vec::new(),
            peer: req.peer,
        };
        return authorize(sh, &inner);
    }
    let nonempty = |k: &str| req.q(k).filter(|v| !v.is_empty()).map(str::to_string);
    let Some(client_id) = nonempty("client_id") else {
        return Err(error_page(
            "invalid_request",
            "Missing required parameter: client_id",
        ));
    };
    let client = sh.lock().clients.get(&client_id).cloned();
    let Some(client) = client else {
        return Err(error_page(
            "invalid_request",
            &format!("Unknown client: {client_id}"),
        ));
    };
    let redirect_uri = match nonempty("redirect_uri") {
        Some(r) if client.callbacks.contains(&r) => r,
        Some(r)
            if sh.has(Fault::RedirectUriPrefixMatch)
                && client.callbacks.iter().any(|c| r.starts_with(c.as_str())) =>
        {
            r
        }
        Some(r) => {
            return Err(error_page(
                "unauthorized_client",
                &format!("Callback URL mismatch. {r} is not in the list of allowed callback URLs"),
            ));
        }
        None => match client.callbacks.first() {
            Some(r) => r.clone(),
            None => {
                return Err(error_page(
                    "invalid_request",
                    "Missing required parameter: redirect_uri",
                ));
            }
        },
    };
    // From here on errors go back to the application: a 302 to redirect_uri with error,
    // error_description and state (RFC 6749 §4.1.2.1, and Auth0 per issue 11).
    let mut state = req.q("state").unwrap_or_default().to_string();
    if sh.has(Fault::StateDecodedTwice) {
        state = crate::http::decode_segment(&state).unwrap_or(state);
    }
    let error_redirect = |error: &str, desc: &str| {
        let mut pairs = vec![("error", error), ("error_description", desc)];
        if !state.is_empty() {
            pairs.push(("state", state.as_str()));
        }
        Reply::redirect(&with_query(&redirect_uri, &pairs))
    };
    let Some(response_type) = nonempty("response_type") else {
        return Err(error_redirect(
            "invalid_request",
            "Missing required parameter: response_type",
        ));
    };
    if !["code", "token", "id_token token"].contains(&response_type.as_str()) {
        return Err(error_redirect(
            "unsupported_response_type",
            &format!("Unsupported response_type: {response_type}"),
        ));
    }
    if !client.grant_types.iter().any(|g| g == "authorization_code") {
        return Err(error_redirect(
            "unauthorized_client",
            "This client may not use /authorize.",
        ));
    }
    let audience = nonempty("audience");
    if let Some(conn) = nonempty("connection") {
        let Some(c) = sh.tenant.connection(&conn) else {
            return Err(error_redirect(
                "invalid_request",
                &format!("the connection was not found: {conn}"),
            ));
        };
        if !c.enabled_clients.contains(&client.client_id) {
            return Err(error_redirect(
                "invalid_request",
                &format!("the connection is not enabled: {conn}"),
            ));
        }
    }
    if let Err(r) = super::token::check_audience(sh, audience.as_deref()) {
        let desc = r
            .body_json()
            .and_then(|v| v["error_description"].as_str().map(str::to_string))
            .unwrap_or_default();
        return Err(error_redirect("access_denied", &desc));
    }
    let challenge = nonempty("code_challenge");
    match (req.q("code_challenge_method"), &challenge) {
        (Some("S256"), Some(_)) | (None, _) => {}
        (Some("S256"), None) => {
            return Err(error_redirect(
                "invalid_request",
                "code_challenge is required with code_challenge_method.",
            ));
        }
        (Some(_), _) => {
            return Err(error_redirect(
                "invalid_request",
                "code_challenge_method must be S256.",
            ));
        }
    }
    let nonce = nonempty("nonce");
    if response_type == "id_token token" && nonce.is_none() {
        return Err(error_redirect(
            "invalid_request",
            "nonce is required for response_type=id_token token.",
        ));
    }
    let mut st = sh.lock();
    let user = match nonempty("login_hint") {
        Some(hint) => st.user_by_email(&hint).cloned(),
        None => st.users.get(&sh.tenant.default_user).cloned(),
    };
    let Some(user) = user else {
        return Ok(error_redirect(
            "access_denied",
            "No such user (login_hint).",
        ));
    };
    if user.blocked {
        return Ok(error_redirect("unauthorized", "user is blocked"));
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
