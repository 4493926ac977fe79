//! Hostile documents and suites: crashes, cycles, absurd numbers, huge and deep input all end
//! with a clear one-line error (or a clean run), never a panic (exit 101) or a hang.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_conform");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Runs conform with `args` from the repository root: (exit code, stdout, stderr, elapsed).
fn conform(args: &[&str]) -> (i32, String, String, Duration) {
    let started = Instant::now();
    let out = Command::new(BIN)
        .args(args)
        .current_dir(root())
        .env_remove("CONFORM_SPEC")
        .output()
        .expect("run conform");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed(),
    )
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("conform-hostile-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn min_properties_with_optional_properties_lists_and_plans() {
    let (code, stdout, stderr, _) = conform(&[
        "list",
        "--spec",
        "tests/fixtures/hostile/min-properties.yaml",
    ]);
    assert_eq!(code, 0, "stderr: {stderr}");
    assert!(stdout.contains("createThing/201"), "{stdout}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // The dry run builds every generator and samples requests: still no panic.
    let (code, _, stderr, _) = conform(&[
        "run",
        "--dry-run",
        "--spec",
        "tests/fixtures/hostile/min-properties.yaml",
        "--base-url",
        "http://127.0.0.1:9",
    ]);
    assert_ne!(code, 101, "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn deep_documents_are_refused_fast_with_a_position() {
    let n = 100_000;
    let cases = [
        (
            "flow.yaml",
            format!("openapi: 3.0.0\nx: {}{}\n", "[".repeat(n), "]".repeat(n)),
        ),
        (
            "map.yaml",
            format!(
                "openapi: 3.0.0\nx: {}1{}\n",
                "{a: ".repeat(n),
                "}".repeat(n)
            ),
        ),
        (
            "dash.yaml",
            format!("openapi: 3.0.0\nx:\n  {}1\n", "- ".repeat(n)),
        ),
    ];
    for (name, text) in cases {
        let path = temp_file(name, &text);
        let (code, _, stderr, elapsed) = conform(&["list", "--spec", path.to_str().unwrap()]);
        assert_eq!(code, 3, "{name}: {stderr}");
        assert!(
            stderr.contains("nested more than 1000 levels deep"),
            "{name}: {stderr}"
        );
        assert!(
            stderr.contains(&format!("{name}:")),
            "{name}: names the file: {stderr}"
        );
        assert!(elapsed < Duration::from_secs(1), "{name}: took {elapsed:?}");
    }
    // JSON: serde_json's own limit, also fast.
    let path = temp_file(
        "deep.json",
        &format!(
            "{{\"openapi\":\"3.0.0\",\"x\":{}{}}}",
            "[".repeat(n),
            "]".repeat(n)
        ),
    );
    let (code, _, stderr, elapsed) = conform(&["list", "--spec", path.to_str().unwrap()]);
    assert_eq!(code, 3, "{stderr}");
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
}

#[test]
fn endless_input_is_refused_at_the_size_limit() {
    let (code, _, stderr, elapsed) = conform(&["list", "--spec", "/dev/zero"]);
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(
        stderr.trim(),
        "error: /dev/zero: the file is larger than the limit of 64 MiB (67108864 bytes)"
    );
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    let (code, _, stderr, _) = conform(&["run", "--dry-run", "--suite", "/dev/zero"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("/dev/zero: the file is larger than the limit of 64 MiB"),
        "{stderr}"
    );
}

#[test]
fn integers_beyond_u64_load_from_yaml() {
    let text = "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /n:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {type: integer, maximum: 123456789012345678901234567890, minimum: -99999999999999999999}\n";
    let doc = conform::spec::load_str(Path::new("big.yaml"), text).expect("loads");
    let schema = doc
        .raw
        .pointer("/paths/~1n/get/responses/200/content/application~1json/schema")
        .unwrap();
    assert_eq!(schema["maximum"].as_f64(), Some(1.2345678901234568e29));
    assert_eq!(schema["minimum"].as_f64(), Some(-1e20));
    let path = temp_file("big.yaml", text);
    let (code, stdout, stderr, _) = conform(&["list", "--spec", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("/n"), "{stdout}");
}

#[test]
fn an_acyclic_chain_of_64_refs_loads_and_a_real_cycle_does_not() {
    let mut text = String::from(
        "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/A0'}\ncomponents:\n  schemas:\n",
    );
    for i in 0..64 {
        text.push_str(&format!(
            "    A{i}: {{$ref: '#/components/schemas/A{}'}}\n",
            i + 1
        ));
    }
    text.push_str("    A64: {type: string}\n");
    conform::spec::load_str(Path::new("chain.yaml"), &text).expect("a 64-hop chain loads");
    let cyclic = text.replace(
        "A64: {type: string}",
        "A64: {$ref: '#/components/schemas/A0'}",
    );
    let err = conform::spec::load_str(Path::new("chain.yaml"), &cyclic).unwrap_err();
    assert!(err.to_string().contains("cyclic $ref chain"), "{err}");
}

#[test]
fn fixture_and_flow_cycles_are_named() {
    let (code, _, stderr, elapsed) = conform(&[
        "run",
        "--dry-run",
        "--suite",
        "tests/fixtures/hostile/suites/fixture-cycle.toml",
    ]);
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(
        stderr.trim(),
        "error: tests/fixtures/hostile/suites/fixture-cycle.toml:5:1: fixtures refer to each other in a cycle: fixtures.a -> fixtures.b -> fixtures.a (key `fixtures.a`)"
    );
    assert!(elapsed < Duration::from_secs(5));
    let (code, _, stderr, elapsed) = conform(&[
        "run",
        "--dry-run",
        "--suite",
        "tests/fixtures/hostile/suites/flow-cycle.toml",
    ]);
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(
        stderr.trim(),
        "error: tests/fixtures/hostile/suites/flow-cycle.toml:4:8: flows need each other's captures in a cycle: flows.a -> flows.b -> flows.a (key `flows.a`)"
    );
    assert!(elapsed < Duration::from_secs(5));
}

#[test]
fn a_fixture_may_use_another_fixture() {
    let text = "[fixtures]\ntoken = \"abc\"\nbearer = \"Bearer ${fixtures.token}\"\n";
    let suite = conform::suite::load_str(Path::new("s.toml"), text, &|_| None).expect("loads");
    assert_eq!(suite.fixtures["bearer"], "Bearer abc");
}

#[test]
fn out_of_range_suite_numbers_are_refused_naming_key_and_line() {
    let cases: &[(&str, &str, &str)] = &[
        ("[suite]\nrate = 1e-300\n", "suite.rate", "`rate` is 1e-300"),
        ("[suite]\nrate = inf\n", "suite.rate", "`rate` is inf"),
        ("[suite]\nrate = -1.0\n", "suite.rate", "`rate` is -1.0"),
        ("[suite]\nrate = nan\n", "suite.rate", "`rate` is NaN"),
        (
            "[suite]\nmax_response_time = 1e300\n",
            "suite.max_response_time",
            "`max_response_time` is 1e300",
        ),
        (
            "[suite]\nmax_response_time = inf\n",
            "suite.max_response_time",
            "`max_response_time` is inf",
        ),
        (
            "[suite]\nmax_response_time = -1.0\n",
            "suite.max_response_time",
            "`max_response_time` is -1.0",
        ),
        (
            "[suite]\nmax_response_time = 0.0\n",
            "suite.max_response_time",
            "`max_response_time` is 0.0",
        ),
        (
            "[suite]\nexamples = 0\n",
            "suite.examples",
            "`examples` is 0",
        ),
        (
            "[suite]\nexamples = 4294967295\n",
            "suite.examples",
            "`examples` is 4294967295",
        ),
        (
            "[operations.userinfo]\nburst = 4294967295\n",
            "operations.userinfo.burst",
            "`burst` is 4294967295",
        ),
        (
            "[operations.userinfo]\nburst = 0\n",
            "operations.userinfo.burst",
            "`burst` is 0",
        ),
        (
            "[operations.userinfo]\nrate = 1e-9\n",
            "operations.userinfo.rate",
            "`rate` is 1e-9",
        ),
        (
            "[operations.userinfo]\nbudget = 0\n",
            "operations.userinfo.budget",
            "`budget` is 0",
        ),
        (
            "[recipes.rate-limited]\nburst = 1000000\n",
            "recipes.rate-limited.burst",
            "`burst` is 1000000",
        ),
        (
            "[cases.\"userinfo/200\"]\nexpect_status = 9999\n",
            "cases.\"userinfo/200\".expect_status",
            "`expect_status` is 9999",
        ),
    ];
    for (i, (text, key, message)) in cases.iter().enumerate() {
        let text = format!("# a comment first\n{text}");
        let path = temp_file(&format!("numbers-{i}.toml"), &text);
        let (code, stdout, stderr, _) =
            conform(&["run", "--dry-run", "--suite", path.to_str().unwrap()]);
        assert_eq!(code, 3, "{text}: {stderr}{stdout}");
        let line = stderr.trim();
        assert!(
            line.starts_with("error: ") && !line.contains('\n'),
            "{text}: one line: {stderr}"
        );
        assert!(
            line.contains(&format!("numbers-{i}.toml:3:1: ")),
            "{text}: file and line: {line}"
        );
        assert!(line.contains(message), "{text}: {line}");
        assert!(line.ends_with(&format!("(key `{key}`)")), "{text}: {line}");
    }
    // Values in range still load.
    let ok = "[suite]\nrate = 0.5\nmax_response_time = 3600\nexamples = 10000\n[operations.userinfo]\nburst = 100000\nbudget = 5\n";
    conform::suite::load_str(Path::new("ok.toml"), ok, &|_| None).expect("in range");
}

#[test]
fn absurd_schemas_generate_small_values_or_none() {
    use proptest::strategy::{Strategy, ValueTree};
    let schemas = [
        serde_json::json!({"type": "object", "minProperties": 1, "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}),
        serde_json::json!({"type": "object", "minProperties": 2, "maxProperties": 2, "properties": {"a": {"type": "string"}, "b": {"type": "integer"}, "c": {"type": "boolean"}}}),
        serde_json::json!({"type": "string", "minLength": 1_000_000_000_000u64}),
        serde_json::json!({"type": "string", "maxLength": u64::MAX}),
        serde_json::json!({"type": "string", "pattern": "^a{1000000000}$"}),
        serde_json::json!({"type": "string", "pattern": "(((((((((("}),
        serde_json::json!({"type": "array", "minItems": u64::MAX, "items": {"type": "string"}}),
        serde_json::json!({"type": "array", "maxItems": u64::MAX, "items": {"type": "string"}}),
        serde_json::json!({"type": "object", "minProperties": u64::MAX}),
        serde_json::json!({"type": "integer", "minimum": 10, "maximum": 1}),
        serde_json::json!({"type": "integer", "multipleOf": 1e300}),
        serde_json::json!({"type": "number", "multipleOf": 1e-300, "minimum": -1e308, "maximum": 1e308}),
        serde_json::json!({"type": "integer", "minimum": -1e300, "maximum": 1e300}),
    ];
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for schema in schemas {
        let Some(strategy) = conform::generate::try_valid(&schema, &serde_json::json!({})) else {
            continue; // unsatisfiable for the generator: a clean answer
        };
        for _ in 0..20 {
            // A filter may give up (an Err): also clean. A value must be small.
            if let Ok(tree) = strategy.new_tree(&mut runner) {
                let size = tree.current().to_string().len();
                assert!(size < 1 << 20, "{schema}: a value of {size} bytes");
            }
        }
    }
}

#[test]
fn a_flow_may_use_its_own_earlier_captures_but_not_a_later_one() {
    let ok = "[flows.a]\nsteps = [\n  { operation = \"userinfo\", capture = { x = \"/sub\" } },\n  { operation = \"userinfo\", headers = { Authorization = \"Bearer ${flows.a.x}\" } },\n]\n";
    conform::suite::load_str(Path::new("ok.toml"), ok, &|_| None).expect("own earlier capture");
    let cyclic = "[flows.a]\nsteps = [\n  { operation = \"userinfo\", headers = { Authorization = \"Bearer ${flows.a.x}\" } },\n  { operation = \"userinfo\", capture = { x = \"/sub\" } },\n]\n";
    let err = conform::suite::load_str(Path::new("c.toml"), cyclic, &|_| None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "c.toml:1:8: flows need each other's captures in a cycle: flows.a -> flows.a (key `flows.a`)"
    );
}

#[test]
fn refused_connections_are_told_apart_from_timeouts() {
    // A port nothing listens on: bind, note the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = conform::execute::Client::new(
        &format!("http://127.0.0.1:{port}"),
        conform::execute::ClientOptions::default(),
    )
    .unwrap();
    let request = conform::execute::Request::new(conform::spec::Method::Get, "/");
    let err = runtime.block_on(client.send(&request)).unwrap_err();
    assert!(err.is_refused() && !err.is_timeout(), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("connection refused by http://127.0.0.1:{port}/: is the server running there?")
    );
}

#[test]
fn every_value_of_a_repeated_header_reaches_the_checks() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-type: text/html\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
            );
        }
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = conform::execute::Client::new(
        &format!("http://127.0.0.1:{port}"),
        conform::execute::ClientOptions::default(),
    )
    .unwrap();
    let request = conform::execute::Request::new(conform::spec::Method::Get, "/");
    let exchange = runtime.block_on(client.send(&request)).expect("answer");
    assert_eq!(
        exchange.response.header_all("Content-Type"),
        ["application/json", "text/html"]
    );
    assert_eq!(
        exchange.response.header("content-type"),
        Some("application/json")
    );
    assert_eq!(exchange.response.header_all("x-none"), Vec::<&str>::new());
}
