//! Opaque secrets (no JWT shape to give them away) with quotes, ampersands and spaces, given as
//! headers, as form and JSON fields and in the base URL's userinfo, appear nowhere: not on the
//! console, in any report, in the baseline file, in `--dry-run` or in `lint`.

mod common;

use std::process::Command;

const HEADER_SECRET: &str = "Bearer op'aque&tok en-1";
const API_KEY: &str = "k3y w'ith&amp-2";
const FORM_SECRET: &str = "cl ie&nt'secret-3";
const PASSWORD: &str = "pa ss&wo'rd-4";
const URL_PASSWORD: &str = "u-p4ss-word-5";

fn secrets() -> [&'static str; 5] {
    [HEADER_SECRET, API_KEY, FORM_SECRET, PASSWORD, URL_PASSWORD]
}

/// Every way a secret could be written out again: as given, form- or percent-encoded, and the
/// most telling fragments.
fn forms(secret: &str) -> Vec<String> {
    let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let json = serde_json::to_string(secret).unwrap();
    vec![
        secret.to_string(),
        encoded,
        json.trim_matches('"').to_string(),
        secret.replace('\'', "'\\''"),
    ]
}

fn assert_clean(what: &str, text: &str) {
    for secret in secrets() {
        for form in forms(secret) {
            assert!(!text.contains(&form), "{what} shows {form:?}");
        }
    }
}

fn suite(dir: &std::path::Path) -> String {
    let path = dir.join("secrets.toml");
    std::fs::write(
        &path,
        format!(
            r#"[suite]
examples = 2

[fixtures]
password = {{ value = "{PASSWORD}", secret = true }}

[operations.oauth_token]
content_type = "application/x-www-form-urlencoded"
inputs = {{ grant_type = "password", client_id = "conform-web-app", client_secret = "{FORM_SECRET}", username = "alice@conform.test", password = "${{fixtures.password}}" }}

[operations.dbconnections_signup]
content_type = "application/json"
inputs = {{ client_id = "conform-web-app", email = "new@conform.test", password = "${{fixtures.password}}", connection = "Username-Password-Authentication" }}
"#
        ),
    )
    .unwrap();
    path.to_string_lossy().to_string()
}

#[test]
fn opaque_secrets_never_reach_any_output() {
    let server = common::server(&[]);
    let dir = common::report_dir("secrets-opaque");
    std::fs::create_dir_all(&dir).unwrap();
    let suite = suite(&dir);
    let with_userinfo = server
        .base_url
        .replace("http://", &format!("http://conform-user:{URL_PASSWORD}@"));
    let baseline = dir.join("baseline.json");
    let reports = dir.join("reports");
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_conform"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["run", "--suite", &suite, "--base-url", &with_userinfo])
            .args(["-H", &format!("Authorization: {HEADER_SECRET}")])
            .args(["-H", &format!("X-Api-Key: {API_KEY}")])
            .args(["--seed", "4", "--report-dir"])
            .arg(&reports)
            .args(extra)
            .output()
            .expect("run conform");
        format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let console = run(&[
        "oauth_token",
        "--save-baseline",
        &baseline.to_string_lossy(),
    ]);
    assert!(console.contains("oauth_token/"), "the run ran: {console}");
    assert_clean("the console", &console);
    let signup = run(&["dbconnections_signup"]);
    assert_clean("the signup run's console", &signup);
    for entry in std::fs::read_dir(&reports).unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        assert_clean(&entry.path().display().to_string(), &text);
    }
    if baseline.exists() {
        assert_clean("the baseline", &std::fs::read_to_string(&baseline).unwrap());
    }
    let dry = run(&["--dry-run", "--live"]);
    assert!(dry.contains("nothing was sent"), "{dry}");
    assert_clean("--dry-run", &dry);
    let lint = Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["lint", "--suite", &suite])
        .output()
        .unwrap();
    assert_clean(
        "lint",
        &format!(
            "{}{}",
            String::from_utf8_lossy(&lint.stdout),
            String::from_utf8_lossy(&lint.stderr)
        ),
    );
    // The report does show where a secret was: masked values under their names.
    let json = std::fs::read_to_string(reports.join("conform.json")).unwrap();
    assert!(json.contains("●●●●"), "masks in the report");
}
