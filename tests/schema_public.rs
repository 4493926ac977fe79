//! Converting and compiling every response schema of every loadable public document: no panic,
//! every failure a typed error, and fast.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use conform::schema::{Direction, SchemaSet};
use conform::spec::load;
use serde_json::json;

#[test]
fn every_public_response_schema_compiles_quickly() {
    let dir = PathBuf::from("/work/shared/specs/public");
    if !dir.is_dir() {
        println!("no public documents at {}; skipped", dir.display());
        return;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let (mut docs, mut schemas, mut errors, mut warnings) = (0, 0, Vec::new(), 0);
    let mut compile_time = Duration::ZERO;
    let mut slowest = (Duration::ZERO, String::new());
    for path in &files {
        let Ok(doc) = load(path) else { continue };
        docs += 1;
        let started = Instant::now();
        let set = SchemaSet::new(&doc);
        for op in &doc.operations {
            for response in &op.responses {
                for schema in response.content.iter().filter_map(|m| m.schema.as_ref()) {
                    schemas += 1;
                    match set.compile(schema, Direction::Response) {
                        // A compiled validator must answer without panicking.
                        Ok(compiled) => {
                            let _ = compiled.validate(&json!({"probe": [1, "two", null]}));
                        }
                        Err(e) => errors.push(format!("{}: {e}", path.display())),
                    }
                }
            }
        }
        warnings += set.warnings().len();
        let took = started.elapsed();
        compile_time += took;
        if took > slowest.0 {
            slowest = (
                took,
                path.file_name().unwrap().to_string_lossy().into_owned(),
            );
        }
    }
    println!(
        "{docs} documents, {schemas} response schemas compiled in {compile_time:?} ({} errors, {warnings} spec warnings); slowest {} in {:?}",
        errors.len(),
        slowest.1,
        slowest.0
    );
    for e in &errors {
        println!("ERROR {e}");
    }
    assert!(docs >= 90, "only {docs} documents load");
    assert!(schemas >= 1000, "only {schemas} schemas");
    assert!(errors.is_empty(), "{} schemas do not compile", errors.len());
    // Debug build on 2 shared cores; release is several times faster.
    assert!(
        compile_time < Duration::from_secs(120),
        "compiling took {compile_time:?}"
    );
}
