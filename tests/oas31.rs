//! OpenAPI 3.1: a FastAPI-style document loads into the shared model, its 2020-12 schemas are
//! generated valid and invalid by the shared generators (checked against jsonschema's 2020-12
//! draft), the Auth0 3.1 document plans its 75 cases, and 3.2 loads only within 3.1.

mod common;

use std::path::{Path, PathBuf};

use conform::generate::{invalid, invalid_textual, try_valid};
use conform::schema::{Direction, SchemaSet};
use conform::spec::{Dialect, Document, SchemaRef, load, load_str};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::json;

/// Cases per property and schema: 4 valid and 3 invalid properties (a nullable text
/// parameter has nothing to get wrong) x 160 = 1,120 generated values.
const CASES: u32 = 160;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn fastapi() -> Document {
    load(&root().join("tests/fixtures/oas31/fastapi.json")).expect("the 3.1 fixture loads")
}

fn runner() -> TestRunner {
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        max_shrink_iters: 32,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

/// Request schemas: parameters (travel as text) and bodies.
fn request_schemas(doc: &Document) -> Vec<(SchemaRef, bool)> {
    let mut out = Vec::new();
    for op in &doc.operations {
        for p in &op.parameters {
            out.push((p.schema.clone().expect("parameter schema"), true));
        }
        for media in &op.request_body.as_ref().expect("body").content {
            out.push((media.schema.clone().expect("body schema"), false));
        }
    }
    out.sort_by(|a, b| a.0.pointer.cmp(&b.0.pointer));
    out.dedup();
    out
}

#[test]
fn fastapi_document_reads_into_the_shared_model() {
    let doc = fastapi();
    assert_eq!(doc.dialect, Dialect::Draft202012);
    assert_eq!(doc.openapi, "3.1.0");
    let ids: Vec<String> = doc.operations.iter().map(|o| o.id()).collect();
    assert_eq!(ids, ["update_item", "create_point"]);
    let update = &doc.operations[0];
    assert_eq!(update.parameters.len(), 2);
    assert!(update.parameters[0].required);
    assert_eq!(update.responses.len(), 2);
    assert_eq!(doc.untested.len(), 1, "{:?}", doc.untested);
    assert!(doc.untested[0].message.contains("webhook `itemChanged`"));
    assert_eq!(doc.untested[0].pointer, "/webhooks/itemChanged");
}

#[test]
fn generated_requests_honour_their_2020_12_schemas() {
    let doc = fastapi();
    let set = SchemaSet::new(&doc);
    let schemas = request_schemas(&doc);
    assert_eq!(schemas.len(), 4);
    let mut checked = 0u32;
    for (schema, textual) in &schemas {
        let converted = set.converted(schema, Direction::Request).expect("converts");
        let compiled = set
            .compile(schema, Direction::Request)
            .expect("compiles as 2020-12");
        let valid = try_valid(&converted, &converted).expect("satisfiable");
        runner()
            .run(&valid, |v| {
                let errors = compiled.validate(&v);
                proptest::prop_assert!(
                    errors.is_empty(),
                    "{}: valid value {} fails: {:?}",
                    schema.pointer,
                    v,
                    errors.first().map(|e| &e.message)
                );
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{}: {e}", schema.pointer));
        checked += CASES;
        let bad = if *textual {
            invalid_textual(&converted, &converted)
        } else {
            invalid(&converted, &converted)
        };
        let Some(bad) = bad else {
            // `q` is any text or null: no query value breaks it.
            assert!(
                schema.pointer.ends_with("/parameters/1/schema"),
                "{}",
                schema.pointer
            );
            continue;
        };
        runner()
            .run(&bad, |(v, kind)| {
                proptest::prop_assert!(
                    !compiled.is_valid(&v),
                    "{}: invalid value {} ({}) passes",
                    schema.pointer,
                    v,
                    kind
                );
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{}: {e}", schema.pointer));
        checked += CASES;
    }
    assert!(checked >= 1000, "only {checked} values checked");
}

#[test]
fn validation_follows_2020_12() {
    let doc = fastapi();
    let set = SchemaSet::new(&doc);
    let item = SchemaRef {
        pointer: "/components/schemas/Item".into(),
    };
    let point = SchemaRef {
        pointer: "/components/schemas/Point".into(),
    };
    let item = set.compile(&item, Direction::Response).unwrap();
    let point = set.compile(&point, Direction::Response).unwrap();
    let ok =
        json!({"name": "a", "price": 1.5, "kind": "item", "description": null, "owner": {"id": 3}});
    assert!(item.is_valid(&ok), "{:?}", item.validate(&ok));
    // const, numeric exclusiveMinimum, $ref siblings ($defs target closed), null in type arrays
    for bad in [
        json!({"name": "a", "price": 1.5, "kind": "thing"}),
        json!({"name": "a", "price": 0, "kind": "item"}),
        json!({"name": "a", "price": 1, "kind": "item", "owner": {"id": 3, "x": 1}}),
        json!({"name": null, "price": 1, "kind": "item"}),
    ] {
        assert!(!item.is_valid(&bad), "{bad} passes");
    }
    assert!(point.is_valid(&json!({"coords": [1, 2], "label": "abc"})));
    // prefixItems, dependentRequired, unevaluatedProperties, maxLength next to $ref
    for bad in [
        json!({"coords": [100, 2], "label": "abc"}),
        json!({"coords": [1, 2], "label": "abc", "precision": 2}),
        json!({"coords": [1, 2], "label": "abc", "extra": true}),
        json!({"coords": [1, 2], "label": "abcdefghijklmnop"}),
    ] {
        assert!(!point.is_valid(&bad), "{bad} passes");
    }
    let errors = point.validate(&json!({"coords": [100, 2], "label": "abc"}));
    assert!(
        errors[0]
            .spec_pointer
            .starts_with("/components/schemas/Point/properties/coords"),
        "{:?}",
        errors[0]
    );
}

#[test]
fn auth0_3_1_plans_75_cases_and_every_response_schema_compiles() {
    let doc = load(&root().join("spec/auth0-authentication-api-3.1.json")).expect("loads");
    assert_eq!(doc.operations.len(), 31);
    let cases: usize = doc.operations.iter().map(|o| o.responses.len()).sum();
    assert_eq!(cases, 75);
    let names: Vec<&str> = doc
        .security_schemes
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["oauth2", "bearerAuth"]);
    let userinfo = doc
        .operations
        .iter()
        .find(|o| o.id() == "getUserInfo")
        .unwrap();
    assert_eq!(userinfo.security, vec![vec!["bearerAuth".to_string()]]);
    let set = SchemaSet::new(&doc);
    for op in &doc.operations {
        for r in &op.responses {
            for m in &r.content {
                if let Some(s) = &m.schema {
                    set.compile(s, Direction::Response)
                        .unwrap_or_else(|e| panic!("{}: {e}", s.pointer));
                }
            }
        }
    }
}

#[test]
fn openapi_3_2_loads_within_3_1_and_is_refused_beyond() {
    let plain = r#"{"openapi": "3.2.0", "info": {"title": "t", "version": "1"},
        "paths": {"/a": {"get": {"responses": {"200": {"description": "ok"}}}}}}"#;
    let doc = load_str(Path::new("plain.json"), plain).expect("3.2 within 3.1 loads");
    assert_eq!(doc.operations.len(), 1);
    let beyond = "{\"openapi\": \"3.2.0\", \"info\": {\"title\": \"t\", \"version\": \"1\"},\n\"paths\": {\"/a\": {\n\"query\": {\"responses\": {\"200\": {\"description\": \"ok\"}}}}}}";
    let err = load_str(Path::new("beyond.json"), beyond).unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("beyond.json:3:1:"), "{text}");
    assert!(text.contains("`query` operations"), "{text}");
    assert!(text.contains("(at #/paths/~1a/query)"), "{text}");
    let dialect = r#"{"openapi": "3.1.0", "jsonSchemaDialect": "https://example.com/mine", "info": {"title": "t", "version": "1"}}"#;
    let err = load_str(Path::new("d.json"), dialect)
        .unwrap_err()
        .to_string();
    assert!(err.contains("jsonSchemaDialect"), "{err}");
}

#[test]
fn auth0_3_1_runs_against_the_reference_server_with_its_suite() {
    // No --suite: the document picks the suite whose `[suite] spec` names it.
    let run = common::conform(
        "oas31-auth0",
        &[
            "run",
            "--spec",
            "spec/auth0-authentication-api-3.1.json",
            "--examples",
            "2",
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(
        report["run"]["suite"], "suites/reference-3.1.toml",
        "{}",
        report["run"]
    );
    // Strict: an unreached case would fail the run.
    assert_eq!(report["run"]["strict"], true, "{}", report["run"]);
    let cases = report["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 75);
    let with = |outcome: &str| cases.iter().filter(|c| c["outcome"] == outcome).count();
    // Every case is reached and passes: nothing skipped, nothing expected to fail.
    for case in cases {
        assert_eq!(case["outcome"], "passed", "{case}");
    }
    assert_eq!(with("passed"), 75);
    // Passes by a reference convention are marked; the rest is Auth0 behaviour.
    let by_convention: Vec<&str> = cases
        .iter()
        .filter(|c| c["convention"].is_string())
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        report["totals"]["passed_by_convention"],
        by_convention.len(),
        "{}",
        report["totals"]
    );
    assert!(
        75 - by_convention.len() >= 60,
        "only {} passes are Auth0 behaviour: {by_convention:?}",
        75 - by_convention.len()
    );
    let case = |id: &str| {
        cases
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no case {id}"))
    };
    // The legacy endpoints answer only the tenant's non-OIDC-conformant application.
    for id in [
        "verify/200",
        "socialWithProviderAccessToken/200",
        "resourceOwnerLegacy/200",
        "getTokenInfo/200",
        "getDelegationToken/200",
    ] {
        assert_eq!(case(id)["convention"], "legacy-client", "{}", case(id));
    }
    // Registration answers 201 (the suite's patch), so the plan has no 200 for it.
    assert_eq!(
        case("dynamicApplicationRegistration/201")["outcome"],
        "passed"
    );
    assert!(
        !cases
            .iter()
            .any(|c| c["id"] == "dynamicApplicationRegistration/200")
    );
    // The operations the 3.0 document lacks are run, not skipped.
    for op in [
        "pushAuthorizationRequest",
        "startBackChannelLogin",
        "unlink",
        "globalTokenRevocation",
    ] {
        let n = cases.iter().filter(|c| c["operation"] == op).count();
        assert!(n >= 1, "no case of {op}");
    }
    // The 401 cases of bearerAuth operations come from the security scheme alone: the suite
    // has no entry for them.
    let suite = std::fs::read_to_string(root().join("suites/reference-3.1.toml")).unwrap();
    assert!(!suite.contains("xfail"), "the suite marks a case xfail");
    assert!(!suite.contains("skip ="), "the suite skips an operation");
    for id in [
        "getUserInfo/401",
        "listMfaAuthenticators/401",
        "deleteMfaAuthenticator/401",
        "associateMfaAuthenticator/401",
        "globalTokenRevocation/401",
    ] {
        assert!(
            !suite.contains(&format!("[cases.\"{id}\"]")),
            "{id} has a suite entry"
        );
        assert_eq!(case(id)["outcome"], "passed", "{}", case(id));
    }
}
