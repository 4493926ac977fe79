//! Every fault of `conform serve --list-faults` is caught: the reference server runs with that
//! one fault, conform runs the reference suite against it, and the run fails naming the case
//! and the check that caught it.

mod common;

use std::collections::BTreeSet;

use conform::reference_server::{Fault, faults};

/// fault, case filter (to keep the run short), the case that must fail, the check that must say so.
const EXPECTED: &[(&str, &str, &str, &str)] = &[
    (
        "wrong-success-status",
        "oauth_token/",
        "oauth_token/200",
        "status_documented",
    ),
    (
        "undocumented-status",
        "dbconnections_signup/",
        "dbconnections_signup/400",
        "status_documented",
    ),
    (
        "wrong-content-type",
        "userinfo/",
        "userinfo/200",
        "content_type",
    ),
    (
        "nested-wrong-type",
        "userinfo/",
        "userinfo/200",
        "body_schema",
    ),
    (
        "array-for-object",
        "oidc_register/",
        "oidc_register/201",
        "body_schema",
    ),
    (
        "null-for-string",
        "userinfo/",
        "userinfo/200",
        "body_schema",
    ),
    (
        "non-json-error-body",
        "oauth_token/",
        "oauth_token/400",
        "content_type",
    ),
    (
        "error-field-wrong-type",
        "logout/",
        "logout/401",
        "body_schema",
    ),
    (
        "redirect-without-location",
        "authorize/",
        "authorize/302",
        "location",
    ),
    (
        "not-found-for-405",
        "logout/",
        "logout/405",
        "expected_status",
    ),
    ("missing-allow-header", "logout/", "logout/405", "allow"),
    (
        "long-string-crash",
        "authorize/",
        "authorize/302",
        "server_error",
    ),
    (
        "non-ascii-crash",
        "authorize/",
        "authorize/302",
        "server_error",
    ),
    (
        "empty-array-crash",
        "oidc_register/",
        "oidc_register/400",
        "server_error",
    ),
    (
        "userinfo-ignores-auth",
        "userinfo/",
        "userinfo/401",
        "expected_status",
    ),
    (
        "forbidden-for-bad-credentials",
        "oauth_token/",
        "oauth_token/401",
        "expected_status",
    ),
    ("revoke-noop", "oauth_revoke/", "oauth_revoke/200", "flow"),
    ("authorization-code-reuse", "authorize/", "authorize/302", "flow"),
    (
        "truncated-json",
        "oauth_token/",
        "oauth_token/200",
        "body_schema",
    ),
    (
        "slow-response",
        "userinfo/",
        "userinfo/200",
        "response_time",
    ),
    (
        "missing-response-field",
        "oauth_device_code/",
        "oauth_device_code/200",
        "flow",
    ),
    (
        "extra-status-on-not-found",
        "samlp_metadata/",
        "samlp_metadata/404",
        "status_documented",
    ),
    (
        "unknown-path-ok",
        "wsfed_metadata/",
        "wsfed_metadata/200",
        "flow",
    ),
    (
        "simulation-ignored",
        "tokeninfo/",
        "tokeninfo/500",
        "expected_status",
    ),
    (
        "rate-limit-missing-headers",
        "tokeninfo/",
        "tokeninfo/429",
        "content_type",
    ),
    (
        "error-for-success",
        "dbconnections_change_password/",
        "dbconnections_change_password/200",
        "content_type",
    ),
];

#[test]
fn every_fault_has_an_expectation() {
    let listed: BTreeSet<&str> = faults().iter().map(|f| f.name).collect();
    let tested: BTreeSet<&str> = EXPECTED.iter().map(|e| e.0).collect();
    assert_eq!(listed, tested, "faults and expectations differ");
    assert!(listed.len() >= 20, "only {} faults", listed.len());
}

#[test]
fn every_fault_fails_the_run_at_the_expected_case_and_check() {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let problems = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&(name, filter, case, check)) = EXPECTED.get(i) else {
                        break;
                    };
                    if let Err(problem) = detect(name, filter, case, check) {
                        problems.lock().unwrap().push(problem);
                    }
                }
            });
        }
    });
    let problems = problems.into_inner().unwrap();
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

fn detect(name: &str, filter: &str, case: &str, check: &str) -> Result<(), String> {
    let fault: Fault = name.parse().map_err(|e| format!("{e}"))?;
    let server = common::server(&[fault]);
    let run = common::conform(
        &format!("fault-{name}"),
        &[
            "run",
            "--suite",
            "suites/reference.toml",
            "--base-url",
            &server.base_url,
            "--seed",
            "1",
            filter,
        ],
    );
    if run.code != 1 {
        return Err(format!(
            "{name}: exit {} instead of 1\n{}\n{}",
            run.code, run.stdout, run.stderr
        ));
    }
    let json = run.json();
    let failed = json["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["id"] == case)
        .ok_or_else(|| format!("{name}: no case {case} in the report"))?;
    if failed["outcome"] != "failed" {
        return Err(format!(
            "{name}: {case} is {} instead of failed",
            failed["outcome"]
        ));
    }
    let checks: Vec<&str> = failed["violations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["check"].as_str())
        .collect();
    if !checks.contains(&check) {
        return Err(format!("{name}: {case} failed by {checks:?}, not {check}"));
    }
    if !run.stdout.contains(&format!("---- {case} ----")) {
        return Err(format!("{name}: the console does not name {case}"));
    }
    Ok(())
}
