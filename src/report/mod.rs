//! Reporters: consumers of the runner's events. [`console::Console`] prints as cases finish;
//! [`ReportFiles`] collects the results and writes JUnit XML, JSON, HTML, a Markdown summary and
//! a HAR of the exchanges when the run ends. [`merge`] makes one report of a partitioned run's
//! shards. [`plan`] renders the plan overview of `--dry-run` and live runs.

pub mod console;
pub mod har;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod merge;
pub mod plan;

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::event::{CaseResult, Event, Outcome, Reporter, ResultKind, RunInfo, Totals};
use crate::redact::Redactor;

/// Everything a report file is made from.
pub struct RunReport<'a> {
    pub info: &'a RunInfo,
    pub totals: &'a Totals,
    pub warnings: &'a [String],
    pub results: &'a [CaseResult],
    pub redactor: &'a Redactor,
    /// When the run started (the reports' timestamps, to the second).
    pub started: SystemTime,
    /// How long the run took (for a merged run, the longest shard).
    pub duration: Duration,
}

/// Writes `junit.xml`, `conform.json`, `conform.html`, `summary.md` and `exchanges.har` into
/// `dir`; on failure, the file that could not be written.
pub fn write_all(dir: &Path, report: &RunReport<'_>) -> Result<Vec<PathBuf>, (PathBuf, io::Error)> {
    let files = [
        ("junit.xml", Ok(junit::render(report).into_bytes())),
        (
            "conform.json",
            Ok(json_controls(&json::render(report)).into_bytes()),
        ),
        ("conform.html", Ok(html::render(report).into_bytes())),
        (
            "summary.md",
            Ok(escape_controls(&markdown::render(report)).into_bytes()),
        ),
        (
            "exchanges.har",
            Ok(json_controls(&har::render(report)).into_bytes()),
        ),
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
    started: SystemTime,
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
            started: SystemTime::now(),
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
            Event::RunStarted { info, .. } => {
                self.info = Some(info.clone());
                self.started = SystemTime::now();
            }
            Event::CaseFinished(result) => self.results.push((**result).clone()),
            Event::RunFinished { totals, duration } => {
                // A run that tested nothing leaves the previous run's reports as they were.
                if totals.ran() == 0 {
                    return Ok(());
                }
                if let Some(info) = &self.info {
                    let report = RunReport {
                        info,
                        totals,
                        warnings: &self.warnings,
                        results: &self.results,
                        redactor: &self.redactor,
                        started: self.started,
                        duration: *duration,
                    };
                    self.written = Some(write_all(&self.dir, &report));
                }
            }
        }
        Ok(())
    }
}

/// The results in a stable order (operation, then status, then id), whatever order they
/// finished in: reports of the same run read the same, and merged shards match one run.
pub fn ordered(results: &[CaseResult]) -> Vec<&CaseResult> {
    let mut sorted: Vec<&CaseResult> = results.iter().collect();
    sorted.sort_by(|a, b| {
        (
            a.kind != ResultKind::Case,
            &a.operation,
            status_key(&a.status),
            &a.id,
        )
            .cmp(&(
                b.kind != ResultKind::Case,
                &b.operation,
                status_key(&b.status),
                &b.id,
            ))
    });
    sorted
}

/// Statuses in numeric order; ranges (`4XX`) after their class, `default` last.
fn status_key(status: &str) -> (u32, String) {
    match status.parse::<u32>() {
        Ok(n) => (n * 10, String::new()),
        Err(_) => match status.chars().next().and_then(|c| c.to_digit(10)) {
            Some(class) => (class * 1000 + 999, status.to_string()),
            None => (u32::MAX, status.to_string()),
        },
    }
}

/// The protocol checks that ran (`protocol:NAME`), in order.
pub fn protocol_results(results: &[CaseResult]) -> Vec<&CaseResult> {
    ordered(results)
        .into_iter()
        .filter(|r| r.kind == ResultKind::Protocol && !matches!(r.outcome, Outcome::FilteredOut))
        .collect()
}

/// The (operation × status) matrix: one cell per planned case.
pub struct Matrix<'a> {
    /// Every status some operation documents, in order.
    pub statuses: Vec<String>,
    /// Each operation with its cells, one per status column (`None` where it documents none).
    pub rows: Vec<(String, Vec<Option<&'a CaseResult>>)>,
}

impl<'a> Matrix<'a> {
    /// The matrix of the plan's cases (flows have no cell).
    pub fn new(results: &'a [CaseResult]) -> Matrix<'a> {
        let cases: Vec<&CaseResult> = ordered(results)
            .into_iter()
            .filter(|r| r.kind == ResultKind::Case)
            .collect();
        let mut statuses: Vec<String> = Vec::new();
        for case in &cases {
            if !statuses.contains(&case.status) {
                statuses.push(case.status.clone());
            }
        }
        statuses.sort_by_key(|s| status_key(s));
        let mut by_operation: BTreeMap<&str, Vec<Option<&CaseResult>>> = BTreeMap::new();
        for case in cases {
            let row = by_operation
                .entry(case.operation.as_str())
                .or_insert_with(|| vec![None; statuses.len()]);
            if let Some(column) = statuses.iter().position(|s| *s == case.status) {
                row[column] = Some(case);
            }
        }
        Matrix {
            statuses,
            rows: by_operation
                .into_iter()
                .map(|(op, cells)| (op.to_string(), cells))
                .collect(),
        }
    }

    /// How many cells the matrix has (one per planned case).
    pub fn cells(&self) -> usize {
        self.rows
            .iter()
            .map(|(_, cells)| cells.iter().flatten().count())
            .sum()
    }
}

/// The class a result is shown with: its outcome, or `convention` for a pass that a reference
/// convention provoked.
pub fn cell_class(result: &CaseResult) -> &'static str {
    match (&result.outcome, &result.convention) {
        (Outcome::Passed, Some(_)) => "convention",
        (outcome, _) => outcome.label(),
    }
}

/// Seconds since the Unix epoch.
pub fn unix_seconds(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `2026-12-01T15:21:39Z`: a UTC timestamp to the second (civil date from days, as in Howard
/// Hinnant's algorithm; no date crate for one line).
pub fn timestamp(at: SystemTime) -> String {
    let secs = unix_seconds(at);
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
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

/// JSON text with the control characters serde leaves raw (DEL and the C1 range, which a
/// terminal obeys) written as `\u` escapes; JSON puts them only inside strings, where the
/// escape means the same character.
pub fn json_controls(json: &str) -> String {
    let raw = |c: char| c.is_control() && c != '\n' && c != '\t' && c != '\r';
    if !json.chars().any(raw) {
        return json.to_string();
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if raw(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{escape_controls, json_controls, timestamp};

    #[test]
    fn json_keeps_its_meaning_without_raw_controls() {
        let text = serde_json::to_string(&serde_json::json!({"x": "a\u{9b}b\u{7f}"})).unwrap();
        let clean = json_controls(&text);
        assert!(!clean.chars().any(|c| c.is_control()), "{clean}");
        let back: serde_json::Value = serde_json::from_str(&clean).unwrap();
        assert_eq!(back["x"], "a\u{9b}b\u{7f}");
    }
    use std::time::{Duration, SystemTime};

    #[test]
    fn timestamps_are_utc_to_the_second() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_138_499);
        assert_eq!(timestamp(at), "2026-12-01T15:21:39Z");
        assert_eq!(timestamp(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let leap = SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(timestamp(leap), "2000-02-29T00:00:00Z");
    }

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
