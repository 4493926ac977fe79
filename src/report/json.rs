//! The JSON reporter: `reports/conform.json`, the whole run as one document for other tools, and
//! what `conform report merge` reads back.

use serde::Serialize;

use crate::event::{CaseResult, RunInfo, Totals};

#[derive(Serialize)]
struct JsonReport<'a> {
    conform_version: &'static str,
    run: &'a RunInfo,
    /// UTC, to the second.
    started: String,
    started_unix: u64,
    duration: f64,
    totals: &'a Totals,
    warnings: &'a [String],
    /// In a stable order (operation, status), whatever order they finished in.
    cases: Vec<&'a CaseResult>,
}

/// The run as pretty JSON, secrets masked.
pub fn render(report: &super::RunReport<'_>) -> String {
    let json = JsonReport {
        conform_version: env!("CARGO_PKG_VERSION"),
        run: report.info,
        started: super::timestamp(report.started),
        started_unix: super::unix_seconds(report.started),
        duration: report.duration.as_secs_f64(),
        totals: report.totals,
        warnings: report.warnings,
        cases: super::ordered(report.results),
    };
    let text =
        serde_json::to_string_pretty(&json).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    report.redactor.redact(&text)
}
