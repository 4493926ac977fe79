//! Every fault of `conform serve --list-faults` is caught exactly where it should be: with the
//! fault, the reference suite fails exactly the expected cases, the named one by the named check;
//! the same filter at the same seed passes against the clean server.

mod common;

use std::collections::BTreeSet;

use conform::reference_server::{Fault, faults};

/// One fault's expectation.
struct Expect {
    fault: &'static str,
    /// The case filter that keeps the run short.
    filter: &'static str,
    seed: &'static str,
    /// The cases that must fail.
    failing: &'static [&'static str],
    /// Cases that fail or pass with the timing: a burst's answers before the limit are checked
    /// too, so a fault on every answer of an operation fails its 429 case when the limit bites
    /// after the first answer, and not when it bites at once.
    maybe: &'static [&'static str],
    /// The case whose violations must name `check`.
    case: &'static str,
    check: &'static str,
}

const EXPECTED: &[Expect] = &[
    // Only a burst's answers before the limit bites are broken: the 429 case sees them.
    Expect {
        fault: "burst-body",
        filter: "oauth_token/",
        seed: "1",
        failing: &["oauth_token/429"],
        maybe: &[],
        case: "oauth_token/429",
        check: "body_schema",
    },
    Expect {
        fault: "wrong-success-status",
        filter: "oauth_token/",
        seed: "1",
        failing: &["oauth_token/200"],
        maybe: &[],
        case: "oauth_token/200",
        check: "status_documented",
    },
    Expect {
        fault: "undocumented-status",
        filter: "dbconnections_signup/",
        seed: "1",
        failing: &["dbconnections_signup/400"],
        maybe: &[],
        case: "dbconnections_signup/400",
        check: "status_documented",
    },
    Expect {
        fault: "wrong-content-type",
        filter: "userinfo/",
        seed: "1",
        failing: &["userinfo/200"],
        maybe: &["userinfo/429"],
        case: "userinfo/200",
        check: "content_type",
    },
    Expect {
        fault: "nested-wrong-type",
        filter: "userinfo/",
        seed: "1",
        failing: &["userinfo/200"],
        maybe: &["userinfo/429"],
        case: "userinfo/200",
        check: "body_schema",
    },
    Expect {
        fault: "array-for-object",
        filter: "oidc_register/",
        seed: "1",
        failing: &["oidc_register/201"],
        maybe: &["oidc_register/429"],
        case: "oidc_register/201",
        check: "body_schema",
    },
    Expect {
        fault: "null-for-string",
        filter: "userinfo/",
        seed: "1",
        failing: &["userinfo/200"],
        maybe: &["userinfo/429"],
        case: "userinfo/200",
        check: "body_schema",
    },
    Expect {
        fault: "non-json-error-body",
        filter: "oauth_token/",
        seed: "1",
        failing: &["oauth_token/400"],
        maybe: &[],
        case: "oauth_token/400",
        check: "content_type",
    },
    Expect {
        fault: "error-field-wrong-type",
        filter: "logout/",
        seed: "1",
        failing: &["logout/401", "oidc_logout/401", "saml_logout/401"],
        maybe: &[],
        case: "logout/401",
        check: "body_schema",
    },
    Expect {
        fault: "redirect-without-location",
        filter: "authorize/",
        seed: "1",
        failing: &["authorize/302"],
        maybe: &["authorize/429"],
        case: "authorize/302",
        check: "location",
    },
    Expect {
        fault: "not-found-for-405",
        filter: "logout/",
        seed: "1",
        failing: &["logout/405", "oidc_logout/405", "saml_logout/405"],
        maybe: &[],
        case: "logout/405",
        check: "expected_status",
    },
    Expect {
        fault: "missing-allow-header",
        filter: "logout/",
        seed: "1",
        failing: &["logout/405", "oidc_logout/405", "saml_logout/405"],
        maybe: &[],
        case: "logout/405",
        check: "allow",
    },
    Expect {
        fault: "long-string-crash",
        filter: "authorize/",
        seed: "1",
        failing: &["authorize/302"],
        maybe: &[],
        case: "authorize/302",
        check: "server_error",
    },
    Expect {
        fault: "non-ascii-crash",
        filter: "authorize/",
        seed: "2",
        failing: &["authorize/302"],
        maybe: &["authorize/429"],
        case: "authorize/302",
        check: "server_error",
    },
    Expect {
        fault: "empty-array-crash",
        filter: "oidc_register/",
        seed: "1",
        failing: &["oidc_register/400"],
        maybe: &[],
        case: "oidc_register/400",
        check: "server_error",
    },
    Expect {
        fault: "userinfo-ignores-auth",
        filter: "userinfo/",
        seed: "1",
        failing: &["userinfo/400", "userinfo/401"],
        maybe: &[],
        case: "userinfo/401",
        check: "expected_status",
    },
    Expect {
        fault: "forbidden-for-bad-credentials",
        filter: "oauth_token/",
        seed: "1",
        failing: &["oauth_token/401"],
        maybe: &[],
        case: "oauth_token/401",
        check: "expected_status",
    },
    Expect {
        fault: "revoke-noop",
        filter: "protocol:",
        seed: "1",
        failing: &["protocol:revocation"],
        maybe: &[],
        case: "protocol:revocation",
        check: "revocation",
    },
    Expect {
        fault: "authorization-code-reuse",
        filter: "protocol:",
        seed: "1",
        failing: &["protocol:code_single_use"],
        maybe: &[],
        case: "protocol:code_single_use",
        check: "code_single_use",
    },
    Expect {
        fault: "token-without-type",
        filter: "protocol:",
        seed: "1",
        failing: &["protocol:token_response"],
        maybe: &[],
        case: "protocol:token_response",
        check: "token_response",
    },
    Expect {
        fault: "authorization-code-unbound",
        filter: "protocol:",
        seed: "1",
        failing: &["protocol:code_binding"],
        maybe: &[],
        case: "protocol:code_binding",
        check: "code_binding",
    },
    Expect {
        fault: "pkce-ignored",
        filter: "protocol:",
        seed: "1",
        failing: &["protocol:pkce"],
        maybe: &[],
        case: "protocol:pkce",
        check: "pkce",
    },
    Expect {
        fault: "state-decoded-twice",
        filter: "protocol:",
        seed: "1",
        failing: &["protocol:state_echo"],
        maybe: &[],
        case: "protocol:state_echo",
        check: "state_echo",
    },
    Expect {
        fault: "redirect-uri-prefix-match",
        filter: "protocol:",
        seed: "1",
        failing: &["protocol:redirect_uri_registered"],
        maybe: &[],
        case: "protocol:redirect_uri_registered",
        check: "redirect_uri_registered",
    },
    Expect {
        fault: "revoke-unknown-not-found",
        filter: "protocol:",
        seed: "1",
        failing: &["protocol:revocation"],
        maybe: &[],
        case: "protocol:revocation",
        check: "revocation",
    },
    Expect {
        fault: "device-no-slow-down",
        filter: "protocol:",
        seed: "1",
        failing: &["protocol:device_flow"],
        maybe: &[],
        case: "protocol:device_flow",
        check: "device_flow",
    },
    Expect {
        fault: "refresh-not-rotated",
        filter: "protocol:",
        seed: "1",
        failing: &["protocol:refresh_rotation"],
        maybe: &[],
        case: "protocol:refresh_rotation",
        check: "refresh_rotation",
    },
    Expect {
        fault: "jwt-string-iat",
        filter: "protocol:",
        seed: "1",
        failing: &["protocol:jwt_claim_types"],
        maybe: &[],
        case: "protocol:jwt_claim_types",
        check: "jwt_claim_types",
    },
    Expect {
        fault: "id-token-unpublished-key",
        filter: "protocol:",
        seed: "1",
        failing: &["protocol:id_token_signature"],
        maybe: &[],
        case: "protocol:id_token_signature",
        check: "id_token_signature",
    },
    Expect {
        fault: "id-token-wrong-aud",
        filter: "protocol:",
        seed: "1",
        failing: &["protocol:id_token_claims"],
        maybe: &[],
        case: "protocol:id_token_claims",
        check: "id_token_claims",
    },
    Expect {
        fault: "userinfo-wrong-sub",
        filter: "protocol:",
        seed: "1",
        failing: &["protocol:userinfo_sub"],
        maybe: &[],
        case: "protocol:userinfo_sub",
        check: "userinfo_sub",
    },
    Expect {
        fault: "discovery-dead-endpoint",
        filter: "protocol:",
        seed: "1",
        failing: &["protocol:discovery"],
        maybe: &[],
        case: "protocol:discovery",
        check: "discovery",
    },
    Expect {
        fault: "truncated-json",
        filter: "oauth_token/",
        seed: "1",
        failing: &["oauth_token/200"],
        maybe: &[],
        case: "oauth_token/200",
        check: "body_schema",
    },
    Expect {
        fault: "slow-response",
        filter: "userinfo/",
        seed: "1",
        failing: &[
            "userinfo/200",
            "userinfo/400",
            "userinfo/401",
            "userinfo/403",
            "userinfo/404",
            "userinfo/405",
            "userinfo/500",
            "userinfo/501",
            "userinfo/503",
        ],
        maybe: &["userinfo/429"],
        case: "userinfo/200",
        check: "response_time",
    },
    Expect {
        fault: "missing-response-field",
        filter: "oauth_device_code/",
        seed: "1",
        failing: &["oauth_device_code/200"],
        maybe: &[],
        case: "oauth_device_code/200",
        check: "flow",
    },
    Expect {
        fault: "extra-status-on-not-found",
        filter: "samlp_metadata/",
        seed: "1",
        failing: &["samlp_metadata/404"],
        maybe: &[],
        case: "samlp_metadata/404",
        check: "status_documented",
    },
    Expect {
        fault: "unknown-path-ok",
        filter: "wsfed_metadata/",
        seed: "1",
        failing: &["wsfed_metadata/200"],
        maybe: &[],
        case: "wsfed_metadata/200",
        check: "flow",
    },
    Expect {
        fault: "simulation-ignored",
        filter: "tokeninfo/",
        seed: "1",
        failing: &["tokeninfo/500", "tokeninfo/501", "tokeninfo/503"],
        maybe: &[],
        case: "tokeninfo/500",
        check: "expected_status",
    },
    Expect {
        fault: "rate-limit-missing-headers",
        filter: "tokeninfo/",
        seed: "1",
        failing: &["tokeninfo/429"],
        maybe: &[],
        case: "tokeninfo/429",
        check: "content_type",
    },
    Expect {
        fault: "error-for-success",
        filter: "dbconnections_change_password/",
        seed: "1",
        failing: &["dbconnections_change_password/200"],
        maybe: &["dbconnections_change_password/429"],
        case: "dbconnections_change_password/200",
        check: "content_type",
    },
];

/// One trial per fault and one per clean filter, run by libtest-mimic (the runner `cargo test`
/// and cargo-nextest both drive), so each fault passes or fails under its own name.
fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let mut trials = vec![libtest_mimic::Trial::test(
        "every_fault_has_an_expectation",
        || {
            let listed: BTreeSet<&str> = faults().iter().map(|f| f.name).collect();
            let tested: BTreeSet<&str> = EXPECTED.iter().map(|e| e.fault).collect();
            if listed != tested {
                return Err(
                    format!("faults and expectations differ: {listed:?} vs {tested:?}").into(),
                );
            }
            if listed.len() < 20 {
                return Err(format!("only {} faults", listed.len()).into());
            }
            Ok(())
        },
    )];
    for expect in EXPECTED {
        trials.push(libtest_mimic::Trial::test(
            format!("fault::{}", expect.fault),
            move || detect(expect).map_err(Into::into),
        ));
    }
    let runs: BTreeSet<(&str, &str)> = EXPECTED.iter().map(|e| (e.filter, e.seed)).collect();
    for (filter, seed) in runs {
        trials.push(libtest_mimic::Trial::test(
            format!("clean::{}seed{seed}", filter.replace('/', "::")),
            move || clean(filter, seed).map_err(Into::into),
        ));
    }
    libtest_mimic::run(&args, trials).exit();
}

/// The same filter at the same seed passes against the clean server.
fn clean(filter: &str, seed: &str) -> Result<(), String> {
    let server = common::server(&[]);
    let run = run(&server.base_url, filter, seed, "clean");
    let failed = failing(&run);
    if run.code != 0 || !failed.is_empty() {
        return Err(format!(
            "{filter} at seed {seed}: exit {}, failed {failed:?}\n{}",
            run.code, run.stdout
        ));
    }
    Ok(())
}

fn run(base_url: &str, filter: &str, seed: &str, name: &str) -> common::Run {
    common::conform(
        &format!("fault-{name}-{}", filter.trim_end_matches('/')),
        &[
            "run",
            "--suite",
            "suites/reference.toml",
            "--base-url",
            base_url,
            "--seed",
            seed,
            filter,
        ],
    )
}

fn failing(run: &common::Run) -> BTreeSet<String> {
    run.json()["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["outcome"] == "failed")
        .filter_map(|c| c["id"].as_str().map(String::from))
        .collect()
}

fn detect(expect: &Expect) -> Result<(), String> {
    let name = expect.fault;
    let fault: Fault = name.parse().map_err(|e| format!("{e}"))?;
    let server = common::server(&[fault]);
    let run = run(&server.base_url, expect.filter, expect.seed, name);
    if run.code != 1 {
        return Err(format!(
            "{name}: exit {} instead of 1\n{}\n{}",
            run.code, run.stdout, run.stderr
        ));
    }
    let failed = failing(&run);
    let wanted: BTreeSet<String> = expect.failing.iter().map(|s| s.to_string()).collect();
    let allowed = |id: &String| wanted.contains(id) || expect.maybe.contains(&id.as_str());
    if !failed.is_superset(&wanted) || !failed.iter().all(allowed) {
        return Err(format!(
            "{name}: failed {failed:?}, expected {wanted:?} (and perhaps {:?})\n{}",
            expect.maybe, run.stdout
        ));
    }
    let json = run.json();
    let case = json["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["id"] == expect.case)
        .ok_or_else(|| format!("{name}: no case {} in the report", expect.case))?;
    let checks: Vec<&str> = case["violations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["check"].as_str())
        .collect();
    if !checks.contains(&expect.check) {
        return Err(format!(
            "{name}: {} failed by {checks:?}, not {}",
            expect.case, expect.check
        ));
    }
    if !run.stdout.contains(&format!("---- {} ----", expect.case)) {
        return Err(format!("{name}: the console does not name {}", expect.case));
    }
    Ok(())
}
