//! What every case of a run shares: the document, the plan, the recipes, the gate, the checks,
//! the redactor and the flows; and the seeded generator every case draws from.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use super::flows::Flows;
use crate::baseline::Baseline;
use crate::check::{Check, CheckContext, Violation};
use crate::event::RunInfo;
use crate::execute::{Exchange, Gate, Request};
use crate::plan::Plan;
use crate::recipe::RecipeBook;
use crate::redact::Redactor;
use crate::spec::{Document, Operation, StatusSpec};

pub struct RunContext {
    pub doc: Arc<Document>,
    pub plan: Arc<Plan>,
    pub recipes: RecipeBook,
    /// Every request goes through it.
    pub gate: Gate,
    pub checks: Vec<Box<dyn Check>>,
    pub info: RunInfo,
    pub redactor: Redactor,
    /// The command line that reruns a case, before its id: `conform run --seed 7 --spec x`.
    pub rerun_prefix: String,
    /// A shell comment after the case id naming what to export first (empty: nothing).
    pub rerun_note: String,
    pub examples: u32,
    pub flows: Flows,
    /// Known failures (`--baseline`): reported, not failing the run.
    pub baseline: Option<Baseline>,
    /// The shard of the plan this run takes (`--partition`).
    pub partition: Option<crate::plan::Partition>,
    /// Uses of `${unique}` so far, per case.
    pub unique: Mutex<HashMap<String, usize>>,
}

impl RunContext {
    pub fn rerun_command(&self, case_id: &str) -> String {
        format!(
            "{} --exact '{}'{}",
            self.rerun_prefix,
            case_id.replace('\'', "'\\''"),
            self.rerun_note
        )
    }

    /// The `curl` line of a request: secrets as shell variables (see `Redactor::curl`).
    pub fn curl(&self, request: &Request) -> String {
        self.redactor.curl(request, self.gate.client().base_url())
    }

    /// A proptest runner whose random stream depends only on the run seed and `key`: the same
    /// seed gives every case the same requests, whatever the order cases run in.
    pub fn test_runner(&self, key: &str) -> TestRunner {
        let config = Config {
            cases: 1,
            failure_persistence: None,
            max_shrink_iters: 0,
            max_global_rejects: 4096,
            ..Config::default()
        };
        TestRunner::new_with_rng(
            config,
            TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(self.info.seed, key)),
        )
    }

    /// The next `${unique}` value of `scope` (a case id): from the seed, the scope and a count.
    pub fn unique_value(&self, scope: &str) -> String {
        let mut uses = self.unique.lock().unwrap_or_else(|e| e.into_inner());
        let n = uses.entry(scope.to_string()).or_default();
        *n += 1;
        let bytes = seed_bytes(self.info.seed, &format!("{scope}#{n}"));
        bytes[..6].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Every response check of the run on one exchange.
    pub fn check(
        &self,
        op: &Operation,
        expected: StatusSpec,
        exchange: &Exchange,
    ) -> Vec<Violation> {
        let cx = CheckContext {
            operation: op,
            expected,
            exchange,
            schemas: self.recipes.schemas(),
        };
        crate::check::run_all(&self.checks, &cx)
    }

    /// One value of `strategy`, deterministic for (seed, key).
    pub fn sample<S: Strategy>(&self, strategy: &S, key: &str) -> Result<S::Value, String> {
        let mut runner = self.test_runner(key);
        strategy
            .new_tree(&mut runner)
            .map(|tree| tree.current())
            .map_err(|e| e.to_string())
    }

    /// `count` values of `strategy`, deterministic for (seed, key).
    pub fn samples<S: Strategy>(
        &self,
        strategy: &S,
        key: &str,
        count: u32,
    ) -> Result<Vec<S::Value>, String> {
        let mut runner = self.test_runner(key);
        (0..count)
            .map(|_| {
                strategy
                    .new_tree(&mut runner)
                    .map(|tree| tree.current())
                    .map_err(|e| e.to_string())
            })
            .collect()
    }
}

/// 32 bytes of ChaCha seed from the run seed and a key (FNV-1a, then SplitMix64 to spread).
fn seed_bytes(seed: u64, key: &str) -> [u8; 32] {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut out = [0u8; 32];
    for chunk in out.chunks_mut(8) {
        h = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = h;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_depend_on_seed_and_key() {
        assert_eq!(seed_bytes(1, "a"), seed_bytes(1, "a"));
        assert_ne!(seed_bytes(1, "a"), seed_bytes(2, "a"));
        assert_ne!(seed_bytes(1, "a"), seed_bytes(1, "b"));
    }
}
