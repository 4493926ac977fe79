//! Baselines of known failures: a file of the cases that fail today, so CI can pass while they
//! are worked on and still fail on any new failure. A case in the baseline that passes again is
//! reported, so the baseline stays true.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::event::{CaseResult, Outcome};

/// What conform writes and reads: case id → the first violation when it was recorded.
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

    /// The failing cases of a run.
    pub fn from_results(results: &[CaseResult]) -> Baseline {
        Baseline {
            conform_baseline: 1,
            known_failures: results
                .iter()
                .filter_map(|r| match &r.outcome {
                    Outcome::Failed { violations } => Some((
                        r.id.clone(),
                        violations
                            .first()
                            .map(|v| format!("[{}] {}", v.check, v.message))
                            .unwrap_or_default(),
                    )),
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
        crate::report::write_atomically(path, format!("{text}\n").as_bytes())
    }

    /// A failure the baseline knows (same case, same check) becomes an ignored case with that
    /// reason; a case that now fails another way is a new failure.
    pub fn absorb(&self, result: &mut CaseResult) {
        if let (Outcome::Failed { violations }, Some(known)) =
            (&result.outcome, self.known_failures.get(&result.id))
        {
            let now = violations
                .first()
                .map(|v| format!("[{}] {}", v.check, v.message))
                .unwrap_or_default();
            let check = |s: &str| s.split(']').next().unwrap_or_default().to_string();
            if check(known) != check(&now) {
                return;
            }
            result.note = Some(format!("known failure (baseline: {known}); now: {now}"));
            result.outcome = Outcome::Ignored {
                reason: format!("known failure in the baseline: {known}"),
            };
        }
    }
}
