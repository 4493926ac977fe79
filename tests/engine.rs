//! End to end through the binary and the embedded reference server: the default run is green and
//! runs (almost) the whole matrix; seeds reproduce requests; secrets never reach any output.

mod common;

use std::collections::BTreeMap;

use conform::reference_server::Fault;
use serde_json::Value;

fn full_run(name: &str, args: &[&str]) -> common::Run {
    let _turn = common::FULL_RUN.lock().unwrap_or_else(|e| e.into_inner());
    common::conform(name, args)
}

fn cases(run: &common::Run) -> Vec<Value> {
    run.json()["cases"].as_array().cloned().unwrap_or_default()
}

#[test]
fn the_default_run_passes_every_one_of_280_cases() {
    let run = full_run("default-run", &["run", "--seed", "7"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let results = cases(&run);
    let not_passed: Vec<String> = results
        .iter()
        .filter(|c| c["outcome"] != "passed")
        .map(|c| format!("{} {}", c["id"], c["outcome"]))
        .collect();
    assert!(not_passed.is_empty(), "{not_passed:?}");
    let cases: Vec<&Value> = results.iter().filter(|c| c["kind"] == "case").collect();
    assert_eq!(cases.len(), 280);
    // The reference suite runs its protocol checks too, each a test of its own.
    let protocol = results.iter().filter(|c| c["kind"] == "protocol").count();
    assert!(protocol >= 2, "protocol checks: {protocol}");
    assert_eq!(results.len(), 280 + protocol);
    // The summary tells Auth0's behaviour from the reference server's conventions.
    let conventions = cases.iter().filter(|c| c["convention"].is_string()).count();
    assert!(conventions > 0);
    assert!(
        run.stdout.contains(&format!(
            "passes: Auth0 behaviour {}, reference conventions {conventions}",
            results.len() - conventions
        )),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("reached: 280 of 280"), "{}", run.stdout);
    assert!(run.stdout.contains("test result: ok. "), "{}", run.stdout);
    assert!(run.stdout.contains("seed 7"), "the seed is printed");
}

/// Requests of generated cases, by case id (protocol checks send what the server's answers
/// hold, such as a device's user code, so they are not the seed's alone).
fn generated_requests(run: &common::Run) -> BTreeMap<String, Vec<String>> {
    cases(run)
        .iter()
        .filter(|c| c["kind"] == "case")
        .filter(|c| c["recipe"] == "success" || c["recipe"] == "invalid-input")
        .map(|c| {
            let sent = c["sent"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| s.as_str().unwrap_or_default().to_string());
            (
                c["id"].as_str().unwrap_or_default().to_string(),
                sent.collect(),
            )
        })
        .collect()
}

#[test]
fn the_same_seed_sends_the_same_requests() {
    let first = full_run("seed-a", &["run", "--seed", "11"]);
    let second = full_run("seed-b", &["run", "--seed", "11"]);
    let other = full_run("seed-c", &["run", "--seed", "12"]);
    for run in [&first, &second, &other] {
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    }
    let (a, b, c) = (
        generated_requests(&first),
        generated_requests(&second),
        generated_requests(&other),
    );
    assert!(
        a.values().map(Vec::len).sum::<usize>() > 200,
        "few generated requests"
    );
    assert_eq!(a, b, "seed 11 twice");
    assert_ne!(a, c, "seeds 11 and 12 send the same requests");
}

/// The seeded tenant's secrets, as the reference suite names them.
const SECRETS: &[&str] = &[
    "conform-web-app-secret",
    "conform-m2m-secret",
    "Alice-Passw0rd!",
    "Bob-Passw0rd!",
    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
    "conform-google-access-token",
];

#[test]
fn secrets_never_reach_the_console_or_any_report() {
    // Failures print requests, curl lines and bodies: make /oauth/token and /userinfo fail.
    let server = common::server(&[Fault::WrongSuccessStatus, Fault::WrongContentType]);
    let run = full_run(
        "secrets",
        &[
            "run",
            "--suite",
            "suites/reference.toml",
            "--base-url",
            &server.base_url,
            "--seed",
            "5",
        ],
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let all = run.all_output();
    assert!(all.contains("reproduce: curl"), "failures show curl lines");
    assert!(
        all.contains("client_secret=●●●●"),
        "client secrets are masked, not dropped"
    );
    for secret in SECRETS {
        assert!(!all.contains(secret), "{secret} leaked");
        let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        assert!(!all.contains(&encoded), "{encoded} leaked");
    }
    // Tokens the server issued (JWTs) and refresh tokens never show either.
    assert!(!all.contains("eyJ"), "a JWT leaked");
    for line in all.lines().filter(|l| l.contains("refresh_token")) {
        assert!(
            !line.contains("refresh_token\":\"r") && !line.contains("refresh_token=r"),
            "{line}"
        );
    }
}

#[test]
#[ignore = "slow: 50 full runs; `cargo test --release --test engine -- --ignored`"]
fn fifty_seeds_against_the_clean_reference_server() {
    let mut failures = Vec::new();
    for seed in 1000..1050 {
        let run = full_run(
            &format!("seeds-{seed}"),
            &["run", "--seed", &seed.to_string(), "-q"],
        );
        if run.code != 0 {
            failures.push(format!("seed {seed}: exit {}\n{}", run.code, run.stdout));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_generic_401_leaves_out_the_credentials_the_suite_names() {
    let server = common::server(&[]);
    let run = full_run(
        "credentials",
        &[
            "run",
            "--suite",
            "tests/fixtures/suites/credentials.toml",
            "--base-url",
            &server.base_url,
            "--seed",
            "1",
            "userinfo/",
        ],
    );
    let cases = cases(&run);
    let by_id = |id: &str| {
        cases
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(by_id("userinfo/200")["outcome"], "passed", "{}", run.stdout);
    let unauthenticated = by_id("userinfo/401");
    assert_eq!(unauthenticated["outcome"], "passed", "{}", run.stdout);
    let sent = unauthenticated["sent"].as_array().expect("sent").clone();
    assert_eq!(sent.len(), 1);
    assert!(
        !sent[0]
            .as_str()
            .unwrap_or_default()
            .contains("access_token"),
        "{sent:?}"
    );
}

#[test]
fn a_baseline_keeps_known_failures_from_failing_the_run_but_not_new_ones() {
    let baseline = common::report_dir("baseline-file").with_extension("json");
    let _ = std::fs::remove_file(&baseline);
    let baseline_arg = baseline.to_string_lossy().to_string();
    let faulty = common::server(&[Fault::MissingAllowHeader]);
    let args = |url: &str, extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "run",
            "--suite",
            "suites/reference.toml",
            "--base-url",
            url,
            "--seed",
            "3",
            "logout",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let run_with = |name: &str, a: Vec<String>| {
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        full_run(name, &refs)
    };
    // Today's failures become the baseline.
    let first = run_with(
        "baseline-save",
        args(&faulty.base_url, &["--save-baseline", &baseline_arg]),
    );
    assert_eq!(first.code, 1, "{}", first.stdout);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    let known = saved["known_failures"]
        .as_object()
        .expect("known_failures")
        .clone();
    assert!(
        known.contains_key("logout/405") && known.contains_key("oidc_logout/405"),
        "{known:?}"
    );

    // The same failures again: the run passes, and says why.
    let again = run_with(
        "baseline-again",
        args(&faulty.base_url, &["--baseline", &baseline_arg]),
    );
    assert_eq!(again.code, 0, "{}", again.stdout);
    assert!(
        again.stdout.contains(&format!(
            "baseline: {} known failures, 0 new failures",
            known.len()
        )),
        "{}",
        again.stdout
    );

    // A new failure still fails the run.
    let other = common::server(&[Fault::NotFoundFor405, Fault::RedirectWithoutLocation]);
    let worse = run_with(
        "baseline-worse",
        args(
            &other.base_url,
            &["--baseline", &baseline_arg, "--include-ignored"],
        ),
    );
    assert_eq!(worse.code, 1, "{}", worse.stdout);

    // Fixed cases are named so the baseline stays true.
    let clean = common::server(&[]);
    let fixed = run_with(
        "baseline-fixed",
        args(&clean.base_url, &["--baseline", &baseline_arg]),
    );
    assert_eq!(fixed.code, 0, "{}", fixed.stdout);
    assert!(
        fixed.stdout.contains("cases in the baseline pass now"),
        "{}",
        fixed.stdout
    );

    // conform never overwrites a file it did not write.
    let foreign = common::report_dir("baseline-foreign").with_extension("json");
    std::fs::write(&foreign, "my notes").unwrap();
    let refused = run_with(
        "baseline-refused",
        args(
            &faulty.base_url,
            &["--save-baseline", &foreign.to_string_lossy()],
        ),
    );
    assert_eq!(refused.code, 3, "{}", refused.stderr);
    assert_eq!(std::fs::read_to_string(&foreign).unwrap(), "my notes");
}
