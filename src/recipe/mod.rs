//! Recipes: how each case provokes its status, turned into concrete requests.
//!
//! Sits between `plan` (which case) and `execute` (send it): a recipe reads the operation, the
//! case's class and what the generators can build, and either yields requests or says why no
//! request can provoke the status.

use crate::execute::Request;
use crate::plan::{Case, Readiness, Recipe};
use crate::spec::{Method, Operation, ParamLocation};

/// Methods tried, in order, for a 405 recipe: ordinary ones a server routes, never HEAD/OPTIONS/TRACE
/// (which frameworks answer on their own).
const METHOD_NOT_ALLOWED_CANDIDATES: [Method; 5] = [
    Method::Patch,
    Method::Put,
    Method::Delete,
    Method::Post,
    Method::Get,
];

/// Decides whether a case's recipe can be built.
pub fn assess(op: &Operation, case: &Case) -> Readiness {
    match case.recipe {
        Recipe::MethodNotAllowed => match undeclared_method(op) {
            Some(_) => Readiness::Runnable,
            None => Readiness::Ignored(format!(
                "{} declares every ordinary method, so none is left to provoke 405",
                op.path
            )),
        },
        Recipe::Success if !needs_inputs(op) => Readiness::Runnable,
        Recipe::Other => Readiness::Ignored(format!(
            "no recipe provokes status {}: it needs a recipe from a suite",
            case.status
        )),
        _ => Readiness::Ignored(format!(
            "the {} recipe needs request generators, which are not built yet",
            case.recipe
        )),
    }
}

/// The requests a runnable case sends.
pub fn build(op: &Operation, case: &Case) -> Result<Vec<Request>, String> {
    match case.recipe {
        Recipe::MethodNotAllowed => {
            let method = undeclared_method(op).ok_or("no undeclared method left")?;
            Ok(vec![Request::new(method, expand_path(op, "conform"))])
        }
        Recipe::Success if !needs_inputs(op) => {
            Ok(vec![Request::new(op.method, expand_path(op, "conform"))])
        }
        _ => Err(format!("no {} recipe for {}", case.recipe, case.id)),
    }
}

/// A method the path does not declare, if any.
pub fn undeclared_method(op: &Operation) -> Option<Method> {
    METHOD_NOT_ALLOWED_CANDIDATES
        .into_iter()
        .find(|m| !op.path_methods.contains(m))
}

fn needs_inputs(op: &Operation) -> bool {
    op.parameters.iter().any(|p| p.required) || op.request_body.as_ref().is_some_and(|b| b.required)
}

/// The path with every `{param}` replaced by `filler`.
fn expand_path(op: &Operation, filler: &str) -> String {
    let mut path = op.path.clone();
    for p in op
        .parameters
        .iter()
        .filter(|p| p.location == ParamLocation::Path)
    {
        path = path.replace(&format!("{{{}}}", p.name), filler);
    }
    path
}
