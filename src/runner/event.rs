//! What the runner tells reporters: plain events, in the order things happened.

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
    /// conform could not reach a verdict (timeout, connection refused, a recipe that broke).
    Error {
        message: String,
    },
    /// Not run, with the reason.
    Ignored {
        reason: String,
    },
    /// Not selected by the filters.
    FilteredOut,
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed { .. } => "failed",
            Outcome::Error { .. } => "error",
            Outcome::Ignored { .. } => "ignored",
            Outcome::FilteredOut => "filtered-out",
        }
    }
}

/// The result of one case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    pub id: String,
    pub name: String,
    pub operation: String,
    pub status: String,
    pub recipe: Recipe,
    #[serde(flatten)]
    pub outcome: Outcome,
    #[serde(serialize_with = "secs")]
    pub duration: Duration,
    /// Requests sent for this case (all examples).
    pub requests: usize,
    /// The exchange that decided the verdict: the (shrunk) failing one, or the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange: Option<Exchange>,
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
    /// Everything a reader needs to reproduce a failure: violations, the exchange, curl, rerun.
    pub fn details(&self) -> String {
        let result = self;
        let mut out = String::new();
        if let Outcome::Failed { violations } = &result.outcome {
            for v in violations {
                out.push_str(&format!("{v}\n"));
            }
        }
        if let Some(sought) = &result.violation_sought {
            out.push_str(&format!("request broke on purpose: {sought}\n"));
        }
        if let Some(note) = &result.note {
            out.push_str(&format!("note: {note}\n"));
        }
        if let Some(exchange) = &result.exchange {
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
        if let Some(curl) = &result.curl {
            out.push_str(&format!("reproduce: {curl}\n"));
        }
        out.push_str(&format!("rerun: {}\n", result.rerun));
        out
    }
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// Counts of a finished run.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
    pub ignored: usize,
    pub filtered_out: usize,
}

impl Totals {
    pub fn add(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Failed { .. } => self.failed += 1,
            Outcome::Error { .. } => self.errors += 1,
            Outcome::Ignored { .. } => self.ignored += 1,
            Outcome::FilteredOut => self.filtered_out += 1,
        }
    }

    /// Cases the filters selected (run or ignored).
    pub fn selected(&self) -> usize {
        self.passed + self.failed + self.errors + self.ignored
    }
}

/// One thing that happened during a run.
#[derive(Debug, Clone)]
pub enum Event {
    RunStarted(RunInfo),
    CaseFinished(Box<CaseResult>),
    RunFinished { duration: Duration, totals: Totals },
}
