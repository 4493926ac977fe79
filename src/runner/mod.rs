//! The runner: turns planned cases into libtest-mimic trials, runs them on the tokio runtime, and
//! collects one [`CaseResult`] per case as events. It never prints; libtest-mimic's printer is the
//! console reporter, and the other reporters read the events.

mod baseline;
mod case;
mod context;
mod event;
mod flows;
mod pace;

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use libtest_mimic::{Arguments, Completion, Failed, Trial};

pub use baseline::Baseline;
pub use case::run_case;
pub use context::RunContext;
pub use event::{CaseResult, Event, Outcome, RunInfo, Totals};
pub use flows::{Captures, FlowError, Flows};
pub use pace::{Limit, Pacer};

use crate::plan::Readiness;

/// Concurrency when `--test-threads` is not given: cases wait on the network, not the CPU.
pub const DEFAULT_TEST_THREADS: usize = 16;

/// Everything a run produced.
#[derive(Debug)]
pub struct RunOutput {
    pub events: Vec<Event>,
    /// `--list` was given: libtest-mimic listed the cases and nothing ran.
    pub listed_only: bool,
}

impl RunOutput {
    /// The finished cases, in plan order.
    pub fn results(&self) -> Vec<CaseResult> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::CaseFinished(result) => Some((**result).clone()),
                _ => None,
            })
            .collect()
    }

    pub fn totals(&self) -> Totals {
        self.events
            .iter()
            .find_map(|e| match e {
                Event::RunFinished { totals, .. } => Some(*totals),
                _ => None,
            })
            .unwrap_or_default()
    }
}

/// Runs the plan. `args` are libtest's flags (filter, `--exact`, `--skip`, `--ignored`, ...).
pub fn run(args: &Arguments, cx: Arc<RunContext>) -> RunOutput {
    let started = Instant::now();
    let mut args = args.clone();
    args.test_threads = args.test_threads.or(Some(DEFAULT_TEST_THREADS));
    let sink: Arc<Mutex<Vec<Option<CaseResult>>>> =
        Arc::new(Mutex::new(vec![None; cx.plan.cases.len()]));

    let mut trials = Vec::with_capacity(cx.plan.cases.len());
    let mut not_run = Vec::new();
    for (index, case) in cx.plan.cases.iter().enumerate() {
        if cx.partition.is_some_and(|p| !p.contains(index, &case.id)) {
            not_run.push((index, Outcome::FilteredOut));
            continue;
        }
        let (cx2, sink2) = (Arc::clone(&cx), Arc::clone(&sink));
        let trial = Trial::ignorable_test(case.id.clone(), move || {
            let case = &cx2.plan.cases[index];
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| run_case(&cx2, case)));
            let mut result = outcome.unwrap_or_else(|panic| panicked(&cx2, index, panic));
            if let Some(baseline) = &cx2.baseline {
                baseline.absorb(&mut result);
            }
            let verdict = verdict(&result, &cx2);
            sink2.lock().unwrap_or_else(|e| e.into_inner())[index] = Some(result);
            verdict
        })
        .with_ignored_flag(matches!(case.readiness, Readiness::OptIn(_)));
        // libtest-mimic never calls filtered or flag-ignored trials: record them now.
        if args.is_filtered_out(&trial) {
            not_run.push((index, Outcome::FilteredOut));
        } else if args.is_ignored(&trial) {
            let reason = case.readiness.reason().unwrap_or("ignored").to_string();
            not_run.push((index, Outcome::Ignored { reason }));
        }
        trials.push(trial);
    }

    let mut events = vec![Event::RunStarted(cx.info.clone())];
    let _conclusion = libtest_mimic::run(&args, trials);
    if args.list {
        return RunOutput {
            events,
            listed_only: true,
        };
    }
    let mut results = std::mem::take(&mut *sink.lock().unwrap_or_else(|e| e.into_inner()));
    for (index, outcome) in not_run {
        results[index] = Some(skeleton(&cx, index, outcome));
    }
    let mut totals = Totals::default();
    for result in results.into_iter().flatten() {
        totals.add(&result.outcome);
        events.push(Event::CaseFinished(Box::new(result)));
    }
    events.push(Event::RunFinished {
        duration: started.elapsed(),
        totals,
    });
    RunOutput {
        events,
        listed_only: false,
    }
}

/// What libtest-mimic is told (and prints): secrets masked, errors told apart from failures.
fn verdict(result: &CaseResult, cx: &RunContext) -> Result<Completion, Failed> {
    match &result.outcome {
        Outcome::Passed => Ok(Completion::Completed),
        Outcome::Ignored { reason } => Ok(Completion::ignored_with(reason)),
        Outcome::FilteredOut => Ok(Completion::ignored()),
        Outcome::Failed { .. } => Err(cx.redactor.redact(&result.details()).into()),
        Outcome::Error { message } => Err(cx
            .redactor
            .redact(&format!(
                "harness error (not a contract failure): {message}\n{}",
                result.details()
            ))
            .into()),
    }
}

fn skeleton(cx: &RunContext, index: usize, outcome: Outcome) -> CaseResult {
    case::blank_result(cx, &cx.plan.cases[index], outcome)
}

fn panicked(cx: &RunContext, index: usize, panic: Box<dyn std::any::Any + Send>) -> CaseResult {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    skeleton(
        cx,
        index,
        Outcome::Error {
            message: format!("conform panicked (a bug in conform, please report it): {message}"),
        },
    )
}
