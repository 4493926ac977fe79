//! Broken documents get one exact line naming the file, line:column and JSON pointer, and the
//! bad-input exit code; a recursive schema loads.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_conform");

fn list(fixture: &str) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args([
            "list",
            "--spec",
            &format!("tests/fixtures/broken/{fixture}"),
        ])
        .env_remove("CONFORM_SPEC")
        .output()
        .expect("run conform");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn each_broken_document_gets_its_exact_message() {
    let expected = [
        (
            "invalid-yaml.yaml",
            "error: tests/fixtures/broken/invalid-yaml.yaml:9:1: not valid YAML or JSON: did not find expected ',' or '}'",
        ),
        (
            "unknown-ref.yaml",
            "error: tests/fixtures/broken/unknown-ref.yaml:12:17: $ref '#/components/schemas/Missing' points to nothing in this document (at #/paths/~1pets/get/responses/200/content/application~1json/schema/$ref)",
        ),
        (
            "cyclic-ref.yaml",
            "error: tests/fixtures/broken/cyclic-ref.yaml:8:11: cyclic $ref chain: #/components/responses/A -> #/components/responses/B -> #/components/responses/A (at #/paths/~1pets/get/responses/200/$ref)",
        ),
        (
            "external-ref.yaml",
            "error: tests/fixtures/broken/external-ref.yaml:12:17: $ref 'https://example.com/schemas/pet.json' points to a URL; conform reads local files only and fetches nothing (at #/paths/~1pets/get/responses/200/content/application~1json/schema/$ref)",
        ),
        (
            "wrong-type.yaml",
            "error: tests/fixtures/broken/wrong-type.yaml:9:11: invalid OpenAPI document: invalid type: string \"yes please\", expected a boolean (at #/paths/~1pets/get/parameters/0/required)",
        ),
        (
            "swagger2.json",
            "error: tests/fixtures/broken/swagger2.json:2:3: not an OpenAPI 3.0 document: it is a Swagger 2.0 document; convert it to OpenAPI 3.0 first (at #/swagger)",
        ),
        (
            "openapi32-query.yaml",
            "error: tests/fixtures/broken/openapi32-query.yaml:5:5: not supported: OpenAPI 3.2.0 `query` operations (conform reads 3.2 documents that use nothing beyond 3.1) (at #/paths/~1search/query)",
        ),
    ];
    for (fixture, message) in expected {
        let (code, stdout, stderr) = list(fixture);
        assert_eq!(code, 3, "{fixture}: exit code (stderr: {stderr})");
        assert_eq!(stdout, "", "{fixture}: nothing listed");
        assert_eq!(stderr.trim_end(), message, "{fixture}");
    }
}

#[test]
fn a_missing_file_is_a_bad_input_error_naming_it() {
    let (code, _, stderr) = list("no-such-file.yaml");
    assert_eq!(code, 3);
    assert!(
        stderr.starts_with("error: tests/fixtures/broken/no-such-file.yaml:"),
        "{stderr}"
    );
}

#[test]
fn recursive_schemas_load_and_plan() {
    let (code, stdout, stderr) = list("recursive-ok.yaml");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().count(), 1);
    assert!(stdout.contains("GET /tree → 200"), "{stdout}");
}

#[test]
fn lint_lists_what_conform_works_around() {
    let out = Command::new(BIN)
        .args(["lint"])
        .env_remove("CONFORM_SPEC")
        .output()
        .expect("run conform");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("#/paths/~1oauth~1token/post/requestBody/content/application~1x-www-form-urlencoded/schema/oneOf: oneOf branches overlap"),
        "{stdout}"
    );
    assert!(stdout.contains("#/paths/~1userinfo/get/parameters/0: userinfo passes a credential in a header named `access_token`"), "{stdout}");
    assert!(
        stdout.contains("4 warnings in spec/auth0-authentication.yaml"),
        "{stdout}"
    );
}
