//! Request pipeline of the reference server (`handle`): route to one of the 28 operations, then
//! 404/405, rate limits, simulated 5xx, crash faults, tenant-wide protections, the operation's
//! handler, and finally the answer-rewriting faults.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::json;

use super::SIMULATE_HEADER;
use super::crypto::now_unix;
use super::fault::Fault;
use super::http::{Cause, Reply, Req, percent_encoding_ok};
use super::op::{Op, route};
use super::ops;
use super::state::{Bucket, BucketKey, Shared, authenticate_client, known_bearer};

/// Answer one request. Never panics on any input.
pub(crate) async fn handle(sh: &Shared, req: Req) -> Reply {
    let routed = route(&req.path);
    let op = match routed {
        Err(()) => {
            return Reply::bad_request("The request path is not valid percent-encoding.");
        }
        Ok(None) => {
            if sh.has(Fault::UnknownPathOk) {
                return Reply::json(StatusCode::OK, &json!({}));
            }
            return Reply::not_found(&format!("No resource at {}.", req.path));
        }
        Ok(Some(op)) => op,
    };
    let mut reply = handle_op(sh, &op, &req).await;
    apply_answer_faults(sh, &op, &mut reply);
    if sh.has(Fault::SlowResponse) && op == Op::Userinfo {
        tokio::time::sleep(Duration::from_secs(6)).await;
    }
    reply
}

async fn handle_op(sh: &Shared, op: &Op, req: &Req) -> Reply {
    if req.method != op.method() {
        if sh.has(Fault::NotFoundFor405) {
            return Reply::not_found(&format!("No resource at {}.", req.path));
        }
        let mut r = Reply::error(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            &format!("{} is not allowed on {}.", req.method, op.template()),
        );
        if !sh.has(Fault::MissingAllowHeader) {
            r.set_header("allow", op.method().to_string());
        }
        return r;
    }
    let limit_headers = match rate_limit(sh, op, req) {
        Ok(h) => h,
        Err(r) => return r,
    };
    // A burst is running when the bucket is below half: the `burst-body` fault bites then.
    let draining = sh.has(Fault::BurstBody)
        && {
            let value = |name: &str| {
                limit_headers
                    .iter()
                    .find(|(k, _)| k == name)
                    .and_then(|(_, v)| v.parse::<u64>().ok())
            };
            matches!((value("x-ratelimit-remaining"), value("x-ratelimit-limit")), (Some(left), Some(cap)) if left * 2 < cap)
        };
    let mut reply = if op.documented() {
        match pre_checks(sh, op, req) {
            Some(r) => r,
            None => ops::dispatch(sh, op, req).await,
        }
    } else {
        ops::dispatch(sh, op, req).await
    };
    // Any 400 of /authorize before a redirect is possible is Auth0's HTML error page (issue 11),
    // whichever check gave it (a bad query string, a malformed Authorization header, ...).
    if *op == Op::Authorize
        && reply.status == StatusCode::BAD_REQUEST
        && let Some(v) = reply.body_json()
    {
        let text = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        let mut page = ops::authorize::error_page(&text("error"), &text("error_description"));
        page.cause = reply.cause;
        reply.status = page.status;
        reply.body = page.body;
        reply.set_header("content-type", "text/html; charset=utf-8".into());
    }
    for (k, v) in limit_headers {
        reply.set_header(&k, v);
    }
    if draining && reply.body_json().is_some_and(|v| v.is_object()) {
        reply.body = br#"["burst"]"#.to_vec();
    }
    reply
}

/// Token bucket per (endpoint, client IP). `Ok` carries the X-RateLimit-* headers.
fn rate_limit(sh: &Shared, op: &Op, req: &Req) -> Result<Vec<(String, String)>, Reply> {
    let Some((cap, per)) = sh.rate_limits.limit_for(op.template()) else {
        return Ok(Vec::new());
    };
    let cap_f = f64::from(cap);
    let rate = cap_f / per.as_secs_f64().max(1e-3);
    let now = Instant::now();
    let mut st = sh.lock();
    // `/userinfo` is limited per user (issue 11; Auth0's rate-limit policy), everything else per
    // client IP. A request without a known token counts against its IP.
    let key = match op {
        Op::Userinfo => super::state::bearer_from(req, Some("access_token"))
            .ok()
            .flatten()
            .and_then(|t| super::state::lookup_access(&st, &t))
            .and_then(|rec| match rec.subject {
                super::state::Subject::User(u) => Some(BucketKey::User(u)),
                super::state::Subject::Client(_) => None,
            })
            .unwrap_or(BucketKey::Ip(req.peer)),
        _ => BucketKey::Ip(req.peer),
    };
    let b = st.buckets.entry((op.template(), key)).or_insert(Bucket {
        tokens: cap_f,
        updated: now,
    });
    let elapsed = now.duration_since(b.updated).as_secs_f64();
    b.tokens = (b.tokens + elapsed * rate).min(cap_f);
    b.updated = now;
    let allowed = b.tokens >= 1.0;
    if allowed {
        b.tokens -= 1.0;
    }
    let remaining = b.tokens.floor().max(0.0) as u64;
    let to_full = ((cap_f - b.tokens) / rate).ceil() as u64;
    let to_next = ((1.0 - b.tokens).max(0.0) / rate).ceil().max(1.0) as u64;
    drop(st);
    let headers = vec![
        ("x-ratelimit-limit".to_string(), cap.to_string()),
        ("x-ratelimit-remaining".to_string(), remaining.to_string()),
        (
            "x-ratelimit-reset".to_string(),
            (now_unix() + to_full).to_string(),
        ),
    ];
    if allowed {
        return Ok(headers);
    }
    if sh.has(Fault::RateLimitMissingHeaders) {
        return Err(Reply::empty(StatusCode::TOO_MANY_REQUESTS));
    }
    let mut r = Reply::error(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
        &format!(
            "Global limit has been reached: {cap} requests per {} ms for {}.",
            per.as_millis(),
            op.template()
        ),
    );
    for (k, v) in headers {
        r.set_header(&k, v);
    }
    r.set_header("retry-after", to_next.to_string());
    Err(r)
}

/// Simulation, crash faults, and the tenant-wide protections every documented operation shares
/// (see PROVOKE.md: G400, G401, G403, G404).
fn pre_checks(sh: &Shared, op: &Op, req: &Req) -> Option<Reply> {
    if sh.allow_simulation
        && !sh.has(Fault::SimulationIgnored)
        && let Some(v) = req.headers.get(SIMULATE_HEADER)
    {
        return Some(match v.to_str().ok().map(str::trim) {
            Some("500") => Reply::empty(StatusCode::INTERNAL_SERVER_ERROR),
            Some("501") => Reply::error(
                StatusCode::NOT_IMPLEMENTED,
                "not_implemented",
                "Simulated: this operation is not implemented.",
            ),
            Some("503") => Reply::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "Simulated: the service is temporarily unavailable.",
            ),
            _ => Reply::bad_request(&format!(
                "{SIMULATE_HEADER} must be one of the documented 5xx statuses: 500, 501, 503."
            )),
        });
    }
    if sh.has(Fault::LongStringCrash) && req.all_strings().iter().any(|s| s.chars().count() > 1000)
    {
        return Some(Reply::empty(StatusCode::INTERNAL_SERVER_ERROR));
    }
    if sh.has(Fault::NonAsciiCrash) && req.all_strings().iter().any(|s| !s.is_ascii()) {
        return Some(Reply::empty(StatusCode::INTERNAL_SERVER_ERROR));
    }
    if sh.has(Fault::EmptyArrayCrash)
        && matches!(op, Op::OidcRegister | Op::MfaAssociate)
        && req.has_empty_array()
    {
        return Some(Reply::empty(StatusCode::INTERNAL_SERVER_ERROR));
    }
    // G400: a query string with broken percent-encoding.
    if !percent_encoding_ok(req.raw_query.as_bytes())
        || std::str::from_utf8(req.raw_query.as_bytes()).is_err()
    {
        return Some(Reply::bad_request(
            "The query string is not valid percent-encoding.",
        ));
    }
    // A body that is not a JSON object / form is the operation's 400 (after simulation).
    let params = if op.takes_fields() {
        match req.params() {
            Ok(p) => Some(p),
            Err(r) => return Some(r),
        }
    } else {
        None
    };
    // G401: a credential in `Authorization` that this tenant did not issue.
    if !matches!(
        op,
        Op::Userinfo
            | Op::MfaAuthenticators
            | Op::MfaAuthenticatorsDelete(_)
            | Op::MfaAssociate
            | Op::Impersonate(_)
    ) {
        match req.authorization() {
            None => {}
            Some(Err(())) => {
                return Some(Reply::bad_request(
                    "The Authorization header must be `Bearer <token>` or `Basic <credentials>`.",
                ));
            }
            Some(Ok((scheme, cred))) if scheme == "bearer" && !known_bearer(&sh.lock(), &cred) => {
                return Some(super::state::invalid_token(
                    "The bearer token was not issued by this tenant or has expired.",
                ));
            }
            Some(Ok((scheme, _))) if scheme == "bearer" => {}
            Some(Ok(_)) => {
                // Basic: client credentials, validated like body credentials.
                let none = super::http::Params(serde_json::Map::new());
                if let Err(r) = authenticate_client(sh, req, &none, true) {
                    return Some(r);
                }
            }
        }
    }
    // G403: attack protection blocks the end-user IP named in auth0-forwarded-for.
    if let Some(ip) = req.header("auth0-forwarded-for")
        && sh.tenant.blocked_ips.iter().any(|b| b == ip.trim())
    {
        return Some(Reply::forbidden(
            "access_denied",
            "Attack protection: requests from this IP address are blocked.",
        ));
    }
    // G404: an organization this tenant does not have.
    let org = req.q("organization").map(str::to_string).or_else(|| {
        params
            .as_ref()
            .and_then(|p| p.0.get("organization"))
            .and_then(|v| v.as_str().map(str::to_string))
    });
    if let Some(org) = org
        && !sh.tenant.organizations.contains(&org)
    {
        return Some(Reply::not_found(&format!("Organization {org} not found.")));
    }
    None
}

/// Faults that rewrite an answer after the handler decided it.
fn apply_answer_faults(sh: &Shared, op: &Op, r: &mut Reply) {
    let status = r.status.as_u16();
    if sh.has(Fault::ForbiddenForBadCredentials) && r.cause == Cause::BadClient {
        r.status = StatusCode::FORBIDDEN;
    }
    if sh.has(Fault::ExtraStatusOnNotFound) && r.cause == Cause::UnknownPathId {
        r.status = StatusCode::GONE;
    }
    if sh.has(Fault::ErrorFieldWrongType)
        && status == 401
        && let Some(mut v) = r.body_json()
    {
        v["error"] = json!(401);
        r.body = v.to_string().into_bytes();
    }
    match op {
        Op::OauthToken => {
            if status == 200 && sh.has(Fault::WrongSuccessStatus) {
                r.status = StatusCode::CREATED;
            }
            if status == 200 && sh.has(Fault::TruncatedJson) {
                let half = r.body.len() / 2;
                r.body.truncate(half);
            }
            if status == 400 && sh.has(Fault::NonJsonErrorBody) {
                r.set_header("content-type", "text/html; charset=utf-8".into());
                r.body = b"<html><body><h1>400 Bad Request</h1></body></html>".to_vec();
            }
        }
        Op::Signup if status == 400 && sh.has(Fault::UndocumentedStatus) => {
            r.status = StatusCode::UNPROCESSABLE_ENTITY;
        }
        Op::Userinfo if status == 200 => {
            if let Some(mut v) = r.body_json() {
                if sh.has(Fault::NestedWrongType) {
                    v["address"] = json!({"country": 840});
                }
                if sh.has(Fault::NullForString) {
                    v["name"] = serde_json::Value::Null;
                }
                r.body = v.to_string().into_bytes();
            }
            if sh.has(Fault::WrongContentType) {
                r.set_header("content-type", "text/plain; charset=utf-8".into());
            }
        }
        Op::OidcRegister if status == 201 && sh.has(Fault::ArrayForObject) => {
            if let Some(v) = r.body_json() {
                r.body = json!([v]).to_string().into_bytes();
            }
        }
        Op::Authorize if status == 302 && sh.has(Fault::RedirectWithoutLocation) => {
            r.remove_header("location");
        }
        Op::DeviceCode if status == 200 && sh.has(Fault::MissingResponseField) => {
            if let Some(mut v) = r.body_json() {
                if let Some(o) = v.as_object_mut() {
                    o.remove("device_code");
                }
                r.body = v.to_string().into_bytes();
            }
        }
        Op::ChangePassword if status == 200 && sh.has(Fault::ErrorForSuccess) => {
            r.set_header("content-type", "application/json".into());
            r.body = json!({"message": ops::account::CHANGE_PASSWORD_SENT})
                .to_string()
                .into_bytes();
        }
        _ => {}
    }
}
