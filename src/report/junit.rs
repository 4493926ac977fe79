//! The JUnit XML reporter: one `<testsuite>` per operation (and one for protocol checks), one
//! `<testcase>` per case, named by its case id (what `--exact` takes); `<failure>` for contract violations with everything a CI
//! annotation needs in its body (GitHub's reporters read only that), `<error>` for harness
//! errors, `<skipped>` with the reason; `file`/`line` point at the documented response.
//!
//! Written by hand with a small escaper: junit-report cannot put text in `<failure>`, totals on
//! `<testsuites>` or `file`/`line` on a testcase.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::event::{CaseResult, Outcome, ResultKind};
use crate::spec::escape_token;

/// The JUnit XML document, secrets masked.
pub fn render(report: &super::RunReport<'_>) -> String {
    let super::RunReport {
        info,
        results,
        redactor,
        started,
        duration,
        ..
    } = report;
    let clean = |s: &str| escape(&sanitize(&redactor.redact(s)));
    // Element text goes in CDATA: readers that drop entity references from text (junit-parser
    // does) still see every `&`, `<` and quote; `sanitize` has broken any `]]>`.
    let cdata = |s: &str| format!("<![CDATA[{}]]>", sanitize(&redactor.redact(s)));
    // The document's text, to find the line each response is documented on; a built-in copy
    // with no file leaves the lines out.
    let source = std::fs::read_to_string(&info.spec).ok();
    let mut suites: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
    for result in super::ordered(results) {
        if !matches!(result.outcome, Outcome::FilteredOut) {
            suites.entry(suite_of(result)).or_default().push(result);
        }
    }
    let count = |cases: &[&CaseResult], f: fn(&Outcome) -> bool| {
        cases.iter().filter(|r| f(&r.outcome)).count()
    };
    let is_failure = |o: &Outcome| matches!(o, Outcome::Failed { .. });
    let is_error = |o: &Outcome| matches!(o, Outcome::Error { .. });
    let is_skipped = |o: &Outcome| {
        !matches!(
            o,
            Outcome::Passed | Outcome::Failed { .. } | Outcome::Error { .. }
        )
    };
    let all: Vec<&CaseResult> = suites.values().flatten().copied().collect();
    let timestamp = super::timestamp(*started);
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"conform: {}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3}\">",
        clean(&info.title),
        all.len(),
        count(&all, is_failure),
        count(&all, is_error),
        duration.as_secs_f64(),
    );
    let mut properties = vec![
        ("seed".to_string(), info.seed.to_string()),
        ("spec".to_string(), info.spec.clone()),
        ("base_url".to_string(), info.base_url.clone()),
        (
            "conform_version".to_string(),
            env!("CARGO_PKG_VERSION").into(),
        ),
    ];
    if let Some(suite) = &info.suite {
        properties.push(("suite".into(), suite.clone()));
    }
    if let Some(partition) = &info.partition {
        properties.push(("partition".into(), partition.clone()));
    }
    // The suite's changes to the document, so a reader knows what was tested.
    properties.extend(
        info.patches
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("patch.{i}"), p.clone())),
    );
    for (operation, cases) in &suites {
        let time: f64 = cases.iter().map(|r| r.duration.as_secs_f64()).sum();
        let _ = writeln!(
            xml,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{time:.3}\" timestamp=\"{timestamp}\" file=\"{}\">",
            clean(operation),
            cases.len(),
            count(cases, is_failure),
            count(cases, is_error),
            count(cases, is_skipped),
            clean(&info.spec),
        );
        xml.push_str("    <properties>\n");
        for (name, value) in &properties {
            let _ = writeln!(
                xml,
                "      <property name=\"{}\" value=\"{}\"/>",
                clean(name),
                clean(value)
            );
        }
        xml.push_str("    </properties>\n");
        for result in cases {
            let line = source
                .as_deref()
                .and_then(|text| documented_at(text, result))
                .map(|line| format!(" line=\"{line}\""))
                .unwrap_or_default();
            let _ = write!(
                xml,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\" file=\"{}\"{line}",
                clean(&format!("{} ({})", result.id, result.name)),
                clean(suite_of(result)),
                result.duration.as_secs_f64(),
                clean(&info.spec),
            );
            match &result.outcome {
                Outcome::Passed => xml.push_str("/>\n"),
                Outcome::Failed { violations } => {
                    let checks: Vec<String> = violations.iter().map(|v| v.check.to_string()).fold(
                        Vec::new(),
                        |mut seen, c| {
                            if !seen.contains(&c) {
                                seen.push(c);
                            }
                            seen
                        },
                    );
                    let first = violations
                        .first()
                        .map(|v| v.message.as_str())
                        .unwrap_or("failed");
                    let kind = checks.first().map(String::as_str).unwrap_or("contract");
                    let message = if checks.len() > 1 {
                        format!("{first} (checks: {})", checks.join(", "))
                    } else {
                        first.to_string()
                    };
                    let _ = write!(
                        xml,
                        ">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>\n",
                        clean(kind),
                        clean(&message),
                        cdata(&failure_body(result, &checks)),
                    );
                }
                Outcome::Error { message } => {
                    let _ = write!(
                        xml,
                        ">\n      <error type=\"harness\" message=\"{}\">{}</error>\n    </testcase>\n",
                        clean(message),
                        cdata(&result.details()),
                    );
                }
                other => {
                    let details = match other {
                        Outcome::Ignored { .. } => String::new(),
                        _ => format!(
                            "\n      <system-out>{}</system-out>",
                            cdata(&result.details())
                        ),
                    };
                    let _ = write!(
                        xml,
                        ">\n      <skipped type=\"{}\" message=\"{}\"/>{details}\n    </testcase>\n",
                        other.label(),
                        clean(&other.summary()),
                    );
                }
            }
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    xml
}

/// What a CI annotation shows: every violation with its check, then the request, the response
/// excerpt, curl and the rerun command (all in [`CaseResult::details`]).
/// The `<testsuite>` of a result: its operation; protocol checks have one of their own.
fn suite_of(result: &CaseResult) -> &str {
    match result.kind {
        ResultKind::Protocol => "protocol",
        _ => &result.operation,
    }
}

fn failure_body(result: &CaseResult, checks: &[String]) -> String {
    format!("checks: {}\n{}", checks.join(", "), result.details())
}

/// The 1-based line where the case's response is documented: the first violation's own
/// document pointer when it has one, else `#/paths/<path>/<method>/responses/<status>`.
fn documented_at(source: &str, result: &CaseResult) -> Option<usize> {
    if result.kind != ResultKind::Case {
        return None;
    }
    let violation_pointer = match &result.outcome {
        Outcome::Failed { violations } | Outcome::KnownFailure { violations, .. } => {
            violations.iter().find_map(|v| v.spec_pointer.clone())
        }
        _ => None,
    };
    let located = violation_pointer.and_then(|p| crate::spec::locate(source, &p));
    located
        .or_else(|| crate::spec::locate(source, &response_pointer(result)?))
        .map(|(line, _)| line)
}

/// `/paths/~1oauth~1token/post/responses/400` from the display name `POST /oauth/token → 400`.
fn response_pointer(result: &CaseResult) -> Option<String> {
    let (request, _) = result.name.rsplit_once(" → ")?;
    let (method, path) = request.split_once(' ')?;
    Some(format!(
        "/paths/{}/{}/responses/{}",
        escape_token(path),
        method.to_ascii_lowercase(),
        escape_token(&result.status)
    ))
}

/// Escapes text for XML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Makes text safe for XML 1.0: drops ANSI escapes, spells out other control characters,
/// breaks `]]>`.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => {
                // ESC [ ... final byte (an ANSI CSI sequence): skip it whole.
                if chars.peek() == Some(&'[') {
                    chars.next();
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
            }
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() || c == '\u{fffe}' || c == '\u{ffff}' => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    // Harmless once escaped, but a reader copying the text into CDATA would trip on it.
    out.replace("]]>", "]] >")
}

#[cfg(test)]
mod tests {
    use super::{escape, sanitize};

    #[test]
    fn sanitize_strips_what_xml_cannot_hold() {
        assert_eq!(sanitize("a\u{1b}[31mred\u{1b}[0m"), "ared");
        assert_eq!(sanitize("x\u{0}y"), "x\\u{0}y");
        assert_eq!(sanitize("a]]>b"), "a]] >b");
        assert_eq!(sanitize("tab\tok\n"), "tab\tok\n");
    }

    #[test]
    fn escape_covers_markup_and_both_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;"
        );
    }
}
