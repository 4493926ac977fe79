//! The deprecated operations the document still lists: `oauth_access_token`, `oauth_ro`,
//! `tokeninfo`, `delegation`, `unlink`, `impersonate`.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::crypto::now_unix;
use crate::http::{Reply, Req, with_query};
use crate::state::{
    Shared, Subject, bearer_from, grant_scopes, invalid_token, issue_user_tokens, lookup_access,
    profile_claims, split_scope,
};
use crate::tenant::Client;

fn body_client(sh: &Shared, id: &str) -> Result<Client, Reply> {
    sh.lock()
        .clients
        .get(id)
        .cloned()
        .ok_or_else(|| Reply::bad_client("Unknown client."))
}

/// Legacy endpoints refuse OIDC-conformant applications, the default for applications Auth0
/// creates today (issue 11). Auth0's answer, as quoted in auth0/Auth0.swift#121 and
/// auth0-community/ember-simple-auth-auth0#83: 403 `unauthorized_client`
/// "Grant type '<legacy grant>' not allowed for the client.".
pub(crate) fn refuse_oidc_conformant(client: &Client, legacy_grant: &str) -> Result<(), Reply> {
    if client.oidc_conformant {
        return Err(Reply::forbidden(
            "unauthorized_client",
            &format!("Grant type '{legacy_grant}' not allowed for the client."),
        ));
    }
    Ok(())
}

pub(crate) const LEGACY_RO: &str = "http://auth0.com/oauth/legacy/grant-type/ro";

fn enabled(
    sh: &Shared,
    connection: &str,
    client: &Client,
    strategies: &[&str],
) -> Result<(), Reply> {
    let Some(conn) = sh.tenant.connection(connection) else {
        return Err(Reply::not_found(&format!(
            "Connection {connection} not found."
        )));
    };
    if !strategies.contains(&conn.strategy.as_str()) {
        return Err(Reply::bad_request(&format!(
            "Connection {connection} does not support this operation."
        )));
    }
    if !conn.enabled_clients.contains(&client.client_id) {
        return Err(Reply::forbidden(
            "unauthorized_client",
            &format!("Connection {connection} is not enabled for this client."),
        ));
    }
    Ok(())
}

pub(crate) fn access_token(sh: &Shared, req: &Req) -> Result<Reply, Reply> {
    let p = req.params()?;
    let client_id = p.req("client_id")?;
    let social = p.req("access_token")?;
    let connection = p.req("connection")?;
    let client = body_client(sh, &client_id)?;
    refuse_oidc_conformant(
        &client,
        "http://auth0.com/oauth/legacy/grant-type/access_token",
    )?;
    enabled(sh, &connection, &client, &["google-oauth2"])?;
    if social != sh.tenant.google_access_token {
        return Err(Reply::forbidden(
            "invalid_grant",
            "The social provider rejected the access_token.",
        ));
    }
    let scope = grant_scopes(
        &sh.tenant,
        &split_scope(Some(p.str("scope")?.as_deref().unwrap_or("openid"))),
        None,
    );
    let mut st = sh.lock();
    let user = sh.tenant.default_user.clone();
    let body = issue_user_tokens(sh, &mut st, &user, &client, &scope, None, None, false);
    Ok(Reply::json(StatusCode::OK, &body))
}

pub(crate) fn ro(sh: &Shared, req: &Req) -> Result<Reply, Reply> {
    let p = req.params()?;
    let client_id = p.req("client_id")?;
    let connection = p.req("connection")?;
    let username = p.req("username")?;
    let password = p.req("password")?;
    if let Some(g) = p.str("grant_type")?
        && g != "password"
    {
        return Err(Reply::bad_request("grant_type must be password."));
    }
    let client = body_client(sh, &client_id)?;
    refuse_oidc_conformant(&client, LEGACY_RO)?;
    enabled(sh, &connection, &client, &["auth0", "email", "sms"])?;
    let scope = grant_scopes(
        &sh.tenant,
        &split_scope(Some(p.str("scope")?.as_deref().unwrap_or("openid"))),
        None,
    );
    let mut st = sh.lock();
    let strategy = sh
        .tenant
        .connection(&connection)
        .map(|c| c.strategy.clone())
        .unwrap_or_default();
    let user_id = if strategy == "auth0" {
        let user = st
            .user_by_login(Some(&connection), &username)
            .filter(|u| u.password.as_deref() == Some(password.as_str()))
            .cloned();
        let Some(user) = user else {
            return Err(Reply::forbidden(
                "invalid_grant",
                "Wrong email or password.",
            ));
        };
        if user.blocked {
            return Err(Reply::forbidden("unauthorized", "user is blocked"));
        }
        user.user_id
    } else {
        crate::state::consume_otp(&mut st, &connection, &username, &password)
            .ok_or_else(|| Reply::forbidden("invalid_grant", "Wrong email or verification code."))?
    };
    let body = issue_user_tokens(sh, &mut st, &user_id, &client, &scope, None, None, false);
    Ok(Reply::json(StatusCode::OK, &body))
}

pub(crate) fn tokeninfo(sh: &Shared, req: &Req) -> Result<Reply, Reply> {
    let p = req.params()?;
    let id_token = p.req("id_token")?;
    if id_token.split('.').count() != 3 {
        return Err(Reply::bad_request("id_token is not a JWT."));
    }
    let st = sh.lock();
    let Some((user_id, client_id)) = st.id_tokens.get(&id_token).cloned() else {
        return Err(Reply::unauthorized(
            "invalid_token",
            "The id_token was not issued by this tenant or has expired.",
        ));
    };
    // The id_token's audience is the application asking; the grant name in the refusal is
    // ours (no recorded answer for /tokeninfo).
    if let Some(c) = st.clients.get(&client_id) {
        refuse_oidc_conformant(c, "http://auth0.com/oauth/legacy/tokeninfo")?;
    }
    let Some(u) = st.users.get(&user_id) else {
        return Err(Reply::not_found("User not found."));
    };
    if u.blocked {
        return Err(Reply::forbidden("unauthorized", "user is blocked"));
    }
    let mut v =
        json!({"user_id": user_id, "clientID": client_id, "user_metadata": u.user_metadata});
    let all: Vec<String> = ["openid", "profile", "email", "phone"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    profile_claims(u, &all, &mut v);
    Ok(Reply::json(StatusCode::OK, &v))
}

pub(crate) fn delegation(sh: &Shared, req: &Req) -> Result<Reply, Reply> {
    let p = req.params()?;
    let client_id = p.req("client_id")?;
    let grant_type = p.req("grant_type")?;
    if grant_type != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
        return Err(Reply::error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be urn:ietf:params:oauth:grant-type:jwt-bearer.",
        ));
    }
    let refresh = p.str("refresh_token")?.filter(|s| !s.is_empty());
    let id_token = p.str("id_token")?.filter(|s| !s.is_empty());
    if refresh.is_none() && id_token.is_none() {
        return Err(Reply::bad_request("refresh_token or id_token is required."));
    }
    if let Some(t) = p.str("api_type")?
        && ![
            "app",
            "aws",
            "azure_sb",
            "azure_blob",
            "firebase",
            "salesforce_api",
            "sap_api",
            "wams",
        ]
        .contains(&t.as_str())
    {
        return Err(Reply::bad_request(&format!("Unknown api_type {t}.")));
    }
    let client = body_client(sh, &client_id)?;
    refuse_oidc_conformant(
        &client,
        "http://auth0.com/oauth/legacy/grant-type/delegation_refresh_token",
    )?;
    let target = match p.str("target")? {
        Some(t) => sh
            .lock()
            .clients
            .get(&t)
            .cloned()
            .ok_or_else(|| Reply::not_found(&format!("Target client {t} not found.")))?,
        None => client.clone(),
    };
    let mut st = sh.lock();
    let user_id = if let Some(rt) = refresh {
        match st.refresh.get(&rt) {
            Some(r) if !r.revoked && r.client_id == client.client_id => r.user_id.clone(),
            _ => return Err(Reply::forbidden("invalid_grant", "Invalid refresh_token.")),
        }
    } else {
        match id_token.and_then(|t| st.id_tokens.get(&t).cloned()) {
            Some((u, _)) => u,
            None => return Err(Reply::forbidden("invalid_grant", "Invalid id_token.")),
        }
    };
    let scope = grant_scopes(
        &sh.tenant,
        &split_scope(Some(p.str("scope")?.as_deref().unwrap_or("openid"))),
        None,
    );
    let body = issue_user_tokens(sh, &mut st, &user_id, &target, &scope, None, None, false);
    Ok(Reply::json(
        StatusCode::OK,
        &json!({
            "id_token": body.get("id_token").cloned().unwrap_or(Value::Null),
            "token_type": "Bearer",
            "expires_in": body.get("expires_in").cloned().unwrap_or(json!(0)),
        }),
    ))
}

/// `POST /login/unlink` (Auth0's path; issue 11 and Auth0's current document) and `POST /unlink`
/// (the 3.0 document's path, kept as reference convention `unlink-alias`). The token may come
/// in the body (`access_token`, as the 3.0 document says) or as `Authorization: Bearer` (the
/// current document's `bearerAuth`).
pub(crate) fn unlink(sh: &Shared, req: &Req) -> Result<Reply, Reply> {
    let p = req.params()?;
    let token = match p.str("access_token")?.filter(|t| !t.is_empty()) {
        Some(t) => t,
        None => match bearer_from(req, None)? {
            Some(t) => t,
            None => p.req("access_token")?,
        },
    };
    let user_id = p.req("user_id")?;
    if !user_id.contains('|') {
        return Err(Reply::bad_request("user_id must look like provider|id."));
    }
    let mut st = sh.lock();
    let Some(rec) = lookup_access(&st, &token) else {
        return Err(invalid_token("The access_token is invalid or expired."));
    };
    let Subject::User(owner) = rec.subject else {
        return Err(Reply::not_found(
            "The token's subject is a client (client_credentials): no user.",
        ));
    };
    if owner == user_id {
        return Err(Reply::forbidden(
            "access_denied",
            "The primary identity cannot be unlinked.",
        ));
    }
    let Some(user) = st.users.get_mut(&owner) else {
        return Err(Reply::not_found("User not found."));
    };
    let before = user.linked.len();
    user.linked.retain(|l| *l != user_id);
    if user.linked.len() == before {
        return Err(Reply::not_found(&format!(
            "Identity {user_id} is not linked to this user."
        )));
    }
    let identities: Vec<Value> = std::iter::once(owner.clone())
        .chain(user.linked.iter().cloned())
        .map(|id| {
            let (provider, uid) = id.split_once('|').unwrap_or(("auth0", id.as_str()));
            json!({"provider": provider, "user_id": uid})
        })
        .collect();
    Ok(Reply::json(StatusCode::OK, &Value::Array(identities)))
}

pub(crate) fn impersonate(sh: &Shared, req: &Req, user_id: &str) -> Result<Reply, Reply> {
    if !user_id.contains('|') || user_id.starts_with('|') || user_id.ends_with('|') {
        return Err(Reply::bad_request("user_id must look like provider|id."));
    }
    let Some(token) = bearer_from(req, None)? else {
        return Err(invalid_token("A Management API token is required."));
    };
    if lookup_access(&sh.lock(), &token).is_none() {
        return Err(invalid_token("Invalid or expired access token."));
    }
    let p = req.params()?;
    let protocol = p.req("protocol")?;
    let impersonator = p.req("impersonator_id")?;
    let client_id = p.req("client_id")?;
    if !["oauth2", "samlp", "wsfed", "wsfed-rms"].contains(&protocol.as_str()) {
        return Err(Reply::bad_request(
            "protocol must be oauth2, samlp, wsfed or wsfed-rms.",
        ));
    }
    let extra = match p.0.get("additionalParameters") {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            return Err(Reply::bad_request(
                "additionalParameters must be an object.",
            ));
        }
    };
    let st = sh.lock();
    let Some(rec) = lookup_access(&st, &token) else {
        return Err(invalid_token("Invalid or expired access token."));
    };
    if rec.audience.as_deref() != Some(sh.tenant.management_audience.as_str())
        || !rec.scope.iter().any(|s| s == "impersonate:users")
    {
        return Err(Reply::forbidden(
            "insufficient_scope",
            "The token needs the Management API audience and scope impersonate:users.",
        ));
    }
    if !st.users.contains_key(user_id) {
        return Err(Reply::unknown_path_id(&format!(
            "User {user_id} not found."
        )));
    }
    if !st.users.contains_key(&impersonator) {
        return Err(Reply::not_found(&format!(
            "Impersonator {impersonator} not found."
        )));
    }
    if !st.clients.contains_key(&client_id) {
        return Err(Reply::not_found(&format!("Client {client_id} not found.")));
    }
    let mut pairs: Vec<(String, String)> = vec![
        ("protocol".into(), protocol),
        ("client_id".into(), client_id),
        ("impersonator_id".into(), impersonator),
        ("ts".into(), now_unix().to_string()),
    ];
    for (k, v) in extra {
        pairs.push((
            k,
            v.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string()),
        ));
    }
    let borrowed: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let url = with_query(
        &format!(
            "{}/users/{}/impersonate/login",
            sh.base_url,
            url_encode(user_id)
        ),
        &borrowed,
    );
    // Auth0 answers the URL itself as text/plain (issue 11, live tenant), not JSON.
    Ok(Reply::text(
        StatusCode::OK,
        "text/plain; charset=utf-8",
        url,
    ))
}

fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
