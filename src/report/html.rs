//! The HTML reporter: `reports/conform.html`, one self-contained page (no scripts, no external
//! resources) with the run, the totals and every case; every string is escaped.

use crate::event::Outcome;
use std::fmt::Write as _;

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

/// The page, secrets masked.
pub fn render(report: &super::RunReport<'_>) -> String {
    let super::RunReport {
        info,
        totals,
        warnings,
        results,
        redactor,
    } = report;
    let e = |s: &str| escape(&super::escape_controls(&redactor.redact(s)));
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>conform: {title}</title><style>\
         body{{font:14px system-ui,sans-serif;margin:2em}}table{{border-collapse:collapse;width:100%}}\
         td,th{{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}}\
         .passed{{color:#186a3b}}.failed{{color:#b03a2e;font-weight:bold}}.error{{color:#9a7d0a;font-weight:bold}}\
         .ignored,.filtered-out{{color:#777}}pre{{white-space:pre-wrap;background:#f6f6f6;padding:8px}}\
         </style></head><body>\n<h1>conform: {title}</h1>\n<p>document <code>{spec}</code> against <code>{url}</code>, seed <code>{seed}</code></p>\n\
         <p>{passed} passed ({conventions} through reference conventions), {failed} failed, {unreached} unreached, {blocked} blocked, {errors} errors, {ignored} ignored, {known} known failures, {filtered} filtered out</p>\n",
        title = e(&info.title),
        spec = e(&info.spec),
        url = e(&info.base_url),
        seed = info.seed,
        passed = totals.passed,
        conventions = totals.passed_by_convention,
        unreached = totals.unreached,
        blocked = totals.blocked,
        known = totals.known_failures,
        failed = totals.failed,
        errors = totals.errors,
        ignored = totals.ignored,
        filtered = totals.filtered_out,
    );
    for patch in &info.patches {
        let _ = writeln!(page, "<p>patched: {}</p>", e(patch));
    }
    for warning in warnings.iter() {
        let _ = writeln!(page, "<p>warning: {}</p>", e(warning));
    }
    page.push_str("<table><tr><th>case</th><th>outcome</th><th>details</th></tr>\n");
    for result in results
        .iter()
        .filter(|r| !matches!(r.outcome, Outcome::FilteredOut))
    {
        let label = result.outcome.label();
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
            Outcome::FilteredOut => String::new(),
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
        let _ = writeln!(
            page,
            "<tr><td><code>{}</code><br>{}</td><td class=\"{label}\">{label}</td><td>{detail}</td></tr>",
            e(&result.id),
            e(&result.name)
        );
    }
    page.push_str("</table>\n</body></html>\n");
    page
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }
}
