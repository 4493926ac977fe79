//! The JSON reporter: `reports/conform.json`, the whole run as one document for other tools.

use std::io;
use std::path::Path;

use serde::Serialize;

use super::redact::Redactor;
use crate::runner::{CaseResult, RunInfo, Totals};

#[derive(Serialize)]
struct JsonReport<'a> {
    conform_version: &'static str,
    run: &'a RunInfo,
    totals: &'a Totals,
    warnings: &'a [String],
    cases: &'a [CaseResult],
}

/// The run as pretty JSON, secrets masked.
pub fn render(
    info: &RunInfo,
    totals: &Totals,
    warnings: &[String],
    results: &[CaseResult],
    redactor: &Redactor,
) -> String {
    let report = JsonReport {
        conform_version: env!("CARGO_PKG_VERSION"),
        run: info,
        totals,
        warnings,
        cases: results,
    };
    let text =
        serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    redactor.redact(&text)
}

pub fn write(
    path: &Path,
    info: &RunInfo,
    totals: &Totals,
    warnings: &[String],
    results: &[CaseResult],
    redactor: &Redactor,
) -> io::Result<()> {
    super::write_atomically(
        path,
        render(info, totals, warnings, results, redactor).as_bytes(),
    )
}
