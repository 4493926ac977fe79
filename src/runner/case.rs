//! Runs one case: recipe → requests → execute → checks → an [`Outcome`]. Generative cases run
//! several seeded examples through proptest, and a failing one is shrunk to a minimal request.

use std::cell::RefCell;
use std::time::Instant;

use proptest::test_runner::{TestCaseError, TestError};

use super::context::RunContext;
use super::event::{CaseResult, Outcome};
use super::flows::FlowError;
use crate::check::Violation;
use crate::execute::{Exchange, Request};
use crate::generate::GeneratedRequest;
use crate::plan::{Case, Readiness};
use crate::recipe::{
    CaseRecipe, Keep, PATH_FILLER, ResolvedInputs, Shape, filled_path, finish, with_method,
};
use crate::spec::{Operation, ParamLocation, StatusSpec};

/// The failing exchange of a generative case, its violations, and what its request broke on
/// purpose.
type Failing = (Exchange, Vec<Violation>, Option<String>);

/// Requests of a rate-limit burst sent at once.
const BURST_WAVE: usize = 100;

/// What one example ended with.
enum Verdict {
    Pass(Exchange),
    Fail(Exchange, Vec<Violation>),
    Error(String, Option<Request>),
}

/// Runs `case` to a verdict. Never panics on what the server does.
pub fn run_case(cx: &RunContext, case: &Case) -> CaseResult {
    let started = Instant::now();
    let op = &cx.doc.operations[case.operation];
    let mut result = blank_result(cx, case, Outcome::Passed);

    if let Readiness::Ignored(reason) = &case.readiness {
        result.outcome = Outcome::Ignored {
            reason: reason.clone(),
        };
        return result;
    }
    let before = cx.sent.load(std::sync::atomic::Ordering::Relaxed);
    let verdict = match cx.recipes.recipe(case) {
        Err(message) => Verdict::Error(format!("recipe: {message}"), None),
        Ok(recipe) => match cx.resolve(&recipe.inputs, Some(case), 0) {
            Err(FlowError::Error(message)) => Verdict::Error(message, None),
            Err(FlowError::Failed(violations)) => {
                result.outcome = Outcome::Failed { violations };
                result.duration = started.elapsed();
                return result;
            }
            Ok(inputs) => {
                if let Some(reason) = &recipe.expected_reason {
                    result.note = Some(format!("expects {} instead: {reason}", recipe.expected));
                }
                let verdict = run_recipe(cx, case, op, &recipe, &inputs, &mut result);
                let verdict = verify(cx, case, verdict, &inputs);
                apply_xfail(verdict, &recipe, &mut result)
            }
        },
    };
    result.requests = cx
        .sent
        .load(std::sync::atomic::Ordering::Relaxed)
        .saturating_sub(before);
    match verdict {
        Verdict::Pass(exchange) => set_exchange(cx, &mut result, exchange),
        Verdict::Fail(exchange, violations) => {
            set_exchange(cx, &mut result, exchange);
            result.outcome = Outcome::Failed { violations };
        }
        Verdict::Error(message, request) => {
            result.curl = request.map(|r| cx.redactor.redact(&r.to_curl(cx.client.base_url())));
            result.outcome = Outcome::Error { message };
        }
    }
    result.duration = started.elapsed();
    result
}

/// A case's result before anything was sent: ids, names and the rerun command.
pub(crate) fn blank_result(cx: &RunContext, case: &Case, outcome: Outcome) -> CaseResult {
    CaseResult {
        id: case.id.clone(),
        name: case.display.clone(),
        operation: cx.doc.operations[case.operation].id(),
        status: case.status.to_string(),
        recipe: case.recipe,
        outcome,
        duration: Default::default(),
        requests: 0,
        exchange: None,
        curl: None,
        rerun: cx.rerun_command(&case.id),
        violation_sought: None,
        sent: Vec::new(),
        note: None,
    }
}

fn set_exchange(cx: &RunContext, result: &mut CaseResult, exchange: Exchange) {
    result.curl = Some(
        cx.redactor
            .redact(&exchange.request.to_curl(cx.client.base_url())),
    );
    result.exchange = Some(exchange);
}

/// After a pass, the suite's verification flows check the case's effect.
fn verify(cx: &RunContext, case: &Case, verdict: Verdict, inputs: &ResolvedInputs) -> Verdict {
    let Verdict::Pass(exchange) = verdict else {
        return verdict;
    };
    let flows = cx
        .recipes
        .suite()
        .and_then(|s| s.file.cases.get(&case.id))
        .map(|c| c.verify.clone())
        .unwrap_or_default();
    for flow in flows {
        match cx.verify(&flow, &inputs.fixed) {
            Ok(_) => {}
            Err(FlowError::Failed(violations)) => return Verdict::Fail(exchange, violations),
            Err(FlowError::Error(message)) => return Verdict::Error(message, None),
        }
    }
    Verdict::Pass(exchange)
}

/// An expected failure that fails passes (noted); one that passes fails, so the list stays true.
fn apply_xfail(verdict: Verdict, recipe: &CaseRecipe, result: &mut CaseResult) -> Verdict {
    let Some(reason) = &recipe.xfail else {
        return verdict;
    };
    match verdict {
        Verdict::Fail(exchange, violations) => {
            let first = violations
                .first()
                .map(|v| v.to_string())
                .unwrap_or_default();
            result.note = Some(format!("expected failure ({reason}): {first}"));
            Verdict::Pass(exchange)
        }
        Verdict::Pass(exchange) => Verdict::Fail(
            exchange,
            vec![Violation::new(
                "xfail",
                format!("marked xfail ({reason}) but it passed: remove the xfail from the suite"),
            )],
        ),
        error => error,
    }
}

fn run_recipe(
    cx: &RunContext,
    case: &Case,
    op: &Operation,
    recipe: &CaseRecipe,
    inputs: &ResolvedInputs,
    result: &mut CaseResult,
) -> Verdict {
    let plan = match cx.recipes.request_plan(op, &recipe.inputs) {
        Ok(plan) => plan,
        Err(e) => return Verdict::Error(format!("no request can be generated: {e}"), None),
    };
    let required = cx.required_body(op, plan.media_type());
    let expect_429 = recipe.expected == StatusSpec::Code(429);
    let check = |exchange: Exchange| -> Verdict {
        let violations = cx.check(op, recipe.expected, &exchange);
        if violations.is_empty() {
            Verdict::Pass(exchange)
        } else {
            Verdict::Fail(exchange, violations)
        }
    };
    let one = |request: Request, sent: &mut Vec<String>| -> Verdict {
        sent.push(describe(&request));
        match cx.send(&op.id(), &request, expect_429) {
            Ok(exchange) => check(exchange),
            Err(e) => Verdict::Error(
                format!("{} {}: {e}", request.method, request.path_and_query()),
                Some(request),
            ),
        }
    };
    // One request: required inputs generated, suite inputs pinned; `overrides` win over both.
    let minimal = |overrides: &[(String, serde_json::Value)]| -> Result<Request, String> {
        let mut inputs = inputs.clone();
        for (k, v) in overrides {
            inputs.fixed.insert(k.clone(), v.clone());
        }
        let generated: GeneratedRequest = cx.sample(&plan.valid(&inputs.fixed), &case.id)?;
        Ok(finish(op, &generated, &inputs, Keep::Required, &required))
    };
    match &recipe.shape {
        Shape::WrongMethod(method) => {
            let request = minimal(&[]).unwrap_or_else(|_| {
                crate::execute::Request::new(op.method, filled_path(op, PATH_FILLER))
            });
            one(with_method(request, *method), &mut result.sent)
        }
        Shape::Minimal => match minimal(&[]) {
            Ok(request) => one(request, &mut result.sent),
            Err(e) => Verdict::Error(format!("no request can be generated: {e}"), None),
        },
        Shape::UnknownIds => {
            let unknown: Vec<(String, serde_json::Value)> = op
                .parameters
                .iter()
                .filter(|p| p.location == ParamLocation::Path)
                .map(|p| {
                    (
                        p.name.clone(),
                        serde_json::Value::String(format!(
                            "conform-unknown-{}",
                            short_hash(&case.id, cx.info.seed)
                        )),
                    )
                })
                .collect();
            match minimal(&unknown) {
                Ok(request) => one(request, &mut result.sent),
                Err(e) => Verdict::Error(format!("no request can be generated: {e}"), None),
            }
        }
        Shape::Burst { burst, source } => {
            let request = match minimal(&[]) {
                Ok(request) => request,
                Err(e) => return Verdict::Error(format!("no request can be generated: {e}"), None),
            };
            let client = match source {
                Some(address) => match crate::execute::Client::new(
                    cx.client.base_url(),
                    crate::execute::ClientOptions {
                        local_address: Some(*address),
                        ..crate::execute::ClientOptions::default()
                    },
                ) {
                    Ok(client) => client,
                    Err(e) => return Verdict::Error(format!("burst client: {e}"), None),
                },
                None => cx.client.clone(),
            };
            // In waves sent at once (a sequential burst can be slower than a bucket refills),
            // until the server answers 429 or the burst is spent.
            let mut answers = Vec::new();
            let mut left = *burst as usize;
            while left > 0
                && !answers.iter().any(|a: &Result<Exchange, _>| {
                    a.as_ref().is_ok_and(|e| e.response.status == 429)
                })
            {
                let wave = left.min(BURST_WAVE);
                left -= wave;
                result.sent.extend((0..wave).map(|_| describe(&request)));
                cx.sent
                    .fetch_add(wave, std::sync::atomic::Ordering::Relaxed);
                answers.extend(cx.handle.block_on(async {
                    let mut set = tokio::task::JoinSet::new();
                    for _ in 0..wave {
                        let (client, request) = (client.clone(), request.clone());
                        set.spawn(async move { client.send(&request).await });
                    }
                    let mut answers = Vec::new();
                    while let Some(joined) = set.join_next().await {
                        answers.push(
                            joined
                                .map_err(|e| crate::execute::ExecuteError::Transport(e.to_string()))
                                .and_then(|r| r),
                        );
                    }
                    answers
                }));
            }
            let mut last = None;
            for answer in answers {
                match answer {
                    Ok(exchange) if exchange.response.status == 429 => return check(exchange),
                    Ok(exchange) => last = Some(exchange),
                    Err(e) => return Verdict::Error(format!("burst: {e}"), Some(request)),
                }
            }
            match last {
                Some(exchange) => Verdict::Fail(
                    exchange,
                    vec![Violation::new(
                        "expected_status",
                        format!("no 429 after a burst of {burst} requests"),
                    )],
                ),
                None => Verdict::Error("empty burst".into(), Some(request)),
            }
        }
        Shape::Generative(mode) => {
            let strategy = match mode {
                crate::generate::Mode::Valid => plan.valid(&inputs.fixed),
                crate::generate::Mode::Invalid => match plan.invalid(&inputs.fixed) {
                    Some(strategy) => strategy,
                    None => return Verdict::Error("nothing to make invalid".into(), None),
                },
            };
            let mut runner = cx.test_runner(&case.id, cx.examples);
            // The last failing exchange is the minimal one: shrinking keeps only simpler
            // requests that still fail.
            let failing: RefCell<Option<Failing>> = RefCell::new(None);
            let error: RefCell<Option<(String, Request)>> = RefCell::new(None);
            let last_pass: RefCell<Option<Exchange>> = RefCell::new(None);
            let sent = RefCell::new(Vec::new());
            let outcome = runner.run(&strategy, |generated| {
                if error.borrow().is_some() {
                    return Ok(()); // a harness error ends the case; do not shrink towards it
                }
                let request = finish(op, &generated, inputs, Keep::All, &required);
                sent.borrow_mut().push(describe(&request));
                match cx.send(&op.id(), &request, expect_429) {
                    Err(e) => {
                        *error.borrow_mut() = Some((
                            format!("{} {}: {e}", request.method, request.path_and_query()),
                            request,
                        ));
                        Ok(())
                    }
                    Ok(exchange) => {
                        let violations = cx.check(op, recipe.expected, &exchange);
                        if violations.is_empty() {
                            *last_pass.borrow_mut() = Some(exchange);
                            Ok(())
                        } else {
                            let summary = violations[0].message.clone();
                            *failing.borrow_mut() =
                                Some((exchange, violations, generated.violation.clone()));
                            Err(TestCaseError::fail(summary))
                        }
                    }
                }
            });
            result.sent = sent.into_inner();
            if let Some((message, request)) = error.into_inner() {
                return Verdict::Error(message, Some(request));
            }
            match (outcome, failing.into_inner()) {
                (Err(TestError::Fail(..)), Some((exchange, violations, sought))) => {
                    result.violation_sought = sought;
                    Verdict::Fail(exchange, violations)
                }
                (Err(TestError::Abort(reason)), _) => {
                    Verdict::Error(format!("generation gave up: {reason}"), None)
                }
                (_, _) => match last_pass.into_inner() {
                    Some(exchange) => Verdict::Pass(exchange),
                    None => Verdict::Error("no example was sent".into(), None),
                },
            }
        }
    }
}

/// One line per request sent, for the report and the same-seed comparison.
fn describe(request: &Request) -> String {
    let mut line = format!("{} {}", request.method, request.path_and_query());
    for (k, v) in &request.headers {
        line.push_str(&format!(" [{k}: {v}]"));
    }
    if let Some(body) = &request.body {
        line.push_str(&format!(" {}", String::from_utf8_lossy(&body.bytes)));
    }
    line
}

fn short_hash(key: &str, seed: u64) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", h as u32)
}
