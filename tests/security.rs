//! Security schemes drive the 401 cases: a fixture API on 127.0.0.1 with bearer, basic and API
//! keys in a header, the query and a cookie; the suite gives only credentials. Every success
//! case sends exactly the credential its operation needs, every 401 case leaves exactly that one
//! out, and no credential appears in any output.

mod common;

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const TOKEN: &str = "tok-8c1e4b";
const BASIC: &str = "Basic YWxpY2U6d29uZGVyLWxhbmQtNDI="; // alice:wonder-land-42
const HEADER_KEY: &str = "hk-2f9d";
const QUERY_KEY: &str = "qk-77ab";
const COOKIE_KEY: &str = "ck-51e0";

/// One request the fixture saw: path and whether each credential was present and right.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
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

/// The status the fixture answers: 200 with the right credential, 401 without.
fn answer(head: &str) -> (String, u16) {
    let target = head.split_whitespace().nth(1).unwrap_or("/");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let bearer = header(head, "authorization") == Some(&format!("Bearer {TOKEN}"));
    let header_key = header(head, "x-api-key") == Some(HEADER_KEY);
    let ok = match path {
        "/bearer" => bearer,
        "/basic" => header(head, "authorization") == Some(BASIC),
        "/header-key" => header_key,
        "/query-key" => query
            .split('&')
            .any(|kv| kv == format!("api_key={QUERY_KEY}")),
        "/cookie-key" => header(head, "cookie").is_some_and(|c| {
            c.split("; ")
                .any(|kv| kv == format!("session={COOKIE_KEY}"))
        }),
        "/both" => bearer && header_key,
        "/public" => true,
        _ => false,
    };
    (path.to_string(), if ok { 200 } else { 401 })
}

fn start() -> Fixture {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = runtime
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let base_url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    runtime.spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Read the head, then the body its Content-Length announces.
                let head_end = loop {
                    let Ok(n) = stream.read(&mut chunk).await else { return };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
                let length: usize = header(&head, "content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                while buf.len() < head_end + length {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let (path, status) = answer(&head);
                log.lock().unwrap().push(Seen {
                    path,
                    status,
                });
                let body = if status == 200 {
                    r#"{"ok":true}"#
                } else {
                    r#"{"error":"unauthorized"}"#
                };
                let reason = if status == 200 { "OK" } else { "Unauthorized" };
                let response = format!(
                    "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    Fixture {
        base_url,
        seen,
        _runtime: runtime,
    }
}

#[test]
fn security_schemes_give_every_401_case_with_only_credentials_in_the_suite() {
    let fixture = start();
    let run = common::conform_env(
        "security-fixture",
        &[
            "run",
            "--spec",
            "tests/fixtures/security/api.yaml",
            "--suite",
            "tests/fixtures/security/suite.toml",
            "--base-url",
            &fixture.base_url,
            "--examples",
            "2",
            "--format",
            "json",
        ],
        &[("NO_COLOR", "1"), ("CONFORM_FIXTURE_TOKEN", TOKEN)],
    );
    let report = run.json();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let cases = report["cases"].as_array().expect("cases");
    let outcome = |id: &str| {
        cases
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no case {id} in {report}"))
            .clone()
    };
    for op in [
        "bearer",
        "basic",
        "header_key",
        "query_key",
        "cookie_key",
        "both",
    ] {
        for status in ["200", "401"] {
            let case = outcome(&format!("{op}/{status}"));
            assert_eq!(case["outcome"], "passed", "{op}/{status}: {case}");
        }
    }
    assert_eq!(outcome("public/200")["outcome"], "passed");
    let public_401 = outcome("public/401");
    assert_eq!(public_401["outcome"], "ignored", "{public_401}");
    assert!(
        public_401.to_string().contains("declares no security"),
        "{public_401}"
    );
    // The server saw both answers for every secured path: credentials sent, then left out.
    let seen = fixture.seen.lock().unwrap().clone();
    for path in [
        "/bearer",
        "/basic",
        "/header-key",
        "/query-key",
        "/cookie-key",
        "/both",
    ] {
        for status in [200, 401] {
            assert!(
                seen.iter().any(|s| s.path == path && s.status == status),
                "{path} never answered {status}: {seen:?}"
            );
        }
    }
    let all = run.all_output();
    for secret in [
        TOKEN,
        "wonder-land-42",
        "YWxpY2U6d29uZGVyLWxhbmQtNDI=",
        HEADER_KEY,
        QUERY_KEY,
        COOKIE_KEY,
    ] {
        assert!(!all.contains(secret), "{secret} leaked");
    }
}

#[test]
fn a_missing_credential_variable_stops_the_run_and_names_it() {
    let run = common::conform_env(
        "security-missing-env",
        &[
            "run",
            "--spec",
            "tests/fixtures/security/api.yaml",
            "--suite",
            "tests/fixtures/security/suite.toml",
            "--base-url",
            "http://127.0.0.1:9",
        ],
        &[("NO_COLOR", "1")],
    );
    assert_ne!(run.code, 0);
    assert!(
        run.stderr
            .contains("CONFORM_FIXTURE_TOKEN (auth.bearerAuth)"),
        "{}",
        run.stderr
    );
}
