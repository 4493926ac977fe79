//! Live-tenant safety, against the reference server standing in for a tenant (loopback only):
//! side-effect classes, --allow, --dry-run, the tenant suite, pacing, Retry-After, and never
//! following a redirect off the target.

mod common;

use std::time::Duration;

use conform::reference_server::{RateLimits, ServerConfig};

/// Paths of operations whose side effects a live run must not cause without --allow.
const SIDE_EFFECT_PATHS: &[&str] = &[
    "/dbconnections/signup",
    "/dbconnections/change_password",
    "/passwordless/start",
    "/oidc/register",
    "/mfa/associate",
    "/mfa/challenge",
    "/oauth/revoke",
    "/unlink",
];

fn sent_to(log: &[(String, String, u16, f64)], path: &str) -> usize {
    log.iter().filter(|(_, p, _, _)| p == path).count()
}

#[test]
fn a_live_run_skips_side_effects_unless_allowed() {
    let server = common::server(&[]);
    let run = common::conform(
        "live",
        &[
            "run",
            "--live",
            "--suite",
            "suites/reference.toml",
            "--base-url",
            &server.base_url,
            "--seed",
            "3",
        ],
    );
    assert!(
        run.stdout.contains("plan for http://127.0.0.1"),
        "the plan is printed first:\n{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("side effect") && run.stdout.contains("creates-user"),
        "{}",
        run.stdout
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let log = common::request_log(&server.base_url);
    assert!(
        log.len() > 100,
        "the safe cases ran: {} requests",
        log.len()
    );
    for path in SIDE_EFFECT_PATHS {
        assert_eq!(sent_to(&log, path), 0, "{path} was called on a live target");
    }
    assert!(
        !log.iter()
            .any(|(m, p, _, _)| m == "DELETE" || p.ends_with("/impersonate")),
        "a side effect was sent"
    );
    let json = run.json();
    let skipped = json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["reason"]
                .as_str()
                .is_some_and(|r| r.starts_with("skipped for safety"))
        })
        .count();
    assert!(skipped >= 80, "{skipped} cases skipped for safety");

    // --allow creates-user sends the signup cases, and nothing else new.
    let allowed = common::server(&[]);
    let run = common::conform(
        "live-allow",
        &[
            "run",
            "--live",
            "--allow",
            "creates-user",
            "--suite",
            "suites/reference.toml",
            "--base-url",
            &allowed.base_url,
            "--seed",
            "3",
            "dbconnections",
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let log = common::request_log(&allowed.base_url);
    assert!(
        sent_to(&log, "/dbconnections/signup") > 0,
        "--allow creates-user sent no signup"
    );
    assert_eq!(
        sent_to(&log, "/dbconnections/change_password"),
        0,
        "sends-email was not allowed"
    );
}

#[test]
fn a_dry_run_prints_the_plan_and_sends_nothing() {
    let server = common::server(&[]);
    let run = common::conform(
        "dry-run",
        &[
            "run",
            "--dry-run",
            "--live",
            "--suite",
            "suites/reference.toml",
            "--base-url",
            &server.base_url,
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("--dry-run: nothing was sent"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("skipped for safety"), "{}", run.stdout);
    assert!(run.stdout.contains("requests"), "{}", run.stdout);
    assert!(
        common::request_log(&server.base_url).is_empty(),
        "a dry run sent requests"
    );
}

/// The reference tenant's values, as a user following the README would export them.
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

#[test]
fn the_tenant_suite_runs_against_a_stand_in_and_allow_changes_what_is_sent() {
    // Without the variables: every missing one is named, nothing is sent.
    let server = common::server(&[]);
    let run = common::conform_env(
        "tenant-missing",
        &[
            "run",
            "--suite",
            "suites/auth0-tenant.toml",
            "--base-url",
            &server.base_url,
        ],
        &[("AUTH0_DOMAIN", "127.0.0.1:1")],
    );
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    for var in [
        "AUTH0_CLIENT_ID",
        "AUTH0_CLIENT_SECRET",
        "AUTH0_PASSWORD",
        "AUTH0_AUDIENCE",
        "AUTH0_LOGOUT_URL",
    ] {
        assert!(run.stderr.contains(var), "{var} not named: {}", run.stderr);
    }
    assert!(!run.stderr.contains("AUTH0_DOMAIN"), "{}", run.stderr);
    assert!(common::request_log(&server.base_url).is_empty());

    let env = tenant_env(&server);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run = common::conform_env(
        "tenant",
        &[
            "run",
            "--suite",
            "suites/auth0-tenant.toml",
            "--base-url",
            &server.base_url,
            "--seed",
            "2",
        ],
        &env,
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("(live target: side effects need --allow)"),
        "{}",
        run.stdout
    );
    for class in [
        "issues-token",
        "creates-user",
        "sends-email",
        "revokes-token",
    ] {
        assert!(run.stdout.contains(class), "the plan does not list {class}");
    }
    assert!(
        run.stdout
            .contains("patched: #/paths/~1userinfo/get/parameters/0"),
        "{}",
        run.stdout
    );
    let log = common::request_log(&server.base_url);
    assert!(sent_to(&log, "/oauth/token") > 0 && sent_to(&log, "/userinfo") > 0);
    assert_eq!(sent_to(&log, "/dbconnections/signup"), 0);
    assert_eq!(sent_to(&log, "/oauth/revoke"), 0);

    let allowed = common::server(&[]);
    let env = tenant_env(&allowed);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run = common::conform_env(
        "tenant-allow",
        &[
            "run",
            "--suite",
            "suites/auth0-tenant.toml",
            "--base-url",
            &allowed.base_url,
            "--seed",
            "2",
            "--allow",
            "revokes-token",
            "oauth_revoke",
        ],
        &env,
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        sent_to(&common::request_log(&allowed.base_url), "/oauth/revoke") > 0,
        "--allow revokes-token sent no revoke"
    );
}

#[test]
fn an_operation_is_never_sent_faster_than_its_rate() {
    let server = common::server(&[]);
    let run = common::conform(
        "paced",
        &[
            "run",
            "--suite",
            "tests/fixtures/suites/paced.toml",
            "--base-url",
            &server.base_url,
            "--seed",
            "1",
            "wsfed_metadata/200",
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let times: Vec<f64> = common::request_log(&server.base_url)
        .into_iter()
        .filter(|(_, p, _, _)| p.starts_with("/wsfed/FederationMetadata"))
        .map(|(_, _, _, at)| at)
        .collect();
    assert!(times.len() >= 8, "{} requests", times.len());
    for pair in times.windows(2) {
        // 4 per second: 250 ms apart, less slack for delivery jitter on a loaded machine (an
        // unpaced run sends these within a few milliseconds of each other).
        assert!(
            pair[1] - pair[0] >= 200.0,
            "requests {:.0} ms apart: {times:?}",
            pair[1] - pair[0]
        );
    }
}

#[test]
fn a_429_with_retry_after_is_waited_out() {
    let server = common::server_with(ServerConfig {
        rate_limits: RateLimits::uniform(2, Duration::from_secs(1)),
        ..ServerConfig::default()
    });
    let run = common::conform(
        "retry-after",
        &[
            "run",
            "--suite",
            "tests/fixtures/suites/unpaced.toml",
            "--base-url",
            &server.base_url,
            "--seed",
            "1",
            "wsfed_metadata/200",
        ],
    );
    assert_eq!(
        run.code, 0,
        "a 429 caused by pace is not the case's failure\n{}\n{}",
        run.stdout, run.stderr
    );
    let log: Vec<_> = common::request_log(&server.base_url)
        .into_iter()
        .filter(|(_, p, _, _)| p.starts_with("/wsfed/FederationMetadata"))
        .collect();
    let throttled: Vec<usize> = (0..log.len()).filter(|&i| log[i].2 == 429).collect();
    assert!(!throttled.is_empty(), "the server never throttled: {log:?}");
    for &i in &throttled {
        if let Some(next) = log.get(i + 1) {
            // The reference server says Retry-After: 1 (seconds) at this rate.
            assert!(
                next.3 - log[i].3 >= 900.0,
                "retried {:.0} ms after a 429",
                next.3 - log[i].3
            );
        }
    }
    assert!(log.iter().filter(|e| e.2 == 200).count() >= 8, "{log:?}");
}

#[test]
fn a_redirect_to_another_host_is_checked_not_followed() {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    // A "host" that must never be contacted, and a target that redirects everything to it.
    let elsewhere = TcpListener::bind("127.0.0.1:0").unwrap();
    elsewhere.set_nonblocking(true).unwrap();
    let elsewhere_addr = elsewhere.local_addr().unwrap();
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let target_addr = target.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in target.incoming().flatten().take(16) {
            let mut stream = stream;
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = write!(
                stream,
                "HTTP/1.1 302 Found\r\nLocation: http://{elsewhere_addr}/stolen\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    let run = common::conform(
        "redirect",
        &[
            "run",
            "--spec",
            "tests/fixtures/redirect.yaml",
            "--base-url",
            &format!("http://{target_addr}"),
            "--exact",
            "go/302",
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        elsewhere.accept().is_err(),
        "conform followed the redirect to another host"
    );
}
