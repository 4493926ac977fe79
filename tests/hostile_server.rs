//! conform against hostile servers (tests/support/hostile.rs): every run ends within
//! (cases / concurrency + 1) x timeout, never panics, stays under 200 MB of peak RSS, and gives
//! the documented verdicts. Only 127.0.0.1 is contacted.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::hostile::{self, Mode};

const BIN: &str = env!("CARGO_BIN_EXE_conform");
const TIMEOUT_SECS: u64 = 2;
const THREADS: u64 = 8;
/// Start-up of a debug build, planning, writing reports: beyond the bound's network time.
const SLACK: Duration = Duration::from_secs(8);
const RSS_LIMIT_KB: u64 = 200 * 1024;
/// The runner shrinks a failing generative case for up to 10 s (`max_shrink_time` in
/// `src/runner/context.rs`), one request per step, whatever `--timeout` says: modes whose
/// verdict is a contract failure get that much more per wave of cases. Harness errors are
/// never shrunk, so hang, drip and the other error modes keep the strict bound.
const SHRINK_BUDGET: Duration = Duration::from_secs(10);

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    peak_rss_kb: u64,
    report_dir: PathBuf,
}

fn report_dir(mode: Mode, scheme: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "conform-hostile-{}-{mode:?}-{scheme}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Peak resident set of a running process, from /proc (0 once it has exited).
fn vm_hwm_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Runs `conform run` against the hostile server in `mode`, filtered to `filter`.
fn run(mode: Mode, scheme: &str, filter: &str) -> Outcome {
    let port = hostile::spawn(mode);
    let dir = report_dir(mode, scheme);
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .args([
            "run",
            "--base-url",
            &format!("{scheme}://127.0.0.1:{port}"),
            "--timeout",
            &TIMEOUT_SECS.to_string(),
            "--test-threads",
            &THREADS.to_string(),
            "--examples",
            "1",
            "--report-dir",
            dir.to_str().unwrap(),
            filter,
        ])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env_remove("CONFORM_SPEC")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start conform");
    let pid = child.id();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let out_reader =
        std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let err_reader =
        std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let mut peak = 0;
    let deadline = Duration::from_secs(120);
    let status = loop {
        peak = peak.max(vm_hwm_kb(pid));
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            panic!("{mode:?}: conform still running after {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Outcome {
        code: status.code().unwrap_or(-1),
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
        elapsed: started.elapsed(),
        peak_rss_kb: peak,
        report_dir: dir,
    }
}

/// How many cases a filter selects (the `list` of the default document).
fn case_count(filter: &str) -> u64 {
    let out = Command::new(BIN)
        .args(["list", filter])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env_remove("CONFORM_SPEC")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().filter(|l| l.starts_with(filter)).count() as u64
}

/// The bounds every hostile run keeps: time, no panic, memory.
fn assert_bounded(mode: Mode, outcome: &Outcome, cases: u64, shrinks: bool) {
    assert_bounded_in(mode, outcome, cases, shrinks, true)
}

fn assert_bounded_in(mode: Mode, outcome: &Outcome, cases: u64, shrinks: bool, time: bool) {
    let waves = (cases / THREADS + 1) as u32;
    let per_wave = Duration::from_secs(TIMEOUT_SECS)
        + if shrinks {
            SHRINK_BUDGET
        } else {
            Duration::ZERO
        };
    let bound = per_wave * waves + SLACK;
    eprintln!(
        "{mode:?}: exit {}, {:.1?} (bound {bound:?}), peak RSS {} kB",
        outcome.code, outcome.elapsed, outcome.peak_rss_kb
    );
    assert!(
        !time || outcome.elapsed <= bound,
        "{mode:?}: took {:?}, bound {bound:?}\n{}{}",
        outcome.elapsed,
        outcome.stdout,
        outcome.stderr
    );
    assert_ne!(outcome.code, 101, "{mode:?}: panicked\n{}", outcome.stderr);
    assert!(
        !outcome.stderr.contains("panicked"),
        "{mode:?}: {}",
        outcome.stderr
    );
    assert!(
        outcome.peak_rss_kb > 0 && outcome.peak_rss_kb < RSS_LIMIT_KB,
        "{mode:?}: peak RSS {} kB (limit {RSS_LIMIT_KB} kB)",
        outcome.peak_rss_kb
    );
    assert!(
        outcome.report_dir.join("junit.xml").exists(),
        "{mode:?}: reports written"
    );
}

/// The summary line's counts: (passed, failed).
/// Cases passed, and cases that failed or errored, from the summary line.
fn summary(outcome: &Outcome) -> (u64, u64) {
    let line = outcome
        .stdout
        .lines()
        .find(|l| l.starts_with("test result:"))
        .unwrap_or_else(|| panic!("no summary in\n{}", outcome.stdout));
    let count = |word: &str| -> u64 {
        line.split(';')
            .find_map(|part| part.trim().strip_suffix(word))
            .and_then(|n| n.trim().rsplit(' ').next()?.parse().ok())
            .unwrap_or(0)
    };
    // Contract failures and harness errors, counted apart by conform.
    (count("passed"), count("failed") + count("errors"))
}

/// One hostile mode: bounded, and no case passes against a server that broke the protocol.
fn hostile(mode: Mode, expect_code: &[i32]) -> Outcome {
    hostile_in(mode, expect_code, true)
}

fn hostile_in(mode: Mode, expect_code: &[i32], time: bool) -> Outcome {
    let filter = "userinfo";
    let outcome = run(mode, "http", filter);
    // Exit 1 means some case failed the contract (and may have been shrunk).
    let shrinks = expect_code.contains(&1);
    assert_bounded_in(mode, &outcome, case_count(filter), shrinks, time);
    assert!(
        expect_code.contains(&outcome.code),
        "{mode:?}: exit {} not in {expect_code:?}\n{}{}",
        outcome.code,
        outcome.stdout,
        outcome.stderr
    );
    let (passed, failed) = summary(&outcome);
    assert_eq!(passed, 0, "{mode:?}: nothing passes\n{}", outcome.stdout);
    assert!(
        failed > 0,
        "{mode:?}: cases end as failures or errors\n{}",
        outcome.stdout
    );
    outcome
}

/// Harness errors (timeouts, transport) give exit 5 when nothing failed the contract, 1 when
/// something did.
const ERRORS: &[i32] = &[5];

#[test]
fn hang_ends_at_the_timeout() {
    let o = hostile(Mode::Hang, ERRORS);
    assert!(o.stdout.contains("timed out after 2s"), "{}", o.stdout);
}

#[test]
fn slow_drip_ends_at_the_timeout() {
    let o = hostile(Mode::SlowDrip, ERRORS);
    assert!(o.stdout.contains("timed out after 2s"), "{}", o.stdout);
}

#[test]
fn endless_chunked_ends_at_the_body_cap() {
    let o = hostile(Mode::EndlessChunked, ERRORS);
    assert!(
        o.stdout.contains("response body larger than 4194304 bytes"),
        "{}",
        o.stdout
    );
}

/// Memory, verdict and no panic; the time bound is the ignored test below.
#[test]
fn four_mib_bodies_stay_bounded_in_memory() {
    hostile_in(Mode::Body4MiB, &[1], false);
}

/// Shrinking spends at most 48 requests and reports keep 16 KiB excerpts of bodies.
#[test]
fn four_mib_bodies_end_within_the_time_bound() {
    hostile(Mode::Body4MiB, &[1]);
}

#[test]
fn gzip_bomb_is_kept_compressed() {
    hostile(Mode::GzipBomb, &[1]);
}

#[test]
fn reset_mid_body_is_an_error() {
    hostile(Mode::ResetMidBody, ERRORS);
}

#[test]
fn garbage_is_an_error() {
    hostile(Mode::Garbage, ERRORS);
}

#[test]
fn huge_headers_are_an_error() {
    hostile(Mode::HugeHeaders, ERRORS);
}

#[test]
fn invalid_utf8_body_fails_the_contract() {
    hostile(Mode::InvalidUtf8, &[1]);
}

#[test]
fn deep_json_body_fails_without_overflowing() {
    hostile(Mode::DeepJson, &[1]);
}

#[test]
fn escapes_and_nul_do_not_crash() {
    hostile(Mode::Escapes, &[1, 5]);
}

#[test]
fn escapes_and_nul_never_reach_console_or_reports_raw() {
    let o = hostile(Mode::Escapes, &[1, 5]);
    let raw = |text: &str| {
        text.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    };
    assert!(!raw(&o.stdout), "raw control character on the console");
    assert!(!raw(&o.stderr), "raw control character on stderr");
    for report in [
        "junit.xml",
        "conform.json",
        "conform.html",
        "summary.md",
        "exchanges.har",
    ] {
        let text = std::fs::read_to_string(o.report_dir.join(report)).unwrap_or_default();
        assert!(!raw(&text), "raw control character in {report}");
    }
}

#[test]
fn keep_alive_close_is_retried_for_idempotent_requests() {
    let o = run(Mode::KeepAliveClose, "http", "userinfo");
    // Every answer is a documented 401 that conforms: the cases are unreached, nothing fails,
    // and no GET may end as a connection error (it is retried once on a fresh connection). A
    // PATCH (the 405 case) is not idempotent and is never retried, so it may lose the race with
    // the server's close.
    assert!([0, 5].contains(&o.code), "exit {}\n{}", o.code, o.stdout);
    assert!(o.stdout.contains("unreached (got 401"), "{}", o.stdout);
    for line in o.stdout.lines().filter(|l| l.contains("GET /userinfo")) {
        let lower = line.to_lowercase();
        for word in [
            "connection closed",
            "reset",
            "transport error",
            "could not connect",
        ] {
            assert!(!lower.contains(word), "{word} in {line}\n{}", o.stdout);
        }
    }
}

#[test]
fn tls_to_a_plain_server_is_one_human_line() {
    let mode = Mode::Garbage;
    let o = run(mode, "https", "userinfo");
    assert_bounded(mode, &o, case_count("userinfo"), false);
    assert!(
        o.stdout.contains("TLS handshake with https://127.0.0.1:"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("--ca-cert FILE or set SSL_CERT_FILE"),
        "{}",
        o.stdout
    );
    assert!(
        !o.stdout.contains("InvalidContentType"),
        "no Debug form: {}",
        o.stdout
    );
}

#[test]
fn every_mode_is_covered() {
    // A new mode needs its own test above.
    assert_eq!(Mode::ALL.len(), 12);
}
