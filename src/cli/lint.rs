//! `conform lint`: the document's problems conform works around, after the suite's patches.

use conform::schema::SchemaSet;

use super::args::LintArgs;
use super::{CliError, exit_code, resolve};

pub fn lint(args: &LintArgs) -> Result<u8, CliError> {
    let resolved = resolve::document(args.spec.spec.as_deref(), args.suite.as_deref(), false)?;
    let doc = &resolved.doc;
    for note in &resolved.patches {
        println!("patched: {note}");
    }
    let schemas = SchemaSet::new(doc);
    let warnings = conform::lint::lint(doc, &schemas);
    for warning in &warnings {
        println!("warning: {}: {warning}", doc.source.display());
    }
    println!(
        "{} warning{} in {}",
        warnings.len(),
        if warnings.len() == 1 { "" } else { "s" },
        doc.source.display()
    );
    Ok(exit_code::OK)
}
