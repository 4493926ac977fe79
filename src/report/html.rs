//! The HTML reporter: `reports/conform.html`, one self-contained page (no scripts, no external
//! resources, a strict CSP). At the top the run's facts and an (operation × status) matrix, one
//! linked cell per planned case; then the failures grouped by cause; then every other case
//! collapsed by operation; the document's warnings collapsed at the end. Every string is
//! escaped and redacted; long values wrap or scroll inside their box, never the page.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::console::groups;
use super::{Matrix, cell_class};
use crate::event::{CaseResult, Outcome};

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The element id of a case: `case-` and the id with everything but letters, digits, `-` and
/// `_` spelled as `.xx` hex, so ids with `/` or spaces make valid, unique fragments.
pub fn anchor(id: &str) -> String {
    let mut out = String::from("case-");
    for b in id.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' => out.push(b as char),
            b => {
                let _ = write!(out, ".{b:02x}");
            }
        }
    }
    out
}

/// Colours by outcome, light and dark; long text breaks anywhere; tables scroll in their box.
const STYLE: &str = "\
:root{color-scheme:light dark;--fg:#1b1b1b;--bg:#fff;--muted:#666;--line:#ddd;--code:#f4f4f4;\
--passed:#2e7d32;--convention:#81c784;--failed:#c62828;--error:#ef6c00;--unreached:#f9a825;\
--blocked:#8e24aa;--ignored:#9e9e9e;--known-failure:#ad1457;--filtered-out:#e0e0e0}\
@media (prefers-color-scheme:dark){:root{--fg:#e6e6e6;--bg:#161616;--muted:#aaa;--line:#333;\
--code:#222;--passed:#66bb6a;--convention:#2e7d32;--failed:#ef5350;--error:#ffa726;\
--unreached:#fdd835;--blocked:#ba68c8;--ignored:#757575;--known-failure:#f06292;--filtered-out:#3a3a3a}}\
*{box-sizing:border-box}\
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;padding:1em 1.5em;max-width:1200px;\
color:var(--fg);background:var(--bg);overflow-wrap:anywhere}\
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin:1.2em 0 .4em}\
h3{font-size:1em;margin:.8em 0 .3em}\
code,pre{font:12px/1.4 ui-monospace,monospace}\
pre{background:var(--code);padding:8px;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%}\
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:.5em 0}\
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;min-width:0}\
.totals span{display:inline-block;margin-right:1em}\
.scroll{overflow-x:auto;max-width:100%}\
table{border-collapse:collapse}\
table.matrix th,table.matrix td{border:1px solid var(--line);padding:0;text-align:center;font-size:12px}\
table.matrix th{padding:2px 4px;font-weight:600}\
table.matrix th.op{text-align:left;white-space:nowrap;max-width:22em;overflow:hidden;text-overflow:ellipsis}\
table.matrix a{display:block;width:28px;height:20px;line-height:20px;text-decoration:none;color:#000}\
table.cases{width:100%;table-layout:fixed}\
table.cases td{border-bottom:1px solid var(--line);padding:3px 6px;vertical-align:top}\
table.cases td:first-child{width:40%}table.cases td:nth-child(2){width:9em}\
.passed{background:var(--passed)}.convention{background:var(--convention)}\
.failed{background:var(--failed)}.error{background:var(--error)}\
.unreached{background:var(--unreached)}.blocked{background:var(--blocked)}\
.ignored{background:var(--ignored)}.known-failure{background:var(--known-failure)}\
.filtered-out{background:var(--filtered-out)}\
.label{display:inline-block;padding:0 6px;border-radius:3px;color:#000;font-size:12px}\
.legend .label{margin:2px 4px 2px 0}\
section.group{border-left:4px solid var(--failed);padding-left:10px;margin:.8em 0}\
details{margin:.3em 0}summary{cursor:pointer}\
.case{margin:.4em 0 .8em}.muted{color:var(--muted)}\
@media print{body{max-width:none;padding:0}details>summary{list-style:none}\
details::details-content{content-visibility:visible;display:block}\
.scroll{overflow:visible}pre{white-space:pre-wrap}a{color:inherit}\
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

/// The page, secrets masked.
pub fn render(report: &super::RunReport<'_>) -> String {
    let super::RunReport {
        info,
        totals,
        warnings,
        results,
        redactor,
        started,
        duration,
    } = report;
    let e = |s: &str| escape(&super::escape_controls(&redactor.redact(s)));
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>conform: {title}</title><style>{STYLE}</style></head><body>\n\
         <h1>conform: {title}</h1>\n<dl class=\"facts\">\
         <dt>document</dt><dd><code>{spec}</code></dd>\
         <dt>target</dt><dd><code>{url}</code></dd>\
         <dt>seed</dt><dd><code>{seed}</code></dd>{suite}{partition}\
         <dt>conform</dt><dd>{version}</dd>\
         <dt>started</dt><dd>{started}</dd>\
         <dt>duration</dt><dd>{duration:.1} s</dd></dl>\n",
        title = e(&info.title),
        spec = e(&info.spec),
        url = e(&info.base_url),
        seed = info.seed,
        suite = info
            .suite
            .as_ref()
            .map(|s| format!("<dt>suite</dt><dd><code>{}</code></dd>", e(s)))
            .unwrap_or_default(),
        partition = info
            .partition
            .as_ref()
            .map(|p| format!("<dt>shard</dt><dd>{}</dd>", e(p)))
            .unwrap_or_default(),
        version = env!("CARGO_PKG_VERSION"),
        started = super::timestamp(*started),
        duration = duration.as_secs_f64(),
    );
    let _ = writeln!(
        page,
        "<p class=\"totals\"><span><b>{}</b> passed ({} through reference conventions)</span>\
         <span><b>{}</b> failed</span><span><b>{}</b> errors</span><span><b>{}</b> unreached</span>\
         <span><b>{}</b> blocked</span><span><b>{}</b> ignored</span><span><b>{}</b> known failures</span>\
         <span><b>{}</b> filtered out</span><span>reached {} of {} selected pairs</span></p>",
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
        totals.selected,
    );

    // The matrix: one linked cell per planned case.
    let matrix = Matrix::new(results);
    page.push_str("<h2>Operations × statuses</h2>\n<p class=\"legend\">");
    for class in [
        "passed",
        "convention",
        "failed",
        "error",
        "unreached",
        "blocked",
        "ignored",
        "known-failure",
        "filtered-out",
    ] {
        let name = if class == "convention" {
            "reference convention"
        } else {
            class
        };
        let _ = write!(page, "<span class=\"label {class}\">{name}</span>");
    }
    page.push_str("</p>\n<div class=\"scroll\"><table class=\"matrix\"><tr><th></th>");
    for status in &matrix.statuses {
        let _ = write!(page, "<th>{}</th>", e(status));
    }
    page.push_str("</tr>\n");
    for (operation, cells) in &matrix.rows {
        let _ = write!(
            page,
            "<tr><th class=\"op\" title=\"{op}\">{op}</th>",
            op = e(operation)
        );
        for cell in cells {
            match cell {
                Some(result) => {
                    let class = cell_class(result);
                    let _ = write!(
                        page,
                        "<td class=\"cell {class}\"><a href=\"#{}\" title=\"{}: {}\">{}</a></td>",
                        anchor(&result.id),
                        e(&result.id),
                        e(&result.outcome.label().replace('-', " ")),
                        mark(&result.outcome),
                    );
                }
                None => page.push_str("<td></td>"),
            }
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</table></div>\n");

    // Protocol checks: properties, not cells of the matrix.
    let protocol = super::protocol_results(results);
    if !protocol.is_empty() {
        page.push_str(
            "<h2>Protocol checks</h2>\n<table class=\"protocol\"><tr><th>check</th><th>property</th><th>outcome</th></tr>\n",
        );
        for result in protocol {
            let outcome = result.outcome.label();
            let shown = if matches!(
                result.outcome,
                Outcome::Failed { .. } | Outcome::Error { .. }
            ) {
                format!("<a href=\"#{}\">{outcome}</a>", anchor(&result.id))
            } else {
                outcome.to_string()
            };
            let _ = writeln!(
                page,
                "<tr><td><code>{}</code></td><td>{}</td><td class=\"cell {}\">{shown}</td></tr>",
                e(&result.id),
                e(&result.name),
                cell_class(result),
            );
        }
        page.push_str("</table>\n");
    }

    // Failures and harness errors, grouped by cause.
    let ordered = super::ordered(results);
    let failing: Vec<CaseResult> = ordered
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed { .. } | Outcome::Error { .. }))
        .map(|r| (*r).clone())
        .collect();
    let _ = writeln!(
        page,
        "<h2 id=\"failures\">Failures ({})</h2>",
        failing.len()
    );
    if failing.is_empty() {
        page.push_str("<p class=\"muted\">none</p>\n");
    }
    for group in groups(&failing) {
        let _ = writeln!(
            page,
            "<section class=\"group\"><h3>{} {}: {}</h3>",
            group.ids.len(),
            if group.ids.len() == 1 {
                "case"
            } else {
                "cases"
            },
            e(&group.cause)
        );
        for id in &group.ids {
            if let Some(result) = failing.iter().find(|r| &r.id == id) {
                let _ = writeln!(
                    page,
                    "<div class=\"case\" id=\"{}\"><b><code>{}</code></b> {} <span class=\"label {}\">{}</span><pre>{}</pre></div>",
                    anchor(&result.id),
                    e(&result.id),
                    e(&result.name),
                    cell_class(result),
                    result.outcome.label(),
                    e(&result.details())
                );
            }
        }
        page.push_str("</section>\n");
    }

    // Everything else, collapsed by operation.
    let mut rest: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
    for result in &ordered {
        if !matches!(
            result.outcome,
            Outcome::Failed { .. } | Outcome::Error { .. }
        ) {
            rest.entry(result.operation.as_str())
                .or_default()
                .push(result);
        }
    }
    page.push_str("<h2>Other cases, by operation</h2>\n");
    for (operation, cases) in rest {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for case in &cases {
            *counts.entry(cell_class(case)).or_default() += 1;
        }
        let counts: Vec<String> = counts
            .iter()
            .map(|(class, n)| format!("{n} {}", class.replace('-', " ")))
            .collect();
        let _ = writeln!(
            page,
            "<details><summary><code>{}</code> <span class=\"muted\">{}</span></summary>\
             <table class=\"cases\">",
            e(operation),
            counts.join(", ")
        );
        for result in cases {
            let detail = match &result.outcome {
                Outcome::Passed => {
                    let convention = result
                        .convention
                        .as_ref()
                        .map(|c| format!("passed through the reference convention `{c}`"));
                    match (convention, &result.note) {
                        (Some(c), Some(n)) => format!("{c}; {n}"),
                        (c, n) => c.or(n.clone()).unwrap_or_default(),
                    }
                }
                Outcome::Ignored { reason } => reason.clone(),
                Outcome::FilteredOut => "not selected by the filters or the partition".into(),
                _ => result.details(),
            };
            let detail = if detail.contains('\n') {
                format!(
                    "<details><summary>{}</summary><pre>{}</pre></details>",
                    e(detail.lines().next().unwrap_or_default()),
                    e(&detail)
                )
            } else {
                e(&detail)
            };
            let class = cell_class(result);
            let _ = writeln!(
                page,
                "<tr id=\"{}\"><td><code>{}</code><br>{}</td><td><span class=\"label {class}\">{}</span></td><td>{detail}</td></tr>",
                anchor(&result.id),
                e(&result.id),
                e(&result.name),
                class.replace('-', " "),
            );
        }
        page.push_str("</table></details>\n");
    }

    if !info.patches.is_empty() || !warnings.is_empty() {
        let _ = writeln!(
            page,
            "<h2>Notes</h2>\n<details><summary>{} patches and {} warnings about the document</summary><ul>",
            info.patches.len(),
            warnings.len()
        );
        for patch in &info.patches {
            let _ = writeln!(page, "<li>patched: {}</li>", e(patch));
        }
        for warning in warnings.iter() {
            let _ = writeln!(page, "<li>warning: {}</li>", e(warning));
        }
        page.push_str("</ul></details>\n");
    }
    page.push_str("</body></html>\n");
    page
}

/// A one-character mark per outcome, so the matrix reads without colour too (print, colour
/// blindness).
fn mark(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "✓",
        Outcome::Failed { .. } => "✗",
        Outcome::Error { .. } => "E",
        Outcome::Unreached { .. } => "u",
        Outcome::Blocked { .. } => "b",
        Outcome::Ignored { .. } => "–",
        Outcome::KnownFailure { .. } => "k",
        Outcome::FilteredOut => "·",
    }
}

#[cfg(test)]
mod tests {
    use super::{anchor, escape};

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    #[test]
    fn anchors_are_valid_and_distinct() {
        assert_eq!(anchor("oauth_token/400"), "case-oauth_token.2f400");
        assert_ne!(anchor("a/b"), anchor("a.2fb"));
        assert_eq!(anchor("GET /x y\"<"), "case-GET.20.2fx.20y.22.3c");
    }
}
