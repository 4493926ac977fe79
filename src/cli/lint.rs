//! `conform lint`: the document's problems conform works around, after the suite's patches.

use std::io::Write;

use conform::schema::SchemaSet;

use super::args::LintArgs;
use super::{CliError, exit_code, resolve};

pub fn lint(args: &LintArgs) -> Result<u8, CliError> {
    let resolved = resolve::document(args.spec.spec.as_deref(), args.suite.as_deref(), false)?;
    let doc = &resolved.doc;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for note in &resolved.patches {
        writeln!(out, "patched: {note}").map_err(CliError::Console)?;
    }
    let schemas = SchemaSet::new(doc);
    let warnings = conform::lint::lint(doc, &schemas);
    for warning in &warnings {
        writeln!(out, "warning: {}: {warning}", doc.source.display()).map_err(CliError::Console)?;
    }
    writeln!(
        out,
        "{} warning{} in {}",
        warnings.len(),
        if warnings.len() == 1 { "" } else { "s" },
        doc.source.display()
    )
    .map_err(CliError::Console)?;
    Ok(exit_code::OK)
}
