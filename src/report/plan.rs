//! The plan, told before anything is sent: per operation, how many cases run, how many requests
//! they send at most, at what pace, with what side effect, and what is skipped for safety.

use std::fmt::Write as _;
use std::time::Duration;

use crate::execute::Pacer;
use crate::plan::{Plan, Readiness};
use crate::recipe::{RecipeBook, Shape};
use crate::spec::Document;

/// One operation's line of the plan.
#[derive(Debug, Clone)]
pub struct OperationPlan {
    pub operation: String,
    pub cases: usize,
    pub to_run: usize,
    pub skipped_for_safety: usize,
    pub requests: u64,
    pub pace: String,
    pub side_effect: String,
    pub duration: Duration,
}

/// The whole plan, summed up.
#[derive(Debug, Clone)]
pub struct Overview {
    pub operations: Vec<OperationPlan>,
    pub cases: usize,
    pub to_run: usize,
    pub skipped_for_safety: usize,
    pub requests: u64,
    /// The slowest operation's time at its pace: operations run side by side.
    pub duration: Duration,
}

impl Overview {
    pub fn new(
        doc: &Document,
        plan: &Plan,
        recipes: &RecipeBook,
        pacer: &Pacer,
        examples: u32,
    ) -> Overview {
        let mut operations: Vec<OperationPlan> = Vec::new();
        for (index, op) in doc.operations.iter().enumerate() {
            let cases: Vec<_> = plan.cases.iter().filter(|c| c.operation == index).collect();
            let mut row = OperationPlan {
                operation: format!("{} {}", op.method, op.path),
                cases: cases.len(),
                to_run: 0,
                skipped_for_safety: 0,
                requests: 0,
                pace: match pacer
                    .limit(&op.id())
                    .and_then(|l| l.rate.map(|r| (r, l.burst)))
                {
                    Some((rate, burst)) if burst > 1 => format!("{} burst {burst}", per(rate)),
                    Some((rate, _)) => per(rate),
                    None => "unpaced".into(),
                },
                side_effect: recipes
                    .side_effect(op)
                    .unwrap_or("unclassified")
                    .to_string(),
                duration: Duration::ZERO,
            };
            for case in cases {
                match &case.readiness {
                    Readiness::Runnable => {
                        row.to_run += 1;
                        row.requests += estimate(recipes, case, examples);
                    }
                    Readiness::Ignored(reason) if reason.starts_with("skipped for safety") => {
                        row.skipped_for_safety += 1;
                    }
                    _ => {}
                }
            }
            row.duration = pacer
                .limit(&op.id())
                .map_or(Duration::ZERO, |l| l.duration_of(row.requests));
            operations.push(row);
        }
        Overview {
            cases: plan.cases.len(),
            to_run: operations.iter().map(|o| o.to_run).sum(),
            skipped_for_safety: operations.iter().map(|o| o.skipped_for_safety).sum(),
            requests: operations.iter().map(|o| o.requests).sum(),
            duration: operations
                .iter()
                .map(|o| o.duration)
                .max()
                .unwrap_or_default(),
            operations,
        }
    }

    /// The plan as a table, then the totals.
    pub fn render(&self, target: &str, live: bool) -> String {
        let mut out = String::new();
        let mode = if live {
            " (live target: side effects need --allow)"
        } else {
            ""
        };
        let _ = writeln!(out, "plan for {target}{mode}:");
        let width = self
            .operations
            .iter()
            .map(|o| o.operation.len())
            .max()
            .unwrap_or(9)
            .max(9);
        let _ = writeln!(
            out,
            "  {:<width$}  {:>9}  {:>8}  {:<16}  {:<14}  skipped for safety",
            "operation", "run/cases", "requests", "pace", "side effect"
        );
        for o in &self.operations {
            let _ = writeln!(
                out,
                "  {:<width$}  {:>9}  {:>8}  {:<16}  {:<14}  {}",
                o.operation,
                format!("{}/{}", o.to_run, o.cases),
                o.requests,
                o.pace,
                o.side_effect,
                if o.skipped_for_safety == 0 {
                    "-".to_string()
                } else {
                    o.skipped_for_safety.to_string()
                }
            );
        }
        let _ = writeln!(out, "{}", self.summary());
        out
    }

    /// One line: cases, requests, estimated duration.
    pub fn summary(&self) -> String {
        format!(
            "plan: {} of {} cases to run ({} skipped for safety), at most {} requests (plus flows and shrinking), about {} at the suite's pace",
            self.to_run,
            self.cases,
            self.skipped_for_safety,
            self.requests,
            human(self.duration)
        )
    }
}

/// At most how many requests a case sends (flows it uses not counted).
fn estimate(recipes: &RecipeBook, case: &crate::plan::Case, examples: u32) -> u64 {
    let Ok(recipe) = recipes.recipe(case) else {
        return 0;
    };
    let verify: u64 = recipes
        .suite()
        .and_then(|s| s.file.cases.get(&case.id))
        .map(|c| {
            c.verify
                .iter()
                .filter_map(|f| recipes.suite()?.file.flows.get(f))
                .map(|f| f.steps.len() as u64)
                .sum()
        })
        .unwrap_or(0);
    let own = match recipe.shape {
        Shape::Generative(_) => u64::from(examples),
        Shape::Burst { burst, .. } => u64::from(burst),
        Shape::Minimal | Shape::UnknownIds | Shape::WrongMethod(_) => 1,
    };
    own + verify
}

fn per(rate: f64) -> String {
    if rate >= 1.0 {
        format!("{rate:.0}/s")
    } else if rate * 60.0 >= 1.0 {
        format!("{:.0}/min", rate * 60.0)
    } else {
        format!("{:.0}/h", rate * 3600.0)
    }
}

fn human(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 1.0 {
        "under a second".into()
    } else if secs < 120.0 {
        format!("{secs:.0} s")
    } else {
        format!("{:.0} min", secs / 60.0)
    }
}
