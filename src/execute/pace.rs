//! Paces requests per operation (a rate with a burst, as Auth0 states its limits) and counts them
//! against per-operation budgets, whatever the concurrency.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How fast, and how much, one operation may be called.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// Requests per second, sustained; `None` is unpaced.
    pub rate: Option<f64>,
    /// Requests that may go at once before the rate applies (at least 1).
    pub burst: u32,
    /// Requests in the whole run; `None` is unlimited.
    pub budget: Option<u32>,
}

impl Limit {
    /// How long `requests` take at this pace, after the burst.
    pub fn duration_of(&self, requests: u64) -> Duration {
        match self.rate {
            Some(rate) if rate > 0.0 => {
                secs(requests.saturating_sub(u64::from(self.burst)) as f64 / rate)
            }
            _ => Duration::ZERO,
        }
    }
}

/// The pacing state of a run (GCRA: a theoretical arrival time per operation).
#[derive(Default)]
pub struct Pacer {
    limits: HashMap<String, Limit>,
    state: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Pacer {
    pub fn new(limits: impl IntoIterator<Item = (String, Limit)>) -> Pacer {
        Pacer {
            limits: limits.into_iter().collect(),
            state: Mutex::new(HashMap::new()),
        }
    }

    pub fn limit(&self, op: &str) -> Option<&Limit> {
        self.limits.get(op)
    }

    /// Reserves the next slot of `op`: how long to wait for it, or the budget that is spent.
    pub fn reserve(&self, op: &str) -> Result<Duration, u32> {
        let Some(limit) = self.limits.get(op) else {
            return Ok(Duration::ZERO);
        };
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (tat, used) = state.entry(op.to_string()).or_insert((now, 0));
        if let Some(budget) = limit.budget
            && *used >= budget
        {
            return Err(budget);
        }
        *used += 1;
        let Some(rate) = limit.rate.filter(|r| *r > 0.0) else {
            return Ok(Duration::ZERO);
        };
        let interval = secs(1.0 / rate);
        let tolerance = interval.saturating_mul(limit.burst.max(1).saturating_sub(1));
        let start = (*tat).max(now);
        let allowed_at = start.checked_sub(tolerance).unwrap_or(now).max(now);
        // A rate so slow that the next slot is beyond what an Instant can hold: a day is as good.
        *tat = start
            .checked_add(interval)
            .unwrap_or(start + Duration::from_secs(86_400));
        Ok(allowed_at - now)
    }
}

/// Seconds as a Duration, saturating (rates come from suites: never a panic on a tiny one).
fn secs(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(rate: f64, burst: u32, budget: Option<u32>) -> Limit {
        Limit {
            rate: Some(rate),
            burst,
            budget,
        }
    }

    #[test]
    fn spaces_requests_by_the_interval() {
        let pacer = Pacer::new([("op".to_string(), limit(10.0, 1, None))]);
        let waits: Vec<Duration> = (0..4).map(|_| pacer.reserve("op").unwrap()).collect();
        assert!(waits[0] < Duration::from_millis(5));
        for (i, w) in waits.iter().enumerate().skip(1) {
            let want = Duration::from_millis(100 * i as u64);
            assert!(
                *w > want - Duration::from_millis(10) && *w <= want,
                "wait {i}: {w:?}"
            );
        }
        assert_eq!(pacer.reserve("unpaced"), Ok(Duration::ZERO));
    }

    #[test]
    fn a_burst_goes_at_once_then_the_rate_applies() {
        let pacer = Pacer::new([("op".to_string(), limit(1.0, 3, None))]);
        let waits: Vec<Duration> = (0..5).map(|_| pacer.reserve("op").unwrap()).collect();
        for w in &waits[..3] {
            assert!(*w < Duration::from_millis(5), "{waits:?}");
        }
        assert!(waits[3] > Duration::from_millis(900), "{waits:?}");
        assert!(waits[4] > Duration::from_millis(1900), "{waits:?}");
    }

    #[test]
    fn budgets_are_counted() {
        let pacer = Pacer::new([(
            "op".to_string(),
            Limit {
                rate: None,
                burst: 1,
                budget: Some(2),
            },
        )]);
        assert!(pacer.reserve("op").is_ok());
        assert!(pacer.reserve("op").is_ok());
        assert_eq!(pacer.reserve("op"), Err(2));
        assert_eq!(limit(2.0, 4, None).duration_of(10), Duration::from_secs(3));
        // A hostile rate waits long but never panics.
        let slow = Pacer::new([("op".to_string(), limit(1e-320, 1, None))]);
        assert!(slow.reserve("op").is_ok() && slow.reserve("op").is_ok());
        assert_eq!(limit(1e-320, 1, None).duration_of(10), Duration::MAX);
    }
}
