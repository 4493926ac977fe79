//! The command line as a user meets it: `list` (text and JSON), `serve --list-faults`, and
//! `serve` answering on the port it prints.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_conform");

#[test]
fn list_prints_280_cases_and_json_holds_every_field() {
    let text = Command::new(BIN)
        .arg("list")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(text.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&text.stdout).lines().count(), 280);

    let json = Command::new(BIN)
        .args(["list", "--format", "json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(rows.len(), 280);
    for row in &rows {
        for key in [
            "id", "method", "path", "status", "recipe", "runnable", "reason",
        ] {
            assert!(row.get(key).is_some(), "{key} missing in {row}");
        }
    }
    let token_400 = rows
        .iter()
        .find(|r| r["id"] == "oauth_token/400")
        .expect("oauth_token/400");
    assert_eq!(token_400["method"], "POST");
    assert_eq!(token_400["path"], "/oauth/token");
    assert_eq!(token_400["status"], "400");
    assert_eq!(token_400["recipe"], "invalid-input");
    assert_eq!(token_400["runnable"], true);
    // Without a suite nothing supplies 5xx recipes: ignored, with a reason.
    let bare = Command::new(BIN)
        .args([
            "list",
            "--format",
            "json",
            "--spec",
            "spec/auth0-authentication.yaml",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&bare.stdout).expect("JSON");
    let simulated = rows.iter().find(|r| r["id"] == "userinfo/503").unwrap();
    assert_eq!(simulated["runnable"], false);
    assert!(
        simulated["reason"]
            .as_str()
            .unwrap()
            .contains("suite recipe"),
        "{simulated}"
    );
}

#[test]
fn serve_lists_its_faults_and_answers_on_the_port_it_prints() {
    let faults = Command::new(BIN)
        .args(["serve", "--list-faults"])
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&faults.stdout);
    assert!(listing.lines().count() >= 20, "{listing}");
    assert!(
        listing.lines().all(|l| l.split_whitespace().count() > 3),
        "every fault has a description"
    );

    let mut child = Command::new(BIN)
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .expect(&line)
        .to_string();
    let jwks = common::get_json(&format!("{base}/.well-known/jwks.json"));
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(jwks["keys"][0]["kty"], "RSA", "{jwks}");

    let bad = Command::new(BIN)
        .args(["serve", "--fault", "no-such-fault"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--list-faults"));
}
