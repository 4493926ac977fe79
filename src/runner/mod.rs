//! The runner: selects the planned cases (libtest's filters, the partition), runs them on
//! worker threads, then the 429 bursts one at a time in a last phase, and streams one event per
//! finished case to a [`Reporter`]. A failing flow is reported once, as its own test; the cases
//! it blocks say so. The runner never prints.

mod case;
mod context;
mod flows;
mod protocol;
mod resolve;
mod shrink;

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

pub use case::{BODY_EXCERPT, SHRINK_BUDGET, blank_result, run_case};
pub use context::RunContext;
pub use flows::{Captures, FlowError, FlowFailure, Flows};
pub use shrink::{Place, shrink};

use crate::event::{CaseResult, Event, Outcome, Reporter, ResultKind, Totals};
use crate::plan::{Case, Readiness, Recipe};
use crate::spec::{Method, Operation, StatusSpec};

/// Concurrency when `--test-threads` is not given: cases wait on the network, not the CPU.
pub const DEFAULT_TEST_THREADS: usize = 16;

/// Connection errors (refused, timed out) at the start of a run, with no answer at all, after
/// which the target is taken for dead and no more cases are handed out.
pub const DEAD_AFTER: usize = 10;

/// Why the rest of a stopped run is not run.
pub const NOT_RUN_MAX_FAIL: &str = "not run: --max-fail reached";
/// The reason of cases left after [`DEAD_AFTER`] connection errors.
pub const NOT_RUN_DEAD: &str = "not run: nothing answers at the target";

/// Handing out cases: on, stopped by `--max-fail`, stopped because nothing answers.
const GO: u8 = 0;
const STOP_MAX_FAIL: u8 = 1;
const STOP_DEAD: u8 = 2;

/// Which cases run: libtest's flags, as `cargo test` users know them.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Substrings (or, with `exact`, whole ids) a case must match; empty matches all.
    pub filters: Vec<String>,
    pub exact: bool,
    /// Substrings (whole ids with `exact`) that leave a case out.
    pub skip: Vec<String>,
    /// Run only the opt-in cases.
    pub ignored: bool,
    /// Run the opt-in cases too.
    pub include_ignored: bool,
    /// Cases at a time (at least 1).
    pub threads: usize,
    /// Stop handing out cases once this many failed (`--max-fail`, `--fail-fast` is 1).
    pub max_fail: Option<usize>,
    /// `--method`: the operation's method is one of these (empty: any).
    pub methods: Vec<Method>,
    /// `--status`: the case's status is one of these (empty: any).
    pub statuses: Vec<StatusFilter>,
    /// `--operation`: the operation id is one of these (empty: any).
    pub operations: Vec<String>,
    /// `--tag`: the operation has one of these tags (empty: any).
    pub tags: Vec<String>,
}

/// `--status`: one code (`401`) or a class (`4xx`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Code(u16),
    /// `4xx` is `Class(4)`: every code from 400 to 499, and the document's `4XX` range.
    Class(u16),
}

impl std::str::FromStr for StatusFilter {
    type Err = String;

    fn from_str(text: &str) -> Result<StatusFilter, String> {
        let bad = || format!("{text:?}: give a status code (401) or a class (4xx)");
        let t = text.trim().to_ascii_lowercase();
        if let Some(class) = t.strip_suffix("xx") {
            return match class.parse::<u16>() {
                Ok(c @ 1..=5) if class.len() == 1 => Ok(StatusFilter::Class(c)),
                _ => Err(bad()),
            };
        }
        match t.parse::<u16>() {
            Ok(code @ 100..=599) if t.len() == 3 => Ok(StatusFilter::Code(code)),
            _ => Err(bad()),
        }
    }
}

impl StatusFilter {
    pub fn matches(self, status: StatusSpec) -> bool {
        match (self, status) {
            (StatusFilter::Code(c), StatusSpec::Code(s)) => c == s,
            (StatusFilter::Class(c), StatusSpec::Code(s)) => s / 100 == c,
            (StatusFilter::Class(c), StatusSpec::Range(r)) => c == r,
            _ => false,
        }
    }
}

impl Selection {
    pub fn matches(&self, id: &str) -> bool {
        let hit = |pattern: &String| {
            if self.exact {
                id == pattern
            } else {
                id.contains(pattern.as_str())
            }
        };
        (self.filters.is_empty() || self.filters.iter().any(hit)) && !self.skip.iter().any(hit)
    }

    /// [`Selection::matches`] on the id, and the method, status, operation and tag filters:
    /// any value of one filter, every filter given.
    pub fn matches_case(&self, case: &Case, op: &Operation) -> bool {
        self.matches(&case.id)
            && (self.methods.is_empty() || self.methods.contains(&op.method))
            && (self.statuses.is_empty() || self.statuses.iter().any(|s| s.matches(case.status)))
            && (self.operations.is_empty() || self.operations.contains(&op.id()))
            && (self.tags.is_empty()
                || op
                    .tags
                    .iter()
                    .any(|t| self.tags.iter().any(|w| w.eq_ignore_ascii_case(t))))
    }
}

/// What to do with each planned case.
enum Plan {
    Run,
    /// Not run: reported with this outcome.
    Skip(Outcome),
}

/// Runs the selected cases, streaming events to `reporter`; returns the totals. A reporter's
/// error ends the run early (the console went away) and is returned.
pub fn run(
    cx: Arc<RunContext>,
    selection: &Selection,
    reporter: &mut dyn Reporter,
) -> std::io::Result<Totals> {
    let started = Instant::now();
    let cases = &cx.plan.cases;
    let mut decided: Vec<Plan> = Vec::with_capacity(cases.len());
    for (index, case) in cases.iter().enumerate() {
        decided.push(decide(&cx, selection, index, case));
    }
    // A sharded run checks the protocol once, in its first shard.
    let protocol_checks: Vec<_> = if !selection.ignored && cx.partition.is_none_or(|p| p.shard == 1)
    {
        protocol::selected(&cx)
            .into_iter()
            .filter(|id| selection.matches(&protocol::test_id(*id)))
            .collect()
    } else {
        Vec::new()
    };
    reporter.report(&Event::RunStarted {
        info: cx.info.clone(),
        planned: cases.len(),
        protocol: protocol_checks.len(),
    })?;
    let mut totals = Totals::default();
    let mut emit = |result: CaseResult, reporter: &mut dyn Reporter| -> std::io::Result<()> {
        totals.add(&result);
        reporter.report(&Event::CaseFinished(Box::new(result)))
    };
    let mut main_phase = Vec::new();
    let mut last_phase = Vec::new();
    for (index, plan) in decided.into_iter().enumerate() {
        match plan {
            Plan::Skip(outcome) => emit(blank_result(&cx, &cases[index], outcome), reporter)?,
            Plan::Run if cases[index].recipe == Recipe::RateLimited => last_phase.push(index),
            Plan::Run => main_phase.push(index),
        }
    }
    // `--exact flow:NAME` (the rerun line of a failing flow) runs that flow by itself.
    let flow_names: Vec<String> = cx
        .recipes
        .suite()
        .map(|s| s.file.flows.keys().cloned().collect())
        .unwrap_or_default();
    for name in flow_names {
        let id = format!("flow:{name}");
        if selection.exact && selection.filters.contains(&id) && cx.flow(&name, 0).is_ok() {
            let mut result = flow_result(&cx, &id, &name);
            result.outcome = Outcome::Passed;
            emit(result, reporter)?;
        }
    }
    let threads = selection.threads.max(1);
    // Workers check it before each case, and count failures as they finish them (not when
    // the reporter gets them), so a worker never starts a case after the last allowed failure.
    let stop = Arc::new(Stopper {
        state: AtomicU8::new(GO),
        failed: AtomicUsize::new(0),
        max_fail: selection.max_fail,
    });
    // The main phase: workers take cases in plan order; results stream back as they finish.
    let (tx, rx) = mpsc::channel::<CaseResult>();
    let next = Arc::new(AtomicUsize::new(0));
    let main_phase = Arc::new(main_phase);
    let workers: Vec<_> = (0..threads.min(main_phase.len()))
        .map(|_| {
            let (cx, tx, next, queue, stop) = (
                Arc::clone(&cx),
                tx.clone(),
                Arc::clone(&next),
                Arc::clone(&main_phase),
                Arc::clone(&stop),
            );
            std::thread::spawn(move || {
                loop {
                    let at = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&index) = queue.get(at) else {
                        break;
                    };
                    if tx.send(run_unless_stopped(&cx, index, &stop)).is_err() {
                        break;
                    }
                }
            })
        })
        .collect();
    drop(tx);
    let mut reported = Ok(());
    for result in rx {
        if reported.is_ok() {
            reported = emit(result, reporter);
        }
        if reported.is_err() {
            // The reader left: stop handing out cases.
            next.store(usize::MAX / 2, Ordering::Relaxed);
        }
    }
    for worker in workers {
        let _ = worker.join();
    }
    reported?;
    // Protocol checks, one at a time (each is a short conversation with the server), before
    // the bursts spend the rate limits.
    for id in protocol_checks {
        let result = match stop.state.load(Ordering::SeqCst) {
            GO => protocol::run(&cx, id),
            why => {
                let mut result = protocol::run_nothing(&cx, id);
                result.outcome = Outcome::Ignored {
                    reason: if why == STOP_MAX_FAIL {
                        NOT_RUN_MAX_FAIL
                    } else {
                        NOT_RUN_DEAD
                    }
                    .to_string(),
                };
                result
            }
        };
        if matches!(result.outcome, Outcome::Failed { .. }) {
            let failed = stop.failed.fetch_add(1, Ordering::SeqCst) + 1;
            if stop.max_fail.is_some_and(|max| failed >= max) {
                stop.stop(STOP_MAX_FAIL);
            }
        }
        emit(result, reporter)?;
    }
    // The last phase: rate-limit bursts, one at a time, never beside other cases.
    for index in last_phase {
        emit(run_unless_stopped(&cx, index, &stop), reporter)?;
    }
    // Failing flows, once each, at their root.
    for failure in cx.flows.failures() {
        let mut result = flow_result(&cx, &failure.test_id(), &failure.flow);
        result.operation = failure.operation.clone();
        result.requests = failure.requests;
        result.outcome = Outcome::Failed {
            violations: failure.violations.clone(),
        };
        if let Some(exchange) = &failure.exchange {
            result.status = exchange.response.status.to_string();
            case::set_exchange(&cx, &mut result, exchange.clone());
        }
        emit(result, reporter)?;
    }
    reporter.report(&Event::RunFinished {
        duration: started.elapsed(),
        totals,
    })?;
    Ok(totals)
}

fn decide(cx: &RunContext, selection: &Selection, index: usize, case: &Case) -> Plan {
    if cx.partition.is_some_and(|p| !p.contains(index, &case.id))
        || !selection.matches_case(case, &cx.doc.operations[case.operation])
    {
        return Plan::Skip(Outcome::FilteredOut);
    }
    let opt_in = matches!(case.readiness, Readiness::OptIn(_));
    if selection.ignored && !opt_in {
        return Plan::Skip(Outcome::FilteredOut);
    }
    match &case.readiness {
        Readiness::Ignored(reason) => Plan::Skip(Outcome::Ignored {
            reason: reason.clone(),
        }),
        Readiness::OptIn(reason) if !selection.ignored && !selection.include_ignored => {
            Plan::Skip(Outcome::Ignored {
                reason: reason.clone(),
            })
        }
        _ => Plan::Run,
    }
}

/// Whether cases are still handed out, and the failures so far.
struct Stopper {
    state: AtomicU8,
    failed: AtomicUsize,
    max_fail: Option<usize>,
}

impl Stopper {
    fn stop(&self, why: u8) {
        let _ = self
            .state
            .compare_exchange(GO, why, Ordering::SeqCst, Ordering::SeqCst);
    }
}

/// Runs one case, unless the run has stopped (`--max-fail`, or nothing answers): then the case
/// is reported as not run, with why.
fn run_unless_stopped(cx: &RunContext, index: usize, stop: &Stopper) -> CaseResult {
    if cx.gate.unanswered() >= DEAD_AFTER {
        stop.stop(STOP_DEAD);
    }
    let reason = match stop.state.load(Ordering::SeqCst) {
        GO => {
            let result = run_guarded(cx, index);
            if matches!(result.outcome, Outcome::Failed { .. }) {
                let failed = stop.failed.fetch_add(1, Ordering::SeqCst) + 1;
                if stop.max_fail.is_some_and(|max| failed >= max) {
                    stop.stop(STOP_MAX_FAIL);
                }
            }
            return result;
        }
        STOP_MAX_FAIL => NOT_RUN_MAX_FAIL,
        _ => NOT_RUN_DEAD,
    };
    blank_result(
        cx,
        &cx.plan.cases[index],
        Outcome::Ignored {
            reason: reason.to_string(),
        },
    )
}

/// Runs one case; a panic in conform becomes a harness error of that case, and the baseline
/// turns a known failure into one.
fn run_guarded(cx: &RunContext, index: usize) -> CaseResult {
    let case = &cx.plan.cases[index];
    let mut result = std::panic::catch_unwind(AssertUnwindSafe(|| run_case(cx, case)))
        .unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            blank_result(
                cx,
                case,
                Outcome::Error {
                    message: format!(
                        "conform panicked (a bug in conform, please report it): {message}"
                    ),
                },
            )
        });
    if let Some(baseline) = &cx.baseline {
        baseline.absorb(&mut result);
    }
    result
}

/// The result of a flow, reported as a test of its own (`flow:NAME`).
fn flow_result(cx: &RunContext, id: &str, flow: &str) -> CaseResult {
    let mut result = CaseResult::blank(
        id,
        ResultKind::Flow,
        format!("flow `{flow}`"),
        String::new(),
        Recipe::Success,
        cx.rerun_command(id),
    );
    result.note = Some("the cases that need this flow are blocked when it fails".into());
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_follows_libtest() {
        let mut s = Selection {
            filters: vec!["oauth_token".into()],
            ..Selection::default()
        };
        assert!(s.matches("oauth_token/400"));
        assert!(!s.matches("userinfo/200"));
        s.skip = vec!["/400".into()];
        assert!(!s.matches("oauth_token/400"));
        let exact = Selection {
            filters: vec!["oauth_token/4".into()],
            exact: true,
            ..Selection::default()
        };
        assert!(!exact.matches("oauth_token/400"));
        assert!(Selection::default().matches("anything"));
    }

    #[test]
    fn status_filters_take_codes_and_classes() {
        let parse = |t: &str| t.parse::<StatusFilter>();
        assert_eq!(parse("401"), Ok(StatusFilter::Code(401)));
        assert_eq!(parse("4xx"), Ok(StatusFilter::Class(4)));
        assert_eq!(parse("5XX"), Ok(StatusFilter::Class(5)));
        for bad in [
            "", "4", "40", "4000", "600", "099", "6xx", "44xx", "x", "+401",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} was accepted");
        }
        let class = StatusFilter::Class(4);
        assert!(class.matches(StatusSpec::Code(429)));
        assert!(class.matches(StatusSpec::Range(4)));
        assert!(!class.matches(StatusSpec::Code(500)));
        assert!(!class.matches(StatusSpec::Default));
        assert!(StatusFilter::Code(401).matches(StatusSpec::Code(401)));
        assert!(!StatusFilter::Code(401).matches(StatusSpec::Code(403)));
    }
}
