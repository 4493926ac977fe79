//! `conform init`: the starter suite it prints loads (`lint`, `list`) and runs unchanged against
//! the Pets example server (real HTTP on 127.0.0.1, the code `cargo run --example pets` runs);
//! `-o` never writes over a file; bad input is a clear error; every public document gets a
//! suite that loads.

#[allow(dead_code)]
#[path = "../examples/pets/server.rs"]
mod pets;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_conform");
const TOKEN: &str = "pets-tok-5e1a9";
const KEY: &str = "pets-key-c07b2";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh, empty directory under the target dir.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("init-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// `conform ARGS` from the repository root, with only `env` added to a clean environment.
fn conform(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BIN);
    command
        .current_dir(root())
        .args(args)
        .env_remove("CONFORM_SPEC")
        .env_remove("CONFORM_SUITE")
        .env_remove("CONFORM_BASE_URL")
        .env_remove("CONFORM_SEED")
        .env("NO_COLOR", "1");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run conform")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The variables a starter suite says to export (`#   export NAME='...'`).
fn exported(suite: &str) -> Vec<String> {
    suite
        .lines()
        .filter_map(|l| l.strip_prefix("#   export "))
        .filter_map(|l| l.split('=').next())
        .map(String::from)
        .collect()
}

#[test]
fn the_pets_suite_loads_and_runs_unchanged_against_the_pets_server() {
    let server = pets::start(
        "127.0.0.1:0",
        pets::Config {
            token: TOKEN.into(),
            api_key: KEY.into(),
            bug: false,
            tls: None,
        },
    )
    .expect("start the pets example");
    let base_url = server.base_url();
    let dir = scratch("pets");
    std::fs::create_dir_all(dir.join("suites")).unwrap();
    let suite_path = dir.join("suites/pets.toml");
    // As the README does it: stdout redirected to the suite file.
    let status = Command::new(BIN)
        .current_dir(root())
        .args([
            "init",
            "--spec",
            "examples/pets/api.yaml",
            "--base-url",
            &base_url,
        ])
        .stdout(Stdio::from(
            std::fs::File::create(&suite_path).expect("suite file"),
        ))
        .status()
        .expect("conform init");
    assert_eq!(status.code(), Some(0));
    let suite = std::fs::read_to_string(&suite_path).unwrap();
    assert_eq!(
        exported(&suite),
        ["PETS_API_TOKEN", "PETS_API_KEY", "PETS_API_PET_ID"],
        "{suite}"
    );
    assert!(
        suite.contains(&format!("target = \"{base_url}\"")),
        "{suite}"
    );
    for table in [
        "[operations.health]",
        "[operations.listPets]",
        "[operations.createPet]",
        "[operations.showPetById]",
        "[operations.stats]",
        "[auth.bearerAuth]",
        "[auth.apiKey]",
    ] {
        assert!(suite.contains(table), "{table} missing:\n{suite}");
    }
    // The document is named relative to the suite file, wherever that is.
    assert!(
        suite.contains("spec = \"../../../../examples/pets/api.yaml\""),
        "{suite}"
    );
    // Commented examples for the recipe classes the plan has, and no others.
    assert!(suite.contains("# [recipes.invalid-input]"), "{suite}");
    assert!(
        suite.contains("# [cases.\"listPets/401\"]\n# headers = { authorization = \"Bearer not-a-valid-token\" }"),
        "{suite}"
    );
    assert!(!suite.contains("[recipes.rate-limited]"), "{suite}");
    assert!(!suite.contains("[recipes.server-error]"), "{suite}");

    let suite_arg = suite_path.to_str().unwrap();
    let env = [
        ("PETS_API_TOKEN", TOKEN),
        ("PETS_API_KEY", KEY),
        ("PETS_API_PET_ID", "1"),
    ];
    // Without the variables: nothing is sent, and every missing one is named.
    let missing = conform(&["list", "--suite", suite_arg], &[]);
    assert_eq!(missing.status.code(), Some(3));
    let why = text(&missing.stderr);
    for var in ["PETS_API_TOKEN", "PETS_API_KEY", "PETS_API_PET_ID"] {
        assert!(why.contains(var), "{why}");
    }

    let lint = conform(&["lint", "--suite", suite_arg], &env);
    assert_eq!(lint.status.code(), Some(0), "{}", text(&lint.stderr));
    let list = conform(&["list", "--suite", suite_arg], &env);
    assert_eq!(list.status.code(), Some(0), "{}", text(&list.stderr));
    assert_eq!(
        text(&list.stdout).lines().count(),
        12,
        "{}",
        text(&list.stdout)
    );
    assert!(
        !text(&list.stdout).contains("ignored"),
        "{}",
        text(&list.stdout)
    );

    let reports = dir.join("reports");
    let run = conform(
        &[
            "run",
            "--suite",
            suite_arg,
            "--report-dir",
            reports.to_str().unwrap(),
            "--examples",
            "3",
        ],
        &env,
    );
    let (out, err) = (text(&run.stdout), text(&run.stderr));
    assert_eq!(run.status.code(), Some(0), "{out}\n{err}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join("conform.json")).unwrap())
            .unwrap();
    let cases = report["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 12);
    for case in cases {
        assert_eq!(case["outcome"], "passed", "{case}");
    }
    // The credentials came from the environment: secret, in no output.
    for secret in [TOKEN, KEY] {
        assert!(!out.contains(secret) && !err.contains(secret), "{secret}");
    }
}

#[test]
fn over_https_the_suite_runs_unchanged_with_ca_cert_and_not_without() {
    let dir = scratch("https");
    let cert = dir.join("pets-cert.pem");
    let server = pets::start(
        "127.0.0.1:0",
        pets::Config {
            token: TOKEN.into(),
            api_key: KEY.into(),
            bug: false,
            tls: Some(pets::self_signed(&cert).expect("certificate")),
        },
    )
    .expect("start the pets example over TLS");
    let base_url = server.base_url();
    assert!(base_url.starts_with("https://127.0.0.1:"), "{base_url}");
    let suite = dir.join("pets.toml");
    let init = conform(
        &[
            "init",
            "--spec",
            "examples/pets/api.yaml",
            "--base-url",
            &base_url,
            "-o",
            suite.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(init.status.code(), Some(0), "{}", text(&init.stderr));
    let env = [
        ("PETS_API_TOKEN", TOKEN),
        ("PETS_API_KEY", KEY),
        ("PETS_API_PET_ID", "2"),
    ];
    let run = |extra: &[&str], name: &str| {
        let reports = dir.join(name);
        let mut args = vec![
            "run",
            "--suite",
            suite.to_str().unwrap(),
            "--examples",
            "2",
            "--report-dir",
            reports.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        conform(&args, &env)
    };
    let trusted = run(&["--ca-cert", cert.to_str().unwrap()], "trusted");
    let out = text(&trusted.stdout);
    assert_eq!(
        trusted.status.code(),
        Some(0),
        "{out}\n{}",
        text(&trusted.stderr)
    );
    assert!(out.contains("12 passed; 0 failed"), "{out}");
    // Without the certificate every case is a harness error that says what to do (exit 5).
    let untrusted = run(&[], "untrusted");
    let all = format!("{}{}", text(&untrusted.stdout), text(&untrusted.stderr));
    assert_eq!(untrusted.status.code(), Some(5), "{all}");
    assert!(
        all.contains("--ca-cert")
            && !all.contains("passed; 0 failed; 0 unreached; 0 blocked; 0 errors"),
        "{all}"
    );
}

#[test]
fn output_is_never_written_over_an_existing_file() {
    let dir = scratch("overwrite");
    let existing = dir.join("mine.toml");
    std::fs::write(&existing, "# my own suite, keep it\n").unwrap();
    let refused = conform(
        &[
            "init",
            "--spec",
            "examples/pets/api.yaml",
            "-o",
            existing.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(refused.status.code(), Some(2));
    let err = text(&refused.stderr);
    assert!(
        err.contains(existing.to_str().unwrap()) && err.contains("already exists"),
        "{err}"
    );
    assert!(refused.stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(&existing).unwrap(),
        "# my own suite, keep it\n"
    );
    // A link to nowhere is a file that exists too: nothing is created through it.
    #[cfg(unix)]
    {
        let link = dir.join("link.toml");
        std::os::unix::fs::symlink(dir.join("elsewhere.toml"), &link).unwrap();
        let refused = conform(
            &[
                "init",
                "--spec",
                "examples/pets/api.yaml",
                "--output",
                link.to_str().unwrap(),
            ],
            &[],
        );
        assert_eq!(refused.status.code(), Some(2));
        assert!(!dir.join("elsewhere.toml").exists());
    }

    // To a pipe: the document as given, for a suite in the current directory.
    let piped = conform(&["init", "--spec", "examples/pets/api.yaml"], &[]);
    assert_eq!(piped.status.code(), Some(0));
    assert!(
        text(&piped.stdout).contains("\nspec = \"examples/pets/api.yaml\"\n"),
        "{}",
        text(&piped.stdout)
    );

    // Credentials in --base-url are not printed: they become variables to export.
    let with_credentials = conform(
        &[
            "init",
            "--spec",
            "examples/pets/api.yaml",
            "--base-url",
            "http://pets-user:s3cr3t-pw@127.0.0.1:9/v1/",
        ],
        &[],
    );
    let (out, err) = (
        text(&with_credentials.stdout),
        text(&with_credentials.stderr),
    );
    assert_eq!(with_credentials.status.code(), Some(0), "{err}");
    assert!(
        !out.contains("s3cr3t-pw") && !err.contains("s3cr3t-pw"),
        "{out}"
    );
    assert!(
        out.contains(
            "target = \"http://${PETS_API_BASE_URL_USER}:${PETS_API_BASE_URL_PASSWORD}@127.0.0.1:9/v1\""
        ),
        "{out}"
    );

    // A new file: written, nothing on stdout, and it loads (its document relative to it).
    let fresh = dir.join("fresh.toml");
    let wrote = conform(
        &[
            "init",
            "--spec",
            "examples/pets/api.yaml",
            "--output",
            fresh.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(wrote.status.code(), Some(0), "{}", text(&wrote.stderr));
    assert!(wrote.stdout.is_empty());
    let suite = std::fs::read_to_string(&fresh).unwrap();
    // No --base-url: the target is a variable too.
    assert!(
        suite.contains("target = \"${PETS_API_BASE_URL}\""),
        "{suite}"
    );
    let env: Vec<(String, String)> = exported(&suite)
        .into_iter()
        .map(|v| (v, "http://127.0.0.1:9".to_string()))
        .collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let list = conform(&["list", "--suite", fresh.to_str().unwrap()], &env);
    assert_eq!(list.status.code(), Some(0), "{}", text(&list.stderr));
    assert_eq!(text(&list.stdout).lines().count(), 12);
}

#[test]
fn bad_input_is_a_clear_error_and_a_non_zero_exit() {
    let dir = scratch("bad");
    let out = dir.join("never.toml");
    let out = out.to_str().unwrap();
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["init", "--spec", "no/such/api.yaml", "-o", out],
            3,
            "no/such/api.yaml",
        ),
        (
            &[
                "init",
                "--spec",
                "tests/fixtures/broken/invalid-yaml.yaml",
                "-o",
                out,
            ],
            3,
            "invalid-yaml.yaml",
        ),
        (
            &["init", "--spec", "tests/fixtures/broken/swagger2.json"],
            3,
            "Swagger 2.0",
        ),
        (
            &[
                "init",
                "--spec",
                "examples/pets/api.yaml",
                "--base-url",
                "localhost:8789",
            ],
            2,
            "--base-url",
        ),
        (
            &[
                "init",
                "--spec",
                "examples/pets/api.yaml",
                "-o",
                "no/such/dir/mine.toml",
            ],
            2,
            "no/such/dir",
        ),
        (&["init"], 2, "--spec"),
    ];
    for (args, code, needle) in cases {
        let run = conform(args, &[]);
        let err = text(&run.stderr);
        assert_eq!(run.status.code(), Some(*code), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(
            !err.contains("internal error") && !err.contains("panicked"),
            "{err}"
        );
        assert!(run.stdout.is_empty(), "{args:?}");
    }
    assert!(!Path::new(out).exists(), "nothing written on an error");
}

/// A document whose names carry line breaks, quotes and TOML: none of it escapes its string or
/// comment, and the suite holds exactly what the document says.
#[test]
fn hostile_names_stay_inside_their_strings_and_comments() {
    let dir = scratch("hostile");
    let doc = dir.join("evil.yaml");
    std::fs::write(&doc, EVIL).unwrap();
    let run = conform(&["init", "--spec", doc.to_str().unwrap()], &[]);
    let suite = text(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let vars: HashMap<String, String> = exported(&suite)
        .into_iter()
        .map(|v| (v, "x".to_string()))
        .collect();
    assert_eq!(vars.len(), 5, "{suite}");
    let loaded = conform::suite::load_str(Path::new("evil.toml"), &suite, &|name| {
        vars.get(name).cloned()
    })
    .unwrap_or_else(|e| panic!("{e}\n{suite}"));
    let file = &loaded.file;
    assert_eq!(
        file.suite.name.as_deref(),
        Some("Evil\n[suite]\nname = 'x' (starter)")
    );
    assert_eq!(file.suite.strict, None, "a summary set `strict`:\n{suite}");
    assert!(file.cases.is_empty(), "{suite}");
    assert_eq!(
        file.operations.keys().collect::<Vec<_>>(),
        ["op\"\n[cases]"],
        "{suite}"
    );
    let mut inputs: Vec<&String> = file.operations[0].inputs.keys().collect();
    inputs.sort();
    assert_eq!(inputs, ["X-Token\nY", "id\n", "q\"x"], "{suite}");
    assert_eq!(
        file.auth.keys().collect::<Vec<_>>(),
        ["a\nb = 1"],
        "{suite}"
    );
    // Every comment stays one line: no line of the output starts a table the document named.
    assert!(
        !suite
            .lines()
            .any(|l| l.starts_with("[x]") || l.starts_with("[y]")),
        "{suite}"
    );
}

const EVIL: &str = r#"openapi: 3.0.3
info: {title: "Evil\n[suite]\nname = 'x'", version: "1\n[x]"}
security:
  - "a\nb = 1": []
paths:
  "/p/{id\n}":
    post:
      operationId: "op\"\n[cases]"
      summary: "line\n[suite]\nstrict = true"
      parameters:
        - {name: "id\n", in: path, required: true, schema: {type: string}}
        - {name: "q\"x", in: query, required: true, schema: {type: string}}
        - {name: "X-Token\nY", in: header, required: true, schema: {type: string}}
      requestBody:
        content:
          "application/json\n[x]":
            schema: {type: object, required: ["a\nb", "c\"d"], properties: {"a\nb": {type: string}}}
      responses:
        '200': {description: ok}
        '401': {description: no}
        '403': {description: no}
        '409': {description: no}
components:
  securitySchemes:
    "a\nb = 1": {type: apiKey, in: header, name: "X-Key\n[y]"}
"#;

/// Every document of ../shared/specs/public conform can load gets a suite that loads with the
/// variables it lists (and fails without them); the others are refused as `conform lint`
/// refuses them. Only init runs the binary (two at a time); the suites load in-process.
#[test]
fn every_public_document_gets_a_suite_that_loads() {
    let public = root().join("../shared/specs/public");
    if !public.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is missing",
            public.display()
        );
        eprintln!("skipped: {} is missing", public.display());
        return;
    }
    let mut documents: Vec<PathBuf> = std::fs::read_dir(&public)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    documents.sort();
    documents.push(root().join("spec/auth0-authentication-api-3.1.json"));
    let dir = scratch("public");
    let results: Vec<(PathBuf, Output, PathBuf)> = std::thread::scope(|scope| {
        let halves: Vec<_> = documents
            .chunks(documents.len().div_ceil(2))
            .map(|chunk| {
                let dir = &dir;
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|doc| {
                            let name = doc.file_name().unwrap().to_string_lossy().into_owned();
                            let suite = dir.join(format!("{name}.toml"));
                            let run = conform(
                                &[
                                    "init",
                                    "--spec",
                                    doc.to_str().unwrap(),
                                    "-o",
                                    suite.to_str().unwrap(),
                                ],
                                &[],
                            );
                            (doc.clone(), run, suite)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        halves
            .into_iter()
            .flat_map(|h| h.join().expect("init thread"))
            .collect()
    });
    let (mut loaded, mut loaded_31, mut refused) = (0, 0, Vec::new());
    for (doc, run, suite_path) in results {
        let err = text(&run.stderr);
        assert!(!err.contains("internal error"), "{}: {err}", doc.display());
        if run.status.code() != Some(0) {
            // Only a document conform cannot read at all is refused, with exit 3 and its name.
            assert_eq!(run.status.code(), Some(3), "{}: {err}", doc.display());
            assert!(!suite_path.exists(), "{}", doc.display());
            refused.push(doc);
            continue;
        }
        let suite = std::fs::read_to_string(&suite_path).unwrap();
        let vars: HashMap<String, String> = exported(&suite)
            .into_iter()
            .map(|v| (v.clone(), format!("value-of-{v}")))
            .collect();
        let loaded_suite =
            conform::suite::load_str(&suite_path, &suite, &|name| vars.get(name).cloned())
                .unwrap_or_else(|e| panic!("{}: {e}\n{suite}", doc.display()));
        let ops = suite.matches("\n[operations.").count();
        assert_eq!(loaded_suite.file.operations.len(), ops, "{}", doc.display());
        assert!(ops > 0, "{}", doc.display());
        // The list at the top is exactly what the suite needs: without its first variable it
        // does not load, and says which.
        if let Some(first) = exported(&suite).first() {
            let e = conform::suite::load_str(&suite_path, &suite, &|name| {
                (name != first).then(|| vars.get(name).cloned()).flatten()
            })
            .expect_err("a missing variable stops the load");
            assert!(e.to_string().contains(first.as_str()), "{e}");
        }
        let source = std::fs::read_to_string(&doc).unwrap_or_default();
        if source.contains("openapi: 3.1")
            || source.contains("openapi: \"3.1")
            || source.contains("openapi: '3.1")
            || source.contains("\"openapi\": \"3.1")
            || source.contains("\"openapi\":\"3.1")
        {
            loaded_31 += 1;
        }
        loaded += 1;
    }
    assert!(loaded >= 100, "only {loaded} documents got a suite");
    assert!(loaded_31 >= 2, "only {loaded_31} OpenAPI 3.1 documents");
    // The refused ones are the documents conform refuses everywhere.
    for doc in refused.iter().take(3) {
        let lint = conform(&["list", "--spec", doc.to_str().unwrap()], &[]);
        assert_eq!(lint.status.code(), Some(3), "{}", doc.display());
    }
}
