//! Protocol checks end to end: `[protocol]` in a suite runs each named check as a test of its
//! own (`protocol:NAME`) against a real server, in every report; a typo in the table names the
//! key, the file and the line; a check that cannot reach its property is unreached, not failed;
//! the client secret it uses never shows.

mod common;

use std::path::PathBuf;

use conform::reference_server::Fault;

fn reference_suite() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/suites/reference.toml"
    ))
    .expect("reference suite")
}

/// The reference suite with its `[protocol] checks` list replaced, in a file of its own.
fn suite_with_checks(name: &str, checks: &str) -> PathBuf {
    let text = reference_suite();
    let start = text
        .find("\nchecks = [")
        .expect("the reference suite names its protocol checks")
        + 1;
    let end = start + text[start..].find(']').expect("the list ends") + 1;
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let replaced = format!("{}checks = {checks}{}", &text[..start], &text[end..]);
    std::fs::write(&path, replaced).expect("write");
    path
}

#[test]
fn a_misspelt_protocol_check_is_a_suite_error_at_its_line() {
    let path = suite_with_checks("protocol-typo.toml", r#"["token_respons"]"#);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["list", "--suite", path.to_str().unwrap()])
        .output()
        .expect("run conform");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let line = reference_suite()
        .lines()
        .position(|l| l.starts_with("checks = "))
        .expect("line")
        + 1;
    for needle in [
        "protocol-typo.toml".to_string(),
        format!(":{line}"),
        "protocol.checks".to_string(),
        "no protocol check `token_respons`".to_string(),
        "token_response".to_string(),
    ] {
        assert!(stderr.contains(&needle), "{needle} in: {stderr}");
    }
}

#[test]
fn protocol_checks_are_tests_of_their_own_in_every_report() {
    let _turn = common::FULL_RUN.lock();
    let server = common::server(&[Fault::AuthorizationCodeReuse]);
    let run = common::conform(
        "protocol-reports",
        &[
            "run",
            "--suite",
            "suites/reference.toml",
            "--base-url",
            &server.base_url,
            "protocol:",
        ],
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("test protocol:code_single_use ... FAILED"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("test protocol:token_response ... ok"),
        "{}",
        run.stdout
    );
    // The failure cites the RFC and gives its rerun line.
    assert!(run.stdout.contains("RFC 6749 §4.1.2"), "{}", run.stdout);
    assert!(
        run.stdout.contains("--exact 'protocol:code_single_use'"),
        "{}",
        run.stdout
    );
    let json = run.json();
    let cases = json["cases"].as_array().expect("cases");
    let failed = cases
        .iter()
        .find(|c| c["id"] == "protocol:code_single_use")
        .expect("the protocol check is in conform.json");
    assert_eq!(failed["kind"], "protocol");
    assert_eq!(failed["outcome"], "failed");
    assert_eq!(failed["violations"][0]["check"], "code_single_use");
    assert_eq!(failed["operation"], "authorize");
    let junit = run.junit();
    let protocol = cases.iter().filter(|c| c["kind"] == "protocol").count();
    assert!(protocol >= 2, "{protocol}");
    assert!(
        junit.contains(&format!(
            r#"<testsuite name="protocol" tests="{protocol}" failures="1""#
        )),
        "{junit}"
    );
    assert!(
        junit.contains(r#"<testcase name="protocol:code_single_use (an authorization code"#),
        "{junit}"
    );
    let html = std::fs::read_to_string(run.report_dir.join("conform.html")).expect("html");
    assert!(html.contains("<h2>Protocol checks</h2>"), "{html}");
    assert!(
        html.contains(r##"<a href="#protocol-code_single_use">failed</a>"##)
            || html.contains("protocol:code_single_use"),
        "{html}"
    );
    let markdown = std::fs::read_to_string(run.report_dir.join("summary.md")).expect("md");
    assert!(markdown.contains("### Protocol checks"), "{markdown}");
    assert!(
        markdown.contains("| `protocol:token_response` |"),
        "{markdown}"
    );
    // The client secret the checks exchange codes with is masked everywhere.
    assert!(
        !run.all_output().contains("conform-web-app-secret"),
        "the [protocol] client_secret leaked"
    );
}

#[test]
fn a_server_without_the_endpoint_is_a_harness_error_naming_it_and_refusal_is_unreached() {
    // No /authorize, and a token endpoint that refuses every grant: nothing to judge, nothing
    // failed.
    let fixture = common::fixture::serve(|line| {
        if line.contains("/oauth/token") {
            common::fixture::answer(
                403,
                &[("content-type", "application/json")],
                br#"{"error":"access_denied"}"#,
            )
        } else {
            common::fixture::answer(404, &[], b"")
        }
    });
    let spec = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("protocol-token-only.yaml");
    std::fs::write(
        &spec,
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /oauth/token:\n    post:\n      \
         operationId: token\n      requestBody:\n        content:\n          \
         application/x-www-form-urlencoded:\n            schema: {type: object}\n      \
         responses:\n        '200': {description: ok}\n        '403': {description: no}\n",
    )
    .expect("spec");
    let suite = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("protocol-token-only.toml");
    std::fs::write(
        &suite,
        format!(
            "[suite]\nspec = {spec:?}\n\n[protocol]\nchecks = [\"token_response\", \
             \"code_single_use\"]\nclient_id = \"c\"\nclient_secret = \"s3cr3t-value\"\n\
             redirect_uri = \"https://app.example/cb\"\n"
        ),
    )
    .expect("suite");
    let run = common::conform(
        "protocol-token-only",
        &[
            "run",
            "--suite",
            suite.to_str().unwrap(),
            "--base-url",
            &fixture.base_url,
            "protocol:",
        ],
    );
    let json = run.json();
    let outcome = |id: &str| -> serde_json::Value {
        json["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} missing: {json}"))
    };
    let token = outcome("protocol:token_response");
    assert_eq!(token["outcome"], "unreached", "{token}");
    let code = outcome("protocol:code_single_use");
    assert_eq!(code["outcome"], "error", "{code}");
    assert!(
        code["message"]
            .as_str()
            .is_some_and(|m| m.contains("no authorize endpoint at /authorize")),
        "{code}"
    );
    assert_ne!(run.code, 1, "nothing failed: {}", run.stdout);
    assert!(!run.all_output().contains("s3cr3t-value"));
}
