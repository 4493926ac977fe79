//! `conform list`: the planned cases, one a line or as JSON, after the suite's patches (the
//! same document `run` tests).

use std::io::Write;

use conform::recipe::{Safety, plan_document};

use super::args::{ListArgs, ListFormat};
use super::{CliError, exit_code, resolve};

pub fn list(args: &ListArgs) -> Result<u8, CliError> {
    // Without --spec, list what `conform run` runs: the reference suite's view of the document.
    let resolved = resolve::document(
        args.spec.spec.as_deref(),
        args.suite.as_deref(),
        args.spec.spec.is_none(),
    )?;
    let doc = &resolved.doc;
    let (plan, _) = plan_document(doc, resolved.suite.clone(), Safety::default());
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        ListFormat::Json => {
            let rows: Vec<_> = plan.rows(doc).collect();
            serde_json::to_writer_pretty(&mut out, &rows)
                .map_err(|e| CliError::Console(e.into()))?;
            writeln!(out).map_err(CliError::Console)?;
        }
        ListFormat::Human => {
            for case in &plan.cases {
                match case.readiness.reason() {
                    None => writeln!(out, "{:<40} {}", case.id, case.display),
                    Some(reason) => {
                        writeln!(out, "{:<40} {}  [ignored: {reason}]", case.id, case.display)
                    }
                }
                .map_err(CliError::Console)?;
            }
        }
    }
    if plan.cases.is_empty() {
        eprintln!(
            "conform: {} documents no responses: no cases",
            doc.source.display()
        );
        return Ok(exit_code::NO_CASES);
    }
    Ok(exit_code::OK)
}
