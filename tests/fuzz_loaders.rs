//! Bounded property runs (fixed case counts, no wall-clock budget, a fixed seed): mutated YAML
//! and JSON documents through `spec::load_str`, mutated suites through `suite::load_str`, and
//! hostile responses through every response check. None may panic.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use conform::execute::{Exchange, Request, Response};
use conform::spec::StatusSpec;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Cases of the two loader runs: 10,000 takes about 16 s each in a debug build on 2 busy
/// cores, too slow for every `cargo test`; `CONFORM_FUZZ_CASES=10000` runs the full count.
fn loader_cases() -> u32 {
    std::env::var("CONFORM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_500)
}

fn runner(cases: u32) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 256,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]))
}

/// Tokens that reach the corners of YAML, JSON and OpenAPI loading.
const TOKENS: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    ":",
    ": ",
    "- ",
    "? ",
    ",",
    "\n",
    "\n  ",
    "\t",
    "\"",
    "'",
    "#",
    "&a ",
    "*a",
    "<<: *a",
    "!!binary ",
    "!tag ",
    "|",
    ">-",
    "---",
    "...",
    "%YAML 1.2\n",
    "1e999",
    "-1e999",
    ".nan",
    ".inf",
    "18446744073709551616",
    "-170141183460469231731687303715884105729",
    "0x1F",
    "~",
    "null",
    "$ref: '#/components/schemas/A'",
    "$ref: '#/'",
    "$ref: 'x.yaml#/A'",
    "$ref: '#/components/schemas/%7B'",
    "openapi: 3.0.0",
    "openapi: 3.1.0",
    "swagger: '2.0'",
    "paths:",
    "responses:",
    "'200':",
    "default:",
    "schema:",
    "type: object",
    "minProperties: 1",
    "minLength: 99999999999",
    "pattern: '(a{1000}){1000}'",
    "\u{0}",
    "\u{1b}[31m",
    "\u{feff}",
    "é",
    "😀",
];

/// A mutation: (position as a fraction of the length, what to do).
#[derive(Debug, Clone)]
enum Edit {
    Insert(f64, &'static str),
    Delete(f64, usize),
    Truncate(f64),
    Repeat(f64, usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (0.0..1.0f64, prop::sample::select(TOKENS)).prop_map(|(p, t)| Edit::Insert(p, t)),
        2 => (0.0..1.0f64, 1usize..40).prop_map(|(p, n)| Edit::Delete(p, n)),
        1 => (0.0..1.0f64).prop_map(Edit::Truncate),
        1 => (0.0..1.0f64, 1usize..20, 1usize..50).prop_map(|(p, n, k)| Edit::Repeat(p, n, k)),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut s: Vec<char> = text.chars().collect();
    for e in edits {
        let at = |p: f64, len: usize| ((p * len as f64) as usize).min(len);
        match e {
            Edit::Insert(p, t) => {
                let i = at(*p, s.len());
                s.splice(i..i, t.chars());
            }
            Edit::Delete(p, n) => {
                let i = at(*p, s.len());
                let j = (i + n).min(s.len());
                s.drain(i..j);
            }
            Edit::Truncate(p) => s.truncate(at(*p, s.len())),
            Edit::Repeat(p, n, k) => {
                let i = at(*p, s.len());
                let j = (i + n).min(s.len());
                let piece: Vec<char> = s[i..j].to_vec();
                for _ in 0..*k {
                    s.splice(j..j, piece.iter().copied());
                }
            }
        }
    }
    s.into_iter().collect()
}

fn seeds() -> Vec<String> {
    let mut seeds = vec![
        r##"{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{"/a":{"get":{"responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"#/components/schemas/A"}}}}}}}},"components":{"schemas":{"A":{"type":"object","minProperties":1,"properties":{"x":{"type":"integer","maximum":1e30}}}}}}"##.to_string(),
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\nx-a: &a {type: string}\npaths:\n  /p/{id}:\n    parameters:\n      - {name: id, in: path, required: true, schema: *a}\n    post:\n      requestBody:\n        content:\n          application/x-www-form-urlencoded:\n            schema: {type: object, properties: {g: {type: string, enum: [a, b]}}}\n      responses:\n        2XX: {description: ok}\n        default:\n          description: err\n          headers: {X-R: {schema: {type: integer}}}\n".to_string(),
    ];
    for dir in [
        "tests/fixtures",
        "tests/fixtures/broken",
        "tests/fixtures/hostile",
    ] {
        let Ok(entries) = std::fs::read_dir(root().join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "json")
            ) && let Ok(text) = std::fs::read_to_string(&path)
            {
                seeds.push(text);
            }
        }
    }
    seeds
}

#[test]
fn document_loader_never_panics_on_mutated_documents() {
    let seeds = seeds();
    assert!(seeds.len() >= 10, "fixtures found: {}", seeds.len());
    let started = Instant::now();
    let strategy = (
        prop::sample::select(seeds),
        prop::collection::vec(edit(), 0..6),
    );
    let cases = loader_cases();
    runner(cases)
        .run(&strategy, |(seed, edits)| {
            let text = apply(&seed, &edits);
            // Ok or a clean error: both fine; a panic fails the property.
            let _ = conform::spec::load_str(Path::new("fuzz.yaml"), &text);
            Ok(())
        })
        .unwrap();
    eprintln!("{cases} documents in {:?}", started.elapsed());
}

#[test]
fn suite_loader_never_panics_on_mutated_suites() {
    let mut seeds = vec![
        "[suite]\nrate = 2.5\nexamples = 3\nmax_response_time = 1.5\n[fixtures]\na = \"x\"\nb = \"${fixtures.a}-${HOME_NOT_SET}\"\nc = { value = \"s\", secret = true }\n[operations.userinfo]\nburst = 3\nbudget = 9\nrate = 1e-300\n[flows.f]\nsteps = [{ operation = \"userinfo\", capture = { t = \"/sub\" } }]\n[cases.\"userinfo/200\"]\nexpect_status = 200\nverify = [\"f\"]\n".to_string(),
    ];
    for dir in [
        "suites",
        "tests/fixtures/suites",
        "tests/fixtures/hostile/suites",
    ] {
        if let Ok(entries) = std::fs::read_dir(root().join(dir)) {
            for entry in entries.flatten() {
                if let Ok(text) = std::fs::read_to_string(entry.path()) {
                    seeds.push(text);
                }
            }
        }
    }
    let strategy = (
        prop::sample::select(seeds),
        prop::collection::vec(edit(), 0..6),
    );
    let started = Instant::now();
    let cases = loader_cases();
    runner(cases)
        .run(&strategy, |(seed, edits)| {
            let text = apply(&seed, &edits);
            let _ = conform::suite::load_str(Path::new("fuzz.toml"), &text, &|_| None);
            Ok(())
        })
        .unwrap();
    eprintln!("{cases} suites in {:?}", started.elapsed());
}

/// Response bodies: JSON-ish, binary, deep, huge numbers, control characters.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        (1usize..200_000).prop_map(|n| format!("{}{}", "[".repeat(n), "]".repeat(n)).into_bytes()),
        (0usize..5_000).prop_map(|n| format!("{}1", "{\"a\":".repeat(n)).into_bytes()),
        prop::sample::select(vec![
            "{}",
            "[]",
            "null",
            "\"\u{1b}[2J\u{0}\"",
            "1e999",
            "-0",
            "{\"access_token\":1}",
            "{\"error\":\"x\",\"error_description\":null}",
            "\u{feff}{}",
            "{\"a\":\"\\ud800\"}",
            "18446744073709551616",
            "{\"a\":1,\"a\":2}",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
    ]
}

fn header() -> impl Strategy<Value = (String, String)> {
    let names = prop::sample::select(vec![
        "content-type",
        "content-length",
        "location",
        "allow",
        "retry-after",
        "www-authenticate",
        "x-ratelimit-reset",
        "cache-control",
    ]);
    let values = prop::sample::select(vec![
        "application/json",
        "application/json; charset=utf-8",
        "text/html",
        "",
        ";",
        "*/*",
        "application/",
        "APPLICATION/JSON ; q=1",
        "application/problem+json",
        "1e999",
        "-1",
        "18446744073709551616",
        "\u{1b}[31m",
        "GET, POST",
        "https://evil.example/\u{0}",
        "/x",
        "0",
        "4194304",
    ]);
    (names, values).prop_map(|(n, v)| (n.to_string(), v.to_string()))
}

#[test]
fn response_checks_never_panic_on_10000_hostile_responses() {
    let doc = conform::spec::load(&root().join("spec/auth0-authentication.yaml")).expect("spec");
    let schemas = conform::schema::SchemaSet::new(&doc);
    let checks = conform::check::registry(Some(Duration::from_secs(1)));
    let ops = doc.operations.len();
    let strategy = (
        0..ops,
        prop::sample::select(vec![
            200u16, 201, 204, 301, 302, 400, 401, 403, 404, 405, 429, 500, 503, 0, 99, 999,
        ]),
        prop::collection::vec(header(), 0..6),
        body(),
        0u64..5_000,
    );
    let started = Instant::now();
    runner(10_000)
        .run(&strategy, |(op, status, headers, body, millis)| {
            let operation = &doc.operations[op];
            let exchange = Exchange {
                request: Request::new(operation.method, operation.path.clone()),
                response: Response {
                    status,
                    headers,
                    body,
                    elapsed: Duration::from_millis(millis),
                },
            };
            for expected in [
                StatusSpec::Code(status),
                StatusSpec::Range(status / 100),
                StatusSpec::Default,
            ] {
                let cx = conform::check::CheckContext {
                    operation,
                    expected,
                    exchange: &exchange,
                    schemas: &schemas,
                };
                let _ = conform::check::run_all(&checks, &cx);
            }
            Ok(())
        })
        .unwrap();
    eprintln!("10000 responses in {:?}", started.elapsed());
}

/// Wild OpenAPI 3.0 schemas: every keyword the converter and generators read, with numbers
/// at and beyond every edge, nested a few levels.
fn wild_schema() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{Value, json};
    let number = prop::sample::select(vec![
        json!(0),
        json!(1),
        json!(-1),
        json!(2.5),
        json!(1e300),
        json!(-1e300),
        json!(1e-300),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(4294967295u64),
        json!(0.1),
        json!("7"),
        json!(null),
    ]);
    let keyword = prop::sample::select(vec![
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "minimum",
        "maximum",
        "multipleOf",
        "exclusiveMinimum",
        "exclusiveMaximum",
    ]);
    let pattern = prop::sample::select(vec![
        "^a{1000000}$",
        "((((((((((a))))))))))",
        "[",
        "\\d{3,2}",
        "^\\p{L}+$",
        "(?=x)",
        "a**",
        "^[a-z]{2,5}$",
        "\\",
        "(a|b){1024}",
        "\u{0}",
    ]);
    let types = prop::sample::select(vec![
        "string", "integer", "number", "boolean", "array", "object", "null", "file",
    ]);
    let leaf = (
        prop::option::of(types),
        prop::collection::vec((keyword, number), 0..4),
        prop::option::of(pattern),
        any::<bool>(),
        prop::option::of(prop::sample::select(vec![
            "email",
            "uuid",
            "date-time",
            "byte",
            "int32",
            "int64",
            "ipv4",
            "weird",
        ])),
    )
        .prop_map(|(t, bounds, pattern, nullable, format)| {
            let mut m = serde_json::Map::new();
            if let Some(t) = t {
                m.insert("type".into(), json!(t));
            }
            for (k, v) in bounds {
                m.insert(k.into(), v);
            }
            if let Some(p) = pattern {
                m.insert("pattern".into(), json!(p));
            }
            if let Some(f) = format {
                m.insert("format".into(), json!(f));
            }
            if nullable {
                m.insert("nullable".into(), json!(true));
            }
            Value::Object(m)
        });
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::collection::vec(inner.clone(), 0..3),
                any::<u8>()
            )
                .prop_map(|(base, props, min)| {
                    let mut m = base.as_object().cloned().unwrap_or_default();
                    m.insert("type".into(), json!("object"));
                    let names: Vec<String> = (0..props.len()).map(|i| format!("p{i}")).collect();
                    m.insert(
                        "properties".into(),
                        Value::Object(names.iter().cloned().zip(props).collect()),
                    );
                    m.insert("minProperties".into(), json!(min % 4));
                    if min % 3 == 0 {
                        m.insert(
                            "required".into(),
                            json!(names.iter().take(1).collect::<Vec<_>>()),
                        );
                    }
                    if min % 5 == 0 {
                        m.insert("additionalProperties".into(), json!(false));
                    }
                    Value::Object(m)
                }),
            (inner.clone(), any::<bool>()).prop_map(|(items, unique)| {
                json!({"type": "array", "items": items, "uniqueItems": unique, "minItems": 1})
            }),
            prop::collection::vec(inner.clone(), 1..3).prop_map(|s| json!({"allOf": s})),
            prop::collection::vec(inner.clone(), 1..3).prop_map(|s| json!({"oneOf": s})),
            prop::collection::vec(inner.clone(), 1..3).prop_map(|s| json!({"anyOf": s})),
            inner
                .clone()
                .prop_map(|s| json!({"not": s, "type": "string"})),
            Just(json!({"$ref": "#/components/schemas/S"})),
            prop::collection::vec(number_or_text(), 0..4).prop_map(|e| json!({"enum": e})),
        ]
    })
}

fn number_or_text() -> impl Strategy<Value = serde_json::Value> {
    prop::sample::select(vec![
        serde_json::json!("a"),
        serde_json::json!(1),
        serde_json::json!(null),
        serde_json::json!(1e300),
        serde_json::json!(""),
    ])
}

#[test]
fn generators_never_panic_on_500_wild_schemas() {
    use conform::schema::{Direction, SchemaSet};
    use conform::spec::SchemaRef;
    use proptest::strategy::ValueTree;
    let started = Instant::now();
    // 500: about 6 s in a debug build (each schema is loaded, converted, compiled, sampled).
    runner(500)
        .run(&wild_schema(), |schema| {
            if let Ok(dir) = std::env::var("CONFORM_FUZZ_TRACE") {
                let _ = std::fs::write(Path::new(&dir).join("last-schema.json"), schema.to_string());
            }
            let doc_json = serde_json::json!({
                "openapi": "3.0.3",
                "info": {"title": "t", "version": "1"},
                "paths": {"/s": {"post": {
                    "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/S"}}}},
                    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/S"}}}}}
                }}},
                "components": {"schemas": {"S": schema}}
            });
            let Ok(doc) = conform::spec::load_str(Path::new("wild.json"), &doc_json.to_string())
            else {
                return Ok(());
            };
            let schemas = SchemaSet::new(&doc);
            let at = SchemaRef {
                pointer: "/components/schemas/S".into(),
            };
            let _ = schemas.compile(&at, Direction::Response);
            let Ok(converted) = schemas.converted(&at, Direction::Request) else {
                return Ok(());
            };
            let mut sampler = TestRunner::deterministic();
            if let Some(valid) = conform::generate::try_valid(&converted, &converted) {
                for _ in 0..3 {
                    if let Ok(tree) = valid.new_tree(&mut sampler) {
                        prop_assert!(tree.current().to_string().len() < 1 << 22);
                    }
                }
            }
            if let Some(invalid) = conform::generate::invalid(&converted, &converted) {
                for _ in 0..3 {
                    let _ = invalid.new_tree(&mut sampler).map(|t| t.current());
                }
            }
            Ok(())
        })
        .unwrap();
    eprintln!("500 wild schemas in {:?}", started.elapsed());
}
