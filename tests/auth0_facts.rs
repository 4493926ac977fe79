//! One test per fact of issue 11 ("Real Auth0, not our guess of it"): each sends the request to
//! the reference server over real HTTP on 127.0.0.1 and asserts the status, the content type and
//! the shape of the body that Auth0 answers (sources next to each fact in the server's code and
//! in crates/conform-reference/PROVOKE.md).

use std::time::Duration;

use base64::Engine;
use conform::reference_server::{RunningServer, ServerConfig, start};
use serde_json::{Value, json};

const WEB: &str = "conform-web-app";
const WEB_SECRET: &str = "conform-web-app-secret";
const SPA: &str = "conform-spa";
const M2M: &str = "conform-m2m";
const M2M_SECRET: &str = "conform-m2m-secret";
const LEGACY: &str = "conform-legacy";
const DB: &str = "Username-Password-Authentication";
const ALICE: &str = "alice@conform.test";
const ALICE_PW: &str = "Alice-Passw0rd!";
const BOB: &str = "bob@conform.test";
const BOB_PW: &str = "Bob-Passw0rd!";
const API: &str = "https://api.conform.test/";
const MFA_AUD: &str = "https://reference.conform.test/mfa/";
const MGMT_AUD: &str = "https://reference.conform.test/api/v2/";
const CB: &str = "https://app.conform.test/callback";

async fn server() -> RunningServer {
    let _ = rustls::crypto::ring::default_provider().install_default();
    start(ServerConfig::default()).await.expect("server starts")
}

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

struct Answer {
    status: u16,
    content_type: String,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| {
            panic!(
                "{} body is not JSON: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }
    /// Status and media type (without parameters) at once, with the body on failure.
    fn is(&self, status: u16, media: &str) -> &Self {
        let essence = self.content_type.split(';').next().unwrap_or_default();
        assert_eq!(
            (self.status, essence),
            (status, media),
            "body: {}",
            self.text()
        );
        self
    }
    fn keys(&self) -> Vec<String> {
        self.json()
            .as_object()
            .expect("a JSON object")
            .keys()
            .cloned()
            .collect()
    }
}

async fn send(rb: reqwest::RequestBuilder) -> Answer {
    let r = rb.send().await.expect("request reaches the server");
    Answer {
        status: r.status().as_u16(),
        content_type: r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
        headers: r.headers().clone(),
        body: r.bytes().await.expect("body").to_vec(),
    }
}

async fn post_json(s: &RunningServer, path: &str, body: Value) -> Answer {
    send(http().post(format!("{}{path}", s.base_url())).json(&body)).await
}

async fn post_form(s: &RunningServer, path: &str, form: &[(&str, &str)]) -> Answer {
    send(http().post(format!("{}{path}", s.base_url())).form(form)).await
}

async fn get(s: &RunningServer, path: &str, bearer: Option<&str>) -> Answer {
    let mut rb = http().get(format!("{}{path}", s.base_url()));
    if let Some(t) = bearer {
        rb = rb.bearer_auth(t);
    }
    send(rb).await
}

async fn password_grant(s: &RunningServer, username: &str, password: &str) -> Answer {
    post_form(
        s,
        "/oauth/token",
        &[
            ("grant_type", "password"),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("username", username),
            ("password", password),
            ("scope", "openid profile email offline_access"),
        ],
    )
    .await
}

fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn change_password_200_is_a_text_html_sentence() {
    let s = server().await;
    let a = post_json(
        &s,
        "/dbconnections/change_password",
        json!({"client_id": WEB, "email": ALICE, "connection": DB}),
    )
    .await;
    a.is(200, "text/html");
    assert_eq!(
        a.text(),
        "We've just sent you an email to reset your password."
    );
}

#[tokio::test]
async fn signup_200_carries_only_the_identifiers_sent() {
    let s = server().await;
    let a = post_json(&s, "/dbconnections/signup", json!({"client_id": WEB, "connection": DB, "email": "erin@conform.test", "password": "Erin-Passw0rd!", "given_name": "Erin", "user_metadata": {"plan": "free"}})).await;
    a.is(200, "application/json");
    assert_eq!(a.keys(), ["_id", "email_verified", "email"]);
    assert_eq!(a.json()["email_verified"], false);
    let a = post_json(&s, "/dbconnections/signup", json!({"client_id": WEB, "connection": DB, "email": "finn@conform.test", "username": "finn", "phone_number": "+15550000099", "password": "Finn-Passw0rd!"})).await;
    a.is(200, "application/json");
    assert_eq!(
        a.keys(),
        [
            "_id",
            "email_verified",
            "email",
            "username",
            "phone_number",
            "phone_verified"
        ]
    );
}

#[tokio::test]
async fn signup_errors_are_400_name_code_description_status_code() {
    let s = server().await;
    let body = |email: &str, pw: &str| json!({"client_id": WEB, "connection": DB, "email": email, "password": pw});
    let a = post_json(&s, "/dbconnections/signup", body(ALICE, "Long-Enough-1")).await;
    a.is(400, "application/json");
    assert_eq!(a.keys(), ["name", "code", "description", "statusCode"]);
    assert_eq!(a.json()["code"], "user_exists");
    assert_eq!(a.json()["statusCode"], 400);
    // A password-policy failure: `description` is an object.
    let a = post_json(
        &s,
        "/dbconnections/signup",
        body("gus@conform.test", "short"),
    )
    .await;
    a.is(400, "application/json");
    assert_eq!(a.json()["code"], "invalid_password");
    assert!(a.json()["description"].is_object());
    let a = post_json(
        &s,
        "/dbconnections/signup",
        body("not-an-email", "Long-Enough-1"),
    )
    .await;
    a.is(400, "application/json");
    assert_eq!(a.json()["code"], "invalid_signup");
    assert!(a.json()["description"].is_string());
    assert!(a.json().get("error").is_none());
}

#[tokio::test]
async fn passwordless_start_200_shapes_and_bad_connection_400() {
    let s = server().await;
    let p = "/passwordless/start";
    let a = post_json(
        &s,
        p,
        json!({"client_id": SPA, "connection": "email", "email": ALICE, "send": "code"}),
    )
    .await;
    a.is(200, "application/json");
    assert_eq!(a.keys(), ["_id", "email", "email_verified"]);
    let a = post_json(
        &s,
        p,
        json!({"client_id": SPA, "connection": "sms", "phone_number": "+15550000001"}),
    )
    .await;
    a.is(200, "application/json");
    assert_eq!(a.keys(), ["_id", "phone_number", "phone_verified"]);
    // Unknown, and not enabled for the client: both 400 bad.connection.
    for body in [
        json!({"client_id": SPA, "connection": "carrier-pigeon", "email": ALICE}),
        json!({"client_id": M2M, "client_secret": M2M_SECRET, "connection": "email", "email": ALICE}),
    ] {
        let a = post_json(&s, p, body).await;
        a.is(400, "application/json");
        assert_eq!(a.json()["error"], "bad.connection");
    }
}

/// Bob's token for the MFA API, after his OTP.
async fn bob_mfa_api_token(s: &RunningServer) -> String {
    let mfa_token = bob_mfa_token(s).await;
    let otp = conform::reference_server::totp(
        b"12345678901234567890",
        conform::reference_server::now_unix(),
    );
    let a = post_form(
        s,
        "/oauth/token",
        &[
            ("grant_type", "http://auth0.com/oauth/grant-type/mfa-otp"),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("mfa_token", &mfa_token),
            ("otp", &otp),
        ],
    )
    .await;
    a.is(200, "application/json");
    a.json()["access_token"]
        .as_str()
        .expect("token")
        .to_string()
}

async fn bob_mfa_token(s: &RunningServer) -> String {
    let a = post_form(
        s,
        "/oauth/token",
        &[
            ("grant_type", "password"),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("username", BOB),
            ("password", BOB_PW),
            ("audience", MFA_AUD),
            (
                "scope",
                "openid enroll read:authenticators remove:authenticators",
            ),
        ],
    )
    .await;
    a.is(403, "application/json");
    assert_eq!(a.json()["error"], "mfa_required");
    a.json()["mfa_token"]
        .as_str()
        .expect("mfa_token")
        .to_string()
}

#[tokio::test]
async fn mfa_authenticators_oob_channel_singular_and_phone_masked() {
    let s = server().await;
    let token = bob_mfa_api_token(&s).await;
    let a = get(&s, "/mfa/authenticators", Some(&token)).await;
    a.is(200, "application/json");
    let list = a.json();
    let items = list.as_array().expect("an array");
    for it in items {
        for k in it.as_object().expect("object").keys() {
            assert!(
                ["id", "authenticator_type", "active", "oob_channel", "name"].contains(&k.as_str()),
                "unexpected field {k} in {it}"
            );
        }
    }
    let sms = items
        .iter()
        .find(|i| i["oob_channel"] == "sms")
        .expect("an SMS authenticator");
    assert_eq!(sms["authenticator_type"], "oob");
    assert_eq!(sms["name"], "XXXXXXXX0002");
}

#[tokio::test]
async fn mfa_associate_challenge_and_delete_shapes() {
    let s = server().await;
    // Alice has no authenticator: enrolment.
    let a = post_form(
        &s,
        "/oauth/token",
        &[
            ("grant_type", "password"),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("username", ALICE),
            ("password", ALICE_PW),
            ("audience", MFA_AUD),
            ("scope", "openid enroll"),
        ],
    )
    .await;
    let alice = a.json()["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let assoc = |body: Value| {
        http()
            .post(format!("{}/mfa/associate", s.base_url()))
            .bearer_auth(&alice)
            .json(&body)
    };
    let a = send(assoc(json!({"authenticator_types": ["otp"]}))).await;
    a.is(200, "application/json");
    let v = a.json();
    assert_eq!(v["authenticator_type"], "otp");
    assert!(v["secret"].is_string() && v["barcode_uri"].is_string());
    let a = send(assoc(json!({"authenticator_types": ["oob"], "oob_channels": ["sms"], "phone_number": "+15550000001"}))).await;
    a.is(200, "application/json");
    let v = a.json();
    assert_eq!(v["authenticator_type"], "oob");
    assert_eq!(v["oob_channel"], "sms");
    assert!(v["oob_code"].is_string());
    for k in v.as_object().expect("object").keys() {
        assert!(
            [
                "authenticator_type",
                "oob_channel",
                "oob_code",
                "binding_method",
                "barcode_uri",
                "recovery_codes"
            ]
            .contains(&k.as_str()),
            "{k}"
        );
    }
    // Challenge: {challenge_type, oob_code?, binding_method?}.
    let mfa_token = bob_mfa_token(&s).await;
    let a = post_json(&s, "/mfa/challenge", json!({"client_id": WEB, "client_secret": WEB_SECRET, "mfa_token": mfa_token, "challenge_type": "oob", "authenticator_id": "sms|dev_mfa_sms"})).await;
    a.is(200, "application/json");
    assert_eq!(a.json()["challenge_type"], "oob");
    assert!(a.json()["oob_code"].is_string());
    // Delete: 204 with an empty body.
    let token = bob_mfa_api_token(&s).await;
    let a = send(
        http()
            .delete(format!(
                "{}/mfa/authenticators/sms%7Cdev_mfa_sms",
                s.base_url()
            ))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(a.status, 204);
    assert!(a.body.is_empty());
}

#[tokio::test]
async fn revoke_200_empty_json_and_form_and_another_clients_token() {
    let s = server().await;
    let mut rts = Vec::new();
    for _ in 0..3 {
        let a = password_grant(&s, ALICE, ALICE_PW).await;
        rts.push(a.json()["refresh_token"].as_str().expect("rt").to_string());
    }
    let a = post_json(
        &s,
        "/oauth/revoke",
        json!({"client_id": WEB, "client_secret": WEB_SECRET, "token": rts[0]}),
    )
    .await;
    assert_eq!(a.status, 200);
    assert!(a.body.is_empty());
    let a = post_form(
        &s,
        "/oauth/revoke",
        &[
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("token", &rts[1]),
        ],
    )
    .await;
    assert_eq!(a.status, 200);
    assert!(a.body.is_empty());
    // Issued to the web app, revoked by the SPA: 200 too.
    let a = post_form(
        &s,
        "/oauth/revoke",
        &[("client_id", SPA), ("token", &rts[2])],
    )
    .await;
    assert_eq!(a.status, 200);
    assert!(a.body.is_empty());
    // The revoked tokens no longer work.
    let a = post_form(
        &s,
        "/oauth/token",
        &[
            ("grant_type", "refresh_token"),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("refresh_token", &rts[0]),
        ],
    )
    .await;
    a.is(403, "application/json");
}

#[tokio::test]
async fn oauth_token_error_mapping() {
    let s = server().await;
    let t = "/oauth/token";
    let a = post_form(
        &s,
        t,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("code", "no-such-code"),
            ("redirect_uri", CB),
        ],
    )
    .await;
    a.is(403, "application/json");
    assert_eq!(
        a.json(),
        json!({"error": "invalid_grant", "error_description": "Invalid authorization code"})
    );
    let a = password_grant(&s, ALICE, "wrong").await;
    a.is(403, "application/json");
    assert_eq!(
        a.json(),
        json!({"error": "invalid_grant", "error_description": "Wrong email or password."})
    );
    for (id, secret) in [(M2M, "wrong"), ("no-such-client", "x")] {
        let a = post_form(
            &s,
            t,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
                ("audience", API),
            ],
        )
        .await;
        a.is(401, "application/json");
        assert_eq!(
            a.json(),
            json!({"error": "access_denied", "error_description": "Unauthorized"})
        );
    }
    let a = post_form(
        &s,
        t,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", M2M),
            ("client_secret", M2M_SECRET),
            ("audience", "https://unknown.api/"),
        ],
    )
    .await;
    a.is(403, "application/json");
    assert_eq!(a.json()["error"], "access_denied");
    assert_eq!(
        a.json()["error_description"],
        "Service not found: https://unknown.api/"
    );
    let a = post_form(
        &s,
        t,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("audience", API),
        ],
    )
    .await;
    a.is(403, "application/json");
    assert_eq!(a.json()["error"], "unauthorized_client");
    let a = password_grant(&s, "mallory@conform.test", "Mallory-Passw0rd!").await;
    a.is(401, "application/json");
    assert_eq!(a.json()["error"], "unauthorized");
}

#[tokio::test]
async fn oauth_token_mfa_push_pending_then_rejected() {
    let s = server().await;
    let mfa_token = bob_mfa_token(&s).await;
    let a = post_json(&s, "/mfa/challenge", json!({"client_id": WEB, "client_secret": WEB_SECRET, "mfa_token": mfa_token, "challenge_type": "oob", "authenticator_id": "push|dev_mfa_push"})).await;
    a.is(200, "application/json");
    assert_eq!(a.keys(), ["challenge_type", "oob_code"]);
    let oob = a.json()["oob_code"].as_str().expect("oob").to_string();
    let grant = [
        ("grant_type", "http://auth0.com/oauth/grant-type/mfa-oob"),
        ("client_id", WEB),
        ("client_secret", WEB_SECRET),
        ("mfa_token", mfa_token.as_str()),
        ("oob_code", oob.as_str()),
    ];
    let a = post_form(&s, "/oauth/token", &grant).await;
    a.is(400, "application/json");
    assert_eq!(a.json()["error"], "authorization_pending");
    let a = post_json(
        &s,
        "/__reference/mfa/push",
        json!({"oob_code": oob, "accept": false}),
    )
    .await;
    a.is(200, "application/json");
    let a = post_form(&s, "/oauth/token", &grant).await;
    a.is(400, "application/json");
    assert_eq!(a.json()["error"], "access_denied");
}

#[tokio::test]
async fn oauth_token_attack_protection_429_after_ten_wrong_passwords() {
    let s = server().await;
    let user = "dave-attack-protection@conform.test";
    for i in 1..10 {
        let a = password_grant(&s, user, "wrong").await;
        assert_eq!(a.status, 403, "attempt {i}: {}", a.text());
    }
    let a = password_grant(&s, user, "wrong").await;
    a.is(429, "application/json");
    assert_eq!(a.json()["error"], "too_many_attempts");
    // Blocked: even the right password, from this address.
    let a = password_grant(&s, user, "Dave-Passw0rd!").await;
    a.is(429, "application/json");
    assert_eq!(a.json()["error"], "too_many_attempts");
    // The user is notified.
    let outbox = get(&s, "/__reference/outbox", None).await.json();
    assert!(
        outbox
            .as_array()
            .expect("outbox")
            .iter()
            .any(|m| m["kind"] == "brute_force_blocked" && m["to"] == user)
    );
    // Other users are unaffected.
    password_grant(&s, ALICE, ALICE_PW)
        .await
        .is(200, "application/json");
}

#[tokio::test]
async fn userinfo_401_plain_text_with_www_authenticate() {
    let s = server().await;
    for bearer in [None, Some("forged")] {
        let a = get(&s, "/userinfo", bearer).await;
        a.is(401, "text/plain");
        assert_eq!(a.text(), "Unauthorized");
        let challenge = a.header("www-authenticate");
        assert!(
            challenge.starts_with(
                "Bearer realm=\"Users\", error=\"invalid_token\", error_description=\""
            ),
            "{challenge}"
        );
    }
}

#[tokio::test]
async fn authorize_errors_html_page_then_redirect() {
    let s = server().await;
    for path in [
        "/authorize?response_type=code".to_string(),
        "/authorize?client_id=no-such-client&response_type=code".to_string(),
        format!(
            "/authorize?client_id={WEB}&response_type=code&redirect_uri=https://evil.example/cb"
        ),
    ] {
        let a = get(&s, &path, None).await;
        a.is(400, "text/html");
        assert!(a.header("location").is_empty());
    }
    let a = get(
        &s,
        &format!("/authorize?client_id={WEB}&response_type=bogus&redirect_uri={CB}&state=st1"),
        None,
    )
    .await;
    assert_eq!(a.status, 302);
    let loc = a.header("location");
    assert!(loc.starts_with(CB), "{loc}");
    assert_eq!(
        query_param(&loc, "error").as_deref(),
        Some("unsupported_response_type")
    );
    assert!(query_param(&loc, "error_description").is_some());
    assert_eq!(query_param(&loc, "state").as_deref(), Some("st1"));
}

#[tokio::test]
async fn oidc_register_201() {
    let s = server().await;
    let a = post_json(
        &s,
        "/oidc/register",
        json!({"client_name": "Dyn", "redirect_uris": ["https://dyn.example/cb"]}),
    )
    .await;
    a.is(201, "application/json");
    assert!(a.json()["client_id"].is_string());
}

#[tokio::test]
async fn login_unlink_and_impersonate_text_url() {
    let s = server().await;
    let at = password_grant(&s, ALICE, ALICE_PW).await.json()["access_token"]
        .as_str()
        .expect("at")
        .to_string();
    let a = post_json(
        &s,
        "/login/unlink",
        json!({"access_token": at, "user_id": "google-oauth2|108000000000000000001"}),
    )
    .await;
    a.is(200, "application/json");
    let a = post_form(
        &s,
        "/oauth/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", M2M),
            ("client_secret", M2M_SECRET),
            ("audience", MGMT_AUD),
        ],
    )
    .await;
    let mgmt = a.json()["access_token"].as_str().expect("mgmt").to_string();
    let a = send(
        http()
            .post(format!(
                "{}/users/auth0%7Cuser-plain/impersonate",
                s.base_url()
            ))
            .bearer_auth(&mgmt)
            .json(&json!({"protocol": "oauth2", "impersonator_id": "auth0|user-mfa", "client_id": WEB})),
    )
    .await;
    a.is(200, "text/plain");
    assert!(url::Url::parse(&a.text()).is_ok(), "{}", a.text());
}

#[tokio::test]
async fn oidc_logout_without_hint_shows_a_confirmation_page() {
    let s = server().await;
    let a = get(
        &s,
        &format!(
            "/oidc/logout?client_id={WEB}&post_logout_redirect_uri=https://app.conform.test/logged-out"
        ),
        None,
    )
    .await;
    a.is(200, "text/html");
    assert!(a.text().contains("log out"));
    let id_token = password_grant(&s, ALICE, ALICE_PW).await.json()["id_token"]
        .as_str()
        .expect("id")
        .to_string();
    let a = get(&s, &format!("/oidc/logout?id_token_hint={id_token}&post_logout_redirect_uri=https://app.conform.test/logged-out"), None).await;
    assert_eq!(a.status, 302);
}

#[tokio::test]
async fn legacy_endpoints_refuse_oidc_conformant_applications() {
    let s = server().await;
    let web_id_token = password_grant(&s, ALICE, ALICE_PW).await.json()["id_token"]
        .as_str()
        .expect("id")
        .to_string();
    let refused = [
        (
            "/oauth/ro",
            json!({"client_id": WEB, "connection": DB, "grant_type": "password", "username": ALICE, "password": ALICE_PW, "scope": "openid"}),
        ),
        (
            "/oauth/access_token",
            json!({"client_id": WEB, "access_token": "conform-google-access-token", "connection": "google-oauth2"}),
        ),
        (
            "/delegation",
            json!({"client_id": WEB, "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "id_token": web_id_token}),
        ),
        (
            "/passwordless/verify",
            json!({"client_id": WEB, "connection": "sms", "grant_type": "password", "username": "+15550000001", "password": "000000"}),
        ),
        ("/tokeninfo", json!({"id_token": web_id_token})),
    ];
    for (path, body) in refused {
        let a = post_json(&s, path, body).await;
        a.is(403, "application/json");
        assert_eq!(a.json()["error"], "unauthorized_client", "{path}");
    }
    // The tenant's legacy (not OIDC-conformant) application may use them.
    let a = post_json(&s, "/oauth/ro", json!({"client_id": LEGACY, "connection": DB, "grant_type": "password", "username": ALICE, "password": ALICE_PW, "scope": "openid"})).await;
    a.is(200, "application/json");
    let legacy_id_token = a.json()["id_token"].as_str().expect("id").to_string();
    post_json(&s, "/tokeninfo", json!({"id_token": legacy_id_token}))
        .await
        .is(200, "application/json");
}

#[tokio::test]
async fn rate_limit_headers_and_429_body() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let s = start(ServerConfig {
        rate_limits: conform::reference_server::RateLimits::uniform(3, Duration::from_secs(60)),
        ..ServerConfig::default()
    })
    .await
    .expect("server");
    let now = conform::reference_server::now_unix();
    let a = post_form(
        &s,
        "/oauth/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", M2M),
            ("client_secret", M2M_SECRET),
            ("audience", API),
        ],
    )
    .await;
    a.is(200, "application/json");
    assert_eq!(a.header("x-ratelimit-limit"), "3");
    assert_eq!(a.header("x-ratelimit-remaining"), "2");
    let reset: u64 = a
        .header("x-ratelimit-reset")
        .parse()
        .expect("epoch seconds");
    assert!(reset >= now && reset <= now + 120, "{reset} vs {now}");
    for _ in 0..2 {
        post_form(&s, "/oauth/token", &[("grant_type", "client_credentials")]).await;
    }
    let a = post_form(&s, "/oauth/token", &[("grant_type", "client_credentials")]).await;
    a.is(429, "application/json");
    assert_eq!(a.json()["error"], "too_many_requests");
    assert_eq!(a.header("x-ratelimit-remaining"), "0");
}

#[tokio::test]
async fn userinfo_rate_limit_is_counted_per_user() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let s = start(ServerConfig {
        rate_limits: conform::reference_server::RateLimits::uniform(50, Duration::from_secs(1))
            .with_endpoint("/userinfo", 2, Duration::from_secs(60)),
        ..ServerConfig::default()
    })
    .await
    .expect("server");
    let alice = password_grant(&s, ALICE, ALICE_PW).await.json()["access_token"]
        .as_str()
        .expect("alice")
        .to_string();
    let dave = password_grant(&s, "dave-attack-protection@conform.test", "Dave-Passw0rd!")
        .await
        .json()["access_token"]
        .as_str()
        .expect("dave")
        .to_string();
    for _ in 0..2 {
        get(&s, "/userinfo", Some(&alice))
            .await
            .is(200, "application/json");
    }
    let a = get(&s, "/userinfo", Some(&alice)).await;
    a.is(429, "application/json");
    assert_eq!(a.json()["error"], "too_many_requests");
    // Another user from the same address has a budget of their own.
    get(&s, "/userinfo", Some(&dave))
        .await
        .is(200, "application/json");
    assert_eq!(
        get(&s, "/userinfo", Some(&dave))
            .await
            .header("x-ratelimit-remaining"),
        "0"
    );
}

#[tokio::test]
async fn jwt_ids_are_strings() {
    let s = server().await;
    let a = password_grant(&s, ALICE, ALICE_PW).await;
    for k in ["access_token", "id_token"] {
        let jwt = a.json()[k].as_str().expect("jwt").to_string();
        let payload = jwt.split('.').nth(1).expect("payload");
        let claims: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .expect("base64url"),
        )
        .expect("claims");
        assert!(claims["jti"].is_string(), "{k}: jti {}", claims["jti"]);
    }
}

#[tokio::test]
async fn current_document_par_ciba_global_revocation() {
    let s = server().await;
    // PAR: 201 {request_uri, expires_in}, then /authorize with client_id + request_uri.
    let a = post_form(
        &s,
        "/oauth/par",
        &[
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("response_type", "code"),
            ("redirect_uri", CB),
            ("state", "p1"),
        ],
    )
    .await;
    a.is(201, "application/json");
    assert_eq!(a.keys(), ["request_uri", "expires_in"]);
    let uri = a.json()["request_uri"].as_str().expect("uri").to_string();
    assert!(uri.starts_with("urn:ietf:params:oauth:request_uri:"));
    let q = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", WEB)
        .append_pair("request_uri", &uri)
        .finish();
    let a = get(&s, &format!("/authorize?{q}"), None).await;
    assert_eq!(a.status, 302, "{}", a.text());
    assert!(query_param(&a.header("location"), "code").is_some());
    assert_eq!(
        query_param(&a.header("location"), "state").as_deref(),
        Some("p1")
    );
    // CIBA.
    let hint =
        json!({"format": "iss_sub", "iss": format!("{}/", s.base_url()), "sub": "auth0|user-mfa"})
            .to_string();
    let ciba = |scope: &'static str, hint: String| {
        let s = &s;
        async move {
            post_form(
                s,
                "/bc-authorize",
                &[
                    ("client_id", WEB),
                    ("client_secret", WEB_SECRET),
                    ("binding_message", "123"),
                    ("login_hint", &hint),
                    ("scope", scope),
                ],
            )
            .await
        }
    };
    let a = ciba("openid", hint.clone()).await;
    a.is(200, "application/json");
    assert_eq!(a.keys(), ["auth_req_id", "expires_in", "interval"]);
    let a = ciba("profile", hint.clone()).await;
    a.is(400, "application/json");
    assert_eq!(
        a.json(),
        json!({"error": "invalid_request", "error_description": "openid scope must be requested"})
    );
    let nobody = hint.replace("auth0|user-mfa", "auth0|nobody");
    let a = ciba("openid", nobody).await;
    a.is(400, "application/json");
    assert_eq!(a.json()["error"], "unknown_user_id");
    // Global token revocation: the user's refresh tokens stop working.
    let rt = password_grant(&s, ALICE, ALICE_PW).await.json()["refresh_token"]
        .as_str()
        .expect("rt")
        .to_string();
    let m2m = post_form(
        &s,
        "/oauth/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", M2M),
            ("client_secret", M2M_SECRET),
            ("audience", API),
        ],
    )
    .await
    .json()["access_token"]
        .as_str()
        .expect("m2m")
        .to_string();
    let a = send(
        http()
            .post(format!(
                "{}/oauth/global-token-revocation/connection/{DB}",
                s.base_url()
            ))
            .bearer_auth(&m2m)
            .json(&json!({"subject": {"format": "iss_sub", "iss": format!("{}/", s.base_url()), "sub": "auth0|user-plain"}})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text());
    assert!(a.body.is_empty());
    let a = post_form(
        &s,
        "/oauth/token",
        &[
            ("grant_type", "refresh_token"),
            ("client_id", WEB),
            ("client_secret", WEB_SECRET),
            ("refresh_token", &rt),
        ],
    )
    .await;
    a.is(403, "application/json");
    let a = send(
        http()
            .post(format!(
                "{}/oauth/global-token-revocation/connection/{DB}",
                s.base_url()
            ))
            .json(&json!({"subject": {"format": "iss_sub", "iss": "x", "sub": "y"}})),
    )
    .await;
    assert_eq!(a.status, 401);
}

#[tokio::test]
async fn current_document_operations_refuse_bad_input_with_4xx() {
    let s = server().await;
    let long = "é".repeat(3000);
    let paths = [
        "/oauth/par",
        "/bc-authorize",
        "/login/unlink",
        "/oauth/global-token-revocation/connection/x",
        "/__reference/mfa/push",
    ];
    let bodies = [
        json!({}),
        json!([]),
        json!({"client_id": 7, "scope": ["openid"]}),
        json!({"client_id": WEB, "client_secret": WEB_SECRET, "response_type": long, "login_hint": long, "scope": "openid", "binding_message": "x", "subject": "s"}),
        json!({"client_id": WEB, "client_secret": WEB_SECRET, "login_hint": "{\"format\":\"iss_sub\"}", "scope": "openid", "binding_message": "x", "oob_code": "nope", "accept": "maybe"}),
    ];
    for path in paths {
        for body in &bodies {
            let a = post_json(&s, path, body.clone()).await;
            let shown: String = body.to_string().chars().take(200).collect();
            assert!(
                (400..500).contains(&a.status),
                "{path} {shown}: {} {}",
                a.status,
                a.text()
            );
        }
        let a = send(
            http()
                .post(format!("{}{path}", s.base_url()))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("%zz=%"),
        )
        .await;
        a.is(400, "application/json");
    }
}
