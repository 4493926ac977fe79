//! What every case of a run shares: the document, the plan, the recipes, the client, the checks,
//! the redactor, flows and pacing; and the two ways a case touches the network (`send`, with
//! pacing and `Retry-After`) and the seeded generator (`sample`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use tokio::runtime::Handle;

use super::event::RunInfo;
use super::flows::Flows;
use super::pace::Pacer;
use crate::check::Check;
use crate::execute::{Client, Exchange, ExecuteError, Request};
use crate::plan::Plan;
use crate::recipe::RecipeBook;
use crate::report::Redactor;
use crate::spec::Document;

/// How many times a paced request is retried after a 429 it did not ask for.
const RETRIES_AFTER_429: usize = 3;
/// The longest `Retry-After` conform waits out.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

pub struct RunContext {
    pub doc: Arc<Document>,
    pub plan: Arc<Plan>,
    pub recipes: RecipeBook,
    pub client: Client,
    pub checks: Vec<Box<dyn Check>>,
    pub info: RunInfo,
    pub redactor: Redactor,
    /// The command line that reruns a case, before its id: `conform run --seed 7 --spec x`.
    pub rerun_prefix: String,
    pub examples: u32,
    pub handle: Handle,
    pub flows: Flows,
    pub pacer: Pacer,
    /// Requests sent in this run, and the cap (`--max-requests`).
    pub sent: AtomicUsize,
    pub max_requests: Option<usize>,
    /// Known failures (`--baseline`): reported, not failing the run.
    pub baseline: Option<super::Baseline>,
    /// The shard of the plan this run takes (`--partition`).
    pub partition: Option<crate::plan::Partition>,
    /// Uses of `${unique}` so far, per case.
    pub unique: Mutex<HashMap<String, usize>>,
}

impl RunContext {
    pub fn rerun_command(&self, case_id: &str) -> String {
        format!(
            "{} --exact '{}'",
            self.rerun_prefix,
            case_id.replace('\'', "'\\''")
        )
    }

    /// A proptest runner whose random stream depends only on the run seed and `key`: the same
    /// seed gives every case the same requests, whatever the order cases run in.
    pub fn test_runner(&self, key: &str, cases: u32) -> TestRunner {
        let config = Config {
            cases,
            failure_persistence: None,
            max_shrink_iters: 64,
            max_shrink_time: 10_000,
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

    /// Every check of the run on one exchange.
    pub fn check(
        &self,
        op: &crate::spec::Operation,
        expected: crate::spec::StatusSpec,
        exchange: &Exchange,
    ) -> Vec<crate::check::Violation> {
        let cx = crate::check::CheckContext {
            operation: op,
            expected,
            exchange,
            schemas: self.recipes.schemas(),
        };
        crate::check::run_all(&self.checks, &cx)
    }

    /// One value of `strategy`, deterministic for (seed, key).
    pub fn sample<S: Strategy>(&self, strategy: &S, key: &str) -> Result<S::Value, String> {
        let mut runner = self.test_runner(key, 1);
        strategy
            .new_tree(&mut runner)
            .map(|tree| tree.current())
            .map_err(|e| e.to_string())
    }

    /// Sends a request: paced to the rate of `pace_key` (an operation id), counted against `--max-requests`,
    /// and, unless `expect_429`, retried after a 429 once its `Retry-After` has passed.
    pub fn send(
        &self,
        pace_key: &str,
        request: &Request,
        expect_429: bool,
    ) -> Result<Exchange, ExecuteError> {
        let mut attempt = 0;
        loop {
            let count = self.sent.fetch_add(1, Ordering::Relaxed) + 1;
            if let Some(max) = self.max_requests
                && count > max
            {
                return Err(ExecuteError::Budget(max));
            }
            let wait = self
                .pacer
                .reserve(pace_key)
                .map_err(|budget| ExecuteError::OperationBudget(pace_key.to_string(), budget))?;
            let exchange = self.handle.block_on(async {
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                self.client.send(request).await
            })?;
            if expect_429 || exchange.response.status != 429 || attempt >= RETRIES_AFTER_429 {
                return Ok(exchange);
            }
            attempt += 1;
            let retry_after = exchange
                .response
                .header("retry-after")
                .and_then(|v| v.trim().parse::<f64>().ok())
                .map_or(Duration::from_secs(1), |s| {
                    Duration::from_secs_f64(s.max(0.0))
                })
                .min(MAX_RETRY_AFTER);
            std::thread::sleep(retry_after);
        }
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
