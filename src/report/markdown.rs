//! The Markdown summary: `reports/summary.md`, for `$GITHUB_STEP_SUMMARY` and merge-request
//! comments: the run, the totals, the failures grouped by cause with their case ids, and the
//! (operation × status) matrix as a compact table of one-character marks.

use std::fmt::Write as _;

use super::console::groups;
use super::{Matrix, cell_class};
use crate::event::{CaseResult, Outcome};

/// The summary, secrets masked.
pub fn render(report: &super::RunReport<'_>) -> String {
    let super::RunReport {
        info,
        totals,
        results,
        redactor,
        duration,
        ..
    } = report;
    let e = |s: &str| cell(&super::escape_controls(&redactor.redact(s)));
    let mut md = String::new();
    let ok = totals.failed == 0 && totals.errors == 0;
    let _ = writeln!(
        md,
        "## conform: {} — {}\n",
        e(&info.title),
        if ok { "passed" } else { "FAILED" }
    );
    let _ = writeln!(
        md,
        "`{}` against `{}`, seed `{}`{}, conform {}, {:.1} s\n",
        e(&info.spec),
        e(&info.base_url),
        info.seed,
        info.partition
            .as_ref()
            .map(|p| format!(", shard {}", e(p)))
            .unwrap_or_default(),
        env!("CARGO_PKG_VERSION"),
        duration.as_secs_f64()
    );
    md.push_str("| passed | conventions | failed | errors | unreached | blocked | ignored | known failures | filtered out | reached |\n");
    md.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    let _ = writeln!(
        md,
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {}/{} |\n",
        totals.passed,
        totals.passed_by_convention,
        totals.failed,
        totals.errors,
        totals.unreached,
        totals.blocked,
        totals.ignored,
        totals.known_failures,
        totals.filtered_out,
        totals.reached,
        totals.selected
    );
    let failing: Vec<CaseResult> = super::ordered(results)
        .into_iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed { .. } | Outcome::Error { .. }))
        .cloned()
        .collect();
    if !failing.is_empty() {
        md.push_str("### Failures by cause\n\n");
        for group in groups(&failing) {
            let ids: Vec<String> = group.ids.iter().map(|id| format!("`{}`", e(id))).collect();
            let _ = writeln!(
                md,
                "- **{}** × {}: {}",
                group.ids.len(),
                e(&group.cause),
                ids.join(", ")
            );
        }
        md.push('\n');
    }
    let matrix = Matrix::new(results);
    md.push_str("### Operations × statuses\n\n");
    md.push_str(
        "✓ passed · ✓ᶜ reference convention · ✗ failed · E error · u unreached · b blocked · – ignored · k known failure · . filtered out\n\n",
    );
    md.push_str("| operation |");
    for status in &matrix.statuses {
        let _ = write!(md, " {} |", e(status));
    }
    md.push_str("\n|---|");
    for _ in &matrix.statuses {
        md.push_str(":-:|");
    }
    md.push('\n');
    for (operation, cells) in &matrix.rows {
        let _ = write!(md, "| `{}` |", e(operation));
        for cell in cells {
            let _ = write!(md, " {} |", cell.map(mark).unwrap_or(""));
        }
        md.push('\n');
    }
    let protocol = super::protocol_results(results);
    if !protocol.is_empty() {
        md.push_str("\n### Protocol checks\n\n| check | property | outcome |\n|---|---|:-:|\n");
        for result in protocol {
            let _ = writeln!(
                md,
                "| `{}` | {} | {} {} |",
                e(&result.id),
                e(&result.name),
                mark(result),
                result.outcome.label()
            );
        }
    }
    md
}

fn mark(result: &CaseResult) -> &'static str {
    match cell_class(result) {
        "passed" => "✓",
        "convention" => "✓ᶜ",
        "failed" => "✗",
        "error" => "E",
        "unreached" => "u",
        "blocked" => "b",
        "ignored" => "–",
        "known-failure" => "k",
        _ => ".",
    }
}

/// Text made safe inside a Markdown table cell and inline code: pipes and backticks escaped,
/// newlines flattened, HTML-significant characters escaped (GitHub renders inline HTML).
fn cell(text: &str) -> String {
    text.replace('\n', " ")
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace('`', "'")
}
