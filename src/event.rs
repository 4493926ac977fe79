//! What a run tells its reporters: the run's facts, one [`CaseResult`] per case with its
//! [`Outcome`], the [`Totals`], and the [`Event`]s that carry them as they happen. A leaf: the
//! runner produces these and every [`Reporter`] consumes them; neither imports the other.

use std::io;
use std::time::Duration;

use serde::Serialize;

use crate::check::Violation;
use crate::execute::Exchange;
use crate::plan::Recipe;

/// Facts about a run that every report records.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    /// The document, as the user named it.
    pub spec: String,
    pub title: String,
    pub base_url: String,
    pub seed: u64,
    /// Whether the target is conform's embedded reference server.
    pub embedded_server: bool,
    /// The suite's changes to the document, with their reasons.
    pub patches: Vec<String>,
    /// Whether every case must reach its status (`[suite] strict`).
    pub strict: bool,
    /// The suite file, as the user named it (none: the built-in reference suite or no suite).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suite: Option<String>,
    /// The shard this run is (`count:1/3`), when `--partition` split the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
}

/// How a case ended.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    Passed,
    /// The server broke the document.
    Failed {
        violations: Vec<Violation>,
    },
    /// The server answered another documented status, and that answer conforms: the case did
    /// not reach its own status. Not a failure unless the suite asserts it (`strict`).
    Unreached {
        /// The status the server answered instead.
        status: u16,
        /// Why this counts as unreached (rate-limited, unimplemented route, input refused).
        reason: String,
    },
    /// A prerequisite flow step failed; that step is reported once, as its own test.
    Blocked {
        /// The failing flow's test id (`flow:user`).
        flow: String,
        message: String,
    },
    /// conform could not get an answer to judge (timeout, refused connection, a broken recipe).
    Error {
        message: String,
    },
    /// Not run, with the reason.
    Ignored {
        reason: String,
    },
    /// Failed as the baseline records (`--baseline`): reported, not failing the run.
    KnownFailure {
        recorded: String,
        violations: Vec<Violation>,
    },
    /// Not selected by the filters or the partition.
    FilteredOut,
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed { .. } => "failed",
            Outcome::Unreached { .. } => "unreached",
            Outcome::Blocked { .. } => "blocked",
            Outcome::Error { .. } => "error",
            Outcome::Ignored { .. } => "ignored",
            Outcome::KnownFailure { .. } => "known-failure",
            Outcome::FilteredOut => "filtered-out",
        }
    }

    /// One line saying why the case ended as it did, for outcomes that are not a pass.
    pub fn summary(&self) -> String {
        match self {
            Outcome::Passed | Outcome::FilteredOut => String::new(),
            Outcome::Failed { violations } => violations
                .first()
                .map(|v| format!("[{}] {}", v.check, v.message))
                .unwrap_or_default(),
            Outcome::Unreached { status, reason } => format!("got {status}: {reason}"),
            Outcome::Blocked { flow, message } => format!("blocked by {flow}: {message}"),
            Outcome::Error { message } => message.clone(),
            Outcome::Ignored { reason } => reason.clone(),
            Outcome::KnownFailure { recorded, .. } => format!("known failure: {recorded}"),
        }
    }
}

/// What a result is a result of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResultKind {
    /// One (operation, status) case of the plan.
    Case,
    /// A suite flow whose step broke the document: reported once, at its root.
    Flow,
    /// An OAuth 2.0 / OpenID Connect protocol check (`protocol:NAME`).
    Protocol,
}

/// The result of one case (or of one failing flow).
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    pub id: String,
    pub kind: ResultKind,
    pub name: String,
    pub operation: String,
    pub status: String,
    pub recipe: Recipe,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The reference convention that provoked the status (a pass Auth0 itself cannot give).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub convention: Option<String>,
    #[serde(serialize_with = "secs")]
    pub duration: Duration,
    /// Requests this case sent (examples, shrinking, bursts, its verification flows).
    pub requests: usize,
    /// The exchange that decided the verdict (the shrunk failing one, or the last one); its
    /// body is an excerpt (see `body_bytes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange: Option<Exchange>,
    /// The full size of the deciding response body, when the excerpt is shorter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_bytes: Option<usize>,
    /// A shell command that sends the deciding request again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curl: Option<String>,
    /// The command that reruns just this case.
    pub rerun: String,
    /// For schema-violating requests: what the deciding request got wrong on purpose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violation_sought: Option<String>,
    /// Every request sent, one line each, in order (the same seed gives the same lines).
    pub sent: Vec<String>,
    /// Something the reader should know: an expected status from the suite, an xfail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl CaseResult {
    /// A result before anything was sent: ids, names, the rerun command; passed until told
    /// otherwise.
    pub fn blank(
        id: &str,
        kind: ResultKind,
        name: String,
        operation: String,
        recipe: Recipe,
        rerun: String,
    ) -> CaseResult {
        CaseResult {
            id: id.to_string(),
            kind,
            name,
            operation,
            status: String::new(),
            recipe,
            outcome: Outcome::Passed,
            convention: None,
            duration: Default::default(),
            requests: 0,
            exchange: None,
            body_bytes: None,
            curl: None,
            rerun,
            violation_sought: None,
            sent: Vec::new(),
            note: None,
        }
    }

    /// Everything a reader needs to reproduce a failure: violations, the exchange, curl, rerun.
    pub fn details(&self) -> String {
        let mut out = String::new();
        match &self.outcome {
            Outcome::Failed { violations } | Outcome::KnownFailure { violations, .. } => {
                for v in violations {
                    out.push_str(&format!("{v}\n"));
                }
            }
            Outcome::Passed | Outcome::FilteredOut => {}
            other => out.push_str(&format!("{}: {}\n", other.label(), other.summary())),
        }
        if let Some(sought) = &self.violation_sought {
            out.push_str(&format!("request broke on purpose: {sought}\n"));
        }
        if let Some(note) = &self.note {
            out.push_str(&format!("note: {note}\n"));
        }
        if let Some(exchange) = &self.exchange {
            let req = &exchange.request;
            out.push_str(&format!(
                "request: {} {}\n",
                req.method,
                req.path_and_query()
            ));
            let resp = &exchange.response;
            out.push_str(&format!(
                "response: {} {}\n",
                resp.status,
                crate::check::shorten(&String::from_utf8_lossy(&resp.body), 500)
            ));
        }
        if let Some(curl) = &self.curl {
            out.push_str(&format!("reproduce: {curl}\n"));
        }
        out.push_str(&format!("rerun: {}\n", self.rerun));
        out
    }
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// Counts of a finished run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub passed: usize,
    /// Of `passed`, those a reference convention provoked.
    pub passed_by_convention: usize,
    pub failed: usize,
    pub unreached: usize,
    pub blocked: usize,
    pub errors: usize,
    pub ignored: usize,
    pub known_failures: usize,
    pub filtered_out: usize,
    /// Planned (operation, status) pairs whose status the server was seen to answer in a
    /// conforming or failing way: passed, failed or known failures among the cases.
    pub reached: usize,
    /// Planned cases selected by the filters (run or not).
    pub selected: usize,
}

impl Totals {
    pub fn add(&mut self, result: &CaseResult) {
        let case = result.kind == ResultKind::Case;
        match &result.outcome {
            Outcome::Passed => {
                self.passed += 1;
                if result.convention.is_some() {
                    self.passed_by_convention += 1;
                }
            }
            Outcome::Failed { .. } => self.failed += 1,
            Outcome::Unreached { .. } => self.unreached += 1,
            Outcome::Blocked { .. } => self.blocked += 1,
            Outcome::Error { .. } => self.errors += 1,
            Outcome::Ignored { .. } => self.ignored += 1,
            Outcome::KnownFailure { .. } => self.known_failures += 1,
            Outcome::FilteredOut => self.filtered_out += 1,
        }
        if case && !matches!(result.outcome, Outcome::FilteredOut) {
            self.selected += 1;
        }
        if case
            && matches!(
                result.outcome,
                Outcome::Passed | Outcome::Failed { .. } | Outcome::KnownFailure { .. }
            )
        {
            self.reached += 1;
        }
    }

    /// Cases that ran to a verdict or were blocked on the way (everything but ignored and
    /// filtered).
    pub fn ran(&self) -> usize {
        self.passed
            + self.failed
            + self.unreached
            + self.blocked
            + self.errors
            + self.known_failures
    }
}

/// One thing that happened during a run.
#[derive(Debug, Clone)]
pub enum Event {
    /// The run begins: its facts and how many results will follow.
    RunStarted {
        info: RunInfo,
        planned: usize,
        /// Protocol checks the run will add (`protocol:NAME`), after the cases.
        protocol: usize,
    },
    /// A case (or a failing flow) is done.
    CaseFinished(Box<CaseResult>),
    RunFinished {
        duration: Duration,
        totals: Totals,
    },
}

/// A consumer of a run's events (the console, the report files). Reporters never drive
/// execution; an error stops reporting, not the run's verdicts.
pub trait Reporter {
    fn report(&mut self, event: &Event) -> io::Result<()>;
}

/// Several reporters fed the same events, in order.
pub struct Fanout<'a>(pub Vec<&'a mut dyn Reporter>);

impl Reporter for Fanout<'_> {
    fn report(&mut self, event: &Event) -> io::Result<()> {
        for reporter in self.0.iter_mut() {
            reporter.report(event)?;
        }
        Ok(())
    }
}
