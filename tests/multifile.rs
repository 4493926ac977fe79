//! Documents split over several files: relative `$ref`s are read from the referring file's
//! folder (schemas that refer to each other across two files load), a broken `$ref` in another
//! file is reported in that file at its line and pointer, and a URL is never fetched.

use std::path::{Path, PathBuf};

use conform::schema::{Direction, SchemaSet};
use conform::spec::{SpecErrorKind, load, load_str};
use serde_json::json;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/multifile")
        .join(name)
}

#[test]
fn a_document_over_several_files_loads_with_its_cycle() {
    let doc = load(&fixture("openapi.yaml")).expect("loads");
    let ids: Vec<String> = doc.operations.iter().map(|o| o.id()).collect();
    assert_eq!(ids, ["get_user", "list_groups"]);
    let get_user = &doc.operations[0];
    // The path parameter came from parameters.yaml.
    assert_eq!(get_user.parameters[0].name, "id");
    assert_eq!(get_user.responses.len(), 2);
    let set = SchemaSet::new(&doc);
    let user = get_user.responses[0].content[0].schema.clone().unwrap();
    let compiled = set.compile(&user, Direction::Response).expect("compiles");
    let nested = json!({"id": 1, "name": "ann", "groups": [{"name": "g", "members": [{"id": 2, "name": "bo"}]}]});
    assert!(
        compiled.is_valid(&nested),
        "{:?}",
        compiled.validate(&nested)
    );
    // A member deep in the other file's schema still needs its id (user.yaml's UserId).
    let bad = json!({"id": 1, "name": "ann", "groups": [{"name": "g", "members": [{"id": 0, "name": "bo"}]}]});
    assert!(!compiled.is_valid(&bad));
    // The error schema is a whole JSON file.
    let not_found = get_user.responses[1].content[0].schema.clone().unwrap();
    let compiled = set
        .compile(&not_found, Direction::Response)
        .expect("compiles");
    assert!(compiled.is_valid(&json!({"error": "no"})));
    assert!(!compiled.is_valid(&json!({"err": "no"})));
    let id = get_user.parameters[0].schema.clone().unwrap();
    let id = set.compile(&id, Direction::Request).expect("compiles");
    assert!(!id.is_valid(&json!(0)));
}

#[test]
fn a_broken_ref_in_the_third_file_names_that_file_its_line_and_pointer() {
    let err = load(&fixture("broken/openapi.yaml")).unwrap_err();
    assert!(
        err.file
            .ends_with("tests/fixtures/multifile/broken/group.yaml"),
        "{}",
        err.file.display()
    );
    assert_eq!(err.location, Some((7, 15)));
    assert_eq!(
        err.pointer.as_deref(),
        Some("/Group/properties/members/items/$ref")
    );
    assert!(matches!(err.kind, SpecErrorKind::UnknownRef(ref r) if r == "./user.yaml#/Member"));
}

#[test]
fn missing_files_urls_and_ref_loops_across_files_are_refused() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("multifile-loops");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let root = |body: &str| {
        format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {{$ref: '{body}'}}\n"
        )
    };
    // a.yaml#/A -> b.yaml#/B -> a.yaml#/A: a chain of refs that never reaches a schema.
    std::fs::write(dir.join("a.yaml"), "A: {$ref: './b.yaml#/B'}\n").unwrap();
    std::fs::write(dir.join("b.yaml"), "B: {$ref: './a.yaml#/A'}\n").unwrap();
    let err = load_str(&dir.join("root.yaml"), &root("./a.yaml#/A")).unwrap_err();
    assert!(matches!(err.kind, SpecErrorKind::CyclicRef(_)), "{err}");
    let err = load_str(&dir.join("root.yaml"), &root("./missing.yaml#/A")).unwrap_err();
    assert!(matches!(err.kind, SpecErrorKind::Unreadable(..)), "{err}");
    assert_eq!(err.location, Some((11, 24)), "{err}");
    // A URL is refused, not fetched (nothing listens there).
    let err = load_str(
        &dir.join("root.yaml"),
        &root("http://127.0.0.1:9/s.json#/A"),
    )
    .unwrap_err();
    assert!(matches!(err.kind, SpecErrorKind::ExternalRef(_)), "{err}");
    // ... also from inside another file.
    std::fs::write(
        dir.join("c.yaml"),
        "C: {$ref: 'https://example.com/x.json'}\n",
    )
    .unwrap();
    let err = load_str(&dir.join("root.yaml"), &root("./c.yaml#/C")).unwrap_err();
    assert!(err.file.ends_with("c.yaml"), "{err}");
    assert!(matches!(err.kind, SpecErrorKind::ExternalRef(_)), "{err}");
}

#[test]
fn a_3_1_document_over_two_files_generates_from_the_other_file() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("multifile-31");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("s.yaml"),
        "S: {type: object, required: [k], properties: {k: {const: x}, n: {type: [integer, 'null'], exclusiveMinimum: 0}}}\n",
    )
    .unwrap();
    let root = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: {$ref: './s.yaml#/S'}\n      responses:\n        '204': {description: ok}\n";
    let doc = load_str(&dir.join("root.yaml"), root).expect("loads");
    let set = SchemaSet::new(&doc);
    let body = doc.operations[0].request_body.as_ref().unwrap().content[0]
        .schema
        .clone()
        .unwrap();
    let compiled = set.compile(&body, Direction::Request).unwrap();
    assert!(compiled.is_valid(&json!({"k": "x", "n": null})));
    assert!(!compiled.is_valid(&json!({"k": "y"})));
    assert!(!compiled.is_valid(&json!({"k": "x", "n": 0})));
    // The generators see the other file's `const` as a one-value enum.
    let converted = set.converted(&body, Direction::Request).unwrap();
    assert!(
        converted.to_string().contains(r#""enum":["x"]"#),
        "{converted}"
    );
}

#[test]
fn a_problem_found_later_in_another_file_is_reported_in_that_file() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("multifile-remap");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("params.yaml"),
        "Id:\n  name: id\n  in: body\n  schema: {type: integer}\n",
    )
    .unwrap();
    let root = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      parameters:\n        - $ref: './params.yaml#/Id'\n      responses:\n        '204': {description: ok}\n";
    let err = load_str(&dir.join("root.yaml"), root).unwrap_err();
    assert!(err.file.ends_with("params.yaml"), "{err}");
    assert_eq!(err.pointer.as_deref(), Some("/Id/in"), "{err}");
    assert_eq!(err.location, Some((3, 3)), "{err}");
}
