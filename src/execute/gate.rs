//! The one gate every request goes through, bursts included: the run's `--max-requests`, each
//! operation's budget and pace, and backing off after a 429 as `Retry-After` or
//! `X-RateLimit-Reset` asks (bounded). Each case counts its own requests in a [`Tally`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::runtime::Handle;

use super::client::{Client, ClientOptions, ExecuteError};
use super::exchange::{Exchange, Request};
use super::pace::Pacer;

/// How many times a request is sent again after a 429 it did not ask for.
pub const RETRIES_AFTER_429: usize = 3;
/// The longest single back-off; a server asking for more gets this much.
pub const MAX_BACK_OFF: Duration = Duration::from_secs(10);
/// The back-off when a 429 says nothing usable about when to come back.
const DEFAULT_BACK_OFF: Duration = Duration::from_secs(1);
/// Requests of a burst sent at once.
const BURST_WAVE: usize = 50;

/// Requests one case (or flow) sent.
#[derive(Debug, Default)]
pub struct Tally(AtomicUsize);

impl Tally {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    fn add(&self, n: usize) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
}

/// What to do with a 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On429 {
    /// Back off as the server asks and send again, a few times; then return the 429.
    BackOff,
    /// Return it: the case asked for it.
    Return,
}

/// The gate of a run.
pub struct Gate {
    client: Client,
    pacer: Pacer,
    max_requests: Option<usize>,
    sent: AtomicUsize,
    handle: Handle,
    /// Clients bound to another source address (bursts that must not spend the main one's
    /// budget at the server), pooled: one per address for the run.
    sourced: Mutex<HashMap<IpAddr, Client>>,
    /// Has the target answered anything yet, and how many connection errors (refused, timed
    /// out) came before: a dead target is told from a broken one.
    answered: AtomicBool,
    unanswered: AtomicUsize,
}

impl Gate {
    pub fn new(client: Client, pacer: Pacer, max_requests: Option<usize>, handle: Handle) -> Gate {
        Gate {
            client,
            pacer,
            max_requests,
            sent: AtomicUsize::new(0),
            handle,
            sourced: Mutex::new(HashMap::new()),
            answered: AtomicBool::new(false),
            unanswered: AtomicUsize::new(0),
        }
    }

    /// Connection errors (refused, timed out) before the target answered anything; 0 once it
    /// has answered.
    pub fn unanswered(&self) -> usize {
        if self.answered.load(Ordering::Relaxed) {
            0
        } else {
            self.unanswered.load(Ordering::Relaxed)
        }
    }

    fn record<T>(&self, sent: &Result<T, ExecuteError>) {
        match sent {
            Ok(_) => self.answered.store(true, Ordering::Relaxed),
            Err(e) if e.is_refused() || e.is_timeout() => {
                self.unanswered.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {}
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn pacer(&self) -> &Pacer {
        &self.pacer
    }

    /// Requests sent in the whole run.
    pub fn sent(&self) -> usize {
        self.sent.load(Ordering::Relaxed)
    }

    /// Takes one request's place: the run's cap, then the operation's budget and pace.
    fn admit(&self, key: &str) -> Result<Duration, ExecuteError> {
        let count = self.sent.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(max) = self.max_requests
            && count > max
        {
            self.sent.fetch_sub(1, Ordering::Relaxed);
            return Err(ExecuteError::Budget(max));
        }
        self.pacer.reserve(key).map_err(|budget| {
            self.sent.fetch_sub(1, Ordering::Relaxed);
            ExecuteError::OperationBudget(key.to_string(), budget)
        })
    }

    /// Sends one request for operation `key` (paced and counted); after a 429, backs off and
    /// sends again unless `on_429` says to return it.
    pub fn send(
        &self,
        key: &str,
        request: &Request,
        tally: &Tally,
        on_429: On429,
    ) -> Result<Exchange, ExecuteError> {
        let mut attempt = 0;
        loop {
            let wait = self.admit(key)?;
            tally.add(1);
            let sent = self.handle.block_on(async {
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                self.client.send(request).await
            });
            self.record(&sent);
            let exchange = sent?;
            if on_429 == On429::Return
                || exchange.response.status != 429
                || attempt >= RETRIES_AFTER_429
            {
                return Ok(exchange);
            }
            attempt += 1;
            std::thread::sleep(back_off(&exchange, SystemTime::now()));
        }
    }

    /// A burst of up to `limit` copies of `request` to operation `key`, in waves sent at once,
    /// until the server answers 429. Every request passes the gate's cap and budget and takes
    /// its slot of the operation's pace (so later requests wait for the time the burst used),
    /// but does not wait for it: a burst is the one deliberate excess of the pace. The answers
    /// come back in the order they were sent; a refused admission ends the burst.
    pub fn burst(
        &self,
        key: &str,
        request: &Request,
        limit: usize,
        source: Option<IpAddr>,
        tally: &Tally,
    ) -> (Vec<Result<Exchange, ExecuteError>>, Option<ExecuteError>) {
        let client = match source {
            None => self.client.clone(),
            Some(address) => match self.sourced_client(address) {
                Ok(client) => client,
                Err(e) => return (Vec::new(), Some(e)),
            },
        };
        let mut answers: Vec<Result<Exchange, ExecuteError>> = Vec::new();
        let mut left = limit;
        let mut refused = None;
        while left > 0 && refused.is_none() {
            let mut waits = Vec::new();
            for _ in 0..left.min(BURST_WAVE) {
                match self.admit(key) {
                    Ok(_) => waits.push(Duration::ZERO),
                    Err(e) => {
                        refused = Some(e);
                        break;
                    }
                }
            }
            if waits.is_empty() {
                break;
            }
            left -= waits.len();
            tally.add(waits.len());
            let wave = self.handle.block_on(async {
                let mut set = tokio::task::JoinSet::new();
                for (i, wait) in waits.into_iter().enumerate() {
                    let (client, request) = (client.clone(), request.clone());
                    set.spawn(async move {
                        if !wait.is_zero() {
                            tokio::time::sleep(wait).await;
                        }
                        (i, client.send(&request).await)
                    });
                }
                let mut wave = Vec::new();
                while let Some(joined) = set.join_next().await {
                    match joined {
                        Ok(answer) => wave.push(answer),
                        Err(e) => {
                            wave.push((usize::MAX, Err(ExecuteError::Transport(e.to_string()))))
                        }
                    }
                }
                wave.sort_by_key(|(i, _)| *i);
                wave.into_iter().map(|(_, a)| a).collect::<Vec<_>>()
            });
            let limited = wave
                .iter()
                .any(|a| a.as_ref().is_ok_and(|e| e.response.status == 429));
            answers.extend(wave);
            if limited {
                break;
            }
        }
        (answers, refused)
    }

    fn sourced_client(&self, address: IpAddr) -> Result<Client, ExecuteError> {
        let mut pool = self.sourced.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = pool.get(&address) {
            return Ok(client.clone());
        }
        let client = Client::new(
            self.client.base_url(),
            ClientOptions {
                local_address: Some(address),
                ..self.client.options().clone()
            },
        )?;
        pool.insert(address, client.clone());
        Ok(client)
    }
}

/// How long to wait after a 429: `Retry-After` (seconds or an HTTP date is not parsed: the
/// default), else `X-RateLimit-Reset` (epoch seconds), else a second; never more than
/// [`MAX_BACK_OFF`], never a panic on a hostile value.
pub fn back_off(exchange: &Exchange, now: SystemTime) -> Duration {
    let response = &exchange.response;
    let seconds = |v: &str| v.trim().parse::<f64>().ok().filter(|s| s.is_finite());
    if let Some(s) = response.header("retry-after").and_then(seconds) {
        return clamp_secs(s);
    }
    if let Some(reset) = response.header("x-ratelimit-reset").and_then(seconds) {
        let now = now
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        return clamp_secs(reset - now);
    }
    DEFAULT_BACK_OFF
}

fn clamp_secs(s: f64) -> Duration {
    if !s.is_finite() {
        return DEFAULT_BACK_OFF;
    }
    Duration::try_from_secs_f64(s.clamp(0.0, MAX_BACK_OFF.as_secs_f64())).unwrap_or(MAX_BACK_OFF)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::execute::{Request, Response};

    fn answer(headers: &[(&str, &str)]) -> Exchange {
        Exchange {
            request: Request::new(crate::spec::Method::Get, "/"),
            response: Response {
                status: 429,
                headers: headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                body: Vec::new(),
                elapsed: Duration::ZERO,
            },
        }
    }

    #[test]
    fn hostile_retry_after_values_are_bounded() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        for value in [
            "1e999", "inf", "-inf", "nan", "NaN", "-1", "1e-320", "x", "",
        ] {
            let wait = back_off(&answer(&[("retry-after", value)]), now);
            assert!(wait <= MAX_BACK_OFF, "{value}: {wait:?}");
        }
        assert_eq!(
            back_off(&answer(&[("retry-after", "2")]), now),
            Duration::from_secs(2)
        );
        assert_eq!(
            back_off(&answer(&[("retry-after", "-1")]), now),
            Duration::ZERO
        );
        assert_eq!(
            back_off(&answer(&[("retry-after", "1e999")]), now),
            DEFAULT_BACK_OFF
        );
    }

    #[test]
    fn rate_limit_reset_is_epoch_seconds() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        assert_eq!(
            back_off(&answer(&[("x-ratelimit-reset", "1003")]), now),
            Duration::from_secs(3)
        );
        assert_eq!(
            back_off(&answer(&[("x-ratelimit-reset", "999999999999")]), now),
            MAX_BACK_OFF
        );
        assert_eq!(back_off(&answer(&[]), now), DEFAULT_BACK_OFF);
    }
}
