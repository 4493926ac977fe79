//! Auth0's own Python SDK (`auth0-python` 6.8.0, pinned in `.ci/run`) drives the reference server as a
//! real client would: password-realm login, client credentials, /userinfo, refresh, revoke,
//! signup, change password, passwordless email and SMS start, a wrong password raising the SDK's
//! error with Auth0's code, and the id_token verified by the SDK's `TokenVerifier` against the
//! server's JWKS. The server runs in this process on 127.0.0.1; the script is
//! `tests/sdk/auth0_sdk_check.py`.

mod common;

use std::path::Path;
use std::process::Command;

/// Whether `python3` can import the SDK. Without it the test skips, except under CI, where it
/// fails (the `.ci/run` install step must have put it there).
fn sdk_available() -> bool {
    Command::new("python3")
        .args(["-c", "import auth0.authentication"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn auth0_python_sdk_drives_the_reference_server() {
    if !sdk_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "auth0-python is not importable by python3 (CI installs it in .ci/run)"
        );
        eprintln!("skipped: auth0-python is not installed (pip install auth0-python)");
        return;
    }
    let server = common::server(&[]);
    assert!(server.base_url.starts_with("http://127.0.0.1:"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/auth0_sdk_check.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(&server.base_url)
        // Loopback only: no proxy may sit between the SDK and the server.
        .env("NO_PROXY", "*")
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the SDK script failed:\n{stdout}\n{stderr}"
    );
    for step in [
        "password-realm login",
        "TokenVerifier accepts the id_token",
        "client credentials",
        "userinfo returns the profile",
        "refresh token grant",
        "a revoked refresh token is refused",
        "signup returns _id and email",
        "change password returns Auth0's sentence",
        "passwordless email start",
        "passwordless SMS start",
        "a wrong password raises Auth0Error 403 invalid_grant",
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with("ok: ") && l.contains(step)),
            "step not passed: {step}\n{stdout}"
        );
    }
    assert!(stdout.contains(r#"{"result": "ok"}"#), "{stdout}");
}
