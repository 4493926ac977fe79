//! Inputs laid on every request never undo what a recipe breaks: against a strict fixture API
//! on 127.0.0.1 (not Auth0), every request of an invalid-input case still gets 400 although
//! `--header`, `[suite] headers` and `[recipes.invalid-input]` all hold the very header and body
//! field the generator breaks; every request of an unauthenticated case gets 401 although
//! `--header` and `[recipes.unauthenticated]` hold the valid credential.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};

const TOKEN: &str = "layers-tok-5e1";

const API: &str = r##"openapi: 3.0.3
info: {title: Recipe layers fixture (not Auth0), version: "1"}
paths:
  /items:
    post:
      operationId: create_item
      security: [{bearerAuth: []}]
      parameters:
        - {name: X-Trace, in: header, required: true, schema: {type: string, enum: [ok]}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [name]
              additionalProperties: false
              properties:
                name: {type: string, enum: [widget]}
      responses:
        "201":
          description: created
          content:
            application/json:
              schema: {type: object, required: [id], properties: {id: {type: string}}}
        "400": {$ref: "#/components/responses/Error"}
        "401": {$ref: "#/components/responses/Error"}
components:
  securitySchemes:
    bearerAuth: {type: http, scheme: bearer}
  responses:
    Error:
      description: refused
      content:
        application/json:
          schema: {type: object, required: [error], properties: {error: {type: string}}}
"##;

/// The fixture: 401 without the token, 400 for anything the document does not allow, 201
/// otherwise; every status answered is recorded.
fn start_api() -> (String, Arc<Mutex<Vec<u16>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base_url = format!("http://{}", listener.local_addr().expect("address"));
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&log);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let seen = Arc::clone(&seen);
            std::thread::spawn(move || answer(stream, &seen));
        }
    });
    (base_url, log)
}

fn answer(stream: TcpStream, log: &Mutex<Vec<u16>>) {
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
    let Ok(clone) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(clone);
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    let mut headers: Vec<(String, String)> = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
    };
    let length: usize = header("content-length")
        .first()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length.min(1 << 20)];
    let _ = reader.read_exact(&mut body);
    let authorized = header("authorization") == [format!("Bearer {TOKEN}")];
    let json = header("content-type")
        .first()
        .is_some_and(|c| c.starts_with("application/json"));
    let body_ok = json
        && serde_json::from_slice::<serde_json::Value>(&body)
            .is_ok_and(|b| b == serde_json::json!({"name": "widget"}));
    let (status, text) = if !first.starts_with("POST /items ") {
        (404, r#"{"error":"not found"}"#)
    } else if !authorized {
        (401, r#"{"error":"unauthorized"}"#)
    } else if header("x-trace") != ["ok"] || !body_ok {
        (400, r#"{"error":"invalid request"}"#)
    } else {
        (201, r#"{"id":"it-1"}"#)
    };
    log.lock().unwrap().push(status);
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.flush();
}

fn workdir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("workdir");
    dir
}

/// Runs one case of the fixture's suite; the statuses the fixture answered it.
fn run_case(case: &str) -> (String, Vec<u16>) {
    let (base_url, log) = start_api();
    let dir = workdir(&format!("recipe-layers-{}", case.replace('/', "-")));
    std::fs::write(dir.join("api.yaml"), API).unwrap();
    std::fs::write(
        dir.join("suite.toml"),
        r#"[suite]
spec = "api.yaml"
headers = { "X-Trace" = "ok" }

[fixtures]
token = { value = "layers-tok-5e1", secret = true }

# The very field and header the generator breaks, for every invalid-input case.
[recipes.invalid-input]
inputs = { name = "widget" }
headers = { "x-trace" = "ok" }

# The valid credential again, and an unrelated header, for every unauthenticated case.
[recipes.unauthenticated]
headers = { authorization = "Bearer ${fixtures.token}", x-team = "blue" }
"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(&dir)
        .args(["run", "--suite", "suite.toml", "--base-url", &base_url])
        .args(["--header", &format!("Authorization: Bearer {TOKEN}")])
        .args(["--header", "X-Trace: ok"])
        .args(["--seed", "5", "--examples", "24", "--exact", case])
        .env("NO_COLOR", "1")
        .env_remove("CONFORM_SPEC")
        .env_remove("CONFORM_BASE_URL")
        .env_remove("CONFORM_SEED")
        .output()
        .expect("run conform");
    let output = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let statuses = log.lock().unwrap().clone();
    (output, statuses)
}

#[test]
fn every_invalid_input_request_stays_invalid_under_every_layer() {
    let (output, statuses) = run_case("create_item/400");
    assert!(output.contains("test create_item/400 ... ok"), "{output}");
    // Generated, not one repaired minimal request: many examples, each refused.
    assert!(statuses.len() >= 10, "{statuses:?}\n{output}");
    assert!(
        statuses.iter().all(|s| *s == 400),
        "every request still broke the document: {statuses:?}\n{output}"
    );
}

#[test]
fn an_unauthenticated_case_never_gets_its_credential_back() {
    let (output, statuses) = run_case("create_item/401");
    assert!(output.contains("test create_item/401 ... ok"), "{output}");
    assert!(!statuses.is_empty(), "{output}");
    assert!(
        statuses.iter().all(|s| *s == 401),
        "no request was authenticated: {statuses:?}\n{output}"
    );
    assert!(!output.contains(TOKEN), "{output}");
}

#[test]
fn the_layers_do_authenticate_every_other_case() {
    // The same settings make a valid request: the two tests above are not vacuous.
    let (output, statuses) = run_case("create_item/201");
    assert!(output.contains("test create_item/201 ... ok"), "{output}");
    assert!(statuses.contains(&201), "{statuses:?}\n{output}");
}
