//! Runs one case: recipe → requests → execute → checks → an [`Outcome`].

use std::time::Instant;

use super::context::RunContext;
use super::event::{CaseResult, Outcome};
use crate::check::{CheckContext, run_all};
use crate::plan::{Case, Readiness};

/// Runs `case` to a verdict. Never panics on what the server does.
pub async fn run_case(cx: &RunContext, case: &Case) -> CaseResult {
    let started = Instant::now();
    let op = &cx.doc.operations[case.operation];
    let mut result = CaseResult {
        id: case.id.clone(),
        name: case.display.clone(),
        operation: op.id(),
        status: case.status.to_string(),
        recipe: case.recipe,
        outcome: Outcome::Passed,
        duration: Default::default(),
        requests: 0,
        exchange: None,
        curl: None,
        rerun: cx.rerun_command(&case.id),
    };
    if let Readiness::Ignored(reason) = &case.readiness {
        result.outcome = Outcome::Ignored {
            reason: reason.clone(),
        };
        return result;
    }
    let requests = match crate::recipe::build(op, case) {
        Ok(requests) => requests,
        Err(message) => {
            result.outcome = Outcome::Error {
                message: format!("recipe: {message}"),
            };
            return result;
        }
    };
    for request in requests {
        result.requests += 1;
        let exchange = match cx.client.send(&request).await {
            Ok(exchange) => exchange,
            Err(error) => {
                result.curl = Some(cx.redactor.redact(&request.to_curl(cx.client.base_url())));
                result.outcome = Outcome::Error {
                    message: format!("{} {}: {error}", request.method, request.path_and_query()),
                };
                break;
            }
        };
        let check_cx = CheckContext {
            operation: op,
            expected: case.status,
            exchange: &exchange,
        };
        let violations = run_all(&cx.checks, &check_cx);
        result.curl = Some(
            cx.redactor
                .redact(&exchange.request.to_curl(cx.client.base_url())),
        );
        result.exchange = Some(exchange);
        if !violations.is_empty() {
            result.outcome = Outcome::Failed { violations };
            break;
        }
    }
    result.duration = started.elapsed();
    result
}
