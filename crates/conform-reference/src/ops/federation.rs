//! Logout, SAML and WS-Federation: `logout`, `oidc_logout`, `saml_logout`, `samlp_login`,
//! `samlp_metadata`, `login_callback`, `wsfed_login`, `wsfed_metadata`.

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::http::{Reply, Req, with_query, xml_escape};
use crate::state::Shared;
use crate::tenant::Client;

const HTML: &str = "text/html; charset=utf-8";
const XML: &str = "application/xml";

fn absolute_url(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// A client id taken from the path: bad characters -> 400, unknown -> 404.
pub(crate) fn path_client(sh: &Shared, id: &str) -> Result<Client, Reply> {
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(Reply::bad_request(
            "client_id may only contain letters, digits, '-', '_' and '.'.",
        ));
    }
    sh.lock()
        .clients
        .get(id)
        .cloned()
        .ok_or_else(|| Reply::unknown_path_id(&format!("Client {id} not found.")))
}

fn tenant_logout_urls(sh: &Shared) -> Vec<String> {
    sh.lock()
        .clients
        .values()
        .flat_map(|c| c.logout_urls.clone())
        .collect()
}

pub(crate) fn logout(sh: &Shared, req: &Req) -> Result<Reply, Reply> {
    let return_to = req.q("returnTo").filter(|s| !s.is_empty());
    if let Some(r) = return_to
        && !absolute_url(r)
    {
        return Err(Reply::bad_request(
            "returnTo must be an absolute http(s) URL.",
        ));
    }
    let client = match req.q("client_id").filter(|s| !s.is_empty()) {
        Some(id) => Some(
            sh.lock()
                .clients
                .get(id)
                .cloned()
                .ok_or_else(|| Reply::not_found(&format!("Client {id} not found.")))?,
        ),
        None => None,
    };
    let allowed = match &client {
        Some(c) => c.logout_urls.clone(),
        None => tenant_logout_urls(sh),
    };
    let target = match return_to {
        Some(r) if allowed.iter().any(|a| a == r) => r.to_string(),
        Some(_) => {
            return Err(Reply::forbidden(
                "access_denied",
                "returnTo is not in the Allowed Logout URLs.",
            ));
        }
        None => allowed
            .first()
            .cloned()
            .unwrap_or_else(|| format!("{}/", sh.base_url)),
    };
    Ok(Reply::redirect(&target))
}

pub(crate) fn oidc_logout(sh: &Shared, req: &Req) -> Result<Reply, Reply> {
    let post = req.q("post_logout_redirect_uri").filter(|s| !s.is_empty());
    if let Some(r) = post
        && !absolute_url(r)
    {
        return Err(Reply::bad_request(
            "post_logout_redirect_uri must be an absolute http(s) URL.",
        ));
    }
    let mut client_id: Option<String> = None;
    if let Some(hint) = req.q("id_token_hint").filter(|s| !s.is_empty()) {
        if hint.split('.').count() != 3 {
            return Err(Reply::bad_request("id_token_hint is not a JWT."));
        }
        let Some((_, cid)) = sh.lock().id_tokens.get(hint).cloned() else {
            return Err(Reply::unauthorized(
                "invalid_token",
                "id_token_hint was not issued by this tenant.",
            ));
        };
        client_id = Some(cid);
    }
    if let Some(id) = req.q("client_id").filter(|s| !s.is_empty()) {
        if !sh.lock().clients.contains_key(id) {
            return Err(Reply::not_found(&format!("Client {id} not found.")));
        }
        client_id = Some(id.to_string());
    }
    let client = client_id.and_then(|id| sh.lock().clients.get(&id).cloned());
    let target = match (post, &client) {
        (Some(_), None) => {
            return Err(Reply::bad_request(
                "post_logout_redirect_uri needs client_id or id_token_hint.",
            ));
        }
        (Some(r), Some(c)) => {
            if !c.logout_urls.iter().any(|a| a == r) {
                return Err(Reply::forbidden(
                    "access_denied",
                    "post_logout_redirect_uri is not in the Allowed Logout URLs.",
                ));
            }
            r.to_string()
        }
        (None, Some(c)) => c
            .logout_urls
            .first()
            .cloned()
            .unwrap_or_else(|| format!("{}/", sh.base_url)),
        (None, None) => tenant_logout_urls(sh)
            .first()
            .cloned()
            .unwrap_or_else(|| format!("{}/", sh.base_url)),
    };
    let state = req.q("state").unwrap_or_default();
    let location = if state.is_empty() {
        target
    } else {
        with_query(&target, &[("state", state)])
    };
    // Auth0 (docs "Log Users Out of Auth0 with OIDC Endpoint"): without `id_token_hint` or
    // `logout_hint` the user is shown a logout confirmation page instead of being redirected.
    let hinted = ["id_token_hint", "logout_hint"]
        .iter()
        .any(|k| req.q(k).is_some_and(|v| !v.is_empty()));
    if !hinted {
        let page = format!(
            "<!DOCTYPE html><html><head><title>Log out</title></head><body>\
             <form method=\"post\" action=\"{}/oidc/logout\"><p>Do you want to log out?</p>\
             <input type=\"hidden\" name=\"post_logout_redirect_uri\" value=\"{}\">\
             <button type=\"submit\">Yes, log out</button></form></body></html>",
            xml_escape(&sh.base_url),
            xml_escape(&location)
        );
        return Ok(Reply::text(StatusCode::OK, HTML, page));
    }
    Ok(Reply::redirect(&location))
}

/// Text of the first `<...Issuer ...>text</...Issuer>` element.
fn issuer_of(xml: &str) -> Option<String> {
    let start = xml.find("Issuer")?;
    let after_tag = start + xml[start..].find('>')? + 1;
    let end = after_tag + xml[after_tag..].find('<')?;
    Some(xml[after_tag..end].trim().to_string())
}

pub(crate) fn saml_logout(sh: &Shared, req: &Req, id: &str) -> Result<Reply, Reply> {
    let client = path_client(sh, id)?;
    if !client.samlp {
        return Err(Reply::forbidden(
            "access_denied",
            "The SAML2 Web App addon is not enabled for this client.",
        ));
    }
    if !matches!(
        req.media_type().as_deref(),
        Some("application/xml" | "text/xml")
    ) {
        return Err(Reply::bad_request("The body must be application/xml."));
    }
    let Ok(xml) = std::str::from_utf8(&req.body) else {
        return Err(Reply::bad_request("The body is not UTF-8 XML."));
    };
    if !xml.trim_start().starts_with('<') || !xml.contains("LogoutRequest") {
        return Err(Reply::bad_request("The body must be a SAML LogoutRequest."));
    }
    let Some(issuer) = issuer_of(xml) else {
        return Err(Reply::bad_request("The LogoutRequest has no Issuer."));
    };
    if Some(issuer.as_str()) != client.saml_issuer.as_deref() {
        return Err(Reply::unauthorized(
            "invalid_client",
            "The LogoutRequest Issuer is not this client's SAML service provider.",
        ));
    }
    let body = format!(
        "<?xml version=\"1.0\"?><samlp:LogoutResponse xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         Destination=\"{}\"><samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/>\
         </samlp:Status></samlp:LogoutResponse>",
        xml_escape(
            client
                .logout_urls
                .first()
                .map(String::as_str)
                .unwrap_or_default()
        )
    );
    Ok(Reply::text(StatusCode::OK, XML, body))
}

fn saml_assertion(sh: &Shared, audience: &str) -> String {
    let st = sh.lock();
    let email = st
        .users
        .get(&sh.tenant.default_user)
        .and_then(|u| u.email.clone())
        .unwrap_or_default();
    format!(
        "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\"><saml:Issuer \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\">urn:conform:reference</saml:Issuer>\
         <saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\"><saml:Subject><saml:NameID>{}\
         </saml:NameID></saml:Subject><saml:Conditions><saml:AudienceRestriction><saml:Audience>{}\
         </saml:Audience></saml:AudienceRestriction></saml:Conditions></saml:Assertion></samlp:Response>",
        xml_escape(&email),
        xml_escape(audience)
    )
}

fn auto_post(action: &str, fields: &[(&str, &str)]) -> String {
    let inputs: String = fields
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\"/>",
                xml_escape(k),
                xml_escape(v)
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html><html><body onload=\"document.forms[0].submit()\"><form method=\"post\" \
         action=\"{}\">{inputs}<noscript><button type=\"submit\">Continue</button></noscript></form></body></html>",
        xml_escape(action)
    )
}

fn check_connection(sh: &Shared, name: Option<&str>, client: &Client) -> Result<(), Reply> {
    if let Some(conn) = name.filter(|s| !s.is_empty()) {
        let Some(c) = sh.tenant.connection(conn) else {
            return Err(Reply::not_found(&format!("Connection {conn} not found.")));
        };
        if !c.enabled_clients.contains(&client.client_id) {
            return Err(Reply::forbidden(
                "unauthorized_client",
                &format!("Connection {conn} is not enabled for this client."),
            ));
        }
    }
    Ok(())
}

pub(crate) fn samlp_login(sh: &Shared, req: &Req, id: &str) -> Result<Reply, Reply> {
    let client = path_client(sh, id)?;
    if let Some(r) = req.q("SAMLRequest")
        && STANDARD.decode(r).is_err()
    {
        return Err(Reply::bad_request("SAMLRequest is not valid base64."));
    }
    check_connection(sh, req.q("connection"), &client)?;
    if !client.samlp {
        return Err(Reply::forbidden(
            "access_denied",
            "The SAML2 Web App addon is not enabled for this client.",
        ));
    }
    let acs = client.callbacks.first().cloned().unwrap_or_default();
    let response = STANDARD.encode(saml_assertion(
        sh,
        client.saml_issuer.as_deref().unwrap_or(&client.client_id),
    ));
    let mut fields = vec![("SAMLResponse", response.as_str())];
    if let Some(rs) = req.q("RelayState") {
        fields.push(("RelayState", rs));
    }
    Ok(Reply::text(StatusCode::OK, HTML, auto_post(&acs, &fields)))
}

pub(crate) fn samlp_metadata(sh: &Shared, id: &str) -> Result<Reply, Reply> {
    let client = path_client(sh, id)?;
    if !client.samlp {
        return Err(Reply::forbidden(
            "access_denied",
            "The SAML2 Web App addon is not enabled for this client.",
        ));
    }
    let base = &sh.base_url;
    let body = format!(
        "<?xml version=\"1.0\"?>\n<EntityDescriptor xmlns=\"urn:oasis:names:tc:SAML:2.0:metadata\" \
         entityID=\"urn:conform:reference\"><IDPSSODescriptor protocolSupportEnumeration=\
         \"urn:oasis:names:tc:SAML:2.0:protocol\"><SingleLogoutService Binding=\
         \"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"{base}/samlp/{id}/logout\"/>\
         <NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</NameIDFormat>\
         <SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" \
         Location=\"{base}/samlp/{id}\"/></IDPSSODescriptor></EntityDescriptor>\n",
        id = xml_escape(&client.client_id)
    );
    Ok(Reply::text(StatusCode::OK, XML, body))
}

pub(crate) fn login_callback(sh: &Shared, req: &Req) -> Result<Reply, Reply> {
    let Some(connection) = req.q("connection").filter(|s| !s.is_empty()) else {
        return Err(Reply::bad_request("Missing required parameter: connection"));
    };
    let p = req.params()?;
    let encoded = p.req("SAMLResponse")?;
    let xml = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| Reply::bad_request("SAMLResponse is not base64 of UTF-8 XML."))?;
    if !xml.trim_start().starts_with('<') || !xml.contains("Response") {
        return Err(Reply::bad_request("SAMLResponse is not a SAML Response."));
    }
    let Some(conn) = sh.tenant.connection(connection) else {
        return Err(Reply::not_found(&format!(
            "Connection {connection} not found."
        )));
    };
    if conn.strategy != "samlp" {
        return Err(Reply::forbidden(
            "access_denied",
            &format!("Connection {connection} is not a SAML identity provider."),
        ));
    }
    if issuer_of(&xml).as_deref() != conn.idp_issuer.as_deref() {
        return Err(Reply::unauthorized(
            "invalid_token",
            "The SAMLResponse Issuer is not the connection's identity provider.",
        ));
    }
    let body = format!(
        "<!DOCTYPE html><html><body><p>Signed in through {}. Continue to \
         <a href=\"https://app.conform.test/callback\">the application</a>.</p></body></html>",
        xml_escape(connection)
    );
    Ok(Reply::text(StatusCode::OK, HTML, body))
}

pub(crate) fn wsfed_login(sh: &Shared, req: &Req, id: &str) -> Result<Reply, Reply> {
    let wreply = req.q("wreply").filter(|s| !s.is_empty());
    let client = path_client(sh, id)?;
    if let Some(r) = wreply
        && !absolute_url(r)
    {
        return Err(Reply::bad_request(
            "wreply must be an absolute http(s) URL.",
        ));
    }
    if let Some(realm) = req.q("wtrealm").filter(|s| !s.is_empty()) {
        let bare = realm.strip_prefix("urn:").unwrap_or(realm);
        if !sh.lock().clients.contains_key(bare) {
            return Err(Reply::not_found(&format!("Realm {realm} not found.")));
        }
    }
    check_connection(sh, req.q("whr"), &client)?;
    if !client.wsfed {
        return Err(Reply::forbidden(
            "access_denied",
            "WS-Federation is not enabled for this client.",
        ));
    }
    let target = match wreply {
        Some(r) if client.callbacks.iter().any(|c| c == r) => r.to_string(),
        Some(_) => {
            return Err(Reply::forbidden(
                "access_denied",
                "wreply is not in the client's Allowed Callback URLs.",
            ));
        }
        None => client.callbacks.first().cloned().unwrap_or_default(),
    };
    let rstr = format!(
        "<t:RequestSecurityTokenResponse xmlns:t=\"http://schemas.xmlsoap.org/ws/2005/02/trust\">{}\
         </t:RequestSecurityTokenResponse>",
        saml_assertion(sh, &format!("urn:{}", client.client_id))
    );
    let mut fields = vec![("wa", "wsignin1.0"), ("wresult", rstr.as_str())];
    if let Some(ctx) = req.q("wctx") {
        fields.push(("wctx", ctx));
    }
    Ok(Reply::text(
        StatusCode::OK,
        HTML,
        auto_post(&target, &fields),
    ))
}

pub(crate) fn wsfed_metadata(sh: &Shared, req: &Req) -> Result<Reply, Reply> {
    if let Some(realm) = req.q("wtrealm") {
        let bare = realm.strip_prefix("urn:").unwrap_or(realm);
        if bare.is_empty() {
            return Err(Reply::bad_request("wtrealm must not be empty."));
        }
        if !sh.lock().clients.contains_key(bare) {
            return Err(Reply::not_found(&format!("Realm {realm} not found.")));
        }
    }
    let base = &sh.base_url;
    let body = format!(
        "<?xml version=\"1.0\"?>\n<EntityDescriptor xmlns=\"urn:oasis:names:tc:SAML:2.0:metadata\" \
         entityID=\"urn:conform:reference\"><RoleDescriptor xmlns:fed=\
         \"http://docs.oasis-open.org/wsfed/federation/200706\" xmlns:xsi=\
         \"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"fed:SecurityTokenServiceType\" \
         protocolSupportEnumeration=\"http://docs.oasis-open.org/wsfed/federation/200706\">\
         <fed:PassiveRequestorEndpoint><EndpointReference xmlns=\"http://www.w3.org/2005/08/addressing\">\
         <Address>{base}/wsfed</Address></EndpointReference></fed:PassiveRequestorEndpoint>\
         </RoleDescriptor></EntityDescriptor>\n"
    );
    Ok(Reply::text(StatusCode::OK, XML, body))
}
