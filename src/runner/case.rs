//! Runs one case: recipe → requests → the gate → checks → an [`Outcome`]. Every answer is
//! judged: one that breaks the document fails the case; a conforming answer with another
//! documented status leaves it unreached (a failure only where the suite asserts the status);
//! a 429 the case did not ask for is backed off, then unreached. Generative cases send several
//! seeded examples, and a failing one is shrunk to a smaller request that fails the same way.

use std::time::Instant;

use super::context::RunContext;
use super::flows::{FlowError, FlowFailure};
use super::shrink::{Place, shrink};
use crate::check::expected_status::{Reach, must_reach, reach, why_unreached};
use crate::check::{CheckId, Violation, rate_limit, xfail};
use crate::event::{CaseResult, Outcome, ResultKind};
use crate::execute::{Exchange, On429, Request, Tally};
use crate::generate::GeneratedRequest;
use crate::plan::{Case, Readiness};
use crate::recipe::{
    CaseRecipe, Keep, PATH_FILLER, ResolvedInputs, Shape, filled_path, finish, violation_target,
    with_method,
};
use crate::spec::{Operation, ParamLocation, StatusSpec};

/// Requests a failing case may spend on shrinking.
pub const SHRINK_BUDGET: usize = 48;
/// The most of a response body a result keeps for reports; the rest is counted, not kept.
pub const BODY_EXCERPT: usize = 16 * 1024;

/// What one case ended with.
enum Verdict {
    Pass(Exchange),
    Fail(Exchange, Vec<Violation>),
    Unreached(Exchange, u16, String),
    /// A flow the case needs broke the document at one of its steps.
    Blocked(Box<FlowFailure>),
    Error(String, Option<Request>),
}

/// How one answer relates to the case.
enum Answer {
    /// It broke the document (or, where the suite asserts it, missed the case's status).
    Violated(Vec<Violation>),
    Reached,
    /// Another documented status, and the answer conforms.
    Other(u16),
    /// A 429 the case did not ask for, after backing off.
    RateLimited,
}

/// What identifies a failure while shrinking: its first check and the status it came with.
type Signature = (CheckId, u16);

/// The judge of one case's answers.
struct Judge<'a> {
    cx: &'a RunContext,
    op: &'a Operation,
    recipe: &'a CaseRecipe,
    case: &'a Case,
    strict: bool,
}

impl Judge<'_> {
    fn expects_429(&self) -> bool {
        self.recipe.expected == StatusSpec::Code(429)
    }

    fn judge(&self, exchange: &Exchange) -> Answer {
        let status = exchange.response.status;
        if status == 429 && !self.expects_429() {
            return Answer::RateLimited;
        }
        let violations = self.cx.check(self.op, self.recipe.expected, exchange);
        if !violations.is_empty() {
            return Answer::Violated(violations);
        }
        match reach(self.op, self.recipe.expected, status) {
            Reach::Reached => Answer::Reached,
            Reach::Other(status) if self.strict => Answer::Violated(vec![must_reach(
                self.recipe.expected,
                status,
                &why_unreached(self.case.recipe, status),
            )]),
            Reach::Other(status) => Answer::Other(status),
        }
    }

    /// The verdict of a case that sent one request.
    fn verdict(&self, exchange: Exchange) -> Verdict {
        match self.judge(&exchange) {
            Answer::Violated(violations) => Verdict::Fail(exchange, violations),
            Answer::Reached => Verdict::Pass(exchange),
            Answer::Other(status) => {
                let why = why_unreached(self.case.recipe, status);
                Verdict::Unreached(exchange, status, why)
            }
            Answer::RateLimited => self.rate_limited(exchange),
        }
    }

    fn rate_limited(&self, exchange: Exchange) -> Verdict {
        let why = why_unreached(self.case.recipe, 429);
        if self.strict {
            // Never a contract failure; in a strict suite not a quiet pass either.
            let request = exchange.request.clone();
            return Verdict::Error(
                format!("{why}: the status could not be reached"),
                Some(request),
            );
        }
        Verdict::Unreached(exchange, 429, why)
    }
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
    let tally = Tally::default();
    let verdict = match cx.recipes.recipe(case) {
        Err(message) => Verdict::Error(format!("recipe: {message}"), None),
        Ok(recipe) => match cx.resolve(&recipe.inputs, Some(case), 0) {
            Err(FlowError::Error(message)) => Verdict::Error(message, None),
            Err(FlowError::Failed(failure)) => {
                result.outcome = Outcome::Blocked {
                    flow: failure.test_id(),
                    message: failure.message(),
                };
                result.duration = started.elapsed();
                return result;
            }
            Ok(inputs) => {
                if let Some(reason) = &recipe.expected_reason {
                    result.note = Some(format!("expects {} instead: {reason}", recipe.expected));
                }
                let judge = Judge {
                    cx,
                    op,
                    recipe: &recipe,
                    case,
                    strict: cx.info.strict || recipe.must_reach,
                };
                let verdict = run_recipe(&judge, &inputs, &mut result, &tally);
                let verdict = verify(cx, case, verdict, &inputs, &tally);
                let verdict = apply_xfail(verdict, &recipe, &mut result);
                if matches!(verdict, Verdict::Pass(_)) {
                    result.convention = recipe.convention.clone();
                }
                verdict
            }
        },
    };
    result.requests = tally.count();
    match verdict {
        Verdict::Pass(exchange) => set_exchange(cx, &mut result, exchange),
        Verdict::Fail(exchange, violations) => {
            set_exchange(cx, &mut result, exchange);
            result.outcome = Outcome::Failed { violations };
        }
        Verdict::Unreached(exchange, status, reason) => {
            set_exchange(cx, &mut result, exchange);
            result.outcome = Outcome::Unreached { status, reason };
        }
        Verdict::Blocked(failure) => {
            result.outcome = Outcome::Blocked {
                flow: failure.test_id(),
                message: failure.message(),
            };
        }
        Verdict::Error(message, request) => {
            result.curl = request.map(|r| cx.curl(&r));
            result.outcome = Outcome::Error { message };
        }
    }
    result.duration = started.elapsed();
    result
}

/// A case's result before anything was sent: ids, names and the rerun command.
pub fn blank_result(cx: &RunContext, case: &Case, outcome: Outcome) -> CaseResult {
    let mut result = CaseResult::blank(
        &case.id,
        ResultKind::Case,
        case.display.clone(),
        cx.doc.operations[case.operation].id(),
        case.recipe,
        cx.rerun_command(&case.id),
    );
    result.status = case.status.to_string();
    result.outcome = outcome;
    result
}

/// Keeps the deciding exchange, its body cut to an excerpt: a run's memory grows with its
/// concurrency, not with its number of cases.
pub fn set_exchange(cx: &RunContext, result: &mut CaseResult, exchange: Exchange) {
    // Secrets as shell variables in the curl line; the exchange masked by name on the
    // structure first, and again as text when rendered.
    result.curl = Some(cx.curl(&exchange.request));
    let mut exchange = cx.redactor.exchange(&exchange);
    let body = &mut exchange.response.body;
    if body.len() > BODY_EXCERPT {
        result.body_bytes = Some(body.len());
        body.truncate(BODY_EXCERPT);
        body.shrink_to_fit();
    }
    result.exchange = Some(exchange);
}

/// After a pass, the suite's verification flows check the case's effect.
fn verify(
    cx: &RunContext,
    case: &Case,
    verdict: Verdict,
    inputs: &ResolvedInputs,
    tally: &Tally,
) -> Verdict {
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
        match cx.verify(&flow, &inputs.fixed, tally) {
            Ok(_) => {}
            // A step whose answer broke the document is the root cause, reported once as the
            // flow's own test; a step that got a conforming answer it did not want means the
            // property the flow verifies does not hold: the case fails.
            Err(FlowError::Failed(failure))
                if failure.violations.iter().all(|v| v.check != CheckId::Flow) =>
            {
                cx.flows.record(&failure);
                return Verdict::Blocked(failure);
            }
            Err(FlowError::Failed(failure)) => return Verdict::Fail(exchange, failure.violations),
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
        Verdict::Pass(exchange) => Verdict::Fail(exchange, vec![xfail::passed(reason)]),
        other => other,
    }
}

fn run_recipe(
    judge: &Judge<'_>,
    inputs: &ResolvedInputs,
    result: &mut CaseResult,
    tally: &Tally,
) -> Verdict {
    let Judge {
        cx,
        op,
        recipe,
        case,
        ..
    } = *judge;
    let plan = match cx.recipes.request_plan(op, &recipe.inputs) {
        Ok(plan) => plan,
        Err(e) => return Verdict::Error(format!("no request can be generated: {e}"), None),
    };
    let required = cx.required_body(op, plan.media_type());
    let on_429 = if judge.expects_429() {
        On429::Return
    } else {
        On429::BackOff
    };
    let key = op.id();
    let send_one = |request: Request, sent: &mut Vec<String>| -> Verdict {
        sent.push(describe(&cx.redactor.request(&request)));
        match cx.gate.send(&key, &request, tally, on_429) {
            Ok(exchange) => judge.verdict(exchange),
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
            let request = minimal(&[])
                .unwrap_or_else(|_| Request::new(op.method, filled_path(op, PATH_FILLER)));
            send_one(with_method(request, *method), &mut result.sent)
        }
        Shape::Minimal => match minimal(&[]) {
            Ok(request) => send_one(request, &mut result.sent),
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
                Ok(request) => send_one(request, &mut result.sent),
                Err(e) => Verdict::Error(format!("no request can be generated: {e}"), None),
            }
        }
        Shape::Burst { burst, source } => {
            let request = match minimal(&[]) {
                Ok(request) => request,
                Err(e) => return Verdict::Error(format!("no request can be generated: {e}"), None),
            };
            run_burst(judge, request, *burst as usize, *source, result, tally)
        }
        Shape::Generative(mode) => {
            let examples = match mode {
                // The document's examples first, then generated requests (every documented
                // media type in turn when the plan explores).
                crate::generate::Mode::Valid => {
                    let linked = linked_values(judge, tally, &mut result.sent);
                    plan.valid_candidates(&inputs.fixed, &linked, cx.examples, |s, suffix, n| {
                        cx.samples(s, &format!("{}{suffix}", case.id), n)
                    })
                }
                crate::generate::Mode::Invalid => match plan.invalid(&inputs.fixed) {
                    Some(strategy) => cx.samples(&strategy, &case.id, cx.examples),
                    None => return Verdict::Error("nothing to make invalid".into(), None),
                },
            };
            let examples = match examples {
                Ok(examples) => examples,
                Err(e) => return Verdict::Error(format!("generation gave up: {e}"), None),
            };
            run_examples(judge, examples, inputs, &required, result, tally)
        }
    }
}

/// Values OpenAPI `links` say come from another operation's response (no suite only, see
/// [`crate::recipe::RecipeBook::links`]): each link's source is called once with its first
/// valid candidate (the document's example when there is one) and, when it answers the
/// link's status, the linked parameters are read from its body. The source calls are listed
/// with the case's requests; the source's own cases judge its answers.
fn linked_values(
    judge: &Judge<'_>,
    tally: &Tally,
    sent: &mut Vec<String>,
) -> Vec<indexmap::IndexMap<String, serde_json::Value>> {
    let (cx, op) = (judge.cx, judge.op);
    let mut found = Vec::new();
    for (link, inputs) in cx.recipes.links(op) {
        let source = &cx.doc.operations[link.source];
        let (Ok(resolved), Ok(plan)) = (
            cx.resolve(&inputs, None, 0),
            cx.recipes.request_plan(source, &inputs),
        ) else {
            continue;
        };
        let key = format!("link/{}/{}", link.name, op.id());
        let first = plan
            .valid_candidates(&resolved.fixed, &[], 1, |s, suffix, n| {
                cx.samples(s, &format!("{key}{suffix}"), n)
            })
            .ok()
            .and_then(|c| c.into_iter().next());
        let Some(generated) = first else { continue };
        let required = cx.required_body(source, plan.media_type());
        let request = finish(source, &generated, &resolved, Keep::All, &required);
        sent.push(describe(&cx.redactor.request(&request)));
        let Ok(exchange) = cx.gate.send(&source.id(), &request, tally, On429::BackOff) else {
            continue;
        };
        let body: Option<serde_json::Value> = link
            .status
            .matches(exchange.response.status)
            .then(|| serde_json::from_slice(&exchange.response.body).ok())
            .flatten();
        let values: indexmap::IndexMap<String, serde_json::Value> = link
            .parameters
            .iter()
            .filter_map(|(name, pointer)| {
                Some((name.clone(), body.as_ref()?.pointer(pointer)?.clone()))
            })
            .collect();
        if !values.is_empty() && values.len() == link.parameters.len() {
            found.push(values);
        }
    }
    found
}

/// Sends the examples in order; the first that breaks the document is shrunk and decides.
fn run_examples(
    judge: &Judge<'_>,
    examples: Vec<GeneratedRequest>,
    inputs: &ResolvedInputs,
    required: &[String],
    result: &mut CaseResult,
    tally: &Tally,
) -> Verdict {
    let (cx, op) = (judge.cx, judge.op);
    let key = op.id();
    let on_429 = if judge.expects_429() {
        On429::Return
    } else {
        On429::BackOff
    };
    let mut reached: Option<Exchange> = None;
    let mut other: Option<(Exchange, u16)> = None;
    let mut limited: Option<Exchange> = None;
    for generated in examples {
        let request = finish(op, &generated, inputs, Keep::All, required);
        result.sent.push(describe(&cx.redactor.request(&request)));
        let exchange = match cx.gate.send(&key, &request, tally, on_429) {
            Ok(exchange) => exchange,
            Err(e) => {
                let message = format!("{} {}: {e}", request.method, request.path_and_query());
                return Verdict::Error(message, Some(request));
            }
        };
        match judge.judge(&exchange) {
            Answer::Violated(violations) => {
                let signature = (violations[0].check, exchange.response.status);
                result.violation_sought = generated.violation.clone();
                let (exchange, violations) = shrink_failure(
                    judge, &generated, signature, exchange, violations, inputs, required, result,
                    tally,
                );
                return Verdict::Fail(exchange, violations);
            }
            Answer::Reached => reached = Some(exchange),
            Answer::Other(status) => {
                if other.is_none() {
                    other = Some((exchange, status));
                }
            }
            Answer::RateLimited => limited = Some(exchange),
        }
    }
    match (reached, other, limited) {
        (Some(exchange), _, _) => Verdict::Pass(exchange),
        (None, Some((exchange, status)), _) => {
            let why = why_unreached(judge.case.recipe, status);
            Verdict::Unreached(exchange, status, why)
        }
        (None, None, Some(exchange)) => judge.rate_limited(exchange),
        (None, None, None) => Verdict::Error("no example was sent".into(), None),
    }
}

/// The smallest request found that fails with the same check and status, and its answer.
#[allow(clippy::too_many_arguments)]
fn shrink_failure(
    judge: &Judge<'_>,
    generated: &GeneratedRequest,
    signature: Signature,
    exchange: Exchange,
    violations: Vec<Violation>,
    inputs: &ResolvedInputs,
    required: &[String],
    result: &mut CaseResult,
    tally: &Tally,
) -> (Exchange, Vec<Violation>) {
    let (cx, op) = (judge.cx, judge.op);
    let key = op.id();
    let target = generated.violation.as_deref().and_then(violation_target);
    let keep = |place: Place, name: &str| {
        if target.as_deref() == Some(name) || inputs.fixed.contains_key(name) {
            return true;
        }
        let location = match place {
            Place::Query => ParamLocation::Query,
            Place::Header => ParamLocation::Header,
            Place::Cookie => ParamLocation::Cookie,
            Place::Body => return required.iter().any(|r| r == name),
        };
        op.parameters
            .iter()
            .any(|p| p.required && p.location == location && p.name.eq_ignore_ascii_case(name))
    };
    let mut smallest = (exchange, violations);
    let mut still_fails = |candidate: &GeneratedRequest| -> bool {
        let request = finish(op, candidate, inputs, Keep::All, required);
        result.sent.push(describe(&cx.redactor.request(&request)));
        let on_429 = if judge.expects_429() {
            On429::Return
        } else {
            On429::BackOff
        };
        let Ok(exchange) = cx.gate.send(&key, &request, tally, on_429) else {
            return false;
        };
        match judge.judge(&exchange) {
            Answer::Violated(violations)
                if (violations[0].check, exchange.response.status) == signature =>
            {
                smallest = (exchange, violations);
                true
            }
            _ => false,
        }
    };
    shrink(generated, &keep, SHRINK_BUDGET, &mut still_fails);
    smallest
}

/// A 429 case: a bounded burst through the gate. Every answer is checked; one that breaks the
/// document before the limit bites fails the case, named as such.
fn run_burst(
    judge: &Judge<'_>,
    request: Request,
    limit: usize,
    source: Option<std::net::IpAddr>,
    result: &mut CaseResult,
    tally: &Tally,
) -> Verdict {
    let cx = judge.cx;
    let (answers, refused) = cx
        .gate
        .burst(&judge.op.id(), &request, limit, source, tally);
    result.sent.push(format!(
        "{} (×{})",
        describe(&cx.redactor.request(&request)),
        answers.len()
    ));
    // The first answer that broke the document before the limit bit, and how many more did.
    let mut early: Option<(Exchange, Vec<Violation>)> = None;
    let mut more = 0;
    let mut last = None;
    for (nth, answer) in answers.into_iter().enumerate() {
        let exchange = match answer {
            Ok(exchange) => exchange,
            Err(e) => return Verdict::Error(format!("burst: {e}"), Some(request)),
        };
        if exchange.response.status == 429 {
            let before = early.map(|(e, v)| (e, rate_limit::and_more(v, more)));
            return match (judge.verdict(exchange), before) {
                (Verdict::Fail(exchange, mut violations), Some((_, before))) => {
                    violations.extend(before);
                    Verdict::Fail(exchange, violations)
                }
                (_, Some((exchange, before))) => Verdict::Fail(exchange, before),
                (verdict, None) => verdict,
            };
        }
        let violations: Vec<Violation> = cx
            .check(judge.op, judge.recipe.expected, &exchange)
            .into_iter()
            .map(|v| rate_limit::during_burst(v, nth + 1))
            .collect();
        if !violations.is_empty() {
            if early.is_none() {
                early = Some((exchange.clone(), violations));
            } else {
                more += 1;
            }
        }
        last = Some(exchange);
    }
    if let Some((exchange, violations)) = early {
        return Verdict::Fail(exchange, rate_limit::and_more(violations, more));
    }
    if let Some(e) = refused {
        return Verdict::Error(format!("burst stopped before any 429: {e}"), Some(request));
    }
    let Some(exchange) = last else {
        return Verdict::Error("empty burst".into(), Some(request));
    };
    let status = exchange.response.status;
    let sent = result.requests.max(tally.count());
    if judge.strict {
        return Verdict::Fail(exchange, vec![rate_limit::no_429(sent, status)]);
    }
    let why = format!("no 429 after a burst of {sent} requests");
    Verdict::Unreached(exchange, status, why)
}

/// One line per request sent, for the report and the same-seed comparison.
pub(super) fn describe(request: &Request) -> String {
    let mut line = format!("{} {}", request.method, request.path_and_query());
    for (k, v) in &request.headers {
        line.push_str(&format!(" [{k}: {v}]"));
    }
    if let Some(body) = &request.body {
        let text = String::from_utf8_lossy(&body.bytes);
        line.push_str(&format!(" {}", crate::check::shorten(&text, 2_000)));
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
