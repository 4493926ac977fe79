//! The JUnit XML reporter: one `<testsuite>` per operation, one `<testcase>` per case;
//! `<failure>` for contract violations, `<error>` for harness errors, `<skipped>` with the reason.

use std::collections::BTreeMap;
use std::io;

use junit_report::{Duration as JDuration, Report, TestCase, TestSuite};

use crate::event::{CaseResult, Outcome, RunInfo};
use crate::redact::Redactor;

/// The JUnit XML document, as bytes.
pub fn render(info: &RunInfo, results: &[CaseResult], redactor: &Redactor) -> io::Result<Vec<u8>> {
    let clean = |s: &str| sanitize(&redactor.redact(s));
    let mut by_operation: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    for result in results
        .iter()
        .filter(|r| !matches!(r.outcome, Outcome::FilteredOut))
    {
        let key = result.operation.as_str();
        if !by_operation.contains_key(key) {
            order.push(key);
        }
        by_operation.entry(key).or_default().push(result);
    }
    let mut report = Report::new();
    for operation in order {
        let mut suite = TestSuite::new(&clean(operation));
        for result in &by_operation[operation] {
            let time = JDuration::seconds_f64(result.duration.as_secs_f64());
            let name = clean(&result.name);
            let mut case = match &result.outcome {
                Outcome::Passed => TestCase::success(&name, time),
                Outcome::Failed { violations } => {
                    let first = violations
                        .first()
                        .map(|v| v.message.as_str())
                        .unwrap_or("failed");
                    let kind = violations
                        .first()
                        .map(|v| v.check.as_str())
                        .unwrap_or("contract");
                    let mut case = TestCase::failure(&name, time, kind, &clean(first));
                    case.set_system_out(&clean(&result.details()));
                    case
                }
                Outcome::Error { message } => {
                    let mut case = TestCase::error(&name, time, "harness", &clean(message));
                    case.set_system_out(&clean(&result.details()));
                    case
                }
                Outcome::Ignored { reason } => {
                    TestCase::skipped_with_cause(&name, "ignored", &clean(reason))
                }
                other @ (Outcome::Unreached { .. }
                | Outcome::Blocked { .. }
                | Outcome::KnownFailure { .. }) => {
                    let mut case = TestCase::skipped_with_cause(
                        &name,
                        other.label(),
                        &clean(&other.summary()),
                    );
                    case.set_system_out(&clean(&result.details()));
                    case
                }
                Outcome::FilteredOut => unreachable!("filtered above"),
            };
            case.set_classname(&clean(&result.operation));
            suite.add_testcase(case);
        }
        report.add_testsuite(suite);
    }
    let mut bytes = Vec::new();
    report.write_xml(&mut bytes).map_err(io::Error::other)?;
    Ok(insert_properties(bytes, info, &clean))
}

/// junit-report has no `<properties>`: add ours (seed, document, target) to every `<testsuite>`.
fn insert_properties(xml: Vec<u8>, info: &RunInfo, clean: &dyn Fn(&str) -> String) -> Vec<u8> {
    let mut props = vec![
        ("seed".to_string(), info.seed.to_string()),
        ("spec".to_string(), info.spec.clone()),
        ("base_url".to_string(), info.base_url.clone()),
    ];
    // The suite's changes to the document, so a reader knows what was tested.
    props.extend(
        info.patches
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("patch.{i}"), p.clone())),
    );
    let mut block = String::from("<properties>");
    for (name, value) in props {
        block.push_str(&format!(
            "<property name=\"{name}\" value=\"{}\"/>",
            escape_attr(&clean(&value))
        ));
    }
    block.push_str("</properties>");
    let text = String::from_utf8(xml)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    let mut out = String::with_capacity(text.len() + 256);
    let mut rest = text.as_str();
    while let Some(at) = rest.find("<testsuite ") {
        let Some(end) = rest[at..].find('>') else {
            break;
        };
        let tag_end = at + end;
        out.push_str(&rest[..=tag_end]);
        if !rest[..tag_end].ends_with('/') {
            out.push_str(&block);
        }
        rest = &rest[tag_end + 1..];
    }
    out.push_str(rest);
    out.into_bytes()
}

fn escape_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Makes text safe for XML 1.0 attributes and CDATA: drops ANSI escapes, spells out other control
/// characters, breaks `]]>`.
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
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{fffe}' || c == '\u{ffff}' => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    // A CDATA section cannot hold `]]>`; a space keeps the text readable in CDATA and attributes.
    out.replace("]]>", "]] >")
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn sanitize_strips_what_xml_cannot_hold() {
        assert_eq!(sanitize("a\u{1b}[31mred\u{1b}[0m"), "ared");
        assert_eq!(sanitize("x\u{0}y"), "x\\u{0}y");
        assert_eq!(sanitize("a]]>b"), "a]] >b");
        assert_eq!(sanitize("tab\tok\n"), "tab\tok\n");
    }
}
