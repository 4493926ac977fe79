//! The reports of a run with failures, as their readers see them: JUnit validated against the
//! Jenkins xUnit XSD and read the way GitHub's reporters read it (`<failure>` text only), the
//! HAR read as HAR 1.2 with no secret in it, the Markdown summary, the HTML rendered in headless
//! Chromium (one matrix cell per planned case, no wider than the window, the first failure group
//! above the fold), and three shards merged into the report of one run.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use conform::reference_server::Fault;
use regex::Regex;
use serde_json::Value;

/// Failures of several checks (allow, body_schema, content_type, server_error), unreached 5xx
/// cases (simulation ignored), passes: every report has something to show.
const FAULTS: &[Fault] = &[
    Fault::MissingAllowHeader,
    Fault::WrongContentType,
    Fault::NestedWrongType,
    Fault::LongStringCrash,
    Fault::ErrorFieldWrongType,
    Fault::SimulationIgnored,
];

/// One run against the faulty server, shared by the tests that only read its reports. The 429
/// bursts are skipped: they take most of a run's time and add nothing a report shows.
fn fault_run() -> &'static common::Run {
    static RUN: OnceLock<common::Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let _turn = common::FULL_RUN.lock().unwrap_or_else(|e| e.into_inner());
        let server = common::server(FAULTS);
        let run = common::conform(
            "reports-faults",
            &[
                "run",
                "--suite",
                "suites/reference.toml",
                "--base-url",
                &server.base_url,
                "--seed",
                "11",
                "--skip",
                "/429",
            ],
        );
        assert_eq!(
            run.code, 1,
            "the faults fail cases\n{}\n{}",
            run.stdout, run.stderr
        );
        run
    })
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A tool the test needs from Debian (`.ci/run` installs it): in CI its absence fails the test;
/// elsewhere the test says so and stops.
fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} is not installed (CI installs it in .ci/run)"
        );
        eprintln!("skipped: {name} is not installed");
    }
    found
}

fn cases(json: &Value) -> &Vec<Value> {
    json["cases"].as_array().expect("cases")
}

#[test]
fn junit_failures_carry_their_detail_and_validate_against_the_xsd() {
    let run = fault_run();
    let json = run.json();
    let xml = run.junit();
    let by_id: BTreeMap<&str, &Value> = cases(&json)
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c))
        .collect();

    // Read as GitHub's JUnit reporters do: name, type, message and the <failure> text only.
    let suites = junit_parser::from_reader(std::io::BufReader::new(xml.as_bytes()))
        .expect("junit.xml parses");
    let mut failures = 0;
    for case in suites.suites.iter().flat_map(|s| s.cases.iter()) {
        let id = case.original_name.split(" ").next().unwrap();
        let result = by_id
            .get(id)
            .unwrap_or_else(|| panic!("{} does not start with a case id", case.original_name));
        if let junit_parser::TestStatus::Failure(f) = &case.status {
            failures += 1;
            let checks: Vec<&str> = result["violations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["check"].as_str().unwrap())
                .collect();
            assert_eq!(f.failure_type, checks[0], "{id}: type is the first check");
            for check in &checks {
                assert!(
                    f.text.contains(&format!("[{check}]")),
                    "{id}: {check} missing:\n{}",
                    f.text
                );
            }
            for line in [
                "request: ",
                "response: ",
                "reproduce: curl ",
                "rerun: conform run ",
            ] {
                assert!(
                    f.text.contains(line),
                    "{id}: no `{line}` in the failure text:\n{}",
                    f.text
                );
            }
            assert!(f.text.contains(&format!("--exact '{id}'")), "{}", f.text);
        }
    }
    let failed = by_id.values().filter(|c| c["outcome"] == "failed").count();
    assert_eq!(failures, failed);
    assert!(failed >= 28, "every 405 fails at least: {failed}");

    // Totals on <testsuites>, skipped per suite, timestamps to the second.
    let root = Regex::new(
        r#"<testsuites name="[^"]*" tests="(\d+)" failures="(\d+)" errors="(\d+)" time="[0-9.]+">"#,
    )
    .unwrap();
    let totals = root.captures(&xml).expect("totals on <testsuites>");
    let selected = by_id
        .values()
        .filter(|c| c["outcome"] != "filtered-out")
        .count();
    assert_eq!(totals[1].parse::<usize>().unwrap(), selected);
    assert_eq!(
        totals[2].parse::<u64>().unwrap(),
        json["totals"]["failed"].as_u64().unwrap()
    );
    assert_eq!(
        totals[3].parse::<u64>().unwrap(),
        json["totals"]["errors"].as_u64().unwrap()
    );
    let suite_re = Regex::new(r#"<testsuite name="([^"]*)" tests="\d+" failures="\d+" errors="\d+" skipped="(\d+)" time="[0-9.]+" timestamp="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ""#).unwrap();
    let skipped: usize = suite_re
        .captures_iter(&xml)
        .map(|c| c[2].parse::<usize>().unwrap())
        .sum();
    assert_eq!(
        suite_re.captures_iter(&xml).count(),
        28 + 1,
        "one suite per operation, and one for the protocol checks"
    );
    let not_run = by_id
        .values()
        .filter(|c| {
            !["passed", "failed", "error", "filtered-out"].contains(&c["outcome"].as_str().unwrap())
        })
        .count();
    assert_eq!(skipped, not_run);
    // The simulation is ignored, and the reference suite is strict: the 5xx cases fail, as
    // unreached statuses the suite asserts or by what the other faults break in their answers.
    let server_errors: Vec<&&Value> = by_id
        .values()
        .filter(|c| c["status"].as_str().is_some_and(|s| s.starts_with('5')))
        .collect();
    assert!(!server_errors.is_empty());
    for case in server_errors {
        assert_eq!(case["outcome"], "failed", "{case}");
        let checks: Vec<&str> = case["violations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v["check"].as_str())
            .collect();
        assert!(!checks.contains(&"server_error"), "{case}");
    }

    // file/line: a passing case points at its documented status in the document.
    let spec = std::fs::read_to_string("spec/auth0-authentication.yaml").unwrap();
    let spec_lines: Vec<&str> = spec.lines().collect();
    let case_re = Regex::new(r#"<testcase name="([^ "]+) [^"]*" classname="[^"]*" time="[0-9.]+" file="spec/auth0-authentication.yaml" line="(\d+)""#).unwrap();
    let mut located = 0;
    for c in case_re.captures_iter(&xml) {
        let id = &c[1];
        let line: usize = c[2].parse().unwrap();
        if by_id[id]["outcome"] == "passed" {
            let status = id.rsplit('/').next().unwrap();
            let text = spec_lines[line - 1].trim();
            assert!(
                text.starts_with(&format!("'{status}':"))
                    || text.starts_with(&format!("\"{status}\":")),
                "{id}: line {line} is `{text}`"
            );
            located += 1;
        }
    }
    assert!(located > 100, "passing cases with a line: {located}");

    // The published schema. It declares no `file`/`line` on <testcase>, which GitHub's
    // reporters use: exactly those two attributes are removed before validating.
    let Some(xmllint) = tool("xmllint") else {
        return;
    };
    let stripped = Regex::new(r#"(<testcase [^>]*?) file="[^"]*"(?: line="\d+")?"#)
        .unwrap()
        .replace_all(&xml, "$1")
        .into_owned();
    assert!(
        !Regex::new(r#"<testcase [^>]*(file|line)="#)
            .unwrap()
            .is_match(&stripped)
    );
    let path = run.report_dir.join("junit-for-xsd.xml");
    std::fs::write(&path, &stripped).unwrap();
    let out = Command::new(xmllint)
        .arg("--noout")
        .arg("--schema")
        .arg("tests/fixtures/junit/junit-10.xsd")
        .arg(&path)
        .output()
        .expect("xmllint runs");
    assert!(
        out.status.success(),
        "junit.xml does not validate:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The values the reference suite marks secret.
fn suite_secrets() -> Vec<String> {
    let text = std::fs::read_to_string("suites/reference.toml").unwrap();
    let suite: toml::Value = toml::from_str(&text).unwrap();
    let secrets: Vec<String> = suite["fixtures"]
        .as_table()
        .unwrap()
        .values()
        .filter(|v| v.get("secret").and_then(toml::Value::as_bool) == Some(true))
        .filter_map(|v| v.get("value")?.as_str().map(String::from))
        .collect();
    assert!(secrets.len() >= 4, "{secrets:?}");
    secrets
}

#[test]
fn har_holds_every_exchange_with_secrets_masked() {
    let run = fault_run();
    let json = run.json();
    let text = read(&run.report_dir, "exchanges.har");
    let har: Value = serde_json::from_str(&text).expect("exchanges.har is JSON");
    let log = &har["log"];
    assert_eq!(log["version"], "1.2");
    assert_eq!(log["creator"]["name"], "conform");
    assert!(log["creator"]["version"].is_string());
    let entries = log["entries"].as_array().expect("entries");
    let kept = cases(&json)
        .iter()
        .filter(|c| c.get("exchange").is_some())
        .count();
    assert_eq!(entries.len(), kept, "one entry per exchange kept");
    assert!(kept > 200);
    let comments: BTreeSet<&str> = entries
        .iter()
        .map(|e| e["comment"].as_str().unwrap())
        .collect();
    assert_eq!(comments.len(), kept, "each entry names its case");
    // HAR 1.2's required fields, with their types.
    for entry in entries {
        assert!(
            entry["startedDateTime"]
                .as_str()
                .is_some_and(|s| s.contains('T')),
            "{entry}"
        );
        assert!(entry["time"].is_number() && entry["cache"].is_object());
        for key in ["send", "wait", "receive"] {
            assert!(entry["timings"][key].is_number(), "{key}: {entry}");
        }
        let (req, resp) = (&entry["request"], &entry["response"]);
        assert!(req["method"].is_string() && req["httpVersion"].is_string());
        assert!(
            req["url"]
                .as_str()
                .is_some_and(|u| u.starts_with("http://127.0.0.1:"))
        );
        for list in ["cookies", "headers", "queryString"] {
            assert!(req[list].is_array(), "request.{list}: {entry}");
        }
        assert!(req["headersSize"].is_i64() && req["bodySize"].is_i64());
        if let Some(post) = req.get("postData") {
            assert!(post["mimeType"].is_string() && post["text"].is_string());
        }
        assert!(resp["status"].is_u64() && resp["statusText"].is_string());
        assert!(resp["httpVersion"].is_string() && resp["redirectURL"].is_string());
        assert!(resp["cookies"].is_array() && resp["headers"].is_array());
        assert!(resp["content"]["size"].is_i64() && resp["content"]["mimeType"].is_string());
        assert!(resp["headersSize"].is_i64() && resp["bodySize"].is_i64());
        for header in req["headers"].as_array().unwrap() {
            let name = header["name"].as_str().unwrap().to_ascii_lowercase();
            if ["authorization", "cookie", "x-api-key", "access_token"].contains(&name.as_str()) {
                assert_eq!(header["value"], "●●●●", "{name} is masked: {entry}");
            }
        }
    }
    // Secrets were sent (password grants, client secrets) and are masked, not dropped.
    assert!(
        text.contains("●●●●"),
        "nothing was masked: were secrets sent?"
    );
    for secret in suite_secrets() {
        assert!(
            !text.contains(&secret),
            "{secret} leaked into exchanges.har"
        );
    }
    let jwt = Regex::new(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}").unwrap();
    assert!(!jwt.is_match(&text), "a token leaked into exchanges.har");
    // And no other report holds them either.
    let all = run.all_output();
    for secret in suite_secrets() {
        assert!(
            !all.contains(&secret),
            "{secret} leaked into a report or the console"
        );
    }
}

#[test]
fn the_markdown_summary_has_totals_groups_and_the_matrix() {
    let run = fault_run();
    let json = run.json();
    let md = read(&run.report_dir, "summary.md");
    let t = &json["totals"];
    assert!(md.starts_with("## conform: Auth0 API — FAILED\n"), "{md}");
    let totals_row = format!(
        "| {} | {} | {} | {} | {} |",
        t["passed"], t["passed_by_convention"], t["failed"], t["errors"], t["unreached"]
    );
    assert!(md.contains(&totals_row), "{totals_row} not in\n{md}");
    assert!(md.contains("### Failures by cause"), "{md}");
    let allow = md
        .lines()
        .find(|l| l.contains("[allow]"))
        .expect("the missing Allow headers are one group");
    assert!(allow.starts_with("- **28** × "), "{allow}");
    assert!(allow.contains("`logout/405`"), "{allow}");
    let rows: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("| `") && !l.starts_with("| `protocol:"))
        .collect();
    assert_eq!(rows.len(), 28, "one matrix row per operation");
    // The protocol checks have a table of their own, after the matrix.
    assert!(md.contains("### Protocol checks"), "{md}");
    assert!(md.contains("| `protocol:token_response` |"), "{md}");
    let marks = rows
        .iter()
        .flat_map(|r| r.split('|').skip(2))
        .filter(|c| !c.trim().is_empty())
        .count();
    assert_eq!(marks, 280, "one mark per planned case");
    assert!(rows.iter().any(|r| r.contains('✗')) && rows.iter().any(|r| r.contains('u')));
}

/// Measures the page as a browser lays it out. The report allows no script (its CSP says so),
/// so a copy gets its CSP removed and a measuring script appended; the styles and markup are
/// the report's own, so the layout measured is the report's layout.
fn measure_in_chromium(chromium: &Path, html: &str, dir: &Path) -> Value {
    let csp = Regex::new(r#"<meta http-equiv="Content-Security-Policy"[^>]*>"#).unwrap();
    assert!(csp.is_match(html), "the report has a CSP");
    let probe = r#"<script>
      const group = document.querySelector('section.group');
      const out = document.createElement('pre');
      out.id = 'measured';
      out.textContent = JSON.stringify({
        innerWidth: window.innerWidth,
        innerHeight: window.innerHeight,
        scrollWidth: document.documentElement.scrollWidth,
        bodyWidth: document.body.scrollWidth,
        cells: document.querySelectorAll('table.matrix td.cell a').length,
        groupTop: group ? group.getBoundingClientRect().top : null,
        widest: Math.max(...[...document.querySelectorAll('pre, table, code')]
          .map(e => e.getBoundingClientRect().right)),
      });
      document.body.appendChild(out);
    </script></body>"#;
    let measured = csp.replace(html, "").replace("</body>", probe);
    let page = dir.join("conform-measure.html");
    std::fs::write(&page, measured).unwrap();
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--window-size=1280,2000",
            "--dump-dom",
        ])
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    let json = Regex::new(r#"<pre id="measured">([^<]*)</pre>"#)
        .unwrap()
        .captures(&dom)
        .unwrap_or_else(|| {
            panic!(
                "no measurement in the DOM:\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })[1]
        .replace("&quot;", "\"");
    serde_json::from_str(&json).expect("measurement JSON")
}

#[test]
fn the_html_report_renders_in_chromium_within_the_window() {
    let run = fault_run();
    let html = read(&run.report_dir, "conform.html");
    // The report itself: no script, a strict CSP, a cell per planned case linking to its case.
    assert!(!html.contains("<script"), "the report has no script");
    assert!(html.contains("default-src 'none'; style-src 'unsafe-inline'"));
    let links = Regex::new(r##"<td class="cell [a-z-]+"><a href="#(case-[^"]+)""##).unwrap();
    // The matrix's cells (the protocol checks' table links its failures too).
    let matrix = &html[html.find("<table class=\"matrix\">").expect("the matrix")..];
    let matrix = &matrix[..matrix.find("</table>").expect("the matrix ends")];
    let targets: Vec<String> = links
        .captures_iter(matrix)
        .map(|c| c[1].to_string())
        .collect();
    assert_eq!(targets.len(), 280, "one cell per planned case");
    for target in &targets {
        assert!(
            html.contains(&format!(" id=\"{target}\"")),
            "{target} links nowhere"
        );
    }
    assert!(html.contains("@media (prefers-color-scheme:dark)") && html.contains("@media print"));
    // The long-string crash makes curl lines of more than 1000 characters.
    let longest = cases(&run.json())
        .iter()
        .filter_map(|c| c["curl"].as_str())
        .map(|curl| curl.split(' ').map(str::len).max().unwrap_or(0))
        .max()
        .unwrap_or(0);
    assert!(longest > 1000, "a word of {longest} characters to wrap");

    let Some(chromium) = tool("chromium") else {
        return;
    };
    let m = measure_in_chromium(&chromium, &html, &run.report_dir);
    assert_eq!(m["cells"], 280, "{m}");
    let window = m["innerWidth"].as_f64().unwrap();
    assert!(window <= 1280.0, "{m}");
    assert!(
        m["scrollWidth"].as_f64().unwrap() <= window && m["widest"].as_f64().unwrap() <= window,
        "the page is wider than the window: {m}"
    );
    let top = m["groupTop"].as_f64().expect("a failure group");
    assert!(
        top < m["innerHeight"].as_f64().unwrap(),
        "the first failure group is below the fold: {m}"
    );
    eprintln!("chromium measured: {m}");

    let shot = run.report_dir.join("conform.png");
    let out = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--window-size=1280,2000",
        ])
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!(
            "file://{}",
            run.report_dir.join("conform.html").display()
        ))
        .output()
        .expect("chromium runs");
    let png = std::fs::read(&shot).unwrap_or_else(|e| {
        panic!(
            "no screenshot ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // The PNG's width (IHDR): the screenshot is one window wide.
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 1280);
}

/// Outcome and failing checks per case: what "the same failures" means.
fn verdicts(json: &Value) -> BTreeMap<String, (String, Vec<String>)> {
    cases(json)
        .iter()
        .map(|c| {
            let checks = c["violations"]
                .as_array()
                .map(|v| {
                    v.iter()
                        .map(|v| v["check"].as_str().unwrap().to_string())
                        .collect()
                })
                .unwrap_or_default();
            (
                c["id"].as_str().unwrap().to_string(),
                (c["outcome"].as_str().unwrap().to_string(), checks),
            )
        })
        .collect()
}

#[test]
fn three_shards_merged_are_one_run() {
    // Failures (405 without Allow, 401 bodies) in a quick slice of the plan: every 40x case.
    let _turn = common::FULL_RUN.lock().unwrap_or_else(|e| e.into_inner());
    let run_on = |name: &str, partition: Option<&str>, seed: &str| {
        let server = common::server(&[Fault::MissingAllowHeader, Fault::ErrorFieldWrongType]);
        let mut args = vec![
            "run",
            "--suite",
            "suites/reference.toml",
            "--base-url",
            &server.base_url,
            "--seed",
            seed,
            "-q",
            "/40",
        ];
        if let Some(p) = partition {
            args.extend(["--partition", p]);
        }
        let run = common::conform(name, &args);
        assert_eq!(run.code, 1, "{name}\n{}\n{}", run.stdout, run.stderr);
        run
    };
    let whole = run_on("merge-whole", None, "5");
    let shards: Vec<common::Run> = (1..=3)
        .map(|k| {
            run_on(
                &format!("merge-shard-{k}"),
                Some(&format!("count:{k}/3")),
                "5",
            )
        })
        .collect();
    let merged_dir = common::report_dir("merge-merged");
    let mut args = vec!["report".to_string(), "merge".to_string()];
    args.extend(shards.iter().map(|s| s.report_dir.display().to_string()));
    args.extend(["--report-dir".to_string(), merged_dir.display().to_string()]);
    let out = Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(&args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "merged run fails as the whole run does\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("merged 3 shards"), "{stdout}");

    let merged: Value = serde_json::from_str(&read(&merged_dir, "conform.json")).unwrap();
    let one = whole.json();
    assert_eq!(merged["totals"], one["totals"], "the same totals");
    assert!(one["totals"]["failed"].as_u64().unwrap() >= 28);
    assert_eq!(
        verdicts(&merged),
        verdicts(&one),
        "the same outcomes and failing checks"
    );
    let matrix = |dir: &Path| -> Vec<String> {
        read(dir, "summary.md")
            .lines()
            .filter(|l| l.starts_with("| "))
            .map(String::from)
            .collect()
    };
    assert_eq!(
        matrix(&merged_dir),
        matrix(&whole.report_dir),
        "the same matrix"
    );
    let groups = |dir: &Path| -> Vec<String> {
        read(dir, "summary.md")
            .lines()
            .filter(|l| l.starts_with("- **"))
            .map(String::from)
            .collect()
    };
    assert_eq!(
        groups(&merged_dir),
        groups(&whole.report_dir),
        "the same failure groups"
    );
    let cells = |dir: &Path| {
        read(dir, "conform.html")
            .matches("<td class=\"cell ")
            .count()
    };
    assert_eq!(cells(&merged_dir), 280);
    let junit = read(&merged_dir, "junit.xml");
    let parsed = junit_parser::from_reader(std::io::BufReader::new(junit.as_bytes())).unwrap();
    let merged_cases: usize = parsed.suites.iter().map(|s| s.cases.len()).sum();
    assert_eq!(
        merged_cases,
        one["totals"]["selected"].as_u64().unwrap() as usize
    );

    // Shards of another seed are refused, naming what differs.
    let other = run_on("merge-other-seed", Some("count:1/3"), "6");
    let refused = Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("report")
        .arg("merge")
        .arg(&shards[1].report_dir)
        .arg(&other.report_dir)
        .arg("--report-dir")
        .arg(common::report_dir("merge-refused"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("seed `6` differs from `5`"), "{stderr}");
    // The same shard twice is refused too.
    let twice = Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("report")
        .arg("merge")
        .arg(&shards[0].report_dir)
        .arg(&shards[0].report_dir)
        .arg("--report-dir")
        .arg(common::report_dir("merge-twice"))
        .output()
        .unwrap();
    assert_eq!(twice.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&twice.stderr).contains("the same shard twice"));
}

/// Report text with what changes from run to run made fixed: times, dates, ports.
fn normalise(text: &str) -> String {
    let rules: &[(&str, &str)] = &[
        (r"127\.0\.0\.1:\d+", "127.0.0.1:PORT"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "TIMESTAMP"),
        (
            r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT",
            "HTTP-DATE",
        ),
        (r#"time="[0-9.]+""#, r#"time="T""#),
        (
            r#""(duration|elapsed|time|wait|started_unix)": [0-9.e-]+"#,
            r#""$1": 0"#,
        ),
        (r"finished in [0-9.]+s", "finished in Ts"),
        (r"<dd>[0-9.]+ s</dd>", "<dd>T s</dd>"),
        (r", [0-9.]+ s\n", ", T s\n"),
        // Rate-limit headers count down and reset on the clock.
        (
            r#"("(?:x-ratelimit-remaining|x-ratelimit-reset|retry-after)",\s*(?:"value": )?)"\d+""#,
            r#"$1"N""#,
        ),
    ];
    let mut out = text.to_string();
    for (pattern, replacement) in rules {
        out = Regex::new(pattern)
            .unwrap()
            .replace_all(&out, *replacement)
            .into_owned();
    }
    out
}

#[test]
fn report_formats_match_their_snapshots() {
    // A small run with failures of three checks (content_type, body_schema, allow) and passes;
    // the rest of the plan filtered out. A change to any report's format fails here with a diff.
    let run = {
        let _turn = common::FULL_RUN.lock().unwrap_or_else(|e| e.into_inner());
        let server = common::server(&[
            Fault::MissingAllowHeader,
            Fault::ErrorFieldWrongType,
            Fault::WrongContentType,
        ]);
        common::conform(
            "reports-snapshots",
            &[
                "run",
                "--suite",
                "suites/reference.toml",
                "--base-url",
                &server.base_url,
                "--seed",
                "3",
                "--skip",
                "/429",
                "userinfo/",
            ],
        )
    };
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    // The console's closing sections (case lines come in the order cases finish).
    let closing = &run.stdout[run.stdout.find("\nfailures:\n").expect("failures section")..];
    // The report directory is wherever this checkout's target dir is.
    let closing = closing.replace(&run.report_dir.display().to_string(), "REPORT_DIR");
    insta::assert_snapshot!("console_summary", normalise(&closing));
    for (name, file) in [
        ("junit", "junit.xml"),
        ("json", "conform.json"),
        ("markdown", "summary.md"),
        ("html", "conform.html"),
        ("har", "exchanges.har"),
    ] {
        insta::assert_snapshot!(name, normalise(&read(&run.report_dir, file)));
    }
}

#[test]
fn merge_refuses_what_is_not_a_report_with_a_clear_error() {
    let dir = common::report_dir("merge-bad-input");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("conform.json"), "{\"run\": 1}").unwrap();
    for (arg, expected) in [
        (dir.display().to_string(), "is not a conform JSON report"),
        ("no/such/dir".to_string(), "could not read no/such/dir"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_conform"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["report", "merge", &arg, "--report-dir"])
            .arg(dir.join("out"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
