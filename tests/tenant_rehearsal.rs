//! The README's rehearsal: `suites/auth0-tenant.toml` against the reference server standing in
//! for a tenant (started in this process on 127.0.0.1, the AUTH0_* variables set for the child
//! `conform` as a user following the README would export them). It must end with 0 failed, by
//! default and with every side-effect class the suite can run allowed, and the suite must not
//! lean on anything only the reference server does (PROVOKE.md's conventions).

mod common;

use serde_json::Value;

/// The reference tenant's values, as the README's rehearsal exports them.
fn tenant_env(server: &common::Server) -> Vec<(&'static str, String)> {
    vec![
        (
            "AUTH0_DOMAIN",
            server.base_url.trim_start_matches("http://").to_string(),
        ),
        ("AUTH0_CLIENT_ID", "conform-web-app".into()),
        ("AUTH0_CLIENT_SECRET", "conform-web-app-secret".into()),
        ("AUTH0_M2M_CLIENT_ID", "conform-m2m".into()),
        ("AUTH0_M2M_CLIENT_SECRET", "conform-m2m-secret".into()),
        ("AUTH0_AUDIENCE", "https://api.conform.test/".into()),
        (
            "AUTH0_CONNECTION",
            "Username-Password-Authentication".into(),
        ),
        ("AUTH0_USERNAME", "alice@conform.test".into()),
        ("AUTH0_PASSWORD", "Alice-Passw0rd!".into()),
        (
            "AUTH0_CALLBACK_URL",
            "https://app.conform.test/callback".into(),
        ),
        (
            "AUTH0_LOGOUT_URL",
            "https://app.conform.test/logged-out".into(),
        ),
    ]
}

/// (passed, failed) cases per the JSON report, with the ids of the cases that ran; the
/// protocol checks must not fail either, and are printed.
fn outcome(run: &common::Run) -> (usize, usize, Vec<String>) {
    let report = run.json();
    let results = report["cases"].as_array().expect("cases");
    let of = |c: &Value| c["outcome"].as_str().unwrap_or_default().to_string();
    let protocol: Vec<String> = results
        .iter()
        .filter(|c| c["kind"] == "protocol")
        .map(|c| format!("{} {}", c["id"].as_str().unwrap_or_default(), of(c)))
        .collect();
    println!("protocol checks: {protocol:?}");
    assert!(
        protocol.iter().all(|p| !p.ends_with(" failed")),
        "{protocol:?}"
    );
    // The tenant suite's protocol checks hold; revocation waits for `--allow revokes-token`.
    let passed = protocol.iter().filter(|p| p.ends_with(" passed")).count();
    assert!(passed >= 6 && protocol.len() == 7, "{protocol:?}");
    let cases: Vec<&Value> = results.iter().filter(|c| c["kind"] == "case").collect();
    let ran: Vec<String> = cases
        .iter()
        .copied()
        .filter(|c| of(c) == "passed" || of(c) == "failed")
        .map(|c| c["id"].as_str().unwrap_or_default().to_string())
        .collect();
    let passed = cases.iter().filter(|c| of(c) == "passed").count();
    let failed = cases.iter().filter(|c| of(c) == "failed").count();
    (passed, failed, ran)
}

fn rehearse(name: &str, extra: &[&str]) -> (usize, usize, Vec<String>) {
    let _turn = common::FULL_RUN.lock();
    let server = common::server(&[]);
    let env = tenant_env(&server);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut args = vec![
        "run",
        "--suite",
        "suites/auth0-tenant.toml",
        "--base-url",
        &server.base_url,
        "--seed",
        "11",
    ];
    args.extend_from_slice(extra);
    let run = common::conform_env(name, &args, &env);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // Brute-force protection never fired: no wrong password reached the stand-in.
    let outbox = common::get_json(&format!("{}/__reference/outbox", server.base_url));
    assert!(
        !outbox
            .as_array()
            .expect("outbox")
            .iter()
            .any(|m| m["kind"] == "brute_force_blocked"),
        "the tenant suite triggered attack protection"
    );
    outcome(&run)
}

#[test]
fn the_tenant_suite_holds_against_the_reference_standing_in_for_a_tenant() {
    let (passed, failed, ran) = rehearse("rehearsal-default", &[]);
    assert_eq!(failed, 0);
    // What runs by default on a tenant: no side effects beyond issuing tokens.
    assert_eq!(passed, 11, "ran: {ran:?}");
    for id in [
        "authorize/302",
        "authorize/400",
        "oidc_logout/302",
        "oauth_token/401",
        "oauth_token/403",
        "userinfo/401",
    ] {
        assert!(ran.iter().any(|r| r == id), "{id} did not run: {ran:?}");
    }
    println!("rehearsal: {passed} cases ran and passed, 0 failed");

    let (passed, failed, ran) = rehearse(
        "rehearsal-allowed",
        &[
            "--allow",
            "creates-user",
            "--allow",
            "sends-email",
            "--allow",
            "revokes-token",
        ],
    );
    assert_eq!(failed, 0);
    assert_eq!(passed, 22, "ran: {ran:?}");
    for id in [
        "dbconnections_change_password/200",
        "dbconnections_signup/200",
        "passwordless_start/200",
        "oauth_revoke/200",
    ] {
        assert!(ran.iter().any(|r| r == id), "{id} did not run: {ran:?}");
    }
}

#[test]
fn the_tenant_suite_relies_on_no_reference_convention() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/auth0-tenant.toml"),
    )
    .expect("tenant suite");
    let suite: toml::Value = toml::from_str(&text).expect("parses");
    // No convention key, and none of the conventions' levers.
    assert!(!text.contains("convention ="), "a case names a convention");
    for lever in [
        "x-conform-simulate-status",
        "source_address",
        "auth0-forwarded-for =",
        "org_unknown",
        "Bearer not-a-token",
        "__reference",
    ] {
        assert!(!text.contains(lever), "the tenant suite uses {lever}");
    }
    // No case sends a wrong password (brute-force protection: 10 per user and address).
    assert!(!text.to_ascii_lowercase().contains("wrong-password"));
    // Each disagreement between the 3.0 document and Auth0 is patched, with a reason.
    let patches = suite["patches"].as_array().expect("patches");
    for pointer in [
        "/paths/~1dbconnections~1change_password/post/responses/200/content",
        "/paths/~1userinfo/get/responses/401",
        "/paths/~1oidc~1register/post/responses/201",
        "/paths/~1login~1unlink",
        "/paths/~1users~1{user_id}~1impersonate/post/responses/200/content",
        "/paths/~1mfa~1authenticators/get/responses/200/content/application~1json/schema/items/properties/oob_channel",
        "/paths/~1mfa~1authenticators~1{AUTHENTICATOR_ID}/delete/parameters/0",
    ] {
        let p = patches
            .iter()
            .find(|p| p["pointer"].as_str() == Some(pointer))
            .unwrap_or_else(|| panic!("no patch at {pointer}"));
        assert!(
            p["reason"].as_str().is_some_and(|r| r.len() > 20),
            "{pointer}: reason"
        );
    }
    // The legacy endpoints are skipped with the reason.
    for op in [
        "oauth_ro",
        "oauth_access_token",
        "tokeninfo",
        "delegation",
        "passwordless_verify",
    ] {
        let skip = suite["operations"][op]["skip"].as_str().unwrap_or_default();
        assert!(skip.contains("OIDC-conformant"), "{op}: {skip}");
    }
}
