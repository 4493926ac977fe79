//! A failure's printed `rerun:` and `reproduce:` (curl) lines, run as printed through `bash -c`
//! after exporting the variables they name, fail again the same way; the secret they stand for
//! appears in neither. The fixture API (127.0.0.1, not Auth0) breaks its document only for an
//! authenticated request: a bearer token from `--header`, or a client secret in a form body
//! from a suite fixture.

mod common;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;

const TOKEN: &str = "repro-tok'en &7f3";
const CLIENT_SECRET: &str = "repro-cl'ient sec&9d1";
const CLIENT_ID: &str = "repro-app-literal-42";

const API: &str = r##"openapi: 3.0.3
info: {title: Reproduction fixture (not Auth0), version: "1"}
paths:
  /things:
    get:
      operationId: list_things
      security: [{bearerAuth: []}]
      responses:
        "200":
          description: the things
          content:
            application/json:
              schema: {type: object, required: [items], properties: {items: {type: array, items: {type: string}}}}
        "401": {$ref: "#/components/responses/Error"}
  /token:
    post:
      operationId: issue_token
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [client_id, client_secret]
              properties:
                client_id: {type: string}
                client_secret: {type: string}
      responses:
        "200":
          description: a token
          content:
            application/json:
              schema: {type: object, required: [token_type], properties: {token_type: {type: string}}}
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

/// The fixture: right credentials get an answer that breaks the document (`items` a number,
/// `token_type` a number); anything else a conforming 401.
fn start_api() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base_url = format!("http://{}", listener.local_addr().expect("address"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer(stream));
        }
    });
    base_url
}

fn answer(stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
    let Ok(clone) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(clone);
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    let (mut length, mut authorization) = (0usize, String::new());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().unwrap_or(0),
            "authorization" => authorization = value.trim().to_string(),
            _ => {}
        }
    }
    let mut body = vec![0u8; length.min(1 << 20)];
    let _ = reader.read_exact(&mut body);
    let path = first.split_whitespace().nth(1).unwrap_or("/");
    let path = path.split('?').next().unwrap_or(path);
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (status, text) = match path {
        "/things" if authorization == format!("Bearer {TOKEN}") => (200, r#"{"items":5}"#),
        "/token"
            if field("client_secret") == Some(CLIENT_SECRET)
                && field("client_id") == Some(CLIENT_ID) =>
        {
            (200, r#"{"token_type":7}"#)
        }
        _ => (401, r#"{"error":"unauthorized"}"#),
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.flush();
}

/// A fresh directory under the target dir: reports of reruns land here, not in the repository.
fn workdir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("workdir");
    dir
}

/// Runs conform in `dir` with `env`; stdout and stderr together.
fn conform(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_conform"));
    command.current_dir(dir).args(args);
    output(command, env.iter().copied())
}

/// Runs `command` with `env` exported, no colour and none of the caller's `CONFORM_*`
/// variables: its exit code, and stdout and stderr together.
fn output<K, V>(mut command: Command, env: impl IntoIterator<Item = (K, V)>) -> (i32, String)
where
    K: AsRef<OsStr>,
    V: AsRef<OsStr>,
{
    common::without_conform_env(&mut command).env("NO_COLOR", "1");
    command.envs(env);
    let out = command.output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The line of `output` after `prefix` in the failure block of `case`.
fn printed(output: &str, case: &str, prefix: &str) -> String {
    let block = output
        .split(&format!("---- {case} ----"))
        .nth(1)
        .unwrap_or_else(|| panic!("no failure block for {case}: {output}"));
    block
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` line for {case}: {block}"))
        .to_string()
}

/// The variables a line asks to export (`# before running, export A=<...>, B=<...>`).
fn wanted(line: &str) -> Vec<String> {
    let Some((_, note)) = line.split_once("# before running, export ") else {
        return Vec::new();
    };
    note.split(", ")
        .filter_map(|n| n.split_once('=').map(|(var, _)| var.trim().to_string()))
        .collect()
}

/// Runs `line` with bash in `dir`, `conform` resolving to the built binary, `env` exported.
fn bash(dir: &Path, line: &str, env: &[(String, String)]) -> (i32, String) {
    let bin = Path::new(env!("CARGO_BIN_EXE_conform"))
        .parent()
        .expect("binary directory")
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new("bash");
    command
        .current_dir(dir)
        .args(["-c", line])
        .env("PATH", path);
    output(command, env.iter().map(|(k, v)| (k, v)))
}

fn assert_no_secret(what: &str, line: &str) {
    for secret in [TOKEN, CLIENT_SECRET, CLIENT_ID] {
        let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        for form in [secret.to_string(), encoded, secret.replace('\'', "'\\''")] {
            assert!(!line.contains(&form), "{what} shows {form:?}: {line}");
        }
    }
}

/// Runs the rerun and curl lines of `case` as printed and checks both fail the same way.
fn reproduce(
    dir: &Path,
    output: &str,
    case: &str,
    exports: &[(&str, &str)],
    check: &str,
    bad_body: &str,
) {
    let first = output
        .split(&format!("---- {case} ----"))
        .nth(1)
        .unwrap_or_default();
    assert!(
        first.contains(check),
        "the run failed with {check}: {first}"
    );
    let rerun = printed(output, case, "rerun: ");
    let curl = printed(output, case, "reproduce: ");
    assert_no_secret("the rerun line", &rerun);
    assert_no_secret("the curl line", &curl);
    assert!(rerun.starts_with("conform run "), "{rerun}");
    // The JSON report carries the same lines, and is still JSON.
    let report = std::fs::read_to_string(dir.join("reports/conform.json")).expect("report");
    let report: serde_json::Value = serde_json::from_str(&report).expect("conform.json parses");
    let result = report["cases"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["id"] == case))
        .unwrap_or_else(|| panic!("{case} in conform.json"));
    assert_eq!(result["curl"].as_str(), Some(curl.as_str()), "{result}");
    assert_eq!(result["rerun"].as_str(), Some(rerun.as_str()), "{result}");
    assert!(curl.starts_with("curl "), "{curl}");
    // Exactly what the lines ask for, by the names they use.
    let env = |line: &str| -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = exports
            .iter()
            .filter(|(k, _)| !k.starts_with("CONFORM_"))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        for var in wanted(line) {
            let value = exports
                .iter()
                .find(|(k, _)| *k == var)
                .unwrap_or_else(|| {
                    panic!("the line asks for {var}, which the test cannot give: {line}")
                })
                .1;
            env.push((var, value.to_string()));
        }
        env
    };
    let (code, again) = bash(dir, &rerun, &env(&rerun));
    assert_eq!(code, 1, "the rerun fails again: {rerun}\n{again}");
    assert!(
        again.contains(&format!("test {case} ... FAILED")),
        "the same case fails: {again}"
    );
    let block = again
        .split(&format!("---- {case} ----"))
        .nth(1)
        .unwrap_or_else(|| panic!("{again}"));
    assert!(block.contains(check), "the same check ({check}): {block}");
    assert!(
        again.contains("1 failed") || again.contains("failed: 1"),
        "{again}"
    );
    let (code, answer) = bash(dir, &curl, &env(&curl));
    assert_eq!(code, 0, "curl ran: {curl}\n{answer}");
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "the curl line gets the failing status again: {curl}\n{answer}"
    );
    assert!(
        answer.contains(bad_body),
        "and the body that broke the document: {answer}"
    );
}

#[test]
fn a_bearer_token_from_the_environment_reproduces_as_a_variable() {
    let base_url = start_api();
    let dir = workdir("reproduce-env-header");
    let spec = dir.join("api.yaml");
    std::fs::write(&spec, API).unwrap();
    let spec = spec.display().to_string();
    let (code, output) = conform(
        &dir,
        &[
            "run",
            "--spec",
            &spec,
            "--base-url",
            &base_url,
            "--header",
            "Authorization: Bearer ${REPRO_TOKEN}",
            "--seed",
            "11",
            "--examples",
            "2",
            "--timeout",
            "7",
            "list_things",
        ],
        &[("REPRO_TOKEN", TOKEN)],
    );
    assert_eq!(code, 1, "{output}");
    assert!(
        output.contains("test list_things/200 ... FAILED"),
        "{output}"
    );
    let rerun = printed(&output, "list_things/200", "rerun: ");
    for flag in [
        "--seed 11",
        "--examples 2",
        "--timeout 7",
        "--spec ",
        "--base-url ",
    ] {
        assert!(rerun.contains(flag), "{flag} in {rerun}");
    }
    assert!(
        rerun.contains("--header 'Authorization: Bearer ${REPRO_TOKEN}'"),
        "{rerun}"
    );
    let curl = printed(&output, "list_things/200", "reproduce: ");
    assert!(
        curl.contains(r#"-H "Authorization: Bearer $REPRO_TOKEN""#),
        "{curl}"
    );
    reproduce(
        &dir,
        &output,
        "list_things/200",
        &[("REPRO_TOKEN", TOKEN)],
        "body_schema",
        r#"{"items":5}"#,
    );
}

#[test]
fn a_literal_header_value_reproduces_as_a_documented_placeholder() {
    let base_url = start_api();
    let dir = workdir("reproduce-literal-header");
    let spec = dir.join("api.yaml");
    std::fs::write(&spec, API).unwrap();
    let spec = spec.display().to_string();
    let header = format!("Authorization: Bearer {TOKEN}");
    let (code, output) = conform(
        &dir,
        &[
            "run",
            "--spec",
            &spec,
            "--base-url",
            &base_url,
            "--header",
            &header,
            "--seed",
            "12",
            "--examples",
            "2",
            "list_things",
        ],
        &[],
    );
    assert_eq!(code, 1, "{output}");
    assert_no_secret("the console", &output);
    let rerun = printed(&output, "list_things/200", "rerun: ");
    assert!(
        rerun.contains("--header 'Authorization: ${CONFORM_HEADER_AUTHORIZATION}'"),
        "{rerun}"
    );
    assert_eq!(wanted(&rerun), ["CONFORM_HEADER_AUTHORIZATION"], "{rerun}");
    let curl = printed(&output, "list_things/200", "reproduce: ");
    assert_eq!(wanted(&curl), ["CONFORM_HEADER_AUTHORIZATION"], "{curl}");
    let value = format!("Bearer {TOKEN}");
    reproduce(
        &dir,
        &output,
        "list_things/200",
        &[("CONFORM_HEADER_AUTHORIZATION", &value)],
        "body_schema",
        r#"{"items":5}"#,
    );
}

#[test]
fn suite_fixture_secrets_in_a_form_body_reproduce_as_variables() {
    let base_url = start_api();
    let dir = workdir("reproduce-suite-form");
    std::fs::write(dir.join("api.yaml"), API).unwrap();
    let suite = dir.join("suite.toml");
    std::fs::write(
        &suite,
        format!(
            r#"[suite]
spec = "api.yaml"

[fixtures]
client_id = {{ value = "{CLIENT_ID}", secret = true }}
client_secret = {{ value = "${{env.REPRO_CLIENT_SECRET}}", secret = true }}

[operations.issue_token]
inputs = {{ client_id = "${{fixtures.client_id}}", client_secret = "${{fixtures.client_secret}}" }}
"#
        ),
    )
    .unwrap();
    let suite = suite.display().to_string();
    let (code, output) = conform(
        &dir,
        &[
            "run",
            "--suite",
            &suite,
            "--base-url",
            &base_url,
            "--seed",
            "13",
            "--examples",
            "2",
            "issue_token",
        ],
        &[("REPRO_CLIENT_SECRET", CLIENT_SECRET)],
    );
    assert_eq!(code, 1, "{output}");
    assert_no_secret("the console", &output);
    let curl = printed(&output, "issue_token/200", "reproduce: ");
    assert!(
        curl.contains(r#"--data-urlencode "client_secret=$REPRO_CLIENT_SECRET""#),
        "{curl}"
    );
    // The literal fixture is a numbered placeholder the line explains.
    let wants: Vec<String> = wanted(&curl)
        .into_iter()
        .filter(|v| v != "REPRO_CLIENT_SECRET")
        .collect();
    assert_eq!(wants.len(), 1, "{curl}");
    assert!(wants[0].starts_with("CONFORM_SECRET_"), "{curl}");
    assert!(
        curl.contains(&format!("{}=<the value of fixtures.client_id>", wants[0])),
        "{curl}"
    );
    // The JSON report documents the same.
    let report = std::fs::read_to_string(dir.join("reports/conform.json")).expect("report");
    assert!(
        report.contains("<the value of fixtures.client_id>"),
        "{report}"
    );
    assert_no_secret("the JSON report", &report);
    reproduce(
        &dir,
        &output,
        "issue_token/200",
        &[
            ("REPRO_CLIENT_SECRET", CLIENT_SECRET),
            (&wants[0], CLIENT_ID),
        ],
        "body_schema",
        r#"{"token_type":7}"#,
    );
}
