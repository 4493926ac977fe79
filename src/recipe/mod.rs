//! Recipes: how each case provokes its status.
//!
//! Sits between `plan` (which case) and `execute` (send it): a recipe reads the operation, the
//! case's class, what the generators can build and what the suite supplies, and either names the
//! [`Shape`] of the requests to send or says why no request can provoke the status.

mod auth;
mod build;
mod links;

pub use build::{
    Keep, PATH_FILLER, ResolvedInputs, filled_path, finish, required_in, required_properties,
    violation_target, with_method,
};

use std::net::IpAddr;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::generate::{Mode, RequestPlan};
use crate::plan::{Case, Readiness, Recipe};
use crate::schema::SchemaSet;
use crate::spec::{Document, Method, Operation, ParamLocation, StatusSpec};
use crate::suite::{Inputs, RecipeSettings, Suite};

/// Methods tried, in order, for a 405 recipe: ordinary ones a server routes, never HEAD/OPTIONS/TRACE
/// (which frameworks answer on their own).
const METHOD_NOT_ALLOWED_CANDIDATES: [Method; 5] = [
    Method::Patch,
    Method::Put,
    Method::Delete,
    Method::Post,
    Method::Get,
];

/// Generated examples per generative case when neither `--examples` nor the suite says.
pub const DEFAULT_EXAMPLES: u32 = 8;

/// The kind of requests a case sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// Generated requests (valid, or each with one schema violation), several examples, a
    /// failure shrunk to a minimal request.
    Generative(Mode),
    /// One request: required inputs generated, suite inputs pinned, nothing optional.
    Minimal,
    /// [`Shape::Minimal`] with unknown values for every path parameter the suite does not pin.
    UnknownIds,
    /// [`Shape::Minimal`] sent with a method the path does not declare.
    WrongMethod(Method),
    /// [`Shape::Minimal`] repeated until the server answers 429, at most `burst` times.
    Burst { burst: u32, source: Option<IpAddr> },
}

/// Everything needed to run one case.
#[derive(Debug, Clone)]
pub struct CaseRecipe {
    pub shape: Shape,
    /// Operation, recipe-class and case inputs merged (templates not yet expanded).
    pub inputs: Inputs,
    /// The status to expect: the case's, or the suite's `expect_status` with its reason.
    pub expected: StatusSpec,
    pub expected_reason: Option<String>,
    /// The case is known to fail, with why.
    pub xfail: Option<String>,
    /// The suite asserts the case reaches its status (`must_reach`).
    pub must_reach: bool,
    /// The reference convention the suite says provokes the status (case, else recipe class).
    pub convention: Option<String>,
}

pub use crate::suite::{SAFE_SIDE_EFFECTS, SIDE_EFFECTS};
pub use links::Link;

/// What may be sent: against a live target, only operations whose side effects are safe or
/// allowed.
#[derive(Debug, Clone, Default)]
pub struct Safety {
    pub live: bool,
    /// Classes the user allowed with `--allow`.
    pub allow: Vec<String>,
}

/// The recipes of one run: the document, its schemas, the suite and the safety rules.
pub struct RecipeBook {
    doc: Arc<Document>,
    schemas: Arc<SchemaSet>,
    suite: Option<Arc<Suite>>,
    safety: Safety,
    /// Headers for every request (`[suite] headers` with `--header` on top): the first layer.
    headers: IndexMap<String, String>,
}

impl RecipeBook {
    pub fn new(
        doc: Arc<Document>,
        schemas: Arc<SchemaSet>,
        suite: Option<Arc<Suite>>,
        safety: Safety,
    ) -> RecipeBook {
        RecipeBook {
            doc,
            schemas,
            suite,
            safety,
            headers: IndexMap::new(),
        }
    }

    /// The same book with headers for every request, laid under every other setting.
    pub fn with_headers(mut self, headers: IndexMap<String, String>) -> RecipeBook {
        self.headers = headers;
        self
    }

    pub fn safety(&self) -> &Safety {
        &self.safety
    }

    /// The side-effect class the suite gives an operation (`None`: unclassified).
    pub fn side_effect(&self, op: &Operation) -> Option<&str> {
        self.suite
            .as_ref()?
            .file
            .operations
            .get(&op.id())?
            .side_effect
            .as_deref()
    }

    /// A flow the case needs that calls an operation this target must not get.
    fn unsafe_flow(&self, op: &Operation, case: &Case) -> Option<String> {
        let suite = self.suite.as_ref()?;
        if !self.safety.live {
            return None;
        }
        let mut pending: Vec<String> = flow_references(&self.inputs(op, case));
        if let Some(settings) = suite.file.cases.get(&case.id) {
            pending.extend(settings.verify.iter().cloned());
        }
        let mut seen: Vec<String> = Vec::new();
        while let Some(name) = pending.pop() {
            if seen.contains(&name) {
                continue;
            }
            seen.push(name.clone());
            let Some(flow) = suite.file.flows.get(&name) else {
                continue;
            };
            for step in &flow.steps {
                pending.extend(flow_references(&step.inputs()));
                let Some(step_op) = step
                    .operation
                    .as_ref()
                    .and_then(|id| self.doc.operations.iter().find(|o| o.id() == *id))
                else {
                    continue;
                };
                if let Some(reason) = self.unsafe_reason(step_op) {
                    return Some(format!(
                        "{reason}; the case needs flow `{name}`, which calls it"
                    ));
                }
            }
        }
        None
    }

    /// Why a case must not be sent to this target, if it must not.
    pub fn unsafe_reason(&self, op: &Operation) -> Option<String> {
        if !self.safety.live {
            return None;
        }
        match self.side_effect(op) {
            Some(class)
                if SAFE_SIDE_EFFECTS.contains(&class)
                    || self.safety.allow.iter().any(|a| a == class) =>
            {
                None
            }
            Some(class) => Some(format!(
                "skipped for safety: {} has side effect `{class}` on a live target (--allow {class} sends it)",
                op.id()
            )),
            None => Some(format!(
                "skipped for safety: the side effects of {} are not classified (set `side_effect` in the suite's [operations.{}])",
                op.id(),
                op.id()
            )),
        }
    }

    pub fn schemas(&self) -> &Arc<SchemaSet> {
        &self.schemas
    }

    pub fn suite(&self) -> Option<&Suite> {
        self.suite.as_deref()
    }

    /// The request plan of an operation, bodies in the media type the inputs ask for. With no
    /// suite (a server nobody configured for conform) and no media type asked for, the plan
    /// explores: valid candidates start with the document's examples and use every documented
    /// body media type (a form-only OAuth server still gets forms); a suite's cases keep
    /// exactly the requests they were tuned with.
    pub fn request_plan(&self, op: &Operation, inputs: &Inputs) -> Result<RequestPlan, String> {
        let plan = match (&self.suite, inputs.content_type.as_deref()) {
            (None, None) => RequestPlan::exploring(op, &self.schemas, &self.doc.raw),
            (_, media_type) => RequestPlan::with_media_type(op, &self.schemas, media_type),
        };
        plan.map_err(|e| {
            let mut message = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            message
        })
    }

    fn class_settings(&self, recipe: Recipe) -> Option<&RecipeSettings> {
        self.suite.as_ref()?.file.recipes.get(recipe.as_str())
    }

    /// The run's headers for every request, then the operation's settings, then the recipe
    /// class's, then the case's: later ones win.
    pub fn inputs(&self, op: &Operation, case: &Case) -> Inputs {
        let mut inputs = Inputs {
            headers: self.headers.clone(),
            ..Inputs::default()
        };
        let Some(suite) = &self.suite else {
            return inputs;
        };
        if let Some(settings) = suite.file.operations.get(&op.id()) {
            inputs = inputs.merged(&settings.inputs());
        }
        if let Some(settings) = self.class_settings(case.recipe) {
            inputs = inputs.merged(&settings.inputs());
        }
        if let Some(settings) = suite.file.cases.get(&case.id) {
            inputs = inputs.merged(&settings.inputs());
        }
        inputs
    }

    /// The links (OpenAPI response `links`) into `op` a run may follow, each with the inputs a
    /// call to its source needs (the run's headers and the source's credentials). Only with no
    /// suite (a suite says with flows what to call first) and only to sources this target may
    /// get.
    pub fn links(&self, op: &Operation) -> Vec<(Link, Inputs)> {
        if self.suite.is_some() {
            return Vec::new();
        }
        links::links_to(&self.doc, op)
            .into_iter()
            .filter_map(|link| {
                let source = &self.doc.operations[link.source];
                if self.unsafe_reason(source).is_some() {
                    return None;
                }
                let mut inputs = Inputs {
                    headers: self.headers.clone(),
                    ..Inputs::default()
                };
                if let auth::Security::Needs(creds) = auth::security(&self.doc, None, source) {
                    auth::add(&mut inputs, &creds).ok()?;
                }
                Some((link, inputs))
            })
            .collect()
    }

    /// The operation's inputs (parameters, or values the suite pins for it) that the suite marks
    /// as credentials (`[suite] credentials`): what the generic 401 recipe leaves out.
    fn credential_inputs(&self, op: &Operation) -> Vec<String> {
        let Some(suite) = &self.suite else {
            return Vec::new();
        };
        let pinned = suite
            .file
            .operations
            .get(&op.id())
            .map(|o| o.inputs.clone())
            .unwrap_or_default();
        suite
            .file
            .suite
            .credentials
            .iter()
            .filter(|c| op.parameters.iter().any(|p| p.name == **c) || pinned.contains_key(*c))
            .cloned()
            .collect()
    }

    /// The inputs of a generic 401 (no `[cases.X]` inputs of its own): the credentials the
    /// suite names, those the operation's security schemes need, and every run-wide header
    /// under a credential name (`--header`, `[suite] headers`) are left out, and no later
    /// layer brings them back: a `[recipes.unauthenticated]` value under such a name is kept
    /// only when it differs from every value that authenticates (a deliberate spoil).
    fn unauthenticated_inputs(
        &self,
        op: &Operation,
        case: &Case,
        security: &auth::Security,
    ) -> Inputs {
        let mut names = self.credential_inputs(op);
        if let auth::Security::Needs(creds) = security {
            names.extend(creds.iter().map(|c| c.name.clone()));
        }
        let credential = |k: &str| names.iter().any(|n| n.eq_ignore_ascii_case(k));
        let run_wide = |k: &str| credential(k) || crate::redact::Redactor::is_sensitive(k);
        let mut below = Inputs {
            headers: self.headers.clone(),
            ..Inputs::default()
        };
        let suite = self.suite.as_deref();
        if let Some(settings) = suite.and_then(|s| s.file.operations.get(&op.id())) {
            below = below.merged(&settings.inputs());
        }
        // What authenticates, with `${fixtures.X}` read, to recognise it in a later layer.
        let fixtures = |text: &str| -> String {
            let mut lookup = |name: &str| -> Result<serde_json::Value, String> {
                name.strip_prefix("fixtures.")
                    .and_then(|f| suite?.fixtures.get(f).cloned())
                    .ok_or_else(|| format!("${{{name}}}"))
            };
            match crate::suite::expand(text, &mut lookup) {
                Ok(serde_json::Value::String(s)) => s,
                Ok(other) => other.to_string(),
                Err(_) => text.to_string(),
            }
        };
        let mut valid: Vec<String> = Vec::new();
        for (k, v) in below.headers.iter().chain(below.query.iter()) {
            if run_wide(k) {
                valid.push(fixtures(v));
            }
        }
        for (k, v) in &below.inputs {
            if credential(k) {
                valid.push(fixtures(
                    &v.as_str().map_or_else(|| v.to_string(), String::from),
                ));
            }
        }
        if let auth::Security::Needs(creds) = security {
            valid.extend(
                creds
                    .iter()
                    .filter_map(|c| c.value.as_deref().map(&fixtures)),
            );
        }
        below.headers.retain(|k, _| !run_wide(k));
        below.query.retain(|k, _| !credential(k));
        below.inputs.retain(|k, _| !credential(k));
        for name in &names {
            if !below.omit.iter().any(|o| o.eq_ignore_ascii_case(name)) {
                below.omit.push(name.clone());
            }
        }
        if let auth::Security::Needs(creds) = security {
            auth::remove(&mut below, creds);
        }
        let Some(class) = self.class_settings(case.recipe) else {
            return below;
        };
        let mut class = class.inputs();
        let back = |k: &str, v: &str| run_wide(k) && valid.contains(&fixtures(v));
        class.headers.retain(|k, v| !back(k, v));
        class.query.retain(|k, v| !back(k, v));
        class
            .inputs
            .retain(|k, v| !back(k, &v.as_str().map_or_else(|| v.to_string(), String::from)));
        below.merged(&class)
    }

    /// Did the suite give this case inputs of its own (`[cases.X]`, not its class's)?
    fn has_own_inputs(&self, case: &Case) -> bool {
        self.suite
            .as_ref()
            .and_then(|s| s.file.cases.get(&case.id))
            .is_some_and(|c| given(&c.inputs()))
    }

    /// Did the suite give this case (or its class) inputs of its own?
    fn has_case_inputs(&self, case: &Case) -> bool {
        let Some(suite) = &self.suite else {
            return false;
        };
        suite
            .file
            .cases
            .get(&case.id)
            .is_some_and(|c| given(&c.inputs()))
            || self
                .class_settings(case.recipe)
                .is_some_and(|c| given(&c.inputs()))
    }

    /// Decides whether a case's recipe can be built.
    pub fn assess(&self, op: &Operation, case: &Case) -> Readiness {
        match self.shape(op, case) {
            Ok((_, Some(opt_in))) => Readiness::OptIn(opt_in),
            Ok((_, None)) => Readiness::Runnable,
            Err(reason) => Readiness::Ignored(reason),
        }
    }

    /// The recipe of a runnable case.
    pub fn recipe(&self, case: &Case) -> Result<CaseRecipe, String> {
        let op = &self.doc.operations[case.operation];
        let (shape, _) = self.shape(op, case)?;
        let settings = self.suite.as_ref().and_then(|s| s.file.cases.get(&case.id));
        let security = auth::security(&self.doc, self.suite.as_deref(), op);
        let inputs = if case.recipe == Recipe::Unauthenticated && !self.has_own_inputs(case) {
            self.unauthenticated_inputs(op, case, &security)
        } else {
            let mut inputs = self.inputs(op, case);
            if let auth::Security::Needs(creds) = &security {
                auth::add(&mut inputs, creds)?;
            }
            inputs
        };
        Ok(CaseRecipe {
            shape,
            inputs,
            expected: settings
                .and_then(|s| s.expect_status)
                .map_or(case.status, StatusSpec::Code),
            expected_reason: settings.and_then(|s| s.reason.clone()),
            xfail: settings.and_then(|s| s.xfail.clone()),
            must_reach: settings.is_some_and(|s| s.must_reach),
            convention: settings
                .and_then(|s| s.convention.clone())
                .or_else(|| self.class_settings(case.recipe)?.convention.clone()),
        })
    }

    /// The shape of a case's requests, and a reason when the case only runs on request; or why
    /// nothing can provoke it.
    fn shape(&self, op: &Operation, case: &Case) -> Result<(Shape, Option<String>), String> {
        let case_settings = self.suite.as_ref().and_then(|s| s.file.cases.get(&case.id));
        let op_skip = self
            .suite
            .as_ref()
            .and_then(|s| s.file.operations.get(&op.id()))
            .and_then(|o| o.skip.clone());
        if let Some(reason) = case_settings.and_then(|s| s.skip.clone()).or(op_skip) {
            return Err(format!("skipped by the suite: {reason}"));
        }
        if let Some(reason) = self.unsafe_reason(op) {
            return Err(reason);
        }
        if let Some(reason) = self.unsafe_flow(op, case) {
            return Err(reason);
        }
        let fixed = case_settings.is_some_and(|s| s.fixed);
        let inputs = self.inputs(op, case);
        let plan = || {
            self.request_plan(op, &inputs)
                .map_err(|e| format!("no request can be generated: {e}"))
        };
        let own_inputs = self.has_case_inputs(case);
        let shape = match case.recipe {
            Recipe::MethodNotAllowed => match undeclared_method(op) {
                Some(method) => Shape::WrongMethod(method),
                None => {
                    return Err(format!(
                        "{} declares every ordinary method, so none is left to provoke 405",
                        op.path
                    ));
                }
            },
            Recipe::Success => {
                plan()?;
                if fixed {
                    Shape::Minimal
                } else {
                    Shape::Generative(Mode::Valid)
                }
            }
            Recipe::InvalidInput => {
                let plan = plan()?;
                // Inputs of the class (`[recipes.invalid-input]`) go on every generated invalid
                // request and never repair it; only a case's own inputs replace the generator.
                if self.has_own_inputs(case) || fixed {
                    Shape::Minimal
                } else if plan.invalid(&Default::default()).is_some() {
                    Shape::Generative(Mode::Invalid)
                } else {
                    return Err(
                        "the operation has no parameter or body that a request could get wrong"
                            .into(),
                    );
                }
            }
            Recipe::Unauthenticated => {
                plan()?;
                let security = auth::security(&self.doc, self.suite.as_deref(), op);
                if own_inputs
                    || !self.credential_inputs(op).is_empty()
                    || matches!(security, auth::Security::Needs(_))
                {
                    Shape::Minimal
                } else {
                    return Err(match security {
                        auth::Security::Optional => "no credentials to remove or spoil: the operation's security allows anonymous requests (an empty requirement {})".into(),
                        auth::Security::Unusable(why) => format!("no credentials to remove or spoil: {why}"),
                        _ => "no credentials to remove or spoil: the document declares no security for this operation and no suite names its credential inputs".into(),
                    });
                }
            }
            Recipe::Forbidden => {
                plan()?;
                if !own_inputs {
                    return Err("403 needs an input the suite defines (a wrong password, a blocked user); none is given".into());
                }
                Shape::Minimal
            }
            Recipe::NotFound => {
                plan()?;
                if own_inputs {
                    Shape::Minimal
                } else if op
                    .parameters
                    .iter()
                    .any(|p| p.location == ParamLocation::Path)
                {
                    Shape::UnknownIds
                } else {
                    return Err(
                        "no path parameter to make unknown, and the suite gives no input for 404"
                            .into(),
                    );
                }
            }
            Recipe::RateLimited => {
                plan()?;
                let Some(settings) = self
                    .class_settings(Recipe::RateLimited)
                    .filter(|s| s.burst.is_some())
                else {
                    return Err("429 needs a bounded burst: set `[recipes.rate-limited] burst = N` in a suite".into());
                };
                let burst = settings.burst.unwrap_or(0).max(1);
                let shape = Shape::Burst {
                    burst,
                    source: settings.source_address,
                };
                if settings.enabled != Some(true) {
                    return Ok((
                        shape,
                        Some(format!(
                            "a burst of up to {burst} requests is opt-in (--include-ignored)"
                        )),
                    ));
                }
                shape
            }
            Recipe::ServerError => {
                plan()?;
                if !own_inputs {
                    return Err("a well-formed request cannot make a server fail; a suite recipe is needed (e.g. the reference server's simulation header)".into());
                }
                Shape::Minimal
            }
            Recipe::Other => {
                plan()?;
                if !own_inputs {
                    return Err(format!(
                        "no recipe provokes status {}: it needs inputs from a suite",
                        case.status
                    ));
                }
                Shape::Minimal
            }
        };
        Ok((shape, None))
    }
}

/// Do these inputs set anything?
fn given(i: &Inputs) -> bool {
    !i.inputs.is_empty()
        || !i.omit.is_empty()
        || !i.headers.is_empty()
        || !i.query.is_empty()
        || i.body.is_some()
}

/// A method the path does not declare, if any.
pub fn undeclared_method(op: &Operation) -> Option<Method> {
    METHOD_NOT_ALLOWED_CANDIDATES
        .into_iter()
        .find(|m| !op.path_methods.contains(m))
}

/// Flows named by `${flows.NAME.VAR}` anywhere in the inputs.
fn flow_references(inputs: &Inputs) -> Vec<String> {
    let mut texts: Vec<String> = inputs
        .headers
        .values()
        .chain(inputs.query.values())
        .cloned()
        .collect();
    texts.extend(inputs.body.iter().cloned());
    fn strings(v: &toml::Value, out: &mut Vec<String>) {
        match v {
            toml::Value::String(s) => out.push(s.clone()),
            toml::Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
            toml::Value::Table(t) => t.values().for_each(|i| strings(i, out)),
            _ => {}
        }
    }
    inputs.inputs.values().for_each(|v| strings(v, &mut texts));
    texts
        .iter()
        .flat_map(|t| crate::suite::references(t))
        .filter_map(|r| {
            r.strip_prefix("flows.")
                .and_then(|r| r.split('.').next())
                .map(String::from)
        })
        .collect()
}

/// The plan of a document with the recipes conform has and the suite's settings.
pub fn plan_document(
    doc: &Arc<Document>,
    suite: Option<Arc<Suite>>,
    safety: Safety,
) -> (crate::plan::Plan, RecipeBook) {
    plan_document_with(doc, suite, safety, IndexMap::new())
}

/// [`plan_document`] with headers for every request (`[suite] headers`, `--header`).
pub fn plan_document_with(
    doc: &Arc<Document>,
    suite: Option<Arc<Suite>>,
    safety: Safety,
    headers: IndexMap<String, String>,
) -> (crate::plan::Plan, RecipeBook) {
    let schemas = Arc::new(SchemaSet::new(doc));
    let recipes = RecipeBook::new(Arc::clone(doc), schemas, suite, safety).with_headers(headers);
    let plan = crate::plan::plan(doc, |op, case| recipes.assess(op, case));
    (plan, recipes)
}
