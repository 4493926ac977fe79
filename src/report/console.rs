//! The console reporter: libtest's lines (`test id ... ok`), in pretty, terse or JSON form, then
//! the failures with everything needed to reproduce them, failures grouped by cause, and a
//! summary that counts every outcome apart. Ignored cases are one line per reason with a count
//! (`--verbose` lists them). On a terminal, a progress line (cases done, requests, failures,
//! ETA) stays at the bottom and disappears at the end. Server text is redacted and its control
//! characters escaped before it reaches a terminal.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::time::Instant;

use serde_json::json;

use super::escape_controls;
use crate::event::{CaseResult, Event, Outcome, Reporter, ResultKind, RunInfo, Totals};
use crate::redact::Redactor;

/// How cases are printed as they finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleFormat {
    /// One line per case.
    Pretty,
    /// One character per case.
    Terse,
    /// libtest's JSON events, one per line, and nothing else.
    Json,
}

/// Prints a run as it happens.
pub struct Console<W: Write> {
    out: W,
    format: ConsoleFormat,
    redactor: Redactor,
    info: Option<RunInfo>,
    /// Results that did not pass, kept for the closing sections.
    troubled: Vec<CaseResult>,
    terse_column: usize,
    /// Ignored cases by reason, in the order reasons were first seen.
    ignored: Vec<(String, Vec<String>)>,
    verbose: bool,
    progress: Option<Progress>,
}

/// The state of the progress line.
struct Progress {
    started: Instant,
    planned: usize,
    done: usize,
    requests: usize,
    failed: usize,
    /// Whether a progress line is on screen (to be erased before the next line).
    shown: bool,
}

/// Whether a progress line belongs on stdout: a terminal, not CI, and one line per case (terse
/// output shares its line with the progress line; JSON events are for programs).
pub fn progress_wanted(format: ConsoleFormat) -> bool {
    format == ConsoleFormat::Pretty
        && std::env::var_os("CI").is_none()
        && std::io::stdout().is_terminal()
}

/// Erase the line the cursor is on and return to its start.
const ERASE_LINE: &str = "\r\x1b[2K";

impl<W: Write> Console<W> {
    pub fn new(out: W, format: ConsoleFormat, redactor: Redactor) -> Console<W> {
        Console {
            out,
            format,
            redactor,
            info: None,
            troubled: Vec::new(),
            terse_column: 0,
            ignored: Vec::new(),
            verbose: false,
            progress: None,
        }
    }

    /// Lists every ignored case (default: one line per reason).
    pub fn verbose(mut self, verbose: bool) -> Console<W> {
        self.verbose = verbose;
        self
    }

    /// Draws a progress line below the case lines (only for a terminal: see
    /// [`progress_wanted`]).
    pub fn progress(mut self, on: bool) -> Console<W> {
        self.progress = on.then(|| Progress {
            started: Instant::now(),
            planned: 0,
            done: 0,
            requests: 0,
            failed: 0,
            shown: false,
        });
        self
    }

    fn erase_progress(&mut self) -> io::Result<()> {
        if let Some(progress) = &mut self.progress
            && progress.shown
        {
            progress.shown = false;
            write!(self.out, "{ERASE_LINE}")?;
        }
        Ok(())
    }

    fn draw_progress(&mut self) -> io::Result<()> {
        let Some(progress) = &mut self.progress else {
            return Ok(());
        };
        let elapsed = progress.started.elapsed().as_secs_f64();
        let eta = if progress.done > 0 && progress.done < progress.planned {
            let left = elapsed / progress.done as f64 * (progress.planned - progress.done) as f64;
            format!(", ETA {left:.0}s")
        } else {
            String::new()
        };
        progress.shown = true;
        let line = progress_line(
            progress.done,
            progress.planned,
            progress.requests,
            progress.failed,
            &eta,
        );
        write!(self.out, "{line}")?;
        self.out.flush()
    }

    /// Server-originated text made safe to print: secrets masked, control characters escaped.
    fn clean(&self, text: &str) -> String {
        escape_controls(&self.redactor.redact(text))
    }

    fn case_line(&mut self, result: &CaseResult) -> io::Result<()> {
        let id = self.clean(&result.id);
        match self.format {
            ConsoleFormat::Pretty => {
                let verdict = match &result.outcome {
                    Outcome::Passed => match &result.convention {
                        Some(convention) => format!("ok (reference convention `{convention}`)"),
                        None => "ok".into(),
                    },
                    Outcome::Failed { .. } => "FAILED".into(),
                    Outcome::Error { .. } => "ERROR".into(),
                    Outcome::Unreached { status, reason } => {
                        format!("unreached (got {status}: {})", self.clean(reason))
                    }
                    Outcome::Blocked { flow, .. } => format!("blocked by {}", self.clean(flow)),
                    Outcome::Ignored { reason } => {
                        if !self.verbose {
                            // Counted per reason in the summary instead.
                            return Ok(());
                        }
                        format!("ignored, {}", self.clean(reason))
                    }
                    Outcome::KnownFailure { .. } => "known failure (baseline)".into(),
                    Outcome::FilteredOut => return Ok(()),
                };
                writeln!(self.out, "test {id} ... {verdict}")
            }
            ConsoleFormat::Terse => {
                let c = match result.outcome {
                    Outcome::Passed => '.',
                    Outcome::Failed { .. } => 'F',
                    Outcome::Error { .. } => 'E',
                    Outcome::Unreached { .. } => 'u',
                    Outcome::Blocked { .. } => 'b',
                    Outcome::Ignored { .. } => 'i',
                    Outcome::KnownFailure { .. } => 'k',
                    Outcome::FilteredOut => return Ok(()),
                };
                self.terse_column += 1;
                if self.terse_column.is_multiple_of(88) {
                    writeln!(self.out, "{c}")
                } else {
                    write!(self.out, "{c}")
                }
            }
            ConsoleFormat::Json => {
                let (event, message) = match &result.outcome {
                    Outcome::Passed => ("ok", None),
                    Outcome::Failed { .. } | Outcome::Error { .. } => {
                        ("failed", Some(self.clean(&result.details())))
                    }
                    Outcome::FilteredOut => return Ok(()),
                    other => ("ignored", Some(self.clean(&other.summary()))),
                };
                let mut line = json!({
                    "type": "test",
                    "event": event,
                    "name": result.id,
                    "conform_outcome": result.outcome.label(),
                    "exec_time": result.duration.as_secs_f64(),
                });
                if let Some(message) = message {
                    let key = if event == "failed" {
                        "stdout"
                    } else {
                        "message"
                    };
                    line[key] = message.into();
                }
                writeln!(self.out, "{line}")
            }
        }
    }

    fn closing(&mut self, totals: &Totals, seconds: f64) -> io::Result<()> {
        let ok = totals.failed == 0 && totals.errors == 0;
        if self.format == ConsoleFormat::Json {
            let line = json!({
                "type": "suite",
                "event": if ok { "ok" } else { "failed" },
                "passed": totals.passed,
                "failed": totals.failed + totals.errors,
                "ignored": totals.ignored + totals.unreached + totals.blocked + totals.known_failures,
                "measured": 0,
                "filtered_out": totals.filtered_out,
                "exec_time": seconds,
                "conform_totals": totals,
            });
            return writeln!(self.out, "{line}");
        }
        if self.format == ConsoleFormat::Terse && !self.terse_column.is_multiple_of(88) {
            writeln!(self.out)?;
        }
        if !self.ignored.is_empty() {
            writeln!(self.out, "\nignored:")?;
            let ignored = std::mem::take(&mut self.ignored);
            for (reason, ids) in &ignored {
                let cases = if ids.len() == 1 { "case" } else { "cases" };
                writeln!(
                    self.out,
                    "    {} {cases}: {}",
                    ids.len(),
                    self.clean(reason)
                )?;
            }
            if !self.verbose {
                writeln!(self.out, "    (--verbose lists them)")?;
            }
        }
        // In a stable order, not the order cases happened to finish in.
        let failing: Vec<CaseResult> = super::ordered(&self.troubled)
            .into_iter()
            .filter(|r| matches!(r.outcome, Outcome::Failed { .. } | Outcome::Error { .. }))
            .cloned()
            .collect();
        if !failing.is_empty() {
            writeln!(self.out, "\nfailures:\n")?;
            for result in &failing {
                let kind = match result.outcome {
                    Outcome::Error { .. } => " (harness error, not a contract failure)",
                    _ => "",
                };
                writeln!(self.out, "---- {}{kind} ----", self.clean(&result.id))?;
                let details = self.clean(&result.details());
                writeln!(self.out, "{details}")?;
            }
            writeln!(self.out, "failures:")?;
            for result in &failing {
                writeln!(self.out, "    {}", self.clean(&result.id))?;
            }
            let groups = groups(&failing);
            if groups.iter().any(|g| g.ids.len() > 1) {
                writeln!(self.out, "\nfailures by cause:")?;
                for group in groups {
                    let ids = group.ids.join(", ");
                    let cases = if group.ids.len() == 1 {
                        "case"
                    } else {
                        "cases"
                    };
                    let line = format!("{} {cases}: {}: {ids}", group.ids.len(), group.cause);
                    writeln!(self.out, "    {}", self.clean(&line))?;
                }
            }
        }
        let blocked: BTreeMap<String, usize> =
            self.troubled
                .iter()
                .fold(BTreeMap::new(), |mut by_flow, r| {
                    if let Outcome::Blocked { flow, .. } = &r.outcome {
                        *by_flow.entry(flow.clone()).or_default() += 1;
                    }
                    by_flow
                });
        for (flow, count) in blocked {
            writeln!(
                self.out,
                "\nblocked: {count} cases need {}, which failed (see it above)",
                self.clean(&flow)
            )?;
        }
        writeln!(
            self.out,
            "\ntest result: {}. {} passed; {} failed; {} unreached; {} blocked; {} errors; {} ignored; {} known failures; {} filtered out; finished in {seconds:.2}s",
            if ok { "ok" } else { "FAILED" },
            totals.passed,
            totals.failed,
            totals.unreached,
            totals.blocked,
            totals.errors,
            totals.ignored,
            totals.known_failures,
            totals.filtered_out,
        )?;
        writeln!(
            self.out,
            "reached: {} of {} selected (operation, status) pairs",
            totals.reached, totals.selected
        )?;
        let embedded = self.info.as_ref().is_some_and(|i| i.embedded_server);
        if totals.passed_by_convention > 0 || embedded {
            writeln!(
                self.out,
                "passes: Auth0 behaviour {}, reference conventions {}",
                totals.passed - totals.passed_by_convention,
                totals.passed_by_convention
            )?;
        }
        writeln!(self.out)
    }
}

impl<W: Write> Reporter for Console<W> {
    fn report(&mut self, event: &Event) -> io::Result<()> {
        match event {
            Event::RunStarted {
                info,
                planned,
                protocol,
            } => {
                self.info = Some(info.clone());
                if let Some(progress) = &mut self.progress {
                    progress.planned = *planned;
                    progress.started = Instant::now();
                }
                match self.format {
                    ConsoleFormat::Json => writeln!(
                        self.out,
                        "{}",
                        json!({"type": "suite", "event": "started", "test_count": planned})
                    ),
                    _ if *protocol > 0 => writeln!(
                        self.out,
                        "\nrunning {planned} cases and {protocol} protocol checks"
                    ),
                    _ => writeln!(self.out, "\nrunning {planned} cases"),
                }
            }
            Event::CaseFinished(result) => {
                if !matches!(
                    result.outcome,
                    Outcome::Passed | Outcome::FilteredOut | Outcome::Ignored { .. }
                ) {
                    self.troubled.push((**result).clone());
                }
                if let Outcome::Ignored { reason } = &result.outcome {
                    match self.ignored.iter_mut().find(|(r, _)| r == reason) {
                        Some((_, ids)) => ids.push(result.id.clone()),
                        None => self.ignored.push((reason.clone(), vec![result.id.clone()])),
                    }
                }
                if let Some(progress) = &mut self.progress {
                    // Cases the filters left out are not work: they shrink the total.
                    if matches!(result.outcome, Outcome::FilteredOut) {
                        progress.planned = progress.planned.saturating_sub(1);
                        return Ok(());
                    }
                    progress.done += 1;
                    progress.requests += result.requests;
                    if matches!(
                        result.outcome,
                        Outcome::Failed { .. } | Outcome::Error { .. }
                    ) {
                        progress.failed += 1;
                    }
                }
                self.erase_progress()?;
                self.case_line(result)?;
                self.draw_progress()
            }
            Event::RunFinished { duration, totals } => {
                self.erase_progress()?;
                self.closing(totals, duration.as_secs_f64())?;
                self.out.flush()
            }
        }
    }
}

/// `[ 120/280] 1432 requests, 3 failed, ETA 12s`, erasing what was on the line before.
fn progress_line(done: usize, planned: usize, requests: usize, failed: usize, eta: &str) -> String {
    let width = planned.to_string().len();
    format!("{ERASE_LINE}[{done:>width$}/{planned}] {requests} requests, {failed} failed{eta}")
}

/// Failures that share a check, a status and the shape of a message.
pub struct Group {
    pub cause: String,
    pub ids: Vec<String>,
}

/// Groups failing results by cause, largest group first (then first seen).
pub fn groups(results: &[CaseResult]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for result in results {
        let status = result
            .exchange
            .as_ref()
            .map(|e| e.response.status.to_string())
            .unwrap_or_else(|| "no answer".into());
        let cause = match &result.outcome {
            Outcome::Failed { violations } => violations
                .first()
                .map(|v| format!("[{}] {status}: {}", v.check, shape(&v.message)))
                .unwrap_or_default(),
            Outcome::Error { message } => format!("[harness error] {}", shape(message)),
            _ => continue,
        };
        let cause = match result.kind {
            ResultKind::Flow => format!("{cause} (a flow)"),
            ResultKind::Protocol => format!("{cause} (a protocol check)"),
            ResultKind::Case => cause,
        };
        match groups.iter_mut().find(|g| g.cause == cause) {
            Some(group) => group.ids.push(result.id.clone()),
            None => groups.push(Group {
                cause,
                ids: vec![result.id.clone()],
            }),
        }
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.ids.len()));
    groups
}

/// A message with its particulars (numbers, quoted values, paths) made generic, so failures of
/// one cause share one shape.
pub fn shape(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '0'..='9' => {
                while chars
                    .peek()
                    .is_some_and(|c| c.is_ascii_digit() || *c == '.')
                {
                    chars.next();
                }
                out.push('#');
            }
            '"' | '`' | '\'' => {
                for next in chars.by_ref() {
                    if next == c {
                        break;
                    }
                }
                out.push('…');
            }
            '/' if chars
                .peek()
                .is_some_and(|c| c.is_alphanumeric() || *c == '{') =>
            {
                while chars
                    .peek()
                    .is_some_and(|c| !c.is_whitespace() && *c != ',' && *c != ')')
                {
                    chars.next();
                }
                out.push_str("/…");
            }
            c => out.push(c),
        }
    }
    out.chars().take(160).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Recipe;
    use std::time::Duration;

    fn result(id: &str, outcome: Outcome) -> CaseResult {
        CaseResult {
            id: id.into(),
            kind: ResultKind::Case,
            name: id.into(),
            operation: id.split('/').next().unwrap_or_default().into(),
            status: id.rsplit('/').next().unwrap_or_default().into(),
            recipe: Recipe::Other,
            outcome,
            convention: None,
            duration: Duration::from_millis(5),
            requests: 3,
            exchange: None,
            body_bytes: None,
            curl: None,
            rerun: format!("conform run --exact {id}"),
            violation_sought: None,
            sent: Vec::new(),
            note: None,
        }
    }

    fn run_console(verbose: bool, progress: bool) -> String {
        let mut out = Vec::new();
        let mut console = Console::new(&mut out, ConsoleFormat::Pretty, Redactor::new())
            .verbose(verbose)
            .progress(progress);
        let info = RunInfo {
            spec: "spec.yaml".into(),
            title: "T".into(),
            base_url: "http://127.0.0.1:1".into(),
            seed: 1,
            embedded_server: false,
            patches: Vec::new(),
            strict: false,
            suite: None,
            partition: None,
        };
        let events = [
            Event::RunStarted {
                info,
                planned: 4,
                protocol: 0,
            },
            Event::CaseFinished(Box::new(result("a/200", Outcome::Passed))),
            Event::CaseFinished(Box::new(result(
                "a/503",
                Outcome::Ignored {
                    reason: "needs a suite recipe".into(),
                },
            ))),
            Event::CaseFinished(Box::new(result(
                "b/503",
                Outcome::Ignored {
                    reason: "needs a suite recipe".into(),
                },
            ))),
            Event::CaseFinished(Box::new(result(
                "b/429",
                Outcome::Ignored {
                    reason: "opt-in".into(),
                },
            ))),
        ];
        for event in &events {
            console.report(event).unwrap();
        }
        let totals = Totals {
            passed: 1,
            ignored: 3,
            ..Totals::default()
        };
        console
            .report(&Event::RunFinished {
                duration: Duration::from_secs(1),
                totals,
            })
            .unwrap();
        drop(console);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn ignored_cases_are_one_line_per_reason_unless_verbose() {
        let text = run_console(false, false);
        assert!(!text.contains("test a/503"), "{text}");
        assert!(
            text.contains("    2 cases: needs a suite recipe\n"),
            "{text}"
        );
        assert!(text.contains("    1 case: opt-in\n"), "{text}");
        assert!(
            !text.contains('\x1b'),
            "no progress without a terminal: {text}"
        );
        let verbose = run_console(true, false);
        assert!(
            verbose.contains("test a/503 ... ignored, needs a suite recipe"),
            "{verbose}"
        );
        assert!(
            verbose.contains("test b/429 ... ignored, opt-in"),
            "{verbose}"
        );
    }

    #[test]
    fn the_progress_line_is_erased_before_every_line_and_at_the_end() {
        let text = run_console(false, true);
        assert!(text.contains("[4/4] 12 requests, 0 failed"), "{text}");
        assert!(text.contains("[1/4] 3 requests, 0 failed, ETA"), "{text}");
        // Every line printed after a progress line starts by erasing it, and the last thing
        // the progress line left is an erase: nothing of it stays on screen.
        let last_progress = text.rfind("[4/4]").unwrap();
        assert!(text[last_progress..].contains(ERASE_LINE), "{text}");
        assert!(
            text.lines()
                .filter(|l| l.contains("test a/200 ... ok"))
                .count()
                == 1
        );
        assert_eq!(
            progress_line(3, 280, 10, 1, ", ETA 4s"),
            "\r\x1b[2K[  3/280] 10 requests, 1 failed, ETA 4s"
        );
    }

    #[test]
    fn shapes_forget_particulars() {
        assert_eq!(
            shape("expected status 400, got 404"),
            shape("expected status 401, got 500")
        );
        assert_eq!(
            shape("Allow does not list GET, which the document declares on /userinfo"),
            shape("Allow does not list GET, which the document declares on /oauth/token")
        );
        assert_ne!(
            shape("a 405 without Allow"),
            shape("no Content-Type header")
        );
    }
}
