//! Reporters: consumers of the runner's events. [`console::Console`] prints as cases finish;
//! [`ReportFiles`] collects the results and writes JUnit XML, JSON and HTML when the run ends.
//! [`plan`] renders the plan overview of `--dry-run` and live runs.

pub mod console;
pub mod html;
pub mod json;
pub mod junit;
pub mod plan;

use std::io;
use std::path::{Path, PathBuf};

use crate::event::{CaseResult, Event, Reporter, RunInfo, Totals};
use crate::redact::Redactor;

/// Everything a report file is made from.
pub struct RunReport<'a> {
    pub info: &'a RunInfo,
    pub totals: &'a Totals,
    pub warnings: &'a [String],
    pub results: &'a [CaseResult],
    pub redactor: &'a Redactor,
}

/// Writes `junit.xml`, `conform.json` and `conform.html` into `dir`; on failure, the file that
/// could not be written.
pub fn write_all(dir: &Path, report: &RunReport<'_>) -> Result<Vec<PathBuf>, (PathBuf, io::Error)> {
    let files = [
        (
            "junit.xml",
            junit::render(report.info, report.results, report.redactor),
        ),
        ("conform.json", Ok(json::render(report).into_bytes())),
        ("conform.html", Ok(html::render(report).into_bytes())),
    ];
    let mut written = Vec::new();
    for (name, bytes) in files {
        let path = dir.join(name);
        match bytes.and_then(|b| crate::files::write_atomically(&path, &b)) {
            Ok(()) => written.push(path),
            Err(e) => return Err((path, e)),
        }
    }
    Ok(written)
}

/// The report files as a reporter: results are collected as they come and written when the
/// run finishes.
pub struct ReportFiles {
    dir: PathBuf,
    warnings: Vec<String>,
    redactor: Redactor,
    info: Option<RunInfo>,
    results: Vec<CaseResult>,
    /// What was written, or the file that could not be.
    pub written: Option<Result<Vec<PathBuf>, (PathBuf, io::Error)>>,
}

impl ReportFiles {
    pub fn new(dir: &Path, warnings: Vec<String>, redactor: Redactor) -> ReportFiles {
        ReportFiles {
            dir: dir.to_path_buf(),
            warnings,
            redactor,
            info: None,
            results: Vec::new(),
            written: None,
        }
    }

    /// The results collected, in the order they finished.
    pub fn results(&self) -> &[CaseResult] {
        &self.results
    }
}

impl Reporter for ReportFiles {
    fn report(&mut self, event: &Event) -> io::Result<()> {
        match event {
            Event::RunStarted { info, .. } => self.info = Some(info.clone()),
            Event::CaseFinished(result) => self.results.push((**result).clone()),
            Event::RunFinished { totals, .. } => {
                if let Some(info) = &self.info {
                    let report = RunReport {
                        info,
                        totals,
                        warnings: &self.warnings,
                        results: &self.results,
                        redactor: &self.redactor,
                    };
                    self.written = Some(write_all(&self.dir, &report));
                }
            }
        }
        Ok(())
    }
}

/// Text made safe for a terminal (or any report): every control character but newline and tab
/// spelled out (`\x1b`), so nothing a server sends can move a cursor or change a colour.
pub fn escape_controls(text: &str) -> String {
    if !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {
                let n = c as u32;
                if n <= 0xff {
                    out.push_str(&format!("\\x{n:02x}"));
                } else {
                    out.push_str(&format!("\\u{{{n:x}}}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape_controls;

    #[test]
    fn control_characters_are_spelled_out() {
        assert_eq!(
            escape_controls("a\u{1b}[31mred\0\r"),
            "a\\x1b[31mred\\x00\\x0d"
        );
        assert_eq!(escape_controls("line\n\ttab"), "line\n\ttab");
        assert_eq!(escape_controls("\u{9b}"), "\\x9b");
    }
}
