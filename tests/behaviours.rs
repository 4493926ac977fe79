//! Behaviours users rely on, each through the binary and real HTTP: live mode for a remote
//! target, suite `xfail`/`skip`/`expect_status`, `--max-requests`, `--examples`, the printed
//! rerun line, unknown suite keys, `lint --suite`, count partitions, reports that stay clean
//! whatever a server sends, and hostile numbers that are errors, never a crash.

mod common;

use std::collections::BTreeSet;

use conform::reference_server::Fault;
use serde_json::Value;

fn cases(run: &common::Run) -> Vec<Value> {
    run.json()["cases"].as_array().cloned().unwrap_or_default()
}

fn case(run: &common::Run, id: &str) -> Value {
    cases(run)
        .into_iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no case {id}\n{}", run.stdout))
}

/// The reference suite with `extra` TOML appended, written to a fresh file.
fn suite_with(name: &str, extra: &str) -> String {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/suites/reference.toml"
    ))
    .unwrap();
    let dir = common::report_dir(&format!("{name}-suite"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("suite.toml");
    std::fs::write(&path, format!("{text}\n{extra}\n")).unwrap();
    path.to_string_lossy().to_string()
}

/// The binary with `args` only (commands without `--report-dir`): exit code and stdout.
fn plain(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("run conform");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run_suite(name: &str, suite: &str, base_url: &str, extra: &[&str]) -> common::Run {
    let mut args = vec![
        "run",
        "--suite",
        suite,
        "--base-url",
        base_url,
        "--seed",
        "5",
    ];
    args.extend_from_slice(extra);
    common::conform(name, &args)
}

#[test]
fn a_remote_target_is_live_and_a_dry_run_sends_nothing() {
    let run = common::conform(
        "behaviour-live-dry-run",
        &["run", "--base-url", "https://tenant.example", "--dry-run"],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("nothing was sent"), "{}", run.stdout);
    assert!(run.stdout.to_lowercase().contains("live"), "{}", run.stdout);
    assert!(!run.report_dir.join("conform.json").exists());
}

#[test]
fn suite_marks_xfail_skip_and_expect_status_mean_what_they_say() {
    let server = common::server(&[Fault::NestedWrongType]);
    let clean = common::server(&[]);
    let suite = suite_with(
        "behaviour-marks",
        r#"
[cases."userinfo/200"]
xfail = "address.country is a number on this server"

[cases."samlp_metadata/200"]
skip = "not today"

[cases."samlp_login/200"]
expect_status = 400
reason = "this tenant refuses every SAML login"
headers = {}
"#,
    );
    let faulty = run_suite(
        "behaviour-marks-faulty",
        &suite,
        &server.base_url,
        &["userinfo/200"],
    );
    let userinfo = case(&faulty, "userinfo/200");
    assert_eq!(userinfo["outcome"], "passed", "{userinfo}");
    assert!(
        userinfo["note"]
            .as_str()
            .unwrap_or_default()
            .starts_with("expected failure"),
        "{userinfo}"
    );
    let fixed = run_suite("behaviour-marks-clean", &suite, &clean.base_url, &[]);
    let userinfo = case(&fixed, "userinfo/200");
    assert_eq!(userinfo["outcome"], "failed", "{userinfo}");
    assert_eq!(userinfo["violations"][0]["check"], "xfail", "{userinfo}");
    let skipped = case(&fixed, "samlp_metadata/200");
    assert_eq!(skipped["outcome"], "ignored");
    assert!(skipped["reason"].as_str().unwrap().contains("not today"));
    // Expecting 400 where the server answers 200: strict, so the case fails naming both.
    let expected = case(&fixed, "samlp_login/200");
    assert_eq!(
        expected["note"].as_str().map(|n| n.contains("expects 400")),
        Some(true),
        "{expected}"
    );
    assert_ne!(expected["outcome"], "passed", "{expected}");
}

#[test]
fn max_requests_and_examples_bound_what_is_sent() {
    let server = common::server(&[]);
    let run = common::conform(
        "behaviour-max-requests",
        &[
            "run",
            "--base-url",
            &server.base_url,
            "--max-requests",
            "5",
            "--seed",
            "2",
        ],
    );
    let log = common::request_log(&server.base_url);
    assert!(log.len() <= 5, "{} requests", log.len());
    assert_eq!(run.code, 5, "harness errors, not failures\n{}", run.stdout);
    assert!(cases(&run).iter().any(|c| {
        c["outcome"] == "error"
            && c["message"]
                .as_str()
                .unwrap_or_default()
                .contains("--max-requests")
    }));

    let three = common::conform(
        "behaviour-examples",
        &[
            "run",
            "--suite",
            "suites/reference.toml",
            "--base-url",
            &server.base_url,
            "--examples",
            "3",
            "--exact",
            "samlp_metadata/200",
        ],
    );
    let case = case(&three, "samlp_metadata/200");
    assert_eq!(case["outcome"], "passed", "{case}");
    assert_eq!(case["sent"].as_array().map(Vec::len), Some(3), "{case}");
    assert_eq!(case["requests"], 3, "{case}");
}

#[test]
fn the_printed_rerun_line_reproduces_the_failure() {
    let server = common::server(&[Fault::MissingAllowHeader]);
    let run = common::conform(
        "behaviour-rerun",
        &[
            "run",
            "--suite",
            "suites/reference.toml",
            "--base-url",
            &server.base_url,
            "logout/",
        ],
    );
    let failing = cases(&run)
        .into_iter()
        .find(|c| c["outcome"] == "failed")
        .unwrap_or_else(|| panic!("nothing failed\n{}", run.stdout));
    let rerun = failing["rerun"].as_str().unwrap().to_string();
    assert!(
        run.stdout.contains(&format!("rerun: {rerun}")),
        "{}",
        run.stdout
    );
    let words = shell_words(&rerun);
    assert_eq!(words[0], "conform");
    let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
    let again = common::conform("behaviour-rerun-again", &args);
    let cases_again = cases(&again);
    let ran: Vec<&Value> = cases_again
        .iter()
        .filter(|c| c["outcome"] != "filtered-out")
        .collect();
    assert_eq!(ran.len(), 1, "{}", again.stdout);
    assert_eq!(ran[0]["id"], failing["id"]);
    assert_eq!(ran[0]["outcome"], "failed");
    assert_eq!(
        ran[0]["violations"][0]["check"],
        failing["violations"][0]["check"]
    );
}

/// Words of a POSIX shell line that quotes with single quotes only (as conform prints).
fn shell_words(line: &str) -> Vec<String> {
    let (mut words, mut word, mut quoted, mut any) = (Vec::new(), String::new(), false, false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            '\\' if !quoted => {
                if let Some(next) = chars.next() {
                    word.push(next);
                }
            }
            ' ' if !quoted => {
                if any || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                any = false;
            }
            c => word.push(c),
        }
    }
    if any || !word.is_empty() {
        words.push(word);
    }
    words
}

#[test]
fn a_run_that_tests_nothing_exits_4_and_keeps_the_last_reports() {
    let server = common::server(&[]);
    let dir = common::report_dir("behaviour-nothing-ran");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("junit.xml"), "previous").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "run",
            "--base-url",
            &server.base_url,
            "no-case-has-this-name",
        ])
        .arg("--report-dir")
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let stderr =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no case ran"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.join("junit.xml")).unwrap(),
        "previous"
    );
}

#[test]
fn json_format_prints_only_json_on_stdout() {
    let server = common::server(&[]);
    let run = common::conform(
        "behaviour-json-stdout",
        &[
            "run",
            "--base-url",
            &server.base_url,
            "--format",
            "json",
            "userinfo",
        ],
    );
    assert!(!run.stdout.trim().is_empty());
    for line in run.stdout.lines() {
        serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    }
    assert!(
        run.stderr.contains("conform "),
        "the banner goes to stderr: {}",
        run.stderr
    );
    // What a CI script does with it: `conform run --format json | python3 -m json.tool
    // --json-lines` (Python's own reader, not ours).
    let mut python = std::process::Command::new("python3")
        .args(["-m", "json.tool", "--json-lines"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 (the CI image has it)");
    use std::io::Write as _;
    python
        .stdin
        .take()
        .expect("stdin")
        .write_all(run.stdout.as_bytes())
        .expect("pipe");
    let out = python.wait_with_output().expect("python3 ran");
    assert!(
        out.status.success(),
        "json.tool refused the stream: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_base_url_without_a_scheme_is_a_usage_error_in_one_line() {
    for url in ["localhost:8789", "127.0.0.1:8787", "ftp://127.0.0.1:21"] {
        let (code, stdout, stderr) = plain(&["run", "--base-url", url]);
        assert_eq!(code, 2, "{url}: {stderr}");
        assert!(stdout.is_empty(), "{url}: nothing ran: {stdout}");
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{url}: {stderr}");
        assert!(
            lines[0].contains(url) && lines[0].contains("the scheme must be http or https"),
            "{url}: {stderr}"
        );
    }
}

#[test]
fn an_unknown_suite_key_names_the_key_and_line() {
    let dir = common::report_dir("behaviour-typo-suite");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("typo.toml");
    std::fs::write(&path, "[suite]\nname = \"x\"\nexampels = 3\n").unwrap();
    let run = common::conform(
        "behaviour-typo",
        &["run", "--suite", &path.to_string_lossy(), "--dry-run"],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("exampels"), "{}", run.stderr);
    assert!(run.stderr.contains(":3"), "the line: {}", run.stderr);
}

#[test]
fn lint_applies_the_suites_patches() {
    let (code, stdout, stderr) = plain(&["lint", "--suite", "suites/reference.toml"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(" warning"), "{stdout}");
    let (code, without, stderr) = plain(&["lint"]);
    assert_eq!(code, 0, "{stderr}");
    // The suite's patches change the document lint reads, and lint says so.
    let patched = stdout
        .lines()
        .filter(|l| l.starts_with("patched: "))
        .count();
    assert_eq!(patched > 0, stdout != without, "{stdout}\n---\n{without}");
}

#[test]
fn count_partitions_together_run_every_case_once() {
    let _turn = common::FULL_RUN.lock().unwrap_or_else(|e| e.into_inner());
    let server = common::server(&[]);
    let mut seen = BTreeSet::new();
    let mut total = 0;
    for k in 1..=2 {
        let shard = format!("count:{k}/2");
        let run = common::conform(
            &format!("behaviour-partition-{k}"),
            &[
                "run",
                "--suite",
                "suites/reference.toml",
                "--base-url",
                &server.base_url,
                "--partition",
                &shard,
                "--examples",
                "1",
                "--skip",
                "/429",
            ],
        );
        let ran: Vec<String> = cases(&run)
            .iter()
            .filter(|c| c["outcome"] != "filtered-out" && c["kind"] == "case")
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect();
        total += ran.len();
        seen.extend(ran);
    }
    assert_eq!(seen.len(), total, "a case ran in both shards");
    let (_, listed, _) = plain(&["list", "--format", "json"]);
    let all: Vec<Value> = serde_json::from_str(&listed).unwrap();
    let without_429 = all.iter().filter(|c| c["status"] != "429").count();
    assert_eq!(total, without_429);
}

#[test]
fn whatever_a_server_sends_reports_stay_clean() {
    let body = "<script>alert(1)</script>\u{1b}[31mred\u{1b}[0m\u{0}nul ]]> end";
    let server = common::fixture::serve(move |_| {
        common::fixture::answer(418, &[("content-type", "text/html")], body.as_bytes())
    });
    let run = common::conform(
        "behaviour-clean-reports",
        &[
            "run",
            "--base-url",
            &server.base_url,
            "--examples",
            "1",
            "userinfo",
        ],
    );
    assert_eq!(run.code, 1, "an undocumented 418 fails\n{}", run.stdout);
    let junit = run.junit();
    junit_parser::from_reader(std::io::Cursor::new(junit.as_bytes())).expect("valid JUnit");
    let html = std::fs::read_to_string(run.report_dir.join("conform.html")).unwrap();
    assert!(!html.contains("<script>"), "unescaped markup in HTML");
    for (name, text) in [("stdout", &run.stdout), ("junit", &junit), ("html", &html)] {
        assert!(!text.contains('\u{1b}'), "raw ESC in {name}");
        assert!(!text.contains('\u{0}'), "raw NUL in {name}");
    }
}

#[test]
fn hostile_numbers_are_errors_or_bounded_waits_never_a_crash() {
    for value in ["1e999", "inf", "-1", "nan"] {
        let server = common::fixture::serve(move |_| {
            common::fixture::answer(
                429,
                &[("retry-after", value), ("content-type", "application/json")],
                b"{}",
            )
        });
        let started = std::time::Instant::now();
        let run = common::conform(
            &format!("behaviour-retry-after-{value}"),
            &[
                "run",
                "--base-url",
                &server.base_url,
                "--exact",
                "userinfo/200",
                "--examples",
                "1",
            ],
        );
        assert_ne!(run.code, 101, "{value}: {}", run.stderr);
        assert!(started.elapsed().as_secs() < 30, "{value}: waited too long");
        let case = case(&run, "userinfo/200");
        assert_eq!(case["outcome"], "unreached", "{value}: {case}");
    }
    let timeout = common::conform(
        "behaviour-timeout-inf",
        &["run", "--timeout", "inf", "--dry-run"],
    );
    assert_eq!(timeout.code, 2, "{}", timeout.stderr);
    assert!(timeout.stderr.contains("--timeout"), "{}", timeout.stderr);
    let dir = common::report_dir("behaviour-hostile-suite");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in [
        ("rate", "[suite]\nrate = 1e-320\n"),
        ("max-response-time", "[suite]\nmax_response_time = -1\n"),
    ] {
        let path = dir.join(format!("{name}.toml"));
        std::fs::write(&path, text).unwrap();
        let run = common::conform(
            &format!("behaviour-suite-{name}"),
            &[
                "run",
                "--suite",
                &path.to_string_lossy(),
                "--base-url",
                "http://127.0.0.1:9",
                "--dry-run",
            ],
        );
        assert_eq!(run.code, 3, "{name}: {}", run.stderr);
    }
}
