//! Baselines of known failures: a file of the cases that fail today, so CI can pass while they
//! are worked on and still fail on any new failure. A case in the baseline that passes again is
//! named, so the baseline stays true.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::check::{CheckId, Violation};
use crate::event::{CaseResult, Outcome};
use crate::redact::Redactor;

/// What conform writes and reads: case id → the first violation (`[check] message`) when it
/// was recorded.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Baseline {
    /// Marks a file conform wrote, so `--save-baseline` never overwrites anything else.
    pub conform_baseline: u32,
    pub known_failures: BTreeMap<String, String>,
}

impl Baseline {
    pub fn load(path: &Path) -> io::Result<Baseline> {
        let text = std::fs::read_to_string(path)?;
        let baseline: Baseline = serde_json::from_str(&text).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not a conform baseline: {e}"),
            )
        })?;
        if baseline.conform_baseline != 1 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "not a conform baseline (version 1)",
            ));
        }
        Ok(baseline)
    }

    /// The failing cases of a run, their messages redacted.
    pub fn from_results(results: &[CaseResult], redactor: &Redactor) -> Baseline {
        Baseline {
            conform_baseline: 1,
            known_failures: results
                .iter()
                .filter_map(|r| match &r.outcome {
                    Outcome::Failed { violations } => {
                        Some((r.id.clone(), redactor.redact(&first(violations))))
                    }
                    _ => None,
                })
                .collect(),
        }
    }

    /// Writes the baseline, refusing to replace a file conform did not write.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        if path.exists() && Baseline::load(path).is_err() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "the file exists and is not a conform baseline; conform never overwrites it",
            ));
        }
        let text = serde_json::to_string_pretty(self).map_err(io::Error::other)?;
        crate::files::write_atomically(path, format!("{text}\n").as_bytes())
    }

    /// A failure the baseline knows (same case, same check) becomes a known failure; a case
    /// that now fails another way stays a new failure.
    pub fn absorb(&self, result: &mut CaseResult) {
        let (Outcome::Failed { violations }, Some(known)) =
            (&result.outcome, self.known_failures.get(&result.id))
        else {
            return;
        };
        if recorded_check(known) != violations.first().map(|v| v.check) {
            return;
        }
        result.outcome = Outcome::KnownFailure {
            recorded: known.clone(),
            violations: violations.clone(),
        };
    }

    /// Cases the baseline lists that passed in `results`.
    pub fn fixed<'a>(&self, results: &'a [CaseResult]) -> Vec<&'a str> {
        results
            .iter()
            .filter(|r| {
                matches!(r.outcome, Outcome::Passed) && self.known_failures.contains_key(&r.id)
            })
            .map(|r| r.id.as_str())
            .collect()
    }
}

fn first(violations: &[Violation]) -> String {
    violations
        .first()
        .map(|v| format!("[{}] {}", v.check, v.message))
        .unwrap_or_default()
}

/// The check of a recorded `[check] message` line.
fn recorded_check(line: &str) -> Option<CheckId> {
    line.strip_prefix('[')?.split(']').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_lines_name_their_check() {
        assert_eq!(
            recorded_check("[body_schema] x is not a string"),
            Some(CheckId::BodySchema)
        );
        assert_eq!(recorded_check("[nope] x"), None);
        assert_eq!(recorded_check("no bracket"), None);
    }
}
