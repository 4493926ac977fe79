//! The JUnit file of a real run, read back by a real JUnit parser: one `<testcase>` per selected
//! case, contract violations as `<failure>`, harness errors as `<error>`, ignored cases as
//! `<skipped>` with their reason, and the seed and document as properties. The detail of the
//! failure body, `file`/`line` and the XSD are tested in `tests/reports.rs`.

mod common;

use conform::reference_server::Fault;
use junit_parser::TestStatus;

#[test]
fn junit_splits_failures_errors_and_skips() {
    // 405 answers without Allow are contract failures; /userinfo answering after 3 s with a
    // 1 s timeout is a harness error.
    let _turn = common::FULL_RUN.lock().unwrap_or_else(|e| e.into_inner());
    let server = common::server(&[Fault::MissingAllowHeader, Fault::SlowResponse]);
    let run = common::conform(
        "junit",
        &[
            "run",
            "--base-url",
            &server.base_url,
            "--seed",
            "42",
            "--timeout",
            "1",
        ],
    );
    assert_eq!(
        run.code, 1,
        "some case failed\n{}\n{}",
        run.stdout, run.stderr
    );

    let json = run.json();
    let cases = json["cases"].as_array().expect("cases");
    let xml = run.junit();
    let reader = std::io::BufReader::new(xml.as_bytes());
    let suites = junit_parser::from_reader(reader).expect("junit.xml parses");
    let all: Vec<_> = suites.suites.iter().flat_map(|s| s.cases.iter()).collect();
    assert_eq!(all.len(), cases.len(), "one testcase per case");
    assert_eq!(all.len(), 280);

    let count = |f: fn(&TestStatus) -> bool| all.iter().filter(|c| f(&c.status)).count();
    let failures = count(|s| matches!(s, TestStatus::Failure(_)));
    let errors = count(|s| matches!(s, TestStatus::Error(_)));
    let skipped = count(|s| matches!(s, TestStatus::Skipped(_)));
    let by_outcome = |o: &str| cases.iter().filter(|c| c["outcome"] == o).count();
    assert_eq!(failures, by_outcome("failed"));
    assert_eq!(errors, by_outcome("error"));
    // Skipped in JUnit: everything that neither passed, failed nor errored.
    assert_eq!(
        skipped,
        by_outcome("ignored")
            + by_outcome("unreached")
            + by_outcome("blocked")
            + by_outcome("known-failure")
    );
    assert!(
        failures >= 27,
        "every 405 but /userinfo's fails: {failures}"
    );
    assert!(errors >= 1, "/userinfo timed out: {errors}");
    assert!(skipped >= 1);

    let userinfo_405 = all
        .iter()
        .find(|c| {
            c.classname.as_deref() == Some("userinfo")
                && c.original_name.starts_with("userinfo/405 ")
        })
        .expect("userinfo 405 case");
    match &userinfo_405.status {
        TestStatus::Error(e) => assert!(e.message.contains("timed out"), "{}", e.message),
        other => panic!("userinfo 405 should be an error, got {other:?}"),
    }
    let logout_405 = all
        .iter()
        .find(|c| {
            c.classname.as_deref() == Some("logout") && c.original_name.starts_with("logout/405 ")
        })
        .expect("logout 405 case");
    match &logout_405.status {
        TestStatus::Failure(f) => {
            assert_eq!(f.failure_type, "allow");
            assert!(f.message.contains("Allow"), "{}", f.message);
        }
        other => panic!("logout 405 should fail, got {other:?}"),
    }
    for case in all
        .iter()
        .filter(|c| matches!(c.status, TestStatus::Skipped(_)))
    {
        let TestStatus::Skipped(s) = &case.status else {
            unreachable!()
        };
        assert!(
            !s.message.is_empty(),
            "{} skipped without a reason",
            case.name
        );
    }
    for suite in &suites.suites {
        assert_eq!(
            suite.properties.hashmap.get("seed").map(String::as_str),
            Some("42")
        );
        assert!(suite.properties.hashmap["spec"].ends_with("auth0-authentication.yaml"));
    }
}

#[test]
fn filtered_cases_are_left_out_and_an_empty_selection_exits_4() {
    let run = common::conform(
        "junit-filter",
        &["run", "--seed", "1", "--exact", "authorize/405"],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let xml = run.junit();
    let reader = std::io::BufReader::new(xml.as_bytes());
    let suites = junit_parser::from_reader(reader).expect("junit.xml parses");
    let names: Vec<&str> = suites
        .suites
        .iter()
        .flat_map(|s| s.cases.iter().map(|c| c.original_name.as_str()))
        .collect();
    // The case id first: what `--exact` takes.
    assert_eq!(names, ["authorize/405 (GET /authorize → 405)"]);

    let none = common::conform("junit-none", &["run", "--seed", "1", "no-such-case"]);
    assert_eq!(none.code, 4, "{}\n{}", none.stdout, none.stderr);
}

#[test]
fn partitions_split_the_cases_between_ci_machines() {
    let _turn = common::FULL_RUN.lock().unwrap_or_else(|e| e.into_inner());
    let mut seen = std::collections::BTreeSet::new();
    let mut total = 0;
    let mut protocol = 0;
    for shard in 1..=3 {
        let run = common::conform(
            &format!("shard-{shard}"),
            &[
                "run",
                "--seed",
                "9",
                "--partition",
                &format!("hash:{shard}/3"),
                "-q",
            ],
        );
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
        let xml = run.junit();
        let suites = junit_parser::from_reader(std::io::BufReader::new(xml.as_bytes()))
            .expect("junit.xml parses");
        for suite in &suites.suites {
            // Protocol checks run once, in the first shard.
            if suite.name == "protocol" {
                assert_eq!(shard, 1, "protocol checks in shard {shard}");
                protocol += suite.cases.len();
                continue;
            }
            for case in &suite.cases {
                total += 1;
                seen.insert(case.name.clone());
            }
        }
        assert_eq!(
            run.json()["totals"]["filtered_out"]
                .as_u64()
                .map(|n| n > 150),
            Some(true)
        );
    }
    assert_eq!(total, 280, "every case in exactly one shard");
    assert!(protocol >= 2, "the protocol checks ran once: {protocol}");
    assert_eq!(seen.len(), 280);
    let bad = common::conform("shard-bad", &["run", "--partition", "count:4/3"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("K must be between 1 and N"),
        "{}",
        bad.stderr
    );
}

#[test]
fn the_html_report_escapes_everything() {
    // A hostile document and an unreachable target: names and error messages carry markup.
    let run = common::conform(
        "html-injection",
        &[
            "run",
            "--spec",
            "tests/fixtures/injection.yaml",
            "--base-url",
            "http://127.0.0.1:1",
            "--timeout",
            "1",
        ],
    );
    assert_eq!(
        run.code, 5,
        "only harness errors\n{}\n{}",
        run.stdout, run.stderr
    );
    let html = std::fs::read_to_string(run.report_dir.join("conform.html")).expect("conform.html");
    assert!(
        !html.contains("<script>") && !html.contains("<img"),
        "{html}"
    );
    assert!(
        html.contains("&lt;script&gt;alert(2)&lt;/script&gt;"),
        "{html}"
    );
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{html}"
    );
    assert!(
        html.contains("class=\"cell error\""),
        "the unreachable target is an error: {html}"
    );
    let xml = run.junit();
    let suites = junit_parser::from_reader(std::io::BufReader::new(xml.as_bytes()))
        .expect("junit.xml parses");
    let case = &suites.suites[0].cases[0];
    assert!(
        matches!(case.status, junit_parser::TestStatus::Error(_)),
        "{:?}",
        case.status
    );
}
