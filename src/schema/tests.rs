//! Conversion rules, checked by validating instances against compiled schemas.

use std::path::Path;

use serde_json::{Value, json};

use super::*;
use crate::spec::{Document, SchemaRef, load, load_str};

/// A document whose `components.schemas` are `schemas`.
fn doc(schemas: Value) -> Document {
    let text = json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {"schemas": schemas},
    })
    .to_string();
    load_str(Path::new("test.json"), &text).expect("test document loads")
}

fn component(name: &str) -> SchemaRef {
    SchemaRef {
        pointer: format!("/components/schemas/{name}"),
    }
}

fn compiled(set: &SchemaSet, name: &str, dir: Direction) -> std::sync::Arc<CompiledSchema> {
    set.compile(&component(name), dir).expect("compiles")
}

#[test]
fn nullable_admits_null_in_type_and_enum() {
    let d = doc(json!({
        "S": {"type": "string", "nullable": true},
        "E": {"type": "string", "enum": ["a"], "nullable": true},
        "R": {"nullable": true, "allOf": [{"$ref": "#/components/schemas/Plain"}]},
        "Plain": {"type": "string"},
    }));
    let set = SchemaSet::new(&d);
    let s = compiled(&set, "S", Direction::Response);
    assert!(s.is_valid(&Value::Null));
    assert!(s.is_valid(&json!("x")));
    assert!(!s.is_valid(&json!(1)));
    let e = compiled(&set, "E", Direction::Response);
    assert!(e.is_valid(&Value::Null));
    assert!(e.is_valid(&json!("a")));
    assert!(!e.is_valid(&json!("b")));
    let r = compiled(&set, "R", Direction::Response);
    assert!(r.is_valid(&Value::Null));
    assert!(r.is_valid(&json!("x")));
    assert!(!r.is_valid(&json!(2)));
}

#[test]
fn integer_formats_bound_the_value() {
    let d = doc(json!({
        "I32": {"type": "integer", "format": "int32"},
        "I64": {"type": "integer", "format": "int64", "minimum": 5},
    }));
    let set = SchemaSet::new(&d);
    let i32s = compiled(&set, "I32", Direction::Request);
    assert!(i32s.is_valid(&json!(2147483647)));
    assert!(!i32s.is_valid(&json!(2147483648_i64)));
    assert!(i32s.is_valid(&json!(-2147483648_i64)));
    assert!(!i32s.is_valid(&json!(-2147483649_i64)));
    let i64s = compiled(&set, "I64", Direction::Request);
    assert!(
        !i64s.is_valid(&json!(4)),
        "the document's stricter minimum is kept"
    );
    assert!(i64s.is_valid(&json!(i64::MAX)));
    let converted = set
        .converted(&component("I32"), Direction::Request)
        .unwrap();
    assert_eq!(converted["maximum"], json!(2147483647));
}

#[test]
fn read_only_and_write_only_are_not_required_on_their_side() {
    let d = doc(json!({
        "User": {
            "type": "object",
            "required": ["id", "password", "name"],
            "properties": {
                "id": {"type": "string", "readOnly": true},
                "password": {"$ref": "#/components/schemas/Secret"},
                "name": {"type": "string"},
            }
        },
        "Secret": {"type": "string", "writeOnly": true},
    }));
    let set = SchemaSet::new(&d);
    let request = compiled(&set, "User", Direction::Request);
    let response = compiled(&set, "User", Direction::Response);
    assert!(request.is_valid(&json!({"password": "p", "name": "n"})));
    assert!(
        !request.is_valid(&json!({"id": "1", "name": "n"})),
        "writeOnly stays required in requests"
    );
    assert!(response.is_valid(&json!({"id": "1", "name": "n"})));
    // Generators leave out what a side never sends.
    let converted = set
        .converted(&component("User"), Direction::Request)
        .unwrap();
    assert_eq!(converted["properties"]["id"]["readOnly"], json!(true));
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = crate::generate::valid(&converted, &converted);
    for _ in 0..32 {
        let value = proptest::strategy::ValueTree::current(
            &proptest::strategy::Strategy::new_tree(&strategy, &mut runner).unwrap(),
        );
        assert!(value.get("id").is_none(), "{value}");
        assert!(request.is_valid(&value), "{value}");
    }
    assert!(
        !response.is_valid(&json!({"password": "p", "name": "n"})),
        "readOnly stays required in responses"
    );
}

#[test]
fn openapi_only_keywords_and_unknown_formats_do_not_break_compilation() {
    let d = doc(json!({
        "X": {
            "type": "object",
            "discriminator": {"propertyName": "kind"},
            "xml": {"name": "x"},
            "example": {"kind": 3},
            "externalDocs": {"url": "https://example.com"},
            "deprecated": true,
            "x-vendor": {"$ref": "nowhere"},
            "properties": {
                "kind": {"type": "string", "format": "my-own-format"},
                "when": {"type": "string", "format": "date-time"},
                "blob": {"type": "string", "format": "binary"},
            }
        }
    }));
    let set = SchemaSet::new(&d);
    let x = compiled(&set, "X", Direction::Response);
    assert!(x.is_valid(&json!({"kind": "anything", "when": "2024-01-02T03:04:05Z", "blob": "xx"})));
    let bad = x.validate(&json!({"when": "yesterday"}));
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(bad[0].instance_path, "/when");
    assert_eq!(bad[0].spec_pointer, "/components/schemas/X/properties/when");
    let converted = set.converted(&component("X"), Direction::Response).unwrap();
    for keyword in [
        "discriminator",
        "xml",
        "example",
        "externalDocs",
        "deprecated",
        "x-vendor",
        "x-conform-pointer",
    ] {
        assert!(
            converted.get(keyword).is_none(),
            "{keyword} should be dropped: {converted}"
        );
    }
}

#[test]
fn recursive_schemas_compile_and_failures_point_into_the_component() {
    let d = doc(json!({
        "Tree": {
            "type": "object",
            "required": ["value"],
            "properties": {
                "value": {"type": "integer"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}},
            }
        },
        "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}},
        "B": {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/A"}}, "required": ["a"]},
    }));
    let set = SchemaSet::new(&d);
    let tree = compiled(&set, "Tree", Direction::Response);
    let good = json!({"value": 1, "children": [{"value": 2, "children": [{"value": 3}]}]});
    assert!(tree.is_valid(&good));
    let bad = json!({"value": 1, "children": [{"value": 2, "children": [{"value": "three"}]}]});
    let violations = tree.validate(&bad);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].instance_path, "/children/0/children/0/value");
    assert_eq!(
        violations[0].spec_pointer,
        "/components/schemas/Tree/properties/value"
    );
    let a = compiled(&set, "A", Direction::Response);
    assert!(a.is_valid(&json!({"b": {"a": {"b": {"a": {}}}}})));
    assert!(!a.is_valid(&json!({"b": {}})));
}

#[test]
fn ambiguous_one_of_is_validated_as_any_of_with_a_warning() {
    let d = doc(json!({
        "Either": {"oneOf": [
            {"type": "object", "properties": {"a": {"type": "string"}}},
            {"type": "object", "properties": {"b": {"type": "string"}}},
        ]},
        "Disjoint": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
    }));
    let set = SchemaSet::new(&d);
    let either = compiled(&set, "Either", Direction::Response);
    assert!(
        either.is_valid(&json!({"a": "x", "b": "y"})),
        "matches both branches: strict oneOf would fail"
    );
    assert!(!either.is_valid(&json!({"a": 1, "b": 2})));
    let warnings = set.warnings();
    assert!(
        warnings.iter().any(|w| w.pointer == "/components/schemas/Either/oneOf" && w.message.contains("anyOf")),
        "{warnings:?}"
    );
    let disjoint = compiled(&set, "Disjoint", Direction::Response);
    assert!(disjoint.is_valid(&json!(1)));
    assert!(
        !set.warnings()
            .iter()
            .any(|w| w.pointer.contains("Disjoint"))
    );
}

#[test]
fn unsupported_patterns_are_dropped_with_a_warning() {
    let d = doc(json!({
        "P": {"type": "object", "properties": {
            "bad": {"type": "string", "pattern": "(?<=a"},
            "good": {"type": "string", "pattern": "^[a-z]+$"},
        }}
    }));
    let set = SchemaSet::new(&d);
    let p = compiled(&set, "P", Direction::Request);
    assert!(p.is_valid(&json!({"bad": "anything", "good": "abc"})));
    assert!(!p.is_valid(&json!({"good": "ABC"})));
    assert!(
        set.warnings()
            .iter()
            .any(|w| w.pointer == "/components/schemas/P/properties/bad/pattern")
    );
}

fn auth0() -> Document {
    load(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("spec/auth0-authentication.yaml")
            .as_path(),
    )
    .expect("auth0 loads")
}

fn token_form_body(d: &Document) -> SchemaRef {
    let op = d
        .operations
        .iter()
        .find(|o| o.operation_id.as_deref() == Some("oauth_token"))
        .expect("oauth_token");
    let body = op.request_body.as_ref().expect("body");
    let media = body
        .content
        .iter()
        .find(|m| m.media_type == "application/x-www-form-urlencoded")
        .expect("form");
    media.schema.clone().expect("schema")
}

#[test]
fn auth0_token_body_is_validated_by_grant_type() {
    let d = auth0();
    let set = SchemaSet::new(&d);
    let schema = token_form_body(&d);
    let compiled = set.compile(&schema, Direction::Request).expect("compiles");
    let client_credentials = json!({
        "grant_type": "client_credentials", "client_id": "id", "client_secret": "s", "audience": "https://api"
    });
    assert!(
        compiled.is_valid(&client_credentials),
        "{:?}",
        compiled.validate(&client_credentials)
    );
    // Both authorization_code branches share the key: either may match.
    assert!(compiled.is_valid(&json!({
        "grant_type": "authorization_code", "client_id": "id", "code": "c", "code_verifier": "v"
    })));

    let unknown = compiled.validate(&json!({"grant_type": "magic", "client_id": "id"}));
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    assert_eq!(unknown[0].instance_path, "/grant_type");
    assert!(
        unknown[0].message.contains("selects no branch"),
        "{}",
        unknown[0].message
    );
    assert!(
        unknown[0].message.contains("\"client_credentials\""),
        "{}",
        unknown[0].message
    );
    assert_eq!(unknown[0].spec_pointer, format!("{}/oneOf", schema.pointer));

    let missing = compiled.validate(
        &json!({"grant_type": "client_credentials", "client_id": "id", "client_secret": "s"}),
    );
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0].message.contains("audience"),
        "{}",
        missing[0].message
    );
    assert_eq!(
        missing[0].spec_pointer,
        "/components/schemas/ClientCredentials"
    );

    let warnings = set.warnings();
    let warning = warnings
        .iter()
        .find(|w| w.pointer == format!("{}/oneOf", schema.pointer))
        .expect("a warning about the oneOf");
    assert!(
        warning
            .message
            .contains("oneOf branches overlap; validated by grant_type"),
        "{}",
        warning.message
    );
}

#[test]
fn every_auth0_schema_compiles_in_both_directions() {
    let d = auth0();
    let set = SchemaSet::new(&d);
    let mut count = 0;
    for op in &d.operations {
        let params = op.parameters.iter().filter_map(|p| p.schema.clone());
        let bodies = op
            .request_body
            .iter()
            .flat_map(|b| b.content.iter().filter_map(|m| m.schema.clone()));
        for schema in params.chain(bodies) {
            set.compile(&schema, Direction::Request)
                .expect("request schema compiles");
            count += 1;
        }
        for response in &op.responses {
            for schema in response.content.iter().filter_map(|m| m.schema.clone()) {
                set.compile(&schema, Direction::Response)
                    .expect("response schema compiles");
                count += 1;
            }
        }
    }
    assert!(count > 50, "only {count} schemas");
}

#[test]
fn nullable_next_to_a_ref_admits_null_with_a_warning() {
    let d = doc(json!({
        "Holder": {"type": "object", "properties": {
            "inner": {"$ref": "#/components/schemas/Inner", "nullable": true},
        }},
        "Inner": {"type": "object", "required": ["x"], "properties": {"x": {"type": "integer"}}},
    }));
    let set = SchemaSet::new(&d);
    let holder = compiled(&set, "Holder", Direction::Response);
    assert!(holder.is_valid(&json!({"inner": null})));
    assert!(holder.is_valid(&json!({"inner": {"x": 1}})));
    assert!(!holder.is_valid(&json!({"inner": {"x": "1"}})));
    assert!(
        set.warnings()
            .iter()
            .any(|w| w.pointer == "/components/schemas/Holder/properties/inner")
    );
}

#[test]
fn schema_sets_are_shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<SchemaSet>();
    send_sync::<CompiledSchema>();
    let d = auth0();
    let set = std::sync::Arc::new(SchemaSet::new(&d));
    let schema = token_form_body(&d);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let set = std::sync::Arc::clone(&set);
            let schema = schema.clone();
            std::thread::spawn(move || {
                set.compile(&schema, Direction::Request)
                    .map(|c| c.is_valid(&json!({})))
            })
        })
        .collect();
    for h in handles {
        assert!(!h.join().expect("no panic").expect("compiles"));
    }
    // One compiled schema, shared.
    let a = set.compile(&schema, Direction::Request).unwrap();
    let b = set.compile(&schema, Direction::Request).unwrap();
    assert!(std::sync::Arc::ptr_eq(&a, &b));
}

#[test]
fn messages_do_not_quote_structures_or_long_strings() {
    let d = doc(json!({
        "Token": {"type": "object", "required": ["access_token", "n"], "properties": {
            "access_token": {"type": "string", "pattern": "^x"},
            "n": {"type": "integer"},
        }},
        "Either": {"anyOf": [{"type": "integer"}, {"type": "object", "required": ["a"]}]},
    }));
    let set = SchemaSet::new(&d);
    let token = compiled(&set, "Token", Direction::Response);
    let secret = "eyJhbGciOiJIUzI1NiJ9.secret-payload.signature";
    let violations = token.validate(&json!({"access_token": secret, "n": "1"}));
    assert_eq!(violations.len(), 2, "{violations:?}");
    for v in &violations {
        assert!(!v.message.contains("secret-payload"), "{}", v.message);
    }
    assert_eq!(
        violations[0].observed,
        Some(json!(secret)),
        "the value is kept for the caller"
    );
    let missing = token.validate(&json!({"n": 1, "password": "hunter2"}));
    assert!(
        !missing[0].message.contains("hunter2"),
        "{}",
        missing[0].message
    );
    let either = compiled(&set, "Either", Direction::Response);
    let v = either.validate(&json!({"b": 1}));
    assert!(v[0].message.contains("closest branch"), "{}", v[0].message);
}
