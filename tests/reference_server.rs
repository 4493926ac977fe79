//! End-to-end tests of the embedded reference server over real HTTP on 127.0.0.1: every
//! provokable documented status of every operation (checked against the document itself),
//! the main flows, rate limits, the faults, and a property test against arbitrary bodies.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::OnceLock;
use std::time::Duration;

use conform::reference_server::{
    Fault, RateLimits, RunningServer, SIMULATE_HEADER, ServerConfig, Tenant, faults, pkce_s256,
    start, totp,
};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

fn init() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

async fn server_with(config: ServerConfig) -> RunningServer {
    init();
    start(config).await.expect("reference server starts")
}

async fn server() -> RunningServer {
    server_with(ServerConfig::default()).await
}

async fn faulty(fault: Fault) -> RunningServer {
    server_with(ServerConfig {
        faults: vec![fault],
        ..ServerConfig::default()
    })
    .await
}

fn http() -> reqwest::Client {
    // Building a client is costly (TLS configuration); each test runs on its own thread with its
    // own runtime, so one client per thread shares connections only within a test.
    thread_local! {
        static CLIENT: reqwest::Client = {
            init();
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .expect("client builds")
        };
    }
    CLIENT.with(Clone::clone)
}

/// The document as JSON, loaded once, with the reference suite's `[[patches]]` applied: where
/// the 3.0 document and Auth0 disagree, the server answers as Auth0 does (issue 11), and the
/// suite's patches say so.
fn doc() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/spec/auth0-authentication.yaml"
        ))
        .expect("spec readable");
        let mut doc: Value = serde_yaml::from_str(&text).expect("spec parses");
        let suite = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/suites/reference.toml"
        ))
        .expect("suite readable");
        let suite: toml::Value = toml::from_str(&suite).expect("suite parses");
        for p in suite
            .get("patches")
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
        {
            let pointer = p["pointer"].as_str().expect("patch pointer");
            let (parent, last) = pointer.rsplit_once('/').expect("pointer has a parent");
            let key = last.replace("~1", "/").replace("~0", "~");
            let target = doc
                .pointer_mut(parent)
                .unwrap_or_else(|| panic!("patch parent {parent} exists"));
            let value = || {
                serde_json::to_value(p.get("value").expect("patch value"))
                    .expect("patch value converts")
            };
            match (target, p["op"].as_str()) {
                (Value::Array(items), Some("remove")) => {
                    items.remove(key.parse::<usize>().expect("array index"));
                }
                (Value::Object(map), Some("remove")) => {
                    map.remove(&key);
                }
                (Value::Object(map), _) => {
                    map.insert(key, value());
                }
                _ => panic!("patch {pointer}: unsupported in this test"),
            }
        }
        doc
    })
}

fn resolve(v: &Value) -> &Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let pointer = r.trim_start_matches('#');
            doc().pointer(pointer).expect("ref resolves")
        }
        None => v,
    }
}

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
    /// `error` of an OAuth error, or `code` of Auth0's signup error shape.
    fn error(&self) -> String {
        let v = self.json();
        v["error"]
            .as_str()
            .or_else(|| v["code"].as_str())
            .unwrap_or_default()
            .to_string()
    }
}

/// Assert the answer is one the document allows for (template, method): a documented status,
/// the documented media type, and a body valid against the documented schema.
fn assert_conforms(template: &str, method: &str, r: &Resp) {
    let op = &doc()["paths"][template][method];
    assert!(
        op.is_object(),
        "no operation {method} {template} in the document"
    );
    let key = r.status.to_string();
    let Some(resp) = op["responses"].get(&key) else {
        panic!("{method} {template}: status {} is not documented", r.status);
    };
    let resp = resolve(resp);
    if let Some(content) = resp.get("content").and_then(Value::as_object) {
        let ct = r.header("content-type").unwrap_or_default();
        let essence = ct.split(';').next().unwrap_or_default().trim().to_string();
        let media = content.get(&essence).unwrap_or_else(|| {
            panic!(
                "{method} {template} {}: content-type {ct:?} not documented",
                r.status
            )
        });
        if !essence.ends_with("json") {
            // text/html, text/plain: documented as a string; any text is one.
            assert!(
                std::str::from_utf8(&r.body).is_ok(),
                "{method} {template} {}: {essence} body is not text",
                r.status
            );
            return;
        }
        let body: Value = serde_json::from_slice(&r.body).unwrap_or_else(|_| {
            panic!(
                "{method} {template} {}: body is not JSON: {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            )
        });
        let schema = resolve(&media["schema"]);
        assert!(
            jsonschema::draft4::is_valid(schema, &body),
            "{method} {template} {}: body {body} does not match schema {schema}",
            r.status
        );
    }
    if r.status == 302 {
        assert!(r.header("location").is_some(), "302 without Location");
    }
    if r.status == 405 {
        assert!(r.header("allow").is_some(), "405 without Allow");
    }
}

#[derive(Clone)]
enum Body {
    None,
    Json(Value),
    Form(Vec<(&'static str, String)>),
    Raw(&'static str, String),
}

struct Call {
    method: &'static str,
    path: String,
    headers: Vec<(String, String)>,
    body: Body,
}

fn call(method: &'static str, path: impl Into<String>) -> Call {
    Call {
        method,
        path: path.into(),
        headers: Vec::new(),
        body: Body::None,
    }
}

impl Call {
    fn json(mut self, v: Value) -> Self {
        self.body = Body::Json(v);
        self
    }
    fn form(mut self, pairs: &[(&'static str, &str)]) -> Self {
        self.body = Body::Form(pairs.iter().map(|(k, v)| (*k, v.to_string())).collect());
        self
    }
    fn raw(mut self, ct: &'static str, body: impl Into<String>) -> Self {
        self.body = Body::Raw(ct, body.into());
        self
    }
    fn header(mut self, k: &str, v: impl Into<String>) -> Self {
        self.headers.push((k.to_string(), v.into()));
        self
    }
    fn bearer(self, token: &str) -> Self {
        self.header("authorization", format!("Bearer {token}"))
    }

    async fn send_with(&self, client: &reqwest::Client, base: &str) -> Resp {
        let method = reqwest::Method::from_bytes(self.method.as_bytes()).expect("method");
        let mut rb = client.request(method, format!("{base}{}", self.path));
        for (k, v) in &self.headers {
            rb = rb.header(k, v);
        }
        rb = match &self.body {
            Body::None => rb,
            Body::Json(v) => rb.json(v),
            Body::Form(p) => rb.form(p),
            Body::Raw(ct, b) => rb.header("content-type", *ct).body(b.clone()),
        };
        let resp = rb.send().await.expect("request completes");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.expect("body reads").to_vec();
        Resp {
            status,
            headers,
            body,
        }
    }

    async fn send(&self, s: &RunningServer) -> Resp {
        self.send_with(&http(), &s.base_url()).await
    }
}

/// Send, assert status (and error code), assert conformance to the document.
async fn expect(
    s: &RunningServer,
    template: &str,
    c: Call,
    status: u16,
    error: Option<&str>,
) -> Resp {
    let method = c.method.to_ascii_lowercase();
    expect_op(s, template, &method, c, status, error).await
}

/// Like [`expect`], checking conformance against the operation `doc_method` of `template`
/// (for requests sent with another method, e.g. the 405 cases).
async fn expect_op(
    s: &RunningServer,
    template: &str,
    method: &str,
    c: Call,
    status: u16,
    error: Option<&str>,
) -> Resp {
    let r = c.send(s).await;
    assert_eq!(
        r.status,
        status,
        "{} {}: body {}",
        c.method,
        c.path,
        String::from_utf8_lossy(&r.body)
    );
    if let Some(e) = error {
        assert_eq!(r.error(), e, "{} {}", c.method, c.path);
    }
    assert_conforms(template, method, &r);
    r
}

fn tenant() -> Tenant {
    Tenant::seeded().expect("tenant.toml parses")
}

const WEB: &str = "conform-web-app";
const WEB_SECRET: &str = "conform-web-app-secret";
const SPA: &str = "conform-spa";
const M2M: &str = "conform-m2m";
const M2M_SECRET: &str = "conform-m2m-secret";
const DEVICE: &str = "conform-device";
const LEGACY: &str = "conform-legacy";
const LEGACY_SECRET: &str = "conform-legacy-secret";
const NATIVE: &str = "conform-native";
const DB: &str = "Username-Password-Authentication";
const ALICE: &str = "alice@conform.test";
const ALICE_PW: &str = "Alice-Passw0rd!";
const BOB: &str = "bob@conform.test";
const BOB_PW: &str = "Bob-Passw0rd!";
const MFA_AUD: &str = "https://reference.conform.test/mfa/";
const MGMT_AUD: &str = "https://reference.conform.test/api/v2/";
const API: &str = "https://api.conform.test/";

async fn password_grant(
    s: &RunningServer,
    user: &str,
    pw: &str,
    scope: &str,
    audience: Option<&str>,
) -> Resp {
    let mut body = json!({"grant_type": "password", "client_id": WEB, "client_secret": WEB_SECRET,
        "username": user, "password": pw, "scope": scope});
    if let Some(a) = audience {
        body["audience"] = json!(a);
    }
    call("POST", "/oauth/token").json(body).send(s).await
}

async fn user_tokens(s: &RunningServer, scope: &str) -> Value {
    let r = password_grant(s, ALICE, ALICE_PW, scope, None).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

async fn m2m_token(s: &RunningServer, audience: &str) -> String {
    let r = call("POST", "/oauth/token")
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", M2M),
            ("client_secret", M2M_SECRET),
            ("audience", audience),
        ])
        .send(s)
        .await;
    assert_eq!(r.status, 200);
    r.json()["access_token"]
        .as_str()
        .expect("token")
        .to_string()
}

async fn mfa_api_token(s: &RunningServer) -> String {
    let r = password_grant(
        s,
        ALICE,
        ALICE_PW,
        "openid enroll read:authenticators remove:authenticators",
        Some(MFA_AUD),
    )
    .await;
    assert_eq!(r.status, 200);
    r.json()["access_token"]
        .as_str()
        .expect("token")
        .to_string()
}

async fn bob_mfa_token(s: &RunningServer, audience: Option<&str>, scope: &str) -> String {
    let r = password_grant(s, BOB, BOB_PW, scope, audience).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.error(), "mfa_required");
    r.json()["mfa_token"]
        .as_str()
        .expect("mfa_token")
        .to_string()
}

fn query_of(location: &str) -> Vec<(String, String)> {
    let url = url::Url::parse(location).expect("location is a URL");
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param(pairs: &[(String, String)], key: &str) -> Option<String> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// All 28 operations: the statuses every operation shares
// ---------------------------------------------------------------------------------------------

/// (document template, method, a concrete path) for the 28 operations.
const OPS: [(&str, &str, &str); 28] = [
    ("/authorize", "get", "/authorize"),
    ("/v2/logout", "get", "/v2/logout"),
    ("/oidc/logout", "get", "/oidc/logout"),
    (
        "/samlp/{CLIENT_ID}/logout",
        "post",
        "/samlp/conform-saml/logout",
    ),
    ("/passwordless/start", "post", "/passwordless/start"),
    ("/passwordless/verify", "post", "/passwordless/verify"),
    ("/oauth/token", "post", "/oauth/token"),
    ("/dbconnections/signup", "post", "/dbconnections/signup"),
    (
        "/dbconnections/change_password",
        "post",
        "/dbconnections/change_password",
    ),
    ("/userinfo", "get", "/userinfo"),
    ("/mfa/challenge", "post", "/mfa/challenge"),
    ("/mfa/associate", "post", "/mfa/associate"),
    ("/mfa/authenticators", "get", "/mfa/authenticators"),
    (
        "/mfa/authenticators/{AUTHENTICATOR_ID}",
        "delete",
        "/mfa/authenticators/totp%7Cdev_mfa_otp",
    ),
    ("/samlp/{client_id}", "get", "/samlp/conform-saml"),
    (
        "/samlp/metadata/{client_id}",
        "get",
        "/samlp/metadata/conform-saml",
    ),
    ("/login/callback", "post", "/login/callback"),
    ("/wsfed/{client_id}", "get", "/wsfed/conform-saml"),
    (
        "/wsfed/FederationMetadata/2007-06/FederationMetadata.xml",
        "get",
        "/wsfed/FederationMetadata/2007-06/FederationMetadata.xml",
    ),
    ("/oidc/register", "post", "/oidc/register"),
    ("/oauth/device/code", "post", "/oauth/device/code"),
    ("/oauth/revoke", "post", "/oauth/revoke"),
    ("/oauth/access_token", "post", "/oauth/access_token"),
    ("/oauth/ro", "post", "/oauth/ro"),
    ("/tokeninfo", "post", "/tokeninfo"),
    ("/delegation", "post", "/delegation"),
    ("/login/unlink", "post", "/login/unlink"),
    (
        "/users/{user_id}/impersonate",
        "post",
        "/users/auth0%7Cuser-plain/impersonate",
    ),
];

fn upper(m: &str) -> &'static str {
    match m {
        "get" => "GET",
        "post" => "POST",
        _ => "DELETE",
    }
}

#[tokio::test]
async fn every_operation_answers_simulated_5xx_405_and_tenant_protections() {
    let s = server().await;
    for (template, method, path) in OPS {
        let m = upper(method);
        for (code, status) in [("500", 500), ("501", 501), ("503", 503)] {
            let r = expect(
                &s,
                template,
                call(m, path).header(SIMULATE_HEADER, code),
                status,
                None,
            )
            .await;
            if status == 500 {
                assert!(r.body.is_empty(), "500 has no documented body");
            }
        }
        // An undocumented simulated status is refused (as /authorize's HTML error page there).
        let bad_request = (template != "/authorize").then_some("invalid_request");
        expect(
            &s,
            template,
            call(m, path).header(SIMULATE_HEADER, "502"),
            400,
            bad_request,
        )
        .await;
        // 405 with Allow naming the one documented method.
        let wrong = if m == "PUT" { "PATCH" } else { "PUT" };
        let r = expect_op(
            &s,
            template,
            method,
            call(wrong, path),
            405,
            Some("method_not_allowed"),
        )
        .await;
        assert_eq!(r.header("allow").as_deref(), Some(m));
        // G400: broken percent-encoding in the query string.
        expect(
            &s,
            template,
            call(m, format!("{path}?x=%zz")),
            400,
            bad_request,
        )
        .await;
        // G401: a bearer token this tenant never issued.
        expect(
            &s,
            template,
            call(m, path).bearer("not-a-token-of-this-tenant"),
            401,
            None,
        )
        .await;
        // G403: attack protection on the blocked end-user IP.
        expect(
            &s,
            template,
            call(m, path).header("auth0-forwarded-for", "203.0.113.66"),
            403,
            Some("access_denied"),
        )
        .await;
        // G404: an unknown organization.
        expect(
            &s,
            template,
            call(m, format!("{path}?organization=org_unknown")),
            404,
            Some("not_found"),
        )
        .await;
    }
}

#[tokio::test]
async fn unknown_paths_are_json_404_and_simulation_can_be_disabled() {
    let s = server().await;
    let r = call("GET", "/no/such/path").send(&s).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(r.error(), "not_found");
    let off = server_with(ServerConfig {
        allow_simulation: false,
        ..ServerConfig::default()
    })
    .await;
    let r = call("GET", "/userinfo")
        .header(SIMULATE_HEADER, "503")
        .send(&off)
        .await;
    assert_eq!(r.status, 401, "simulation disabled: the header is ignored");
}

#[tokio::test]
async fn start_refuses_non_loopback_and_base_url_has_no_trailing_slash() {
    init();
    let bad = ServerConfig {
        bind: "0.0.0.0:0".parse().expect("addr"),
        ..ServerConfig::default()
    };
    assert!(start(bad).await.is_err());
    let s = server().await;
    assert!(s.base_url().starts_with("http://127.0.0.1:"));
    assert!(!s.base_url().ends_with('/'));
    assert_eq!(s.addr().ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
    s.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Per operation: each natural documented status
// ---------------------------------------------------------------------------------------------

const WEB_CB: &str = "https://app.conform.test/callback";

#[tokio::test]
async fn authorize_statuses() {
    let s = server().await;
    let t = "/authorize";
    let q = |extra: &str| {
        format!(
            "/authorize?client_id={WEB}&response_type=code&redirect_uri={WEB_CB}&state=xyz{extra}"
        )
    };
    let r = expect(&s, t, call("GET", q("")), 302, None).await;
    let loc = r.header("location").expect("location");
    assert!(loc.starts_with(WEB_CB));
    let pairs = query_of(&loc);
    assert!(param(&pairs, "code").is_some());
    assert_eq!(param(&pairs, "state").as_deref(), Some("xyz"));
    // Blocked user through login_hint: 302 carrying the error.
    let r = expect(
        &s,
        t,
        call("GET", q("&login_hint=mallory@conform.test")),
        302,
        None,
    )
    .await;
    assert_eq!(
        param(&query_of(&r.header("location").expect("loc")), "error").as_deref(),
        Some("unauthorized")
    );
    // Implicit flow: tokens in the fragment.
    let r = expect(&s, t, call("GET", format!("/authorize?client_id={WEB}&response_type=id_token%20token&redirect_uri={WEB_CB}&nonce=n1&scope=openid")), 302, None).await;
    let loc = r.header("location").expect("loc");
    assert!(loc.contains("#access_token=") && loc.contains("id_token="));
    // Before the client and redirect_uri are known to be valid, an error is an HTML page
    // (issue 11): nowhere safe to redirect to.
    for bad in [
        format!("/authorize?response_type=code&redirect_uri={WEB_CB}"),
        "/authorize?client_id=no-such-client&response_type=code".to_string(),
        format!(
            "/authorize?client_id={WEB}&response_type=code&redirect_uri=https://evil.example/cb"
        ),
        format!("/authorize?client_id={M2M}&response_type=code"),
    ] {
        let r = expect(&s, t, call("GET", bad.clone()), 400, None).await;
        let ct = r.header("content-type").unwrap_or_default();
        assert!(ct.starts_with("text/html"), "{bad}: {ct}");
    }
    // After that, a 302 back to redirect_uri with error, error_description and state.
    for (url, error) in [
        (
            format!(
                "/authorize?client_id={WEB}&response_type=bogus&redirect_uri={WEB_CB}&state=xyz"
            ),
            "unsupported_response_type",
        ),
        (
            q("&code_challenge_method=plain&code_challenge=abc"),
            "invalid_request",
        ),
        (q("&connection=no-such-connection"), "invalid_request"),
        (q("&audience=https://unknown.api/"), "access_denied"),
    ] {
        let r = expect(&s, t, call("GET", url.clone()), 302, None).await;
        let loc = r.header("location").expect("location");
        assert!(loc.starts_with(WEB_CB), "{url}: {loc}");
        let pairs = query_of(&loc);
        assert_eq!(param(&pairs, "error").as_deref(), Some(error), "{url}");
        assert!(param(&pairs, "error_description").is_some(), "{url}");
        assert_eq!(param(&pairs, "state").as_deref(), Some("xyz"), "{url}");
    }
    // 401/403/404 only through reference conventions (PROVOKE.md).
    let forged = call("GET", q("")).header("authorization", "Bearer not-a-token-of-this-tenant");
    expect(&s, t, forged, 401, Some("invalid_token")).await;
    let blocked = call("GET", q("")).header("auth0-forwarded-for", "203.0.113.66");
    expect(&s, t, blocked, 403, Some("access_denied")).await;
    expect(
        &s,
        t,
        call("GET", q("&organization=org_unknown")),
        404,
        Some("not_found"),
    )
    .await;
}

#[tokio::test]
async fn logout_statuses() {
    let s = server().await;
    let t = "/v2/logout";
    let r = expect(
        &s,
        t,
        call(
            "GET",
            format!("/v2/logout?client_id={WEB}&returnTo=https://app.conform.test/logged-out"),
        ),
        302,
        None,
    )
    .await;
    assert_eq!(
        r.header("location").as_deref(),
        Some("https://app.conform.test/logged-out")
    );
    let r = expect(&s, t, call("GET", "/v2/logout"), 302, None).await;
    assert!(r.header("location").is_some());
    expect(
        &s,
        t,
        call("GET", "/v2/logout?returnTo=not-a-url"),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("GET", "/v2/logout").bearer("bogus"),
        401,
        Some("invalid_token"),
    )
    .await;
    expect(
        &s,
        t,
        call(
            "GET",
            format!("/v2/logout?client_id={WEB}&returnTo=https://evil.example/"),
        ),
        403,
        Some("access_denied"),
    )
    .await;
    expect(
        &s,
        t,
        call("GET", "/v2/logout?client_id=no-such-client"),
        404,
        Some("not_found"),
    )
    .await;
}

#[tokio::test]
async fn oidc_logout_statuses() {
    let s = server().await;
    let t = "/oidc/logout";
    let id_token = user_tokens(&s, "openid").await["id_token"]
        .as_str()
        .expect("id")
        .to_string();
    let r = expect(&s, t, call("GET", format!("/oidc/logout?id_token_hint={id_token}&post_logout_redirect_uri=https://app.conform.test/logged-out&state=s1")), 302, None).await;
    assert_eq!(
        r.header("location").as_deref(),
        Some("https://app.conform.test/logged-out?state=s1")
    );
    expect(
        &s,
        t,
        call("GET", "/oidc/logout?id_token_hint=not-a-jwt"),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call(
            "GET",
            "/oidc/logout?post_logout_redirect_uri=https://app.conform.test/logged-out",
        ),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("GET", "/oidc/logout?id_token_hint=aaa.bbb.ccc"),
        401,
        Some("invalid_token"),
    )
    .await;
    expect(
        &s,
        t,
        call(
            "GET",
            format!("/oidc/logout?client_id={WEB}&post_logout_redirect_uri=https://evil.example/"),
        ),
        403,
        Some("access_denied"),
    )
    .await;
    expect(
        &s,
        t,
        call("GET", "/oidc/logout?client_id=no-such-client"),
        404,
        Some("not_found"),
    )
    .await;
}

const LOGOUT_REQUEST: &str = r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_1" Version="2.0"><saml:Issuer>urn:conform:sp</saml:Issuer><saml:NameID>alice@conform.test</saml:NameID></samlp:LogoutRequest>"#;

#[tokio::test]
async fn saml_logout_statuses() {
    let s = server().await;
    let t = "/samlp/{CLIENT_ID}/logout";
    let r = expect(
        &s,
        t,
        call("POST", "/samlp/conform-saml/logout").raw("application/xml", LOGOUT_REQUEST),
        200,
        None,
    )
    .await;
    assert!(String::from_utf8_lossy(&r.body).contains("LogoutResponse"));
    expect(
        &s,
        t,
        call("POST", "/samlp/conform-saml/logout").raw("application/xml", "hello"),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", "/samlp/conform-saml/logout").raw("application/json", "{}"),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", "/samlp/conform-saml/logout").raw(
            "application/xml",
            LOGOUT_REQUEST.replace("urn:conform:sp", "urn:someone:else"),
        ),
        401,
        Some("invalid_client"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", format!("/samlp/{WEB}/logout")).raw("application/xml", LOGOUT_REQUEST),
        403,
        Some("access_denied"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", "/samlp/no-such-client/logout").raw("application/xml", LOGOUT_REQUEST),
        404,
        Some("not_found"),
    )
    .await;
}

#[tokio::test]
async fn passwordless_start_statuses() {
    let s = server().await;
    let t = "/passwordless/start";
    let r = expect(
        &s,
        t,
        call("POST", t)
            .json(json!({"client_id": SPA, "connection": "email", "email": ALICE, "send": "code"})),
        200,
        None,
    )
    .await;
    assert_eq!(r.json()["email"], ALICE);
    expect(
        &s,
        t,
        call("POST", t)
            .json(json!({"client_id": SPA, "connection": "sms", "phone_number": "+15550000001"})),
        200,
        None,
    )
    .await;
    expect(&s, t, call("POST", t).json(json!({"client_id": SPA, "connection": "email", "email": ALICE, "send": "carrier-pigeon"})), 400, Some("invalid_request")).await;
    expect(
        &s,
        t,
        call("POST", t).json(json!({"client_id": SPA, "connection": "email"})),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).raw("application/json", "{not json"),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(&s, t, call("POST", t).json(json!({"client_id": WEB, "client_secret": "wrong", "connection": "email", "email": ALICE})), 401, Some("invalid_client")).await;
    expect(
        &s,
        t,
        call("POST", t)
            .json(json!({"client_id": "no-such-client", "connection": "email", "email": ALICE})),
        401,
        Some("invalid_client"),
    )
    .await;
    // A connection not enabled for the client, or unknown: 400 bad.connection (issue 11).
    expect(&s, t, call("POST", t).json(json!({"client_id": M2M, "client_secret": M2M_SECRET, "connection": "email", "email": ALICE})), 400, Some("bad.connection")).await;
    expect(
        &s,
        t,
        call("POST", t)
            .json(json!({"client_id": SPA, "connection": "carrier-pigeon", "email": ALICE})),
        400,
        Some("bad.connection"),
    )
    .await;
    // 200 shapes: {_id, email, email_verified} and {_id, phone_number, phone_verified}.
    let r = expect(
        &s,
        t,
        call("POST", t)
            .json(json!({"client_id": SPA, "connection": "email", "email": ALICE, "send": "code"})),
        200,
        None,
    )
    .await;
    let keys: Vec<String> = r
        .json()
        .as_object()
        .expect("object")
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, ["_id", "email", "email_verified"]);
    let r = expect(
        &s,
        t,
        call("POST", t)
            .json(json!({"client_id": SPA, "connection": "sms", "phone_number": "+15550000001"})),
        200,
        None,
    )
    .await;
    let keys: Vec<String> = r
        .json()
        .as_object()
        .expect("object")
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, ["_id", "phone_number", "phone_verified"]);
}

async fn outbox_code(s: &RunningServer, to: &str) -> String {
    let r = call("GET", "/__reference/outbox").send(s).await;
    assert_eq!(r.status, 200);
    r.json()
        .as_array()
        .expect("outbox array")
        .iter()
        .rev()
        .find(|m| m["to"] == to)
        .and_then(|m| m["code"].as_str())
        .expect("a code was sent")
        .to_string()
}

#[tokio::test]
async fn passwordless_verify_statuses() {
    let s = server().await;
    let t = "/passwordless/verify";
    call("POST", "/passwordless/start")
        .json(json!({"client_id": SPA, "connection": "sms", "phone_number": "+15550000001"}))
        .send(&s)
        .await;
    let code = outbox_code(&s, "+15550000001").await;
    let verify = |pw: &str| json!({"client_id": LEGACY, "connection": "sms", "grant_type": "password", "username": "+15550000001", "password": pw, "scope": "openid"});
    // An OIDC-conformant application is refused (issue 11: the default for new applications).
    let r = expect(&s, t, call("POST", t).json(json!({"client_id": SPA, "connection": "sms", "grant_type": "password", "username": "+15550000001", "password": "000000", "scope": "openid"})), 403, Some("unauthorized_client")).await;
    assert!(
        r.json()["error_description"]
            .as_str()
            .unwrap_or_default()
            .contains("not allowed for the client")
    );
    expect(
        &s,
        t,
        call("POST", t).json(verify("000000x")),
        403,
        Some("invalid_grant"),
    )
    .await;
    let r = expect(&s, t, call("POST", t).json(verify(&code)), 200, None).await;
    assert!(r.json()["id_token"].is_string());
    expect(
        &s,
        t,
        call("POST", t).json(json!({"client_id": SPA, "connection": "sms"})),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(&s, t, call("POST", t).json(json!({"client_id": "nope", "connection": "sms", "username": "+15550000001", "password": "1"})), 401, Some("invalid_client")).await;
    expect(&s, t, call("POST", t).json(json!({"client_id": LEGACY, "connection": "fax", "username": "+15550000001", "password": "1"})), 404, Some("not_found")).await;
}

#[tokio::test]
async fn oauth_token_statuses() {
    let s = server().await;
    let t = "/oauth/token";
    let r = expect(
        &s,
        t,
        call("POST", t).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", M2M),
            ("client_secret", M2M_SECRET),
            ("audience", API),
        ]),
        200,
        None,
    )
    .await;
    assert_eq!(r.json()["token_type"], "Bearer");
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    // JSON bodies work as well as forms.
    expect(&s, t, call("POST", t).json(json!({"grant_type": "password", "client_id": WEB, "client_secret": WEB_SECRET, "username": ALICE, "password": ALICE_PW})), 200, None).await;
    // HTTP Basic client authentication.
    expect(
        &s,
        t,
        call("POST", t)
            .header(
                "authorization",
                format!("Basic {}", b64(&format!("{M2M}:{M2M_SECRET}"))),
            )
            .form(&[("grant_type", "client_credentials"), ("audience", API)]),
        200,
        None,
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).form(&[("client_id", WEB)]),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).form(&[("grant_type", "urn:example:unknown"), ("client_id", WEB)]),
        400,
        Some("unsupported_grant_type"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", M2M),
            ("client_secret", M2M_SECRET),
        ]),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).raw("application/x-www-form-urlencoded", "grant_type=%zz"),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).raw("text/plain", "grant_type=password"),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", M2M),
            ("client_secret", "wrong"),
            ("audience", API),
        ]),
        401,
        Some("access_denied"),
    )
    .await;
    let r = expect(
        &s,
        t,
        call("POST", t).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "no-such-client"),
            ("client_secret", "x"),
            ("audience", API),
        ]),
        401,
        Some("access_denied"),
    )
    .await;
    // Failed client authentication on /oauth/token (issue 11).
    assert_eq!(
        r.json(),
        json!({"error": "access_denied", "error_description": "Unauthorized"})
    );
    expect(
        &s,
        t,
        call("POST", t).form(&[
            ("grant_type", "password"),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("username", ALICE),
            ("password", "wrong"),
        ]),
        403,
        Some("invalid_grant"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).form(&[
            ("grant_type", "password"),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("username", "mallory@conform.test"),
            ("password", "Mallory-Passw0rd!"),
        ]),
        401,
        Some("unauthorized"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("audience", API),
        ]),
        403,
        Some("unauthorized_client"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", M2M),
            ("client_secret", M2M_SECRET),
            ("audience", MFA_AUD),
        ]),
        403,
        Some("access_denied"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", M2M),
            ("client_secret", M2M_SECRET),
            ("audience", "https://unknown.api/"),
        ]),
        403,
        Some("access_denied"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).form(&[
            (
                "grant_type",
                "http://auth0.com/oauth/grant-type/password-realm",
            ),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("username", ALICE),
            ("password", ALICE_PW),
            ("realm", "no-such-realm"),
        ]),
        404,
        Some("not_found"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).form(&[
            (
                "grant_type",
                "http://auth0.com/oauth/grant-type/password-realm",
            ),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("username", ALICE),
            ("password", ALICE_PW),
            ("realm", DB),
        ]),
        200,
        None,
    )
    .await;
    // Token exchange (native social, Apple authorization code).
    let tx = |code: &str| json!({"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "client_id": NATIVE, "subject_token": code, "subject_token_type": "http://auth0.com/oauth/token-type/apple-authz-code", "scope": "openid"});
    expect(
        &s,
        t,
        call("POST", t).json(tx(&tenant().apple_authz_code)),
        200,
        None,
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(tx("wrong")),
        403,
        Some("invalid_grant"),
    )
    .await;
}

#[tokio::test]
async fn signup_statuses() {
    let s = server().await;
    let t = "/dbconnections/signup";
    let body = |email: &str, pw: &str, conn: &str, client: &str| json!({"client_id": client, "email": email, "password": pw, "connection": conn});
    let r = expect(&s, t, call("POST", t).json(json!({"client_id": WEB, "email": "carol@conform.test", "password": "Carol-Passw0rd!", "connection": DB, "given_name": "Carol", "user_metadata": {"plan": "free"}})), 200, None).await;
    // Only the identifiers sent come back (issue 11).
    let keys: Vec<String> = r
        .json()
        .as_object()
        .expect("object")
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, ["_id", "email_verified", "email"]);
    assert_eq!(r.json()["email"], "carol@conform.test");
    let r = expect(
        &s,
        t,
        call("POST", t).json(body("carol@conform.test", "Carol-Passw0rd!", DB, WEB)),
        400,
        Some("user_exists"),
    )
    .await;
    assert_eq!(r.json()["name"], "BadRequestError");
    assert_eq!(r.json()["statusCode"], 400);
    expect(
        &s,
        t,
        call("POST", t).json(body("dave@conform.test", "short", DB, WEB)),
        400,
        Some("invalid_password"),
    )
    .await;
    // A password-policy failure describes the rules as an object.
    let r = call("POST", t)
        .json(body("dave@conform.test", "short", DB, WEB))
        .send(&s)
        .await;
    assert_eq!(r.json()["name"], "PasswordStrengthError");
    assert!(r.json()["description"]["rules"].is_array());
    expect(
        &s,
        t,
        call("POST", t).json(body("not-an-email", "Long-Enough-1", DB, WEB)),
        400,
        Some("invalid_signup"),
    )
    .await;
    expect(&s, t, call("POST", t).json(json!({"client_id": WEB, "email": "x@conform.test", "password": "Long-Enough-1", "connection": DB, "user_metadata": {"n": 1}})), 400, Some("invalid_signup")).await;
    expect(
        &s,
        t,
        call("POST", t).json(
            json!({"client_id": WEB, "email": 7, "password": "Long-Enough-1", "connection": DB}),
        ),
        400,
        Some("invalid_signup"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(body(
            "dave@conform.test",
            "Long-Enough-1",
            DB,
            "no-such-client",
        )),
        401,
        Some("invalid_client"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(body("dave@conform.test", "Long-Enough-1", DB, M2M)),
        403,
        Some("unauthorized_client"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(body(
            "dave@conform.test",
            "Long-Enough-1",
            "no-such-db",
            WEB,
        )),
        400,
        Some("invalid_connection"),
    )
    .await;
}

#[tokio::test]
async fn change_password_statuses() {
    let s = server().await;
    let t = "/dbconnections/change_password";
    let r = expect(
        &s,
        t,
        call("POST", t).json(json!({"client_id": WEB, "email": ALICE, "connection": DB})),
        200,
        None,
    )
    .await;
    // A sentence as text/html (issue 11).
    assert!(
        r.header("content-type")
            .unwrap_or_default()
            .starts_with("text/html")
    );
    assert_eq!(
        String::from_utf8_lossy(&r.body),
        "We've just sent you an email to reset your password."
    );
    expect(
        &s,
        t,
        call("POST", t).json(json!({"client_id": WEB, "connection": DB})),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t)
            .json(json!({"client_id": "no-such-client", "email": ALICE, "connection": DB})),
        401,
        Some("invalid_client"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(json!({"client_id": M2M, "email": ALICE, "connection": DB})),
        403,
        Some("unauthorized_client"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(json!({"client_id": WEB, "email": ALICE, "connection": "no-such-db"})),
        400,
        Some("bad.connection"),
    )
    .await;
}

#[tokio::test]
async fn userinfo_statuses() {
    let s = server().await;
    let t = "/userinfo";
    let tokens = user_tokens(&s, "openid profile email").await;
    let at = tokens["access_token"].as_str().expect("at");
    let r = expect(&s, t, call("GET", t).bearer(at), 200, None).await;
    assert_eq!(r.json()["email"], ALICE);
    assert_eq!(r.json()["sub"], "auth0|user-plain");
    // The document's own header carries the token too.
    let r = expect(
        &s,
        t,
        call("GET", t).header("access_token", format!("Bearer {at}")),
        200,
        None,
    )
    .await;
    assert_eq!(r.json()["name"], "Alice Example");
    // Scopes shape the profile.
    let narrow = user_tokens(&s, "openid").await;
    let r = expect(
        &s,
        t,
        call("GET", t).bearer(narrow["access_token"].as_str().expect("at")),
        200,
        None,
    )
    .await;
    assert!(r.json().get("email").is_none());
    expect(
        &s,
        t,
        call("GET", t).header("access_token", "Basic abc def"),
        400,
        Some("invalid_request"),
    )
    .await;
    // 401: plain text `Unauthorized`, the reason in WWW-Authenticate (issue 11).
    for c in [call("GET", t), call("GET", t).bearer("forged")] {
        let r = expect(&s, t, c, 401, None).await;
        assert!(
            r.header("content-type")
                .unwrap_or_default()
                .starts_with("text/plain")
        );
        assert_eq!(r.body, b"Unauthorized");
        let challenge = r.header("www-authenticate").expect("WWW-Authenticate");
        assert!(
            challenge.starts_with(
                "Bearer realm=\"Users\", error=\"invalid_token\", error_description=\""
            ),
            "{challenge}"
        );
    }
    let no_openid = user_tokens(&s, "profile").await;
    expect(
        &s,
        t,
        call("GET", t).bearer(no_openid["access_token"].as_str().expect("at")),
        403,
        Some("insufficient_scope"),
    )
    .await;
    let m2m = m2m_token(&s, API).await;
    expect(&s, t, call("GET", t).bearer(&m2m), 404, Some("not_found")).await;
}

#[tokio::test]
async fn mfa_challenge_statuses() {
    let s = server().await;
    let t = "/mfa/challenge";
    let mfa_token = bob_mfa_token(&s, None, "openid").await;
    let body = |extra: Value| {
        let mut b = json!({"client_id": WEB, "client_secret": WEB_SECRET, "mfa_token": mfa_token});
        for (k, v) in extra.as_object().expect("object") {
            b[k] = v.clone();
        }
        b
    };
    let r = expect(
        &s,
        t,
        call("POST", t).json(body(json!({"challenge_type": "otp"}))),
        200,
        None,
    )
    .await;
    assert_eq!(r.json()["challenge_type"], "otp");
    let r = expect(
        &s,
        t,
        call("POST", t).json(body(json!({"challenge_type": "oob"}))),
        200,
        None,
    )
    .await;
    assert!(r.json()["oob_code"].is_string());
    expect(
        &s,
        t,
        call("POST", t).json(body(json!({"challenge_type": "telepathy"}))),
        400,
        Some("unsupported_challenge_type"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(json!({"client_id": WEB, "client_secret": WEB_SECRET})),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(body(json!({"client_secret": "wrong"}))),
        401,
        Some("invalid_client"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(body(json!({"mfa_token": "expired-or-forged"}))),
        403,
        Some("invalid_grant"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(body(json!({"authenticator_id": "totp|dev_nope"}))),
        404,
        Some("not_found"),
    )
    .await;
}

#[tokio::test]
async fn mfa_associate_statuses() {
    let s = server().await;
    let t = "/mfa/associate";
    let token = mfa_api_token(&s).await;
    let r = expect(
        &s,
        t,
        call("POST", t)
            .bearer(&token)
            .json(json!({"authenticator_types": ["otp"]})),
        200,
        None,
    )
    .await;
    assert!(r.json()["recovery_codes"].is_array());
    expect(&s, t, call("POST", t).bearer(&token).json(json!({"authenticator_types": ["oob"], "oob_channels": ["sms"], "phone_number": "+15550000009"})), 200, None).await;
    expect(
        &s,
        t,
        call("POST", t)
            .bearer(&token)
            .json(json!({"authenticator_types": ["oob"]})),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t)
            .bearer(&token)
            .json(json!({"authenticator_types": "otp"})),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(json!({"authenticator_types": ["otp"]})),
        401,
        Some("invalid_token"),
    )
    .await;
    let plain = user_tokens(&s, "openid").await;
    expect(
        &s,
        t,
        call("POST", t)
            .bearer(plain["access_token"].as_str().expect("at"))
            .json(json!({"authenticator_types": ["otp"]})),
        403,
        Some("insufficient_scope"),
    )
    .await;
    let bob = bob_mfa_token(&s, None, "openid").await;
    expect(
        &s,
        t,
        call("POST", t)
            .bearer(&bob)
            .json(json!({"authenticator_types": ["otp"]})),
        403,
        Some("access_denied"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t)
            .bearer(&token)
            .json(json!({"authenticator_types": ["otp"], "client_id": "no-such-client"})),
        404,
        Some("not_found"),
    )
    .await;
}

#[tokio::test]
async fn mfa_authenticators_list_and_delete_statuses() {
    let s = server().await;
    let list = "/mfa/authenticators";
    let del = "/mfa/authenticators/{AUTHENTICATOR_ID}";
    // Bob completes MFA for the MFA API audience, then manages his authenticators.
    let mfa_token = bob_mfa_token(
        &s,
        Some(MFA_AUD),
        "openid read:authenticators remove:authenticators",
    )
    .await;
    let secret = tenant()
        .users
        .iter()
        .find(|u| u.email == BOB)
        .and_then(|u| u.otp_secret.clone())
        .expect("bob has otp");
    let r = call("POST", "/oauth/token")
        .form(&[
            ("grant_type", "http://auth0.com/oauth/grant-type/mfa-otp"),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("mfa_token", &mfa_token),
            ("otp", &totp(secret.as_bytes(), now())),
        ])
        .send(&s)
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let token = r.json()["access_token"].as_str().expect("at").to_string();
    let r = expect(
        &s,
        list,
        call("GET", list).header("ACCESS_TOKEN", format!("Bearer {token}")),
        200,
        None,
    )
    .await;
    let ids: Vec<String> = r
        .json()
        .as_array()
        .expect("array")
        .iter()
        .map(|a| a["id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(ids.contains(&"totp|dev_mfa_otp".to_string()), "{ids:?}");
    expect(
        &s,
        list,
        call("GET", list).header("ACCESS_TOKEN", "Basic x y"),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(&s, list, call("GET", list), 401, Some("invalid_token")).await;
    let plain = user_tokens(&s, "openid").await;
    let plain_at = plain["access_token"].as_str().expect("at").to_string();
    expect(
        &s,
        list,
        call("GET", list).bearer(&plain_at),
        403,
        Some("insufficient_scope"),
    )
    .await;
    let m2m = m2m_token(&s, API).await;
    expect(
        &s,
        list,
        call("GET", list).bearer(&m2m),
        404,
        Some("not_found"),
    )
    .await;

    expect(
        &s,
        del,
        call("DELETE", "/mfa/authenticators/sms%7Cdev_mfa_sms").header("ACCESS_TOKEN", &token),
        204,
        None,
    )
    .await;
    expect(
        &s,
        del,
        call("DELETE", "/mfa/authenticators/sms%7Cdev_mfa_sms").bearer(&token),
        404,
        Some("not_found"),
    )
    .await;
    expect(
        &s,
        del,
        call("DELETE", "/mfa/authenticators/x").header("ACCESS_TOKEN", "Basic x y"),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        del,
        call("DELETE", "/mfa/authenticators/x"),
        401,
        Some("invalid_token"),
    )
    .await;
    expect(
        &s,
        del,
        call("DELETE", "/mfa/authenticators/totp%7Cdev_mfa_otp").bearer(&plain_at),
        403,
        Some("insufficient_scope"),
    )
    .await;
}

#[tokio::test]
async fn samlp_login_and_metadata_statuses() {
    let s = server().await;
    let t = "/samlp/{client_id}";
    let r = expect(
        &s,
        t,
        call("GET", "/samlp/conform-saml?RelayState=r1"),
        200,
        None,
    )
    .await;
    let html = String::from_utf8_lossy(&r.body).to_string();
    assert!(html.contains("SAMLResponse") && html.contains("https://sp.conform.test/acs"));
    expect(
        &s,
        t,
        call("GET", "/samlp/conform-saml?SAMLRequest=***"),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("GET", "/samlp/bad%20id"),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("GET", "/samlp/conform-saml").bearer("forged"),
        401,
        Some("invalid_token"),
    )
    .await;
    expect(
        &s,
        t,
        call("GET", format!("/samlp/{WEB}")),
        403,
        Some("access_denied"),
    )
    .await;
    expect(
        &s,
        t,
        call("GET", "/samlp/conform-saml?connection=sms"),
        403,
        Some("unauthorized_client"),
    )
    .await;
    expect(
        &s,
        t,
        call("GET", "/samlp/no-such-client"),
        404,
        Some("not_found"),
    )
    .await;
    expect(
        &s,
        t,
        call("GET", "/samlp/conform-saml?connection=no-such-connection"),
        404,
        Some("not_found"),
    )
    .await;

    let t = "/samlp/metadata/{client_id}";
    let r = expect(
        &s,
        t,
        call("GET", "/samlp/metadata/conform-saml"),
        200,
        None,
    )
    .await;
    assert!(String::from_utf8_lossy(&r.body).contains("EntityDescriptor"));
    assert_eq!(r.header("content-type").as_deref(), Some("application/xml"));
    expect(
        &s,
        t,
        call("GET", "/samlp/metadata/bad%20id"),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("GET", "/samlp/metadata/conform-saml").bearer("forged"),
        401,
        Some("invalid_token"),
    )
    .await;
    expect(
        &s,
        t,
        call("GET", format!("/samlp/metadata/{WEB}")),
        403,
        Some("access_denied"),
    )
    .await;
    expect(
        &s,
        t,
        call("GET", "/samlp/metadata/no-such-client"),
        404,
        Some("not_found"),
    )
    .await;
}

const SAML_RESPONSE: &str = r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:Issuer>urn:conform:idp</saml:Issuer><saml:Assertion><saml:Subject><saml:NameID>alice@conform.test</saml:NameID></saml:Subject></saml:Assertion></samlp:Response>"#;

#[tokio::test]
async fn login_callback_statuses() {
    let s = server().await;
    let t = "/login/callback";
    let ok = b64(SAML_RESPONSE);
    expect(
        &s,
        t,
        call("POST", "/login/callback?connection=conform-saml-idp").form(&[("SAMLResponse", &ok)]),
        200,
        None,
    )
    .await;
    expect(
        &s,
        t,
        call("POST", "/login/callback").form(&[("SAMLResponse", &ok)]),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", "/login/callback?connection=conform-saml-idp")
            .form(&[("SAMLResponse", "%%%not base64")]),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", "/login/callback?connection=conform-saml-idp").form(&[("RelayState", "x")]),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", "/login/callback?connection=conform-saml-idp").form(&[(
            "SAMLResponse",
            &b64(&SAML_RESPONSE.replace("urn:conform:idp", "urn:evil:idp")),
        )]),
        401,
        Some("invalid_token"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", format!("/login/callback?connection={DB}")).form(&[("SAMLResponse", &ok)]),
        403,
        Some("access_denied"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", "/login/callback?connection=no-such-idp").form(&[("SAMLResponse", &ok)]),
        404,
        Some("not_found"),
    )
    .await;
}

#[tokio::test]
async fn wsfed_statuses() {
    let s = server().await;
    let t = "/wsfed/{client_id}";
    let r = expect(
        &s,
        t,
        call(
            "GET",
            "/wsfed/conform-saml?wctx=c1&wreply=https://sp.conform.test/acs",
        ),
        200,
        None,
    )
    .await;
    assert!(String::from_utf8_lossy(&r.body).contains("wresult"));
    expect(
        &s,
        t,
        call("GET", "/wsfed/conform-saml?wreply=not-a-url"),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("GET", "/wsfed/conform-saml").bearer("forged"),
        401,
        Some("invalid_token"),
    )
    .await;
    expect(
        &s,
        t,
        call("GET", format!("/wsfed/{WEB}")),
        403,
        Some("access_denied"),
    )
    .await;
    expect(
        &s,
        t,
        call("GET", "/wsfed/conform-saml?wreply=https://evil.example/"),
        403,
        Some("access_denied"),
    )
    .await;
    expect(
        &s,
        t,
        call("GET", "/wsfed/no-such-client"),
        404,
        Some("not_found"),
    )
    .await;
    expect(
        &s,
        t,
        call("GET", "/wsfed/conform-saml?wtrealm=urn:no-such-realm"),
        404,
        Some("not_found"),
    )
    .await;

    let t = "/wsfed/FederationMetadata/2007-06/FederationMetadata.xml";
    let r = expect(&s, t, call("GET", t), 200, None).await;
    assert!(String::from_utf8_lossy(&r.body).contains("PassiveRequestorEndpoint"));
    expect(
        &s,
        t,
        call("GET", format!("{t}?wtrealm=")),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("GET", t).bearer("forged"),
        401,
        Some("invalid_token"),
    )
    .await;
    expect(
        &s,
        t,
        call("GET", t).header("auth0-forwarded-for", "203.0.113.66"),
        403,
        Some("access_denied"),
    )
    .await;
    expect(
        &s,
        t,
        call("GET", format!("{t}?wtrealm=urn:no-such-realm")),
        404,
        Some("not_found"),
    )
    .await;
}

#[tokio::test]
async fn oidc_register_statuses() {
    let s = server().await;
    let t = "/oidc/register";
    let r = expect(
        &s,
        t,
        call("POST", t)
            .json(json!({"client_name": "Dyn", "redirect_uris": ["https://dyn.example/cb"]})),
        201,
        None,
    )
    .await;
    let v = r.json();
    assert!(v["client_secret"].is_string());
    // The registered client can use /authorize right away.
    let id = v["client_id"].as_str().expect("id");
    expect(
        &s,
        "/authorize",
        call(
            "GET",
            format!("/authorize?client_id={id}&response_type=code"),
        ),
        302,
        None,
    )
    .await;
    let r = expect(&s, t, call("POST", t).json(json!({"redirect_uris": ["https://spa.example/cb"], "token_endpoint_auth_method": "none"})), 201, None).await;
    assert!(r.json().get("client_secret").is_none());
    assert_eq!(r.json()["client_name"], "My App");
    expect(
        &s,
        t,
        call("POST", t).json(json!({"client_name": "Dyn"})),
        400,
        Some("invalid_redirect_uri"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(
            json!({"redirect_uris": ["https://x.example/"], "token_endpoint_auth_method": "magic"}),
        ),
        400,
        Some("invalid_client_metadata"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t)
            .bearer("forged-initial-access-token")
            .json(json!({"redirect_uris": ["https://x.example/"]})),
        401,
        Some("invalid_token"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t)
            .header("auth0-forwarded-for", "203.0.113.66")
            .json(json!({"redirect_uris": ["https://x.example/"]})),
        403,
        Some("access_denied"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", "/oidc/register?organization=org_unknown")
            .json(json!({"redirect_uris": ["https://x.example/"]})),
        404,
        Some("not_found"),
    )
    .await;
}

#[tokio::test]
async fn device_code_statuses() {
    let s = server().await;
    let t = "/oauth/device/code";
    let r = expect(
        &s,
        t,
        call("POST", t).json(json!({"client_id": DEVICE, "scope": "openid offline_access"})),
        200,
        None,
    )
    .await;
    let v = r.json();
    assert!(v["device_code"].is_string() && v["user_code"].is_string() && v["interval"].is_u64());
    expect(
        &s,
        t,
        call("POST", t).json(json!({"scope": "openid"})),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(json!({"client_id": "no-such-client"})),
        401,
        Some("invalid_client"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(json!({"client_id": WEB})),
        403,
        Some("unauthorized_client"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(json!({"client_id": DEVICE, "audience": "https://unknown.api/"})),
        403,
        Some("access_denied"),
    )
    .await;
}

#[tokio::test]
async fn revoke_statuses() {
    let s = server().await;
    let t = "/oauth/revoke";
    let rt = user_tokens(&s, "openid offline_access").await["refresh_token"]
        .as_str()
        .expect("rt")
        .to_string();
    let r = expect(
        &s,
        t,
        call("POST", t).json(json!({"client_id": WEB, "client_secret": WEB_SECRET, "token": rt})),
        200,
        None,
    )
    .await;
    assert!(r.body.is_empty());
    expect(
        &s,
        t,
        call("POST", t)
            .json(json!({"client_id": WEB, "client_secret": WEB_SECRET, "token": "unknown-token"})),
        200,
        None,
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(json!({"client_id": WEB, "client_secret": WEB_SECRET})),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(json!({"client_id": WEB, "client_secret": "wrong", "token": rt})),
        401,
        Some("invalid_client"),
    )
    .await;
    let other = user_tokens(&s, "openid offline_access").await["refresh_token"]
        .as_str()
        .expect("rt")
        .to_string();
    // Another client's token: 200 with an empty body, as Auth0 answers (issue 11), and the
    // token is left alone.
    let r = expect(
        &s,
        t,
        call("POST", t).form(&[("client_id", "conform-spa"), ("token", other.as_str())]),
        200,
        None,
    )
    .await;
    assert!(r.body.is_empty());
    let still = call("POST", "/oauth/token")
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("refresh_token", other.as_str()),
        ])
        .send(&s)
        .await;
    assert_eq!(
        still.status,
        200,
        "{}",
        String::from_utf8_lossy(&still.body)
    );
    expect(&s, t, call("POST", t).json(json!({"client_id": WEB, "client_secret": WEB_SECRET, "token": rt, "organization": "org_unknown"})), 404, Some("not_found")).await;
}

#[tokio::test]
async fn legacy_access_token_and_ro_statuses() {
    let s = server().await;
    let t = "/oauth/access_token";
    let google = tenant().google_access_token;
    // An OIDC-conformant application is refused (issue 11; Auth0's answer as quoted in
    // auth0/Auth0.swift#121).
    let r = expect(&s, t, call("POST", t).json(json!({"client_id": WEB, "access_token": google, "connection": "google-oauth2", "scope": "openid"})), 403, Some("unauthorized_client")).await;
    assert!(
        r.json()["error_description"]
            .as_str()
            .unwrap_or_default()
            .contains("not allowed for the client")
    );
    let r = expect(&s, t, call("POST", t).json(json!({"client_id": LEGACY, "access_token": google, "connection": "google-oauth2", "scope": "openid"})), 200, None).await;
    assert!(r.json()["id_token"].is_string());
    expect(
        &s,
        t,
        call("POST", t).json(json!({"client_id": LEGACY, "connection": "google-oauth2"})),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(
            json!({"client_id": "nope", "access_token": google, "connection": "google-oauth2"}),
        ),
        401,
        Some("invalid_client"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(
            json!({"client_id": LEGACY, "access_token": "forged", "connection": "google-oauth2"}),
        ),
        403,
        Some("invalid_grant"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t)
            .json(json!({"client_id": LEGACY, "access_token": google, "connection": "myspace"})),
        404,
        Some("not_found"),
    )
    .await;

    let t = "/oauth/ro";
    let ro = |client: &str, conn: &str, user: &str, pw: &str| json!({"client_id": client, "connection": conn, "grant_type": "password", "username": user, "password": pw, "scope": "openid"});
    expect(
        &s,
        t,
        call("POST", t).json(ro(LEGACY, DB, ALICE, ALICE_PW)),
        200,
        None,
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(json!({"client_id": LEGACY, "connection": DB})),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(ro("nope", DB, ALICE, ALICE_PW)),
        401,
        Some("invalid_client"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(ro(LEGACY, DB, ALICE, "wrong")),
        403,
        Some("invalid_grant"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(ro(LEGACY, "no-such-db", ALICE, ALICE_PW)),
        404,
        Some("not_found"),
    )
    .await;
}

#[tokio::test]
async fn legacy_tokeninfo_delegation_unlink_impersonate_statuses() {
    let s = server().await;
    let tokens = user_tokens(&s, "openid profile email offline_access").await;
    let web_id_token = tokens["id_token"].as_str().expect("id").to_string();
    let at = tokens["access_token"].as_str().expect("at").to_string();
    // The legacy endpoints take only the legacy (not OIDC-conformant) application's tokens.
    let legacy = call("POST", "/oauth/token")
        .form(&[
            ("grant_type", "password"),
            ("client_id", LEGACY),
            ("client_secret", LEGACY_SECRET),
            ("username", ALICE),
            ("password", ALICE_PW),
            ("scope", "openid profile email offline_access"),
        ])
        .send(&s)
        .await;
    assert_eq!(legacy.status, 200);
    let id_token = legacy.json()["id_token"].as_str().expect("id").to_string();
    let rt = legacy.json()["refresh_token"]
        .as_str()
        .expect("rt")
        .to_string();

    let t = "/tokeninfo";
    let r = expect(
        &s,
        t,
        call("POST", t).json(json!({"id_token": id_token})),
        200,
        None,
    )
    .await;
    assert_eq!(r.json()["email"], ALICE);
    expect(
        &s,
        t,
        call("POST", t).json(json!({"id_token": "nope"})),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(json!({"id_token": "aaa.bbb.ccc"})),
        401,
        Some("invalid_token"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t)
            .header("auth0-forwarded-for", "203.0.113.66")
            .json(json!({"id_token": id_token})),
        403,
        Some("access_denied"),
    )
    .await;
    // The id_token of an OIDC-conformant application is refused.
    expect(
        &s,
        t,
        call("POST", t).json(json!({"id_token": web_id_token})),
        403,
        Some("unauthorized_client"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", "/tokeninfo?organization=org_unknown").json(json!({"id_token": id_token})),
        404,
        Some("not_found"),
    )
    .await;

    let t = "/delegation";
    let jwt_bearer = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    let r = expect(&s, t, call("POST", t).json(json!({"client_id": LEGACY, "grant_type": jwt_bearer, "refresh_token": rt, "scope": "openid", "api_type": "app"})), 200, None).await;
    assert!(r.json()["id_token"].is_string());
    expect(
        &s,
        t,
        call("POST", t)
            .json(json!({"client_id": LEGACY, "grant_type": "password", "refresh_token": rt})),
        400,
        Some("unsupported_grant_type"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t)
            .json(json!({"client_id": "nope", "grant_type": jwt_bearer, "refresh_token": rt})),
        401,
        Some("invalid_client"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(
            json!({"client_id": LEGACY, "grant_type": jwt_bearer, "refresh_token": "forged"}),
        ),
        403,
        Some("invalid_grant"),
    )
    .await;
    expect(&s, t, call("POST", t).json(json!({"client_id": LEGACY, "grant_type": jwt_bearer, "refresh_token": rt, "target": "no-such-client"})), 404, Some("not_found")).await;

    // The 3.0 document's /unlink still answers (reference convention `unlink-alias`) ...
    let r = call("POST", "/unlink")
        .json(json!({"access_token": at, "user_id": "google-oauth2|999"}))
        .send(&s)
        .await;
    assert_eq!(r.status, 404);
    // ... but Auth0's path is /login/unlink (issue 11), with the token in the body or as Bearer.
    let t = "/login/unlink";
    let r = expect(
        &s,
        t,
        call("POST", t)
            .json(json!({"access_token": at, "user_id": "google-oauth2|108000000000000000001"})),
        200,
        None,
    )
    .await;
    assert!(r.json().is_array());
    expect(
        &s,
        t,
        call("POST", t)
            .json(json!({"access_token": at, "user_id": "google-oauth2|108000000000000000001"})),
        404,
        Some("not_found"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(json!({"access_token": at, "user_id": "no-pipe"})),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(json!({"access_token": "forged", "user_id": "google-oauth2|1"})),
        401,
        Some("invalid_token"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", t).json(json!({"access_token": at, "user_id": "auth0|user-plain"})),
        403,
        Some("access_denied"),
    )
    .await;

    let t = "/users/{user_id}/impersonate";
    let mgmt = m2m_token(&s, MGMT_AUD).await;
    let body = json!({"protocol": "oauth2", "impersonator_id": "auth0|user-mfa", "client_id": WEB, "additionalParameters": {"response_type": "code", "state": "s"}});
    let r = expect(
        &s,
        t,
        call("POST", "/users/auth0%7Cuser-plain/impersonate")
            .bearer(&mgmt)
            .json(body.clone()),
        200,
        None,
    )
    .await;
    // The URL itself, as text/plain (issue 11).
    assert!(
        r.header("content-type")
            .unwrap_or_default()
            .starts_with("text/plain")
    );
    assert!(String::from_utf8_lossy(&r.body).contains("/impersonate/login?"));
    expect(&s, t, call("POST", "/users/auth0%7Cuser-plain/impersonate").bearer(&mgmt).json(json!({"protocol": "carrier-pigeon", "impersonator_id": "auth0|user-mfa", "client_id": WEB})), 400, Some("invalid_request")).await;
    expect(
        &s,
        t,
        call("POST", "/users/auth0%7Cuser-plain/impersonate").json(body.clone()),
        401,
        Some("invalid_token"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", "/users/auth0%7Cuser-plain/impersonate")
            .bearer(&at)
            .json(body.clone()),
        403,
        Some("insufficient_scope"),
    )
    .await;
    expect(
        &s,
        t,
        call("POST", "/users/auth0%7Cnobody/impersonate")
            .bearer(&mgmt)
            .json(body),
        404,
        Some("not_found"),
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Flows
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn flow_code_pkce_userinfo_refresh_revoke() {
    let s = server().await;
    let verifier = "conform-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";
    let challenge = pkce_s256(verifier);
    let cb = "https://spa.conform.test/callback";
    let r = expect(&s, "/authorize", call("GET", format!("/authorize?client_id={SPA}&response_type=code&redirect_uri={cb}&scope=openid%20profile%20email%20offline_access&state=st&code_challenge={challenge}&code_challenge_method=S256")), 302, None).await;
    let code = param(&query_of(&r.header("location").expect("loc")), "code").expect("code");
    let exchange = |verifier: &str| {
        call("POST", "/oauth/token").form(&[
            ("grant_type", "authorization_code"),
            ("client_id", SPA),
            ("code", &code),
            ("code_verifier", verifier),
            ("redirect_uri", cb),
        ])
    };
    expect(
        &s,
        "/oauth/token",
        exchange("wrong-verifier"),
        403,
        Some("invalid_grant"),
    )
    .await;
    let r = expect(&s, "/oauth/token", exchange(verifier), 200, None).await;
    let tokens = r.json();
    // Single use.
    expect(
        &s,
        "/oauth/token",
        exchange(verifier),
        403,
        Some("invalid_grant"),
    )
    .await;
    let at = tokens["access_token"].as_str().expect("at");
    let rt = tokens["refresh_token"].as_str().expect("rt").to_string();
    assert_eq!(at.split('.').count(), 3, "access token is a JWT");
    let r = expect(
        &s,
        "/userinfo",
        call("GET", "/userinfo").bearer(at),
        200,
        None,
    )
    .await;
    assert_eq!(r.json()["email"], ALICE);
    let refresh = || {
        call("POST", "/oauth/token").form(&[
            ("grant_type", "refresh_token"),
            ("client_id", SPA),
            ("refresh_token", &rt),
        ])
    };
    let r = expect(&s, "/oauth/token", refresh(), 200, None).await;
    let new_at = r.json()["access_token"].as_str().expect("at").to_string();
    expect(
        &s,
        "/userinfo",
        call("GET", "/userinfo").bearer(&new_at),
        200,
        None,
    )
    .await;
    expect(
        &s,
        "/oauth/revoke",
        call("POST", "/oauth/revoke").json(json!({"client_id": SPA, "token": rt})),
        200,
        None,
    )
    .await;
    expect(&s, "/oauth/token", refresh(), 403, Some("invalid_grant")).await;
    // JWKS publishes the signing key named in the token header.
    let jwks = call("GET", "/.well-known/jwks.json").send(&s).await.json();
    assert_eq!(jwks["keys"][0]["kid"], conform::reference_server::KEY_ID);
    // The access token verifies (RS256) against the published key, and names our issuer.
    {
        use base64::Engine;
        let b64u = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let n = b64u
            .decode(jwks["keys"][0]["n"].as_str().expect("n"))
            .expect("n b64");
        let e = b64u
            .decode(jwks["keys"][0]["e"].as_str().expect("e"))
            .expect("e b64");
        let (signing_input, sig) = at.rsplit_once('.').expect("jws");
        let sig = b64u.decode(sig).expect("sig b64");
        ring::signature::RsaPublicKeyComponents { n: &n, e: &e }
            .verify(
                &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                signing_input.as_bytes(),
                &sig,
            )
            .expect("signature verifies");
        let claims: Value = serde_json::from_slice(
            &b64u
                .decode(signing_input.split('.').nth(1).expect("claims"))
                .expect("claims b64"),
        )
        .expect("claims json");
        assert_eq!(claims["iss"], format!("{}/", s.base_url()));
        assert_eq!(claims["sub"], "auth0|user-plain");
    }
    let disco = call("GET", "/.well-known/openid-configuration")
        .send(&s)
        .await
        .json();
    assert_eq!(
        disco["token_endpoint"],
        format!("{}/oauth/token", s.base_url())
    );
}

#[tokio::test]
async fn flow_password_mfa_otp_oob_and_recovery_code() {
    let s = server().await;
    let secret = tenant()
        .users
        .iter()
        .find(|u| u.email == BOB)
        .and_then(|u| u.otp_secret.clone())
        .expect("otp");
    let grant = |gt: &'static str, mfa: &str, k: &'static str, v: &str| {
        call("POST", "/oauth/token").form(&[
            ("grant_type", gt),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("mfa_token", mfa),
            (k, v),
        ])
    };
    // OTP.
    let mfa = bob_mfa_token(&s, None, "openid profile").await;
    expect(
        &s,
        "/oauth/token",
        grant(
            "http://auth0.com/oauth/grant-type/mfa-otp",
            &mfa,
            "otp",
            "000000",
        ),
        403,
        Some("invalid_grant"),
    )
    .await;
    let r = expect(
        &s,
        "/oauth/token",
        grant(
            "http://auth0.com/oauth/grant-type/mfa-otp",
            &mfa,
            "otp",
            &totp(secret.as_bytes(), now()),
        ),
        200,
        None,
    )
    .await;
    let at = r.json()["access_token"].as_str().expect("at").to_string();
    let r = expect(
        &s,
        "/userinfo",
        call("GET", "/userinfo").bearer(&at),
        200,
        None,
    )
    .await;
    assert_eq!(r.json()["sub"], "auth0|user-mfa");
    // OOB through the challenge; the binding code arrives in the outbox.
    let mfa = bob_mfa_token(&s, None, "openid").await;
    let r = expect(&s, "/mfa/challenge", call("POST", "/mfa/challenge").json(json!({"client_id": WEB, "client_secret": WEB_SECRET, "mfa_token": mfa, "challenge_type": "oob"})), 200, None).await;
    let oob = r.json()["oob_code"].as_str().expect("oob").to_string();
    let binding = outbox_code(&s, "+15550000002").await;
    let r = call("POST", "/oauth/token")
        .form(&[
            ("grant_type", "http://auth0.com/oauth/grant-type/mfa-oob"),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("mfa_token", &mfa),
            ("oob_code", &oob),
            ("binding_code", &binding),
        ])
        .send(&s)
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    // Recovery code: accepted once, and a new one is returned.
    let mfa = bob_mfa_token(&s, None, "openid").await;
    let rc = tenant()
        .users
        .iter()
        .find(|u| u.email == BOB)
        .and_then(|u| u.recovery_code.clone())
        .expect("rc");
    let r = expect(
        &s,
        "/oauth/token",
        grant(
            "http://auth0.com/oauth/grant-type/mfa-recovery-code",
            &mfa,
            "recovery_code",
            &rc,
        ),
        200,
        None,
    )
    .await;
    let fresh = r.json()["recovery_code"]
        .as_str()
        .expect("new recovery code")
        .to_string();
    assert_ne!(fresh, rc);
    let mfa = bob_mfa_token(&s, None, "openid").await;
    expect(
        &s,
        "/oauth/token",
        grant(
            "http://auth0.com/oauth/grant-type/mfa-recovery-code",
            &mfa,
            "recovery_code",
            &rc,
        ),
        403,
        Some("invalid_grant"),
    )
    .await;
}

#[tokio::test]
async fn flow_signup_then_password_grant() {
    let s = server().await;
    expect(&s, "/dbconnections/signup", call("POST", "/dbconnections/signup").json(json!({"client_id": WEB, "email": "erin@conform.test", "password": "Erin-Passw0rd!", "connection": DB, "name": "Erin"})), 200, None).await;
    let r = password_grant(
        &s,
        "erin@conform.test",
        "Erin-Passw0rd!",
        "openid profile",
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let at = r.json()["access_token"].as_str().expect("at").to_string();
    let r = expect(
        &s,
        "/userinfo",
        call("GET", "/userinfo").bearer(&at),
        200,
        None,
    )
    .await;
    assert_eq!(r.json()["name"], "Erin");
}

#[tokio::test]
async fn flow_passwordless_email_otp_grant() {
    let s = server().await;
    expect(&s, "/passwordless/start", call("POST", "/passwordless/start").json(json!({"client_id": WEB, "client_secret": WEB_SECRET, "connection": "email", "email": "new.user@conform.test", "send": "code"})), 200, None).await;
    let code = outbox_code(&s, "new.user@conform.test").await;
    let otp = |code: &str| json!({"grant_type": "http://auth0.com/oauth/grant-type/passwordless/otp", "client_id": WEB, "client_secret": WEB_SECRET, "username": "new.user@conform.test", "otp": code, "realm": "email", "scope": "openid email"});
    expect(
        &s,
        "/oauth/token",
        call("POST", "/oauth/token").json(otp("999999x")),
        403,
        Some("invalid_grant"),
    )
    .await;
    let r = expect(
        &s,
        "/oauth/token",
        call("POST", "/oauth/token").json(otp(&code)),
        200,
        None,
    )
    .await;
    let at = r.json()["access_token"].as_str().expect("at").to_string();
    let r = expect(
        &s,
        "/userinfo",
        call("GET", "/userinfo").bearer(&at),
        200,
        None,
    )
    .await;
    assert_eq!(r.json()["email"], "new.user@conform.test");
    // The code is single use.
    expect(
        &s,
        "/oauth/token",
        call("POST", "/oauth/token").json(otp(&code)),
        403,
        Some("invalid_grant"),
    )
    .await;
}

#[tokio::test]
async fn flow_device_code_pending_slow_down_approve_token() {
    let s = server().await;
    let r = expect(
        &s,
        "/oauth/device/code",
        call("POST", "/oauth/device/code")
            .json(json!({"client_id": DEVICE, "scope": "openid offline_access"})),
        200,
        None,
    )
    .await;
    let v = r.json();
    let device_code = v["device_code"].as_str().expect("dc").to_string();
    let user_code = v["user_code"].as_str().expect("uc").to_string();
    let poll = |dc: &str| {
        call("POST", "/oauth/token").form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", DEVICE),
            ("device_code", dc),
        ])
    };
    expect(
        &s,
        "/oauth/token",
        poll(&device_code),
        403,
        Some("authorization_pending"),
    )
    .await;
    expect(
        &s,
        "/oauth/token",
        poll(&device_code),
        429,
        Some("slow_down"),
    )
    .await;
    expect(
        &s,
        "/oauth/token",
        poll(&tenant().expired_device_code),
        403,
        Some("expired_token"),
    )
    .await;
    let r = call("POST", "/__reference/device/approve")
        .json(json!({"user_code": user_code}))
        .send(&s)
        .await;
    assert_eq!(r.status, 200);
    let r = expect(&s, "/oauth/token", poll(&device_code), 200, None).await;
    assert!(r.json()["refresh_token"].is_string());
    expect(
        &s,
        "/oauth/token",
        poll(&device_code),
        403,
        Some("invalid_grant"),
    )
    .await;
}

#[tokio::test]
async fn rate_limits_are_per_endpoint_and_client_ip_with_headers() {
    let s = server_with(ServerConfig {
        rate_limits: RateLimits::uniform(3, Duration::from_secs(60)),
        ..ServerConfig::default()
    })
    .await;
    let other = reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let c = call(
        "GET",
        "/wsfed/FederationMetadata/2007-06/FederationMetadata.xml",
    );
    let mut last = None;
    for _ in 0..4 {
        last = Some(c.send_with(&other, &s.base_url()).await);
    }
    let r = last.expect("sent");
    assert_eq!(r.status, 429);
    assert_conforms(
        "/wsfed/FederationMetadata/2007-06/FederationMetadata.xml",
        "get",
        &r,
    );
    assert!(r.header("retry-after").is_some());
    assert_eq!(r.header("x-ratelimit-limit").as_deref(), Some("3"));
    assert_eq!(r.header("x-ratelimit-remaining").as_deref(), Some("0"));
    assert!(r.header("x-ratelimit-reset").is_some());
    // 127.0.0.1 and other endpoints keep their own budgets.
    assert_eq!(c.send(&s).await.status, 200);
    assert_eq!(
        call("GET", "/samlp/metadata/conform-saml")
            .send_with(&other, &s.base_url())
            .await
            .status,
        200
    );
    // 429 on /oauth/token uses that operation's own documented 429.
    let tok = call("POST", "/oauth/token").form(&[("grant_type", "client_credentials")]);
    for _ in 0..3 {
        tok.send_with(&other, &s.base_url()).await;
    }
    let r = tok.send_with(&other, &s.base_url()).await;
    assert_eq!(r.status, 429);
    assert_conforms("/oauth/token", "post", &r);
}

#[test]
fn rate_limit_tables() {
    let a = RateLimits::auth0();
    assert_eq!(
        a.limit_for("/oauth/token"),
        Some((30, Duration::from_secs(1)))
    );
    assert_eq!(
        a.limit_for("/passwordless/start"),
        Some((50, Duration::from_secs(3600)))
    );
    assert_eq!(
        a.limit_for("/dbconnections/change_password"),
        Some((10, Duration::from_secs(600)))
    );
    assert_eq!(
        a.limit_for("/authorize"),
        Some((300, Duration::from_secs(60)))
    );
    assert_eq!(RateLimits::disabled().limit_for("/oauth/token"), None);
    assert_eq!(
        RateLimits::uniform(5, Duration::from_secs(2)).limit_for("/x"),
        Some((5, Duration::from_secs(2)))
    );
    assert_eq!(
        ServerConfig::default().rate_limits,
        RateLimits::uniform(50, Duration::from_secs(1))
    );
}

// ---------------------------------------------------------------------------------------------
// Faults: each one really misbehaves
// ---------------------------------------------------------------------------------------------

#[test]
fn fault_names_round_trip_and_are_many() {
    assert!(faults().len() >= 20);
    for f in faults() {
        assert_eq!(f.name.parse::<Fault>().ok(), Some(f.fault));
        assert_eq!(f.fault.to_string(), f.name);
        assert!(!f.description.is_empty());
    }
    assert!("no-such-fault".parse::<Fault>().is_err());
}

fn cc_form() -> Call {
    call("POST", "/oauth/token").form(&[
        ("grant_type", "client_credentials"),
        ("client_id", M2M),
        ("client_secret", M2M_SECRET),
        ("audience", API),
    ])
}

#[tokio::test]
async fn fault_wrong_success_status() {
    let s = faulty(Fault::WrongSuccessStatus).await;
    assert_eq!(cc_form().send(&s).await.status, 201);
}

#[tokio::test]
async fn fault_undocumented_status() {
    let s = faulty(Fault::UndocumentedStatus).await;
    let r = call("POST", "/dbconnections/signup").json(json!({"client_id": WEB, "email": "x@conform.test", "password": "short", "connection": DB})).send(&s).await;
    assert_eq!(r.status, 422);
}

#[tokio::test]
async fn fault_wrong_content_type_nested_type_and_null() {
    for (fault, check) in [
        (Fault::WrongContentType, "ct"),
        (Fault::NestedWrongType, "country"),
        (Fault::NullForString, "name"),
    ] {
        let s = faulty(fault).await;
        let at = user_tokens(&s, "openid profile address").await["access_token"]
            .as_str()
            .expect("at")
            .to_string();
        let r = call("GET", "/userinfo").bearer(&at).send(&s).await;
        assert_eq!(r.status, 200);
        match check {
            "ct" => assert!(
                r.header("content-type")
                    .is_some_and(|c| c.starts_with("text/plain"))
            ),
            "country" => assert!(r.json()["address"]["country"].is_number()),
            _ => assert!(r.json()["name"].is_null() && r.json().get("name").is_some()),
        }
    }
}

#[tokio::test]
async fn fault_array_for_object() {
    let s = faulty(Fault::ArrayForObject).await;
    let r = call("POST", "/oidc/register")
        .json(json!({"redirect_uris": ["https://x.example/cb"]}))
        .send(&s)
        .await;
    assert_eq!(r.status, 201);
    assert!(r.json().is_array());
}

#[tokio::test]
async fn fault_non_json_error_body() {
    let s = faulty(Fault::NonJsonErrorBody).await;
    let r = call("POST", "/oauth/token")
        .form(&[("client_id", WEB)])
        .send(&s)
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("text/html"))
    );
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
}

#[tokio::test]
async fn fault_error_field_wrong_type() {
    let s = faulty(Fault::ErrorFieldWrongType).await;
    // Every JSON 401 (userinfo's is plain text on Auth0, so the fault leaves it alone).
    let r = call("GET", "/v2/logout")
        .bearer("not-a-token-of-this-tenant")
        .send(&s)
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"], json!(401));
}

#[tokio::test]
async fn fault_redirect_without_location() {
    let s = faulty(Fault::RedirectWithoutLocation).await;
    let r = call(
        "GET",
        format!("/authorize?client_id={WEB}&response_type=code"),
    )
    .send(&s)
    .await;
    assert_eq!(r.status, 302);
    assert!(r.header("location").is_none());
}

#[tokio::test]
async fn fault_not_found_for_405_and_missing_allow() {
    let s = faulty(Fault::NotFoundFor405).await;
    assert_eq!(call("DELETE", "/oauth/token").send(&s).await.status, 404);
    let s = faulty(Fault::MissingAllowHeader).await;
    let r = call("DELETE", "/oauth/token").send(&s).await;
    assert_eq!(r.status, 405);
    assert!(r.header("allow").is_none());
}

#[tokio::test]
async fn fault_crashes_on_long_non_ascii_and_empty_array() {
    let s = faulty(Fault::LongStringCrash).await;
    let long = "a".repeat(1001);
    assert_eq!(
        call("POST", "/dbconnections/signup")
            .json(json!({"client_id": WEB, "email": long}))
            .send(&s)
            .await
            .status,
        500
    );
    assert_eq!(
        call("POST", "/dbconnections/signup")
            .json(json!({"client_id": WEB}))
            .send(&s)
            .await
            .status,
        400
    );
    let s = faulty(Fault::NonAsciiCrash).await;
    assert_eq!(
        call("GET", "/authorize?client_id=caf%C3%A9&response_type=code")
            .send(&s)
            .await
            .status,
        500
    );
    let s = faulty(Fault::EmptyArrayCrash).await;
    assert_eq!(
        call("POST", "/oidc/register")
            .json(json!({"redirect_uris": []}))
            .send(&s)
            .await
            .status,
        500
    );
    let clean = server().await;
    assert_eq!(
        call("POST", "/oidc/register")
            .json(json!({"redirect_uris": []}))
            .send(&clean)
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn fault_userinfo_ignores_auth() {
    let s = faulty(Fault::UserinfoIgnoresAuth).await;
    let r = call("GET", "/userinfo").send(&s).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["sub"], "auth0|user-plain");
}

#[tokio::test]
async fn fault_forbidden_for_bad_credentials() {
    let s = faulty(Fault::ForbiddenForBadCredentials).await;
    let r = call("POST", "/oauth/token")
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", M2M),
            ("client_secret", "wrong"),
            ("audience", API),
        ])
        .send(&s)
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.error(), "access_denied");
}

#[tokio::test]
async fn fault_revoke_noop() {
    let s = faulty(Fault::RevokeNoop).await;
    let rt = user_tokens(&s, "openid offline_access").await["refresh_token"]
        .as_str()
        .expect("rt")
        .to_string();
    let r = call("POST", "/oauth/revoke")
        .json(json!({"client_id": WEB, "client_secret": WEB_SECRET, "token": rt}))
        .send(&s)
        .await;
    assert_eq!(r.status, 200);
    let r = call("POST", "/oauth/token")
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("refresh_token", &rt),
        ])
        .send(&s)
        .await;
    assert_eq!(r.status, 200, "revoked refresh token still works");
}

#[tokio::test]
async fn fault_authorization_code_reuse() {
    let s = faulty(Fault::AuthorizationCodeReuse).await;
    let r = call(
        "GET",
        format!("/authorize?client_id={WEB}&response_type=code"),
    )
    .send(&s)
    .await;
    let code = param(&query_of(&r.header("location").expect("loc")), "code").expect("code");
    let ex = call("POST", "/oauth/token").form(&[
        ("grant_type", "authorization_code"),
        ("client_id", WEB),
        ("client_secret", WEB_SECRET),
        ("code", &code),
    ]);
    assert_eq!(ex.send(&s).await.status, 200);
    assert_eq!(
        ex.send(&s).await.status,
        200,
        "the used code is accepted again"
    );
}

#[tokio::test]
async fn fault_truncated_json() {
    let s = faulty(Fault::TruncatedJson).await;
    let r = cc_form().send(&s).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/json")
    );
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
}

#[tokio::test]
async fn fault_slow_response() {
    let s = faulty(Fault::SlowResponse).await;
    let started = std::time::Instant::now();
    assert_eq!(call("GET", "/userinfo").send(&s).await.status, 401);
    assert!(started.elapsed() >= Duration::from_millis(5900));
}

#[tokio::test]
async fn fault_missing_response_field() {
    let s = faulty(Fault::MissingResponseField).await;
    let r = call("POST", "/oauth/device/code")
        .json(json!({"client_id": DEVICE}))
        .send(&s)
        .await;
    assert_eq!(r.status, 200);
    assert!(r.json().get("device_code").is_none() && r.json().get("user_code").is_some());
}

#[tokio::test]
async fn fault_extra_status_on_not_found() {
    let s = faulty(Fault::ExtraStatusOnNotFound).await;
    assert_eq!(
        call("GET", "/samlp/metadata/no-such-client")
            .send(&s)
            .await
            .status,
        410
    );
}

#[tokio::test]
async fn fault_unknown_path_ok() {
    let s = faulty(Fault::UnknownPathOk).await;
    assert_eq!(
        call("GET", "/definitely/not/here").send(&s).await.status,
        200
    );
}

#[tokio::test]
async fn fault_simulation_ignored() {
    let s = faulty(Fault::SimulationIgnored).await;
    assert_eq!(
        call("GET", "/userinfo")
            .header(SIMULATE_HEADER, "503")
            .send(&s)
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn fault_rate_limit_missing_headers() {
    let s = server_with(ServerConfig {
        faults: vec![Fault::RateLimitMissingHeaders],
        rate_limits: RateLimits::uniform(1, Duration::from_secs(60)),
        ..ServerConfig::default()
    })
    .await;
    let c = call("GET", "/samlp/metadata/conform-saml");
    assert_eq!(c.send(&s).await.status, 200);
    let r = c.send(&s).await;
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").is_none() && r.body.is_empty());
}

#[tokio::test]
async fn fault_error_for_success() {
    let s = faulty(Fault::ErrorForSuccess).await;
    let r = call("POST", "/dbconnections/change_password")
        .json(json!({"email": ALICE, "connection": DB}))
        .send(&s)
        .await;
    assert_eq!(r.status, 200);
    assert!(r.json().is_object());
}

// ---------------------------------------------------------------------------------------------
// Property: arbitrary bodies never crash the server
// ---------------------------------------------------------------------------------------------

fn arb_json() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        prop_oneof![
            Just("client_id"),
            Just("grant_type"),
            Just("connection"),
            Just("email"),
            Just("password"),
            Just(WEB),
            Just(DB),
            Just("password"),
            Just("refresh_token"),
        ]
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    ".{0,12}".boxed(),
                    prop_oneof![
                        Just("client_id".to_string()),
                        Just("grant_type".to_string()),
                        Just("email".to_string()),
                        Just("connection".to_string()),
                        Just("redirect_uris".to_string()),
                        Just("authenticator_types".to_string()),
                        Just("user_metadata".to_string()),
                        Just("token".to_string()),
                    ]
                    .boxed(),
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn property_arbitrary_bodies_never_500_nor_reset() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let s = rt
        .block_on(start(ServerConfig {
            rate_limits: RateLimits::disabled(),
            ..ServerConfig::default()
        }))
        .expect("server");
    let base = s.base_url();
    let client = http();
    let content_types = [
        "application/json",
        "application/x-www-form-urlencoded",
        "application/xml",
        "text/plain",
    ];
    for (template, method, path) in OPS {
        let m = upper(method);
        let mut runner = TestRunner::new(Config {
            cases: 64,
            failure_persistence: None,
            max_shrink_iters: 64,
            ..Config::default()
        });
        let strategy = (
            proptest::collection::vec(any::<u8>(), 0..200),
            arb_json(),
            0..content_types.len(),
            any::<bool>(),
            ".{0,24}",
            proptest::collection::vec((".{0,8}", ".{0,16}"), 0..4),
        );
        let result = runner.run(&strategy, |(bytes, value, ct, use_json, id, query)| {
            // Arbitrary path ids and query parameters too, percent-encoded as a client would.
            let mut target = match template.find('{') {
                Some(open) if !id.is_empty() => {
                    let close = template[open..]
                        .find('}')
                        .map_or(template.len(), |c| open + c + 1);
                    let encoded: String =
                        url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
                    format!("{}{}{}", &template[..open], encoded, &template[close..])
                }
                _ => path.to_string(),
            };
            if !query.is_empty() {
                let mut ser = url::form_urlencoded::Serializer::new(String::new());
                for (k, v) in &query {
                    ser.append_pair(k, v);
                }
                target = format!("{target}?{}", ser.finish());
            }
            let c = if use_json {
                call(m, target).json(value.clone())
            } else {
                call(m, target).raw(
                    content_types[ct],
                    String::from_utf8_lossy(&bytes).into_owned(),
                )
            };
            let r = rt.block_on(async {
                let method = reqwest::Method::from_bytes(c.method.as_bytes()).expect("method");
                let mut rb = client.request(method, format!("{base}{}", c.path));
                rb = match &c.body {
                    Body::Json(v) => rb.json(v),
                    _ => rb
                        .header("content-type", content_types[ct])
                        .body(bytes.clone()),
                };
                rb.send().await
            });
            let r =
                r.map_err(|e| TestCaseError::fail(format!("{m} {path}: transport error {e}")))?;
            let status = r.status().as_u16();
            prop_assert!(status != 500, "{} {}: 500", m, path);
            let resp = Resp {
                status,
                headers: r.headers().clone(),
                body: rt
                    .block_on(r.bytes())
                    .map_err(|e| TestCaseError::fail(format!("body: {e}")))?
                    .to_vec(),
            };
            // GET /oidc/logout without a hint answers Auth0's confirmation page (200 text/html),
            // which the document does not list.
            if template == "/oidc/logout" && status == 200 {
                let ct = resp.header("content-type").unwrap_or_default();
                prop_assert!(ct.starts_with("text/html"), "{} {}: 200 as {}", m, path, ct);
                return Ok(());
            }
            let outcome = std::panic::catch_unwind(|| assert_conforms(template, method, &resp));
            prop_assert!(
                outcome.is_ok(),
                "{} {}: nonconformant answer {}",
                m,
                path,
                status
            );
            Ok(())
        });
        if let Err(e) = result {
            panic!("{template}: {e}");
        }
    }
    rt.block_on(s.shutdown());
}

#[tokio::test]
async fn every_operation_answers_429_from_a_throttled_client_ip() {
    let s = server_with(ServerConfig {
        rate_limits: RateLimits::uniform(1, Duration::from_secs(60)),
        ..ServerConfig::default()
    })
    .await;
    let throttled = reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3)))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for (template, method, path) in OPS {
        let c = call(upper(method), path);
        let first = c.send_with(&throttled, &s.base_url()).await;
        assert_ne!(
            first.status, 429,
            "{template}: first request is within budget"
        );
        let r = c.send_with(&throttled, &s.base_url()).await;
        assert_eq!(r.status, 429, "{template}");
        assert_conforms(template, method, &r);
        assert!(r.header("retry-after").is_some());
    }
}

#[tokio::test]
async fn hostile_requests_get_documented_4xx_never_5xx() {
    let s = server().await;
    // A body over the 1 MiB cap.
    let big = "a".repeat(2 * 1024 * 1024);
    expect(
        &s,
        "/oauth/token",
        call("POST", "/oauth/token").raw("application/x-www-form-urlencoded", big),
        400,
        Some("invalid_request"),
    )
    .await;
    // A path segment that is not UTF-8 once decoded.
    let r = call("GET", "/samlp/%FF%FE").send(&s).await;
    assert_eq!(r.status, 400);
    // A header value that is not visible ASCII.
    let r = http()
        .get(format!("{}/userinfo", s.base_url()))
        .header(
            "access_token",
            reqwest::header::HeaderValue::from_bytes(b"Bearer \xff\xfe").expect("opaque header"),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status().as_u16(), 400);
    // HEAD is not a documented method.
    let r = call("HEAD", "/userinfo").send(&s).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow").as_deref(), Some("GET"));
    // JSON of the wrong shape.
    expect(
        &s,
        "/dbconnections/signup",
        call("POST", "/dbconnections/signup").raw("application/json", "[1,2,3]"),
        400,
        Some("invalid_request"),
    )
    .await;
    expect(
        &s,
        "/mfa/challenge",
        call("POST", "/mfa/challenge").raw("application/json", "null"),
        400,
        Some("invalid_request"),
    )
    .await;
}
