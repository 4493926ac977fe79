//! Pointing conform at an API of one's own: credentials on the command line (`--header`) and
//! for every request (`[suite] headers`), against a small fixture API on 127.0.0.1 (bearer
//! security, not Auth0) that records every request head it sees.

mod common;
#[path = "common/tls.rs"]
mod tls;

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const TOKEN: &str = "own-tok-31f9c";
const TRACE: &str = "trace-77d0";

/// One request the fixture saw: its path and its whole head.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    head: String,
    status: u16,
}

struct Fixture {
    base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    _runtime: tokio::runtime::Runtime,
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// 200 with the right bearer token (or on /public), 401 without.
fn answer(head: &str) -> (String, u16) {
    let target = head.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split('?').next().unwrap_or(target).to_string();
    let bearer = header(head, "authorization") == Some(&format!("Bearer {TOKEN}"));
    let ok = match path.as_str() {
        "/items" | "/team" => bearer,
        "/public" => true,
        _ => false,
    };
    (path, if ok { 200 } else { 401 })
}

fn start() -> Fixture {
    start_with(None)
}

/// The fixture API, over TLS when an acceptor is given (`https://`).
fn start_with(tls: Option<tokio_rustls::TlsAcceptor>) -> Fixture {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = runtime
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base_url = format!("{scheme}://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    runtime.spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let log = Arc::clone(&log);
            let tls = tls.clone();
            tokio::spawn(async move {
                match tls {
                    Some(acceptor) => {
                        if let Ok(stream) = acceptor.accept(stream).await {
                            serve_one(stream, log).await;
                        }
                    }
                    None => serve_one(stream, log).await,
                }
            });
        }
    });
    Fixture {
        base_url,
        seen,
        _runtime: runtime,
    }
}

/// Reads one request head, records it, answers and closes.
async fn serve_one<S>(mut stream: S, log: Arc<Mutex<Vec<Seen>>>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let Ok(n) = stream.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let (path, status) = answer(&head);
    log.lock().unwrap().push(Seen { path, head, status });
    let body = if status == 200 {
        r#"{"ok":true}"#
    } else {
        r#"{"error":"unauthorized"}"#
    };
    let response = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn outcome(report: &serde_json::Value, id: &str) -> String {
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no case {id} in {report}"))["outcome"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn header_flag_and_suite_headers_reach_every_request_and_401_leaves_the_credential_out() {
    let fixture = start();
    let run = common::conform_env(
        "own-api-headers",
        &[
            "run",
            "--suite",
            "tests/fixtures/own_api/suite.toml",
            "--base-url",
            &fixture.base_url,
            "--examples",
            "2",
            "--header",
            "Authorization: Bearer ${OWN_API_TOKEN}",
            "-H",
            "X-Client: conform-test",
        ],
        &[
            ("NO_COLOR", "1"),
            ("OWN_API_TOKEN", TOKEN),
            ("OWN_API_TRACE", TRACE),
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    for id in [
        "list_items/200",
        "list_items/401",
        "team/200",
        "team/401",
        "public/200",
    ] {
        assert_eq!(outcome(&report, id), "passed", "{id}");
    }
    let seen = fixture.seen.lock().unwrap().clone();
    assert!(!seen.is_empty());
    for s in &seen {
        // Every request: the suite's trace header (from the environment) and the flag's header.
        assert_eq!(header(&s.head, "x-trace"), Some(TRACE), "{}", s.head);
        assert_eq!(
            header(&s.head, "x-client"),
            Some("conform-test"),
            "{}",
            s.head
        );
        let team = header(&s.head, "x-team");
        // The case's own header wins over the suite's on team/200 (its only 200 answers).
        if s.path == "/team" && s.status == 200 {
            assert_eq!(team, Some("red"), "{}", s.head);
        } else {
            assert_eq!(team, Some("blue"), "{}", s.head);
        }
    }
    // The 401 cases (from the bearer scheme) left the --header credential out.
    for path in ["/items", "/team"] {
        assert!(
            seen.iter().any(|s| s.path == path
                && s.status == 401
                && header(&s.head, "authorization").is_none()),
            "{path}: no request without the credential: {seen:?}"
        );
        assert!(seen.iter().any(|s| s.path == path && s.status == 200));
    }
    let all = run.all_output();
    assert!(!all.contains(TOKEN), "the --header value leaked");
    assert!(
        !all.contains(TRACE),
        "the suite header value from the environment leaked"
    );
}

#[test]
fn a_header_variable_that_is_not_set_is_a_usage_error_naming_it() {
    let run = common::conform_env(
        "own-api-missing-var",
        &[
            "run",
            "--spec",
            "tests/fixtures/own_api/api.yaml",
            "--base-url",
            "http://127.0.0.1:9",
            "--header",
            "Authorization: Bearer ${OWN_API_NOT_SET_4411}",
        ],
        &[("NO_COLOR", "1")],
    );
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("OWN_API_NOT_SET_4411"),
        "{}",
        run.stderr
    );
    for bad in ["no-colon", "Bad Name: x", ": x"] {
        let run = common::conform(
            "own-api-bad-header",
            &[
                "run",
                "--spec",
                "tests/fixtures/own_api/api.yaml",
                "--base-url",
                "http://127.0.0.1:9",
                "--header",
                bad,
            ],
        );
        assert_eq!(run.code, 2, "{bad}: {}\n{}", run.stdout, run.stderr);
        assert!(run.stderr.contains("--header"), "{bad}: {}", run.stderr);
    }
}

fn cases_with(report: &serde_json::Value, outcome: &str) -> Vec<serde_json::Value> {
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["outcome"] == outcome)
        .cloned()
        .collect()
}

#[test]
fn max_fail_stops_handing_out_cases_and_reports_the_rest_as_not_run() {
    // Every answer breaks the document: `ok` is required.
    let fixture = common::fixture::serve(|_| {
        common::fixture::answer(200, &[("content-type", "application/json")], b"{}")
    });
    let args = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "--spec",
            "tests/fixtures/own_api/api.yaml",
            "--base-url",
            &fixture.base_url,
            "--examples",
            "1",
            "--test-threads",
            "1",
        ];
        args.extend_from_slice(extra);
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let all: Vec<String> = args(&[]);
    let all = common::conform(
        "own-api-no-max-fail",
        &all.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let failing = cases_with(&all.json(), "failed").len();
    assert!(
        failing >= 3,
        "the fixture should fail several cases: {}",
        all.stdout
    );
    for (name, extra) in [
        ("own-api-fail-fast", &["--fail-fast"][..]),
        ("own-api-max-fail-2", &["--max-fail", "2"]),
    ] {
        let argv = args(extra);
        let run = common::conform(name, &argv.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(run.code, 1, "{name}: {}\n{}", run.stdout, run.stderr);
        let report = run.json();
        let max = if extra[0] == "--fail-fast" { 1 } else { 2 };
        assert_eq!(cases_with(&report, "failed").len(), max, "{name}: {report}");
        let not_run = cases_with(&report, "ignored")
            .into_iter()
            .filter(|c| c.to_string().contains("not run: --max-fail reached"))
            .count();
        assert!(
            not_run >= 1,
            "{name}: nothing reported as not run: {report}"
        );
    }
}

#[test]
fn a_dead_target_stops_after_ten_connection_errors_with_one_line_and_exit_5() {
    // A port nothing listens on: bind, then let go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let run = common::conform(
        "own-api-dead",
        &[
            "run",
            "--spec",
            "spec/auth0-authentication.yaml",
            "--base-url",
            &url,
            "--examples",
            "1",
            "--test-threads",
            "2",
        ],
    );
    assert_eq!(run.code, 5, "{}\n{}", run.stdout, run.stderr);
    let line = format!("conform: nothing answers at {url} (");
    let all = run.all_output();
    assert_eq!(all.matches(&line).count(), 1, "{all}");
    assert!(all.contains("): stopping"), "{all}");
    let report = run.json();
    let errors = cases_with(&report, "error").len();
    let stopped = cases_with(&report, "ignored")
        .into_iter()
        .filter(|c| c.to_string().contains("nothing answers"))
        .count();
    // A handful of cases met the refused connection; the rest were never started.
    assert!((1..=20).contains(&errors), "{errors} errors");
    assert!(stopped > 50, "only {stopped} cases stopped");
}

/// The case ids `conform run --list` selects with `extra`.
fn listed(extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "run",
        "--spec",
        "tests/fixtures/own_api/api.yaml",
        "--base-url",
        "http://127.0.0.1:9",
        "--list",
    ];
    args.extend_from_slice(extra);
    let run = common::conform("own-api-list", &args);
    assert_eq!(run.code, 0, "{extra:?}: {}\n{}", run.stdout, run.stderr);
    run.stdout
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(String::from)
        .collect()
}

#[test]
fn method_status_operation_and_tag_filters_combine_with_libtest_filters() {
    assert_eq!(
        listed(&["--tag", "items"]),
        ["list_items/200", "list_items/401", "public/200"]
    );
    assert_eq!(
        listed(&["--tag", "items", "--status", "2xx"]),
        ["list_items/200", "public/200"]
    );
    assert_eq!(
        listed(&["--tag", "items", "--status", "2xx", "--skip", "public"]),
        ["list_items/200"]
    );
    assert_eq!(
        listed(&[
            "--status",
            "401",
            "--operation",
            "team",
            "--operation",
            "public"
        ]),
        ["team/401"]
    );
    assert_eq!(
        listed(&["--method", "get", "--status", "4xx", "items"]),
        ["list_items/401"]
    );
    assert!(listed(&["--method", "POST"]).is_empty());
    // A run that selects nothing sends nothing and says so: exit 4.
    let run = common::conform(
        "own-api-filter-nothing",
        &[
            "run",
            "--spec",
            "tests/fixtures/own_api/api.yaml",
            "--base-url",
            "http://127.0.0.1:9",
            "--method",
            "POST",
        ],
    );
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.all_output().contains("5 filtered out"),
        "{}",
        run.all_output()
    );
    // A tag or operation the document does not have is a typo: exit 2, named.
    let run = common::conform(
        "own-api-filter-typo",
        &[
            "run",
            "--spec",
            "tests/fixtures/own_api/api.yaml",
            "--tag",
            "itemz",
        ],
    );
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("itemz"), "{}", run.stderr);
}

#[test]
fn a_self_signed_server_needs_ca_cert_and_tls_failures_are_one_line_harness_errors() {
    let (acceptor, cert) = tls::self_signed("own-api-tls");
    let fixture = start_with(Some(acceptor));
    let cert = cert.display().to_string();
    let run_with = |name: &str, extra: &[&str]| {
        let mut args = vec![
            "run",
            "--spec",
            "tests/fixtures/own_api/api.yaml",
            "--base-url",
            &fixture.base_url,
            "--examples",
            "1",
            "--header",
            "Authorization: Bearer ${OWN_API_TOKEN}",
        ];
        args.extend_from_slice(extra);
        common::conform_env(name, &args, &[("NO_COLOR", "1"), ("OWN_API_TOKEN", TOKEN)])
    };
    // Without the CA: every case is a harness error naming TLS, in one line.
    let run = run_with("own-api-tls-no-ca", &[]);
    assert_eq!(run.code, 5, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let errors = cases_with(&report, "error");
    assert!(!errors.is_empty(), "{report}");
    for case in &errors {
        let message = case["message"].as_str().unwrap_or_else(|| panic!("{case}"));
        assert!(message.contains("TLS"), "{message}");
        assert!(!message.contains('\n'), "{message}");
    }
    // With it: answers, and every case passes.
    let run = run_with("own-api-tls-ca", &["--ca-cert", &cert]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(cases_with(&run.json(), "passed").len(), 5);
    // --insecure on loopback: answers too, with a loud warning.
    let run = run_with("own-api-tls-insecure", &["--insecure"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("WARNING: --insecure"), "{}", run.stderr);
    assert!(!run.all_output().contains(TOKEN));
}

#[test]
fn insecure_needs_loopback_or_live_and_bad_tls_files_are_usage_errors_naming_them() {
    let spec = "tests/fixtures/own_api/api.yaml";
    let run = common::conform(
        "own-api-insecure-remote",
        &[
            "run",
            "--spec",
            spec,
            "--base-url",
            "https://api.example",
            "--insecure",
            "--dry-run",
        ],
    );
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("--insecure"), "{}", run.stderr);
    let run = common::conform(
        "own-api-insecure-live",
        &[
            "run",
            "--spec",
            spec,
            "--base-url",
            "https://api.example",
            "--insecure",
            "--live",
            "--dry-run",
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("WARNING: --insecure"), "{}", run.stderr);
    // Not PEM, missing, a certificate without its key.
    let (_, cert) = tls::self_signed("own-api-bad-files");
    let cert = cert.display().to_string();
    for (flags, named) in [
        (vec!["--ca-cert", spec], spec),
        (vec!["--ca-cert", "tests/no-such.pem"], "tests/no-such.pem"),
        (
            vec!["--client-cert", &cert, "--client-key", &cert],
            cert.as_str(),
        ),
        (vec!["--client-cert", spec, "--client-key", &cert], spec),
    ] {
        let mut args = vec!["run", "--spec", spec, "--base-url", "https://127.0.0.1:9"];
        args.extend_from_slice(&flags);
        let run = common::conform("own-api-bad-tls-file", &args);
        assert_eq!(run.code, 2, "{flags:?}: {}\n{}", run.stdout, run.stderr);
        assert!(run.stderr.contains(named), "{flags:?}: {}", run.stderr);
    }
}

#[test]
fn a_server_that_wants_a_client_certificate_answers_with_client_cert_and_key() {
    use tokio_rustls::rustls;
    conform::execute::install_crypto_provider();
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("own-api-mtls-certs");
    std::fs::create_dir_all(&dir).expect("dir");
    let server = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).expect("server");
    let client = rcgen::generate_simple_self_signed(vec!["conform-client".into()]).expect("client");
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path.display().to_string()
    };
    let server_pem = write("server.pem", server.cert.pem());
    let client_pem = write("client.pem", client.cert.pem());
    let client_key = write("client.key", client.signing_key.serialize_pem());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(client.cert.der().clone()).expect("client root");
    let verifier = rustls::server::WebPkiClientVerifier::builder(Arc::new(roots))
        .build()
        .expect("verifier");
    let config = rustls::ServerConfig::builder()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![server.cert.der().clone()],
            rustls::pki_types::PrivatePkcs8KeyDer::from(server.signing_key.serialize_der()).into(),
        )
        .expect("server config");
    let fixture = start_with(Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))));
    let args = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "--spec",
            "tests/fixtures/own_api/api.yaml",
            "--base-url",
            &fixture.base_url,
            "--examples",
            "1",
            "--ca-cert",
            &server_pem,
            "--operation",
            "public",
        ];
        args.extend_from_slice(extra);
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let run_args = |extra: &[&str]| {
        let owned = args(extra);
        let refs: Vec<&str> = owned.iter().map(String::as_str).collect();
        common::conform("own-api-mtls", &refs)
    };
    // Without a client certificate the handshake is refused: a harness error.
    let run = run_args(&[]);
    assert_eq!(run.code, 5, "{}\n{}", run.stdout, run.stderr);
    let run = run_args(&["--client-cert", &client_pem, "--client-key", &client_key]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(cases_with(&run.json(), "passed").len(), 1);
    assert!(
        fixture
            .seen
            .lock()
            .unwrap()
            .iter()
            .any(|s| s.path == "/public"),
        "the server never saw a request"
    );
}
