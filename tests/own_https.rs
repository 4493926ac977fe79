//! Pointing conform at an API that is not Auth0, with no suite: a small axum server (its own
//! OpenAPI document in tests/fixtures/own_https/: bearer and API-key security, a JSON and a
//! form operation) over HTTPS with a self-signed certificate, tested with `--ca-cert` and
//! `--header` only. The fixture conforms, so every failure would be false; it records every
//! request so the test can see what conform sent.

mod common;
#[path = "common/tls.rs"]
mod tls;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

const SPEC: &str = "tests/fixtures/own_https/api.yaml";
const TOKEN: &str = "own-https-tok-5b1e";
const KEY: &str = "own-https-key-90ac";
/// The client the document's form example names: the fixture issues tokens to it only.
const CLIENT: (&str, &str) = ("shop-client", "shop-secret");

/// One request the fixture answered.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    content_type: String,
    body: String,
    status: u16,
}

#[derive(Default)]
struct Shop {
    widgets: BTreeMap<String, Value>,
    next: u32,
    seen: Vec<Seen>,
}

type Shared = Arc<Mutex<Shop>>;

fn error(status: StatusCode, error: &str, message: &str) -> (StatusCode, Value) {
    (status, json!({"error": error, "message": message}))
}

fn essence(headers: &HeaderMap) -> String {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn has(headers: &HeaderMap, name: &str, value: &str) -> bool {
    headers.get(name).and_then(|v| v.to_str().ok()) == Some(value)
}

fn string_in(body: &Value, key: &str, max: usize) -> Option<String> {
    let s = body.get(key)?.as_str()?;
    let n = s.chars().count();
    (1..=max).contains(&n).then(|| s.to_string())
}

/// Every route of the document, answering exactly as it says.
fn answer(
    shop: &mut Shop,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> (StatusCode, Value) {
    let bearer = has(headers, "authorization", &format!("Bearer {TOKEN}"));
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["health"]) => (StatusCode::OK, json!({"status": "ok"})),
        ("GET", ["widgets"]) => {
            if !bearer {
                return error(StatusCode::UNAUTHORIZED, "unauthorized", "bearer token");
            }
            let limits: Vec<String> = url::form_urlencoded::parse(query.as_bytes())
                .filter(|(k, _)| k == "limit")
                .map(|(_, v)| v.into_owned())
                .collect();
            let limit = match limits.as_slice() {
                [] => 50,
                [one] => match one.parse::<i64>() {
                    Ok(n) if (1..=50).contains(&n) => n as usize,
                    _ => return error(StatusCode::BAD_REQUEST, "invalid_limit", one),
                },
                _ => return error(StatusCode::BAD_REQUEST, "invalid_limit", "repeated"),
            };
            let list: Vec<Value> = shop.widgets.values().take(limit).cloned().collect();
            (StatusCode::OK, Value::Array(list))
        }
        ("POST", ["widgets"]) => {
            if !bearer {
                return error(StatusCode::UNAUTHORIZED, "unauthorized", "bearer token");
            }
            if essence(headers) != "application/json" {
                return error(StatusCode::BAD_REQUEST, "invalid_body", "JSON expected");
            }
            let Ok(new) = serde_json::from_slice::<Value>(body) else {
                return error(StatusCode::BAD_REQUEST, "invalid_body", "malformed JSON");
            };
            if !new.is_object() {
                return error(StatusCode::BAD_REQUEST, "invalid_body", "not an object");
            }
            let Some(name) = string_in(&new, "name", 40) else {
                return error(StatusCode::BAD_REQUEST, "invalid_name", "name");
            };
            let size = match new.get("size") {
                None => 1,
                Some(v) => match v.as_i64() {
                    Some(n) if (1..=100).contains(&n) => n,
                    _ => return error(StatusCode::BAD_REQUEST, "invalid_size", "size"),
                },
            };
            shop.next += 1;
            let id = format!("w-{}", shop.next);
            let widget = json!({"id": id, "name": name, "size": size});
            shop.widgets.insert(id, widget.clone());
            (StatusCode::CREATED, widget)
        }
        ("GET", ["widgets", id]) => {
            if !bearer {
                return error(StatusCode::UNAUTHORIZED, "unauthorized", "bearer token");
            }
            let id = url::form_urlencoded::parse(format!("id={id}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            match shop.widgets.get(&id) {
                Some(widget) => (StatusCode::OK, widget.clone()),
                None => error(StatusCode::NOT_FOUND, "not_found", "no such widget"),
            }
        }
        ("POST", ["token"]) => {
            if !has(headers, "x-api-key", KEY) {
                return error(StatusCode::UNAUTHORIZED, "unauthorized", "API key");
            }
            let fields: Value = match essence(headers).as_str() {
                "application/x-www-form-urlencoded" => {
                    let mut map = serde_json::Map::new();
                    for (k, v) in url::form_urlencoded::parse(body) {
                        map.insert(k.into_owned(), Value::String(v.into_owned()));
                    }
                    Value::Object(map)
                }
                "application/json" => match serde_json::from_slice::<Value>(body) {
                    Ok(v) if v.is_object() => v,
                    _ => return error(StatusCode::BAD_REQUEST, "invalid_request", "JSON"),
                },
                _ => return error(StatusCode::BAD_REQUEST, "invalid_request", "media type"),
            };
            if fields.get("grant_type").and_then(Value::as_str) != Some("client_credentials") {
                return error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "grant");
            }
            let (Some(id), Some(secret)) = (
                string_in(&fields, "client_id", 64),
                string_in(&fields, "client_secret", 64),
            ) else {
                return error(StatusCode::BAD_REQUEST, "invalid_request", "client");
            };
            if (id.as_str(), secret.as_str()) != CLIENT {
                return error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client");
            }
            (
                StatusCode::OK,
                json!({"access_token": "issued-token", "token_type": "Bearer", "expires_in": 60}),
            )
        }
        _ => error(StatusCode::NOT_FOUND, "not_found", "no such route"),
    }
}

async fn serve(
    State(shop): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut shop = shop.lock().unwrap();
    let path = uri.path().to_string();
    let (status, value) = answer(
        &mut shop,
        &method,
        &path,
        uri.query().unwrap_or(""),
        &headers,
        &body,
    );
    shop.seen.push(Seen {
        method: method.to_string(),
        path,
        content_type: essence(&headers),
        body: String::from_utf8_lossy(&body).into_owned(),
        status: status.as_u16(),
    });
    (status, axum::Json(value)).into_response()
}

struct Fixture {
    base_url: String,
    cert: String,
    shop: Shared,
    _runtime: tokio::runtime::Runtime,
}

/// The shop over HTTPS on 127.0.0.1, with widget `w-1` (the document's example id) in stock.
fn start() -> Fixture {
    start_named("own-https-cert")
}

/// The fixture with a certificate of its own (tests run at once: one file each).
fn start_named(cert_name: &str) -> Fixture {
    let (acceptor, cert) = tls::self_signed(cert_name);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let tcp = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let base_url = format!("https://{}", tcp.local_addr().expect("addr"));
    let mut stock = Shop {
        next: 1,
        ..Shop::default()
    };
    stock.widgets.insert(
        "w-1".into(),
        json!({"id": "w-1", "name": "gear", "size": 3}),
    );
    let shop: Shared = Arc::new(Mutex::new(stock));
    let app = axum::Router::new()
        .fallback(serve)
        .with_state(Arc::clone(&shop));
    runtime.spawn(async move {
        let _ = axum::serve(tls::TlsListener { tcp, acceptor }, app).await;
    });
    Fixture {
        base_url,
        cert: cert.display().to_string(),
        shop,
        _runtime: runtime,
    }
}

fn case<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no case {id} in {report}"))
}

fn first_sent(report: &Value, id: &str) -> String {
    case(report, id)["sent"][0]
        .as_str()
        .unwrap_or_else(|| panic!("{id} sent nothing: {}", case(report, id)))
        .to_string()
}

#[test]
fn no_suite_over_https_reaches_most_pairs_with_examples_first_every_media_type_and_no_false_failure()
 {
    let fixture = start();
    let run = common::conform_env(
        "own-https",
        &[
            "run",
            "--spec",
            SPEC,
            "--base-url",
            &fixture.base_url,
            "--ca-cert",
            &fixture.cert,
            "--header",
            "Authorization: Bearer ${OWN_TOKEN}",
            "--header",
            "X-Api-Key: ${OWN_KEY}",
            "--examples",
            "6",
        ],
        &[("NO_COLOR", "1"), ("OWN_TOKEN", TOKEN), ("OWN_KEY", KEY)],
    );
    assert!(
        run.report_dir.join("conform.json").exists(),
        "no report (exit {}):\n{}\n{}",
        run.code,
        run.stdout,
        run.stderr
    );
    let report = run.json();
    let cases = report["cases"].as_array().expect("cases");
    let outcomes: Vec<(String, String)> = cases
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap_or_default().to_string(),
                c["outcome"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    // Every (operation, status) pair of the document is one the fixture can produce.
    assert_eq!(cases.len(), 13, "{outcomes:?}");
    let count = |outcome: &str| outcomes.iter().filter(|(_, o)| o == outcome).count();
    assert_eq!(
        count("failed"),
        0,
        "false failures: {outcomes:?}\n{}",
        run.stdout
    );
    assert_eq!(
        count("error"),
        0,
        "harness errors: {outcomes:?}\n{}",
        run.stdout
    );
    let reached = count("passed");
    assert!(
        reached * 10 >= cases.len() * 8,
        "reached {reached} of {}: {outcomes:?}",
        cases.len()
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);

    // The document's examples are the first valid candidates: the parameter example (query
    // and path), the properties' schema examples and the form media type's example.
    assert!(
        first_sent(&report, "listWidgets/200").contains("limit=2"),
        "{}",
        first_sent(&report, "listWidgets/200")
    );
    // (getWidget/200 first calls the source of its link, below: its first own request counts.)
    let gets: Vec<&str> = case(&report, "getWidget/200")["sent"]
        .as_array()
        .expect("sent")
        .iter()
        .filter_map(Value::as_str)
        .filter(|s| s.starts_with("GET "))
        .collect();
    assert!(
        gets.first()
            .is_some_and(|g| g.starts_with("GET /widgets/w-1 ")),
        "{gets:?}"
    );
    let create = first_sent(&report, "createWidget/201");
    assert!(
        create.contains("\"name\":\"sprocket\"") && create.contains("\"size\":7"),
        "{create}"
    );
    let token = first_sent(&report, "issueToken/200");
    assert!(
        token.contains("grant_type=client_credentials") && token.contains("client_id=shop-client"),
        "{token}"
    );
    assert_eq!(case(&report, "issueToken/200")["outcome"], "passed");

    // What the fixture received: the form operation got a form with the example's client
    // (and answered it with a token), and JSON too, its other documented media type.
    let seen = fixture.shop.lock().unwrap().seen.clone();
    let to_token: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.method == "POST" && s.path == "/token")
        .collect();
    assert!(
        to_token
            .iter()
            .any(|s| s.content_type == "application/x-www-form-urlencoded"
                && s.body.contains("client_id=shop-client")
                && s.status == 200),
        "{to_token:#?}"
    );
    let valid_json = |s: &&Seen| {
        s.content_type == "application/json"
            && serde_json::from_str::<Value>(&s.body)
                .is_ok_and(|v| v["grant_type"] == "client_credentials")
    };
    assert!(to_token.iter().any(valid_json), "{to_token:#?}");
    assert!(
        seen.iter().any(|s| s.method == "POST"
            && s.path == "/widgets"
            && s.content_type == "application/json"
            && s.status == 201),
        "{seen:#?}"
    );
    // The document's link (createWidget 201 → getWidget's `id` from `$response.body#/id`): a
    // widget is created for getWidget/200, and the id its answer gave is fetched.
    // Its requests: the link's source call, the example, then the linked candidate.
    let get_sent = case(&report, "getWidget/200")["sent"].to_string();
    assert!(get_sent.contains("POST /widgets"), "{get_sent}");
    let linked = gets
        .get(1)
        .and_then(|g| g.split_whitespace().nth(1))
        .unwrap_or_else(|| panic!("no linked candidate: {gets:?}"));
    assert_ne!(linked, "/widgets/w-1");
    assert!(
        seen.iter()
            .any(|s| s.method == "GET" && s.path == linked && s.status == 200),
        "the linked id {linked} was not a created widget: {seen:#?}"
    );
    // Credentials given with --header are secrets: never printed or written.
    let all = run.all_output();
    assert!(!all.contains(TOKEN) && !all.contains(KEY));
}

#[test]
fn conform_init_for_the_fixture_writes_a_suite_that_runs_unchanged() {
    let fixture = start_named("own-https-init-cert");
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("own-https-init");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let suite = dir.join("mine.toml");
    let init = std::process::Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "init",
            "--spec",
            SPEC,
            "--base-url",
            &fixture.base_url,
            "-o",
        ])
        .arg(&suite)
        .output()
        .expect("conform init");
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let text = std::fs::read_to_string(&suite).expect("the suite was written");
    // What it asks to export, with the values a user of this server would give.
    let exports: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim_start_matches('#').trim().strip_prefix("export "))
        .filter_map(|l| l.split('=').next().map(str::to_string))
        .collect();
    assert_eq!(
        exports,
        ["WIDGET_SHOP_TOKEN", "WIDGET_SHOP_KEY", "WIDGET_SHOP_ID"],
        "{text}"
    );
    let run = common::conform_env(
        "own-https-init-run",
        &[
            "run",
            "--suite",
            suite.to_str().unwrap(),
            "--ca-cert",
            &fixture.cert,
        ],
        &[
            ("NO_COLOR", "1"),
            ("WIDGET_SHOP_TOKEN", TOKEN),
            ("WIDGET_SHOP_KEY", KEY),
            ("WIDGET_SHOP_ID", "w-1"),
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let cases = report["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 13);
    let passed = cases.iter().filter(|c| c["outcome"] == "passed").count();
    assert!(passed * 10 >= cases.len() * 8, "{}", run.stdout);
    assert!(!run.all_output().contains(TOKEN) && !run.all_output().contains(KEY));
}
