//! Flows of a run: the captured values of each flow, computed once (unless `fresh`), and the
//! flows whose steps failed, each kept once as the root cause of the cases it blocks.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use indexmap::IndexMap;
use serde_json::Value;

use crate::check::Violation;
use crate::execute::Exchange;

/// Captured variables of a flow.
pub type Captures = IndexMap<String, Value>;

/// Why a flow could not give its values.
#[derive(Debug, Clone)]
pub enum FlowError {
    /// A step's answer broke the document or could not be used: the root cause, reported once
    /// as its own test; the cases that need the flow are blocked by it.
    Failed(Box<FlowFailure>),
    /// The flow could not be run (suite mistake, unreachable server).
    Error(String),
}

impl FlowError {
    /// The error in one line: the failing step's first violation, or why the flow could not
    /// run.
    pub fn message(&self) -> String {
        match self {
            FlowError::Error(message) => message.clone(),
            FlowError::Failed(failure) => failure.message(),
        }
    }
}

/// The step of a flow that failed, and what it got.
#[derive(Debug, Clone)]
pub struct FlowFailure {
    /// The flow whose own step failed (the innermost, when flows use flows).
    pub flow: String,
    /// The operation the step called (empty for a path outside the document).
    pub operation: String,
    pub violations: Vec<Violation>,
    pub exchange: Option<Exchange>,
    /// Requests the flow sent until it failed.
    pub requests: usize,
}

impl FlowFailure {
    /// The test id the failure is reported under.
    pub fn test_id(&self) -> String {
        format!("flow:{}", self.flow)
    }

    pub fn message(&self) -> String {
        self.violations
            .first()
            .map(|v| format!("[{}] {}", v.check, v.message))
            .unwrap_or_default()
    }
}

/// Flow results of a run, computed once each (unless `fresh`), and the failures seen.
#[derive(Default)]
pub struct Flows {
    cached: HashMap<String, OnceLock<Result<Captures, FlowError>>>,
    /// Each failing flow, once, in the order they failed.
    failures: Mutex<IndexMap<String, FlowFailure>>,
}

impl Flows {
    pub fn new(names: impl IntoIterator<Item = String>) -> Flows {
        Flows {
            cached: names.into_iter().map(|n| (n, OnceLock::new())).collect(),
            failures: Mutex::default(),
        }
    }

    /// The run's cell of a cached flow.
    pub(super) fn cell(&self, name: &str) -> Option<&OnceLock<Result<Captures, FlowError>>> {
        self.cached.get(name)
    }

    /// The flows that failed so far, each once.
    pub fn failures(&self) -> Vec<FlowFailure> {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.values().cloned().collect()
    }

    /// Keeps `failure` as the root cause to report (the first of each flow).
    pub fn record(&self, failure: &FlowFailure) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures
            .entry(failure.flow.clone())
            .or_insert_with(|| failure.clone());
    }
}
