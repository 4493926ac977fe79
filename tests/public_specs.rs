//! Every real-world document in ../shared/specs/public either plans exactly the cases INDEX.tsv
//! counts (exit 0; OpenAPI 3.0 or 3.1), or is refused with one line naming the file and
//! line:column (exit 3). None panics.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_conform");

fn specs_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/specs");
    dir.join("INDEX.tsv").exists().then_some(dir)
}

struct Row {
    file: String,
    openapi: String,
    pairs: usize,
}

fn index(dir: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(dir.join("INDEX.tsv")).expect("read INDEX.tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (file, openapi, pairs) = (col("file"), col("openapi"), col("op_response_pairs"));
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            Row {
                file: cells[file].to_string(),
                openapi: cells[openapi].to_string(),
                pairs: cells[pairs].parse().unwrap_or(0),
            }
        })
        .collect()
}

#[test]
fn every_public_document_plans_or_is_refused_with_a_location() {
    let Some(dir) = specs_dir() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but ../shared/specs/INDEX.tsv is missing"
        );
        eprintln!(
            "SKIPPED: ../shared/specs is not beside this checkout (set CI to make this an error)"
        );
        return;
    };
    let rows = index(&dir);
    assert!(
        rows.len() >= 100,
        "INDEX.tsv lists {} documents",
        rows.len()
    );
    let results = std::sync::Mutex::new(Vec::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(row) = rows.get(i) else { break };
                    let path = dir.join(&row.file);
                    let out = Command::new(BIN)
                        .args(["list", "--spec"])
                        .arg(&path)
                        .output()
                        .expect("run conform");
                    results.lock().unwrap().push((i, path, out));
                }
            });
        }
    });
    let (mut planned, mut refused) = (0, 0);
    let mut problems = Vec::new();
    for (i, path, out) in results.into_inner().unwrap() {
        let row = &rows[i];
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            Some(0) => {
                planned += 1;
                let cases = stdout.lines().count();
                if cases != row.pairs {
                    problems.push(format!(
                        "{}: {cases} cases, INDEX counts {}",
                        row.file, row.pairs
                    ));
                }
                if !row.openapi.starts_with("3.0") && !row.openapi.starts_with("3.1") {
                    problems.push(format!(
                        "{}: openapi {} was accepted",
                        row.file, row.openapi
                    ));
                }
            }
            Some(3) => {
                refused += 1;
                let prefix = format!("error: {}:", path.display());
                let lines: Vec<&str> = stderr.lines().collect();
                let located = lines.len() == 1
                    && lines[0].strip_prefix(&prefix).is_some_and(|rest| {
                        let mut parts = rest.splitn(3, ':');
                        let line = parts.next().and_then(|p| p.parse::<usize>().ok());
                        let col = parts.next().and_then(|p| p.parse::<usize>().ok());
                        line.is_some_and(|l| l >= 1) && col.is_some_and(|c| c >= 1)
                    });
                if !located {
                    problems.push(format!("{}: not one located line: {stderr}", row.file));
                }
                let expected_kind = match row.openapi.as_str() {
                    "swagger 2.0" => Some("Swagger 2.0"),
                    "(no openapi key)" => Some("not an OpenAPI 3.0 document"),
                    "(unparsed)" => Some("not valid YAML or JSON"),
                    _ => None,
                };
                if let Some(kind) = expected_kind.filter(|k| !stderr.contains(k)) {
                    problems.push(format!(
                        "{}: message does not say {kind:?}: {stderr}",
                        row.file
                    ));
                }
            }
            code => problems.push(format!("{}: exit {code:?}: {stderr}", row.file)),
        }
    }
    eprintln!("{planned} documents planned, {refused} refused with a location");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(planned >= 100, "only {planned} documents planned");
}
