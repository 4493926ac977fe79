//! The generators honour the schema: every `valid` value validates against the compiled schema
//! and every `invalid` value fails it, for the Auth0 document and a sample of public documents.
//! Whole requests for every Auth0 operation are checked the same way.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use conform::generate::{
    Mode, RequestPlan, invalid, invalid_textual, request_strategy, try_valid, valid,
};
use conform::schema::{Direction, SchemaSet};
use conform::spec::{Document, ParamLocation, SchemaRef, load};
use indexmap::IndexMap;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};

fn runner(cases: u32) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 32,
        max_global_rejects: 4096,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

/// Response bodies of a document.
fn response_schemas(doc: &Document) -> Vec<SchemaRef> {
    let mut out: Vec<SchemaRef> = doc
        .operations
        .iter()
        .flat_map(|op| op.responses.iter())
        .flat_map(|r| r.content.iter().filter_map(|m| m.schema.clone()))
        .collect();
    out.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    out.dedup();
    out
}

/// Request-side schemas of a document: parameters (travel as text) and bodies.
fn request_schemas(doc: &Document) -> Vec<(SchemaRef, bool)> {
    let mut out = Vec::new();
    for op in &doc.operations {
        for p in &op.parameters {
            if let Some(s) = &p.schema {
                out.push((s.clone(), true));
            }
        }
        if let Some(body) = &op.request_body {
            for media in &body.content {
                if let Some(s) = &media.schema {
                    out.push((s.clone(), false));
                }
            }
        }
    }
    out.sort_by(|a, b| a.0.pointer.cmp(&b.0.pointer));
    out.dedup();
    out
}

/// Runs both properties on one schema; `Err` says why one does not hold.
fn check(
    set: &SchemaSet,
    schema: &SchemaRef,
    textual: bool,
    cases: u32,
    dir: Direction,
) -> Result<(), String> {
    let converted = set
        .converted(schema, dir)
        .map_err(|e| format!("convert: {e}"))?;
    let compiled = set
        .compile(schema, dir)
        .map_err(|e| format!("compile: {e}"))?;
    let Some(strategy) = try_valid(&converted, &converted) else {
        let warnings: Vec<String> = set
            .warnings()
            .into_iter()
            .filter(|w| w.pointer.starts_with(&schema.pointer))
            .map(|w| w.message)
            .collect();
        return Err(format!(
            "unsatisfiable: the generator finds no valid value (spec warnings: {warnings:?})"
        ));
    };
    runner(cases)
        .run(&strategy, |v| {
            let errors = compiled.validate(&v);
            proptest::prop_assert!(
                errors.is_empty(),
                "valid value {} fails: {:?}",
                v,
                errors.first().map(|e| &e.message)
            );
            Ok(())
        })
        .map_err(|e| format!("valid: {e}"))?;
    let bad = if textual {
        invalid_textual(&converted, &converted)
    } else {
        invalid(&converted, &converted)
    };
    if let Some(bad) = bad {
        runner(cases)
            .run(&bad, |(v, kind)| {
                proptest::prop_assert!(
                    !compiled.is_valid(&v),
                    "invalid value {} ({}) passes",
                    v,
                    kind
                );
                Ok(())
            })
            .map_err(|e| format!("invalid: {e}"))?;
    }
    Ok(())
}

fn auth0() -> Document {
    load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/auth0-authentication.yaml"))
        .expect("auth0 loads")
}

#[test]
fn auth0_generators_honour_every_request_schema() {
    let doc = auth0();
    let set = SchemaSet::new(&doc);
    let schemas = request_schemas(&doc);
    assert!(schemas.len() > 30, "only {} schemas", schemas.len());
    let started = Instant::now();
    let failures: Vec<String> = schemas
        .iter()
        .filter_map(|(s, textual)| {
            check(&set, s, *textual, 48, Direction::Request)
                .err()
                .map(|why| format!("{}: {why}", s.pointer))
        })
        .collect();
    let responses = response_schemas(&doc);
    let failures: Vec<String> = failures
        .into_iter()
        .chain(responses.iter().filter_map(|s| {
            check(&set, s, false, 24, Direction::Response)
                .err()
                .map(|why| format!("{} (response): {why}", s.pointer))
        }))
        .collect();
    println!(
        "auth0: {} request and {} response schemas checked in {:?}",
        schemas.len(),
        responses.len(),
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "generators do not hold for:\n{}",
        failures.join("\n")
    );
}

fn public_dir() -> PathBuf {
    PathBuf::from("/work/shared/specs/public")
}

#[test]
fn public_sample_generators_hold_or_say_why() {
    let dir = public_dir();
    if !dir.is_dir() {
        println!("no public documents at {}; skipped", dir.display());
        return;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let budget = Duration::from_secs(120);
    let started = Instant::now();
    let (mut docs, mut checked, mut held) = (0, 0, 0);
    let mut failures = Vec::new();
    // Every loadable document, its first 40 request schemas (sorted by pointer), within a time
    // budget: about 2300 schemas from 104 documents in 40-50 s (debug build).
    for path in &files {
        if started.elapsed() > budget {
            break;
        }
        let Ok(doc) = load(path) else { continue };
        let schemas = request_schemas(&doc);
        if schemas.is_empty() {
            continue;
        }
        docs += 1;
        let set = SchemaSet::new(&doc);
        let doc_started = Instant::now();
        let requests = schemas
            .iter()
            .take(40)
            .map(|(s, textual)| (s, *textual, Direction::Request));
        let responses = response_schemas(&doc);
        let responses = responses
            .iter()
            .take(10)
            .map(|s| (s, false, Direction::Response));
        for (s, textual, dir) in requests.chain(responses) {
            checked += 1;
            let one = Instant::now();
            let outcome = check(&set, s, textual, 16, dir);
            if one.elapsed() > Duration::from_secs(2) {
                println!(
                    "slow schema: {} {} took {:?}",
                    path.display(),
                    s.pointer,
                    one.elapsed()
                );
            }
            match outcome {
                Ok(()) => held += 1,
                Err(why) => failures.push(format!(
                    "{} {} ({dir:?}): {why}",
                    path.file_name().unwrap().to_string_lossy(),
                    s.pointer
                )),
            }
        }
        if doc_started.elapsed() > Duration::from_secs(5) {
            println!("slow: {} took {:?}", path.display(), doc_started.elapsed());
        }
    }
    println!(
        "public sample: {docs} documents, {checked} schemas, {held} hold, in {:?}",
        started.elapsed()
    );
    for f in &failures {
        println!("DOES NOT HOLD {f}");
    }
    assert!(checked >= 100, "sample too small: {checked}");
    // Schemas no value satisfies (spec bugs: `type: boolean` with `enum: ["true"]`) are reported
    // above with the reason; any other failure is a generator bug.
    let unexplained: Vec<&String> = failures
        .iter()
        .filter(|f| !f.contains("unsatisfiable"))
        .collect();
    assert!(unexplained.is_empty(), "generator bugs:\n{unexplained:#?}");
    assert!(
        held * 100 >= checked * 95,
        "{} of {checked} schemas fail the generator properties:\n{}",
        checked - held,
        failures.join("\n")
    );
}

/// Decodes a form body back into a JSON object (strings only), for validation.
fn decode_form(bytes: &[u8]) -> Value {
    let mut map = serde_json::Map::new();
    for (k, v) in url::form_urlencoded::parse(bytes) {
        map.insert(k.into_owned(), json!(v.into_owned()));
    }
    Value::Object(map)
}

#[test]
fn auth0_requests_are_valid_or_violate_exactly_what_they_say() {
    let doc = auth0();
    let set = SchemaSet::new(&doc);
    let none = IndexMap::new();
    for op in &doc.operations {
        let plan = RequestPlan::new(op, &set).expect("plan");
        let body_schema = op
            .request_body
            .as_ref()
            .and_then(|b| {
                b.content
                    .iter()
                    .find(|m| Some(m.media_type.as_str()) == plan.media_type())
            })
            .and_then(|m| m.schema.clone())
            .map(|s| set.compile(&s, Direction::Request).expect("body compiles"));
        let required_query: Vec<&str> = op
            .parameters
            .iter()
            .filter(|p| p.required && p.location == ParamLocation::Query)
            .map(|p| p.name.as_str())
            .collect();
        let strategy = plan.valid(&none);
        runner(24)
            .run(&strategy, |request| {
                proptest::prop_assert!(
                    !request.path.contains('{'),
                    "unexpanded path {}",
                    request.path
                );
                proptest::prop_assert!(request.violation.is_none());
                for name in &required_query {
                    proptest::prop_assert!(
                        request.query.iter().any(|(k, _)| k == name),
                        "missing {name}"
                    );
                }
                if let (Some(body), Some(schema)) = (&request.body, &body_schema) {
                    let value = body.value.clone().expect("valid bodies carry their value");
                    let errors = schema.validate(&value);
                    proptest::prop_assert!(
                        errors.is_empty(),
                        "{}: {value} fails {errors:?}",
                        op.id()
                    );
                }
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{}: {e}", op.id()));
        if let Ok(bad) = request_strategy(op, &set, &none, Mode::Invalid) {
            runner(24)
                .run(&bad, |request| {
                    let what = request
                        .violation
                        .clone()
                        .expect("an invalid request says what is wrong");
                    if what.starts_with("body") {
                        let value = request
                            .body
                            .as_ref()
                            .and_then(|b| b.value.clone())
                            .expect("body value");
                        let schema = body_schema.as_ref().expect("body schema");
                        proptest::prop_assert!(
                            !schema.is_valid(&value),
                            "{}: {what}, yet {value} passes",
                            op.id()
                        );
                    }
                    if let Some(name) = what.strip_prefix("missing required query parameter '") {
                        let name = name.trim_end_matches('\'');
                        proptest::prop_assert!(!request.query.iter().any(|(k, _)| k == name));
                    }
                    if what == "malformed JSON body" {
                        let bytes = &request.body.as_ref().expect("body").bytes;
                        proptest::prop_assert!(serde_json::from_slice::<Value>(bytes).is_err());
                    }
                    Ok(())
                })
                .unwrap_or_else(|e| panic!("{}: {e}", op.id()));
        }
    }
}

#[test]
fn fixed_values_pin_the_token_body_branch() {
    let doc = auth0();
    let set = SchemaSet::new(&doc);
    let op = doc
        .operations
        .iter()
        .find(|o| o.operation_id.as_deref() == Some("oauth_token"))
        .expect("oauth_token");
    let plan = RequestPlan::with_media_type(op, &set, Some("application/x-www-form-urlencoded"))
        .expect("plan");
    assert_eq!(plan.media_type(), Some("application/x-www-form-urlencoded"));
    let form = op
        .request_body
        .as_ref()
        .unwrap()
        .content
        .iter()
        .find(|m| m.media_type.contains("form"))
        .unwrap();
    let compiled = set
        .compile(form.schema.as_ref().unwrap(), Direction::Request)
        .unwrap();
    let mut fixed = IndexMap::new();
    fixed.insert("grant_type".to_string(), json!("client_credentials"));
    fixed.insert("client_id".to_string(), json!("my-client"));
    let converted = set
        .converted(form.schema.as_ref().unwrap(), Direction::Request)
        .unwrap();
    let strategy = valid(&converted, &converted);
    runner(32)
        .run(&strategy, |v| {
            proptest::prop_assert!(compiled.is_valid(&v));
            Ok(())
        })
        .unwrap();
    let requests = plan.valid(&fixed);
    runner(32)
        .run(&requests, |request| {
            let body = request.body.as_ref().expect("the body is required");
            let value = body.value.clone().unwrap();
            proptest::prop_assert_eq!(&value["grant_type"], &json!("client_credentials"));
            proptest::prop_assert_eq!(&value["client_id"], &json!("my-client"));
            let sent = decode_form(&body.bytes);
            proptest::prop_assert!(
                compiled.is_valid(&sent),
                "{} fails: {:?}",
                sent,
                compiled.validate(&sent)
            );
            Ok(())
        })
        .unwrap();
}

/// Descriptions seen in `n` invalid requests of an operation.
fn violations(
    doc: &Document,
    set: &SchemaSet,
    operation: &str,
    media: Option<&str>,
    fixed: &IndexMap<String, Value>,
) -> Vec<String> {
    let op = doc
        .operations
        .iter()
        .find(|o| o.operation_id.as_deref() == Some(operation))
        .expect("operation");
    let plan = RequestPlan::with_media_type(op, set, media).expect("plan");
    let strategy = plan.invalid(fixed).expect("something to violate");
    let mut seen = std::sync::Mutex::new(Vec::new());
    runner(300)
        .run(&strategy, |request| {
            let what = request.violation.clone().expect("described");
            let mut seen = seen.lock().unwrap();
            if !seen.contains(&what) {
                seen.push(what);
            }
            Ok(())
        })
        .unwrap();
    std::mem::take(seen.get_mut().unwrap())
}

#[test]
fn invalid_requests_name_their_one_violation() {
    let doc = auth0();
    let set = SchemaSet::new(&doc);
    let authorize = violations(&doc, &set, "authorize", None, &IndexMap::new());
    for expected in [
        "missing required query parameter 'client_id'",
        "missing required query parameter 'response_type'",
    ] {
        assert!(
            authorize.iter().any(|v| v == expected),
            "{expected} not among {authorize:?}"
        );
    }
    let mut fixed = IndexMap::new();
    fixed.insert("grant_type".to_string(), json!("client_credentials"));
    let token = violations(
        &doc,
        &set,
        "oauth_token",
        Some("application/x-www-form-urlencoded"),
        &fixed,
    );
    for expected in [
        "body.grant_type: not in enum",
        "body: missing required property 'grant_type'",
        "missing required request body",
        "wrong Content-Type text/plain (expected application/x-www-form-urlencoded)",
    ] {
        assert!(
            token.iter().any(|v| v == expected),
            "{expected} not among {token:?}"
        );
    }
    // Form fields travel as text: a number where a string goes would arrive as a valid string.
    assert!(
        !token
            .iter()
            .any(|v| v.contains("wrong type (expected string)")),
        "{token:?}"
    );
    let json_token = violations(&doc, &set, "oauth_token", None, &IndexMap::new());
    assert!(
        json_token.iter().any(|v| v == "malformed JSON body"),
        "{json_token:?}"
    );
}
