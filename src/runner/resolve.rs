//! Suite inputs made concrete: `${fixtures.X}`, `${status}`, `${unique}`, `${totp.X}`,
//! `${case.X}` and `${flows.F.V}`, where a flow is a sequence of real calls (through the gate)
//! whose captured values later steps and cases use.

use std::cell::RefCell;

use indexmap::IndexMap;
use serde_json::Value;

use super::context::RunContext;
use super::flows::{Captures, FlowError, FlowFailure};
use crate::check::{Violation, flow as flow_check};
use crate::execute::{Exchange, On429, Request, Tally};
use crate::plan::Case;
use crate::recipe::{Keep, ResolvedInputs, finish, required_properties};
use crate::spec::{StatusSpec, unescape_token};
use crate::suite::{Inputs, expand, expand_toml};

thread_local! {
    /// Flows being computed on this thread, innermost last: a flow that needs itself is a cycle.
    static ACTIVE: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

const MAX_DEPTH: usize = 8;

impl RunContext {
    /// The inputs with every template expanded; flows they name are run first.
    pub fn resolve(
        &self,
        inputs: &Inputs,
        case: Option<&Case>,
        depth: usize,
    ) -> Result<ResolvedInputs, FlowError> {
        self.resolve_in(inputs, case, None, depth)
    }

    /// [`RunContext::resolve`], where `${case.NAME}` is a value the case under verification sent.
    fn resolve_in(
        &self,
        inputs: &Inputs,
        case: Option<&Case>,
        case_inputs: Option<&IndexMap<String, Value>>,
        depth: usize,
    ) -> Result<ResolvedInputs, FlowError> {
        let mut failure: Option<FlowError> = None;
        let mut lookup =
            |name: &str| -> Result<Value, String> {
                let parts: Vec<&str> = name.split('.').collect();
                match parts.as_slice() {
                    ["fixtures", fixture] => self
                        .suite_fixture(fixture)
                        .ok_or_else(|| format!("no fixture `{fixture}`")),
                    ["totp", fixture] => self
                        .suite_fixture(fixture)
                        .and_then(|v| v.as_str().map(String::from))
                        .ok_or_else(|| format!("no fixture `{fixture}` for a TOTP secret"))
                        .and_then(|secret| crate::suite::totp_now(&secret))
                        .map(Value::String),
                    // A value no other use in this run (or in a run with another seed) gets; the
                    // same for the same seed and case, so runs stay reproducible.
                    ["unique"] => Ok(Value::String(
                        self.unique_value(case.map_or("", |c| c.id.as_str())),
                    )),
                    ["status"] => Ok(Value::String(
                        case.map(|c| c.status.to_string()).unwrap_or_default(),
                    )),
                    ["case", input] => case_inputs.and_then(|i| i.get(*input).cloned()).ok_or_else(
                        || {
                            format!(
                                "`${{case.{input}}}` names no input of the case under verification"
                            )
                        },
                    ),
                    ["flows", flow, var] => match self.flow(flow, depth + 1) {
                        Ok(captures) => captures
                            .get(*var)
                            .cloned()
                            .ok_or_else(|| format!("flow `{flow}` captured no `{var}`")),
                        Err(e) => {
                            let message = e.message();
                            failure.get_or_insert(e);
                            Err(message)
                        }
                    },
                    _ => Err(format!(
                        "`${{{name}}}` is not a fixture, flow variable or `status`"
                    )),
                }
            };
        let mut out = ResolvedInputs {
            omit: inputs.omit.clone(),
            content_type: inputs.content_type.clone(),
            ..ResolvedInputs::default()
        };
        let result = (|| -> Result<(), String> {
            for (name, value) in &inputs.inputs {
                out.fixed
                    .insert(name.clone(), expand_toml(value, &mut lookup)?);
            }
            for (name, value) in &inputs.headers {
                out.headers
                    .push((name.clone(), text(expand(value, &mut lookup)?)));
            }
            for (name, value) in &inputs.query {
                out.query
                    .push((name.clone(), text(expand(value, &mut lookup)?)));
            }
            if let Some(body) = &inputs.body {
                out.body = Some(text(expand(body, &mut lookup)?));
            }
            Ok(())
        })();
        match (result, failure) {
            (Ok(()), _) => Ok(out),
            (Err(_), Some(flow_failure)) => Err(flow_failure),
            (Err(message), None) => Err(FlowError::Error(message)),
        }
    }

    fn suite_fixture(&self, name: &str) -> Option<Value> {
        self.recipes.suite()?.fixtures.get(name).cloned()
    }

    /// A flow's captures: cached for the run, or run again when the flow is `fresh`.
    pub fn flow(&self, name: &str, depth: usize) -> Result<Captures, FlowError> {
        if depth > MAX_DEPTH {
            return Err(FlowError::Error(format!(
                "flows nest deeper than {MAX_DEPTH} (a cycle through `{name}`?)"
            )));
        }
        // Checked before the flow's cell is entered: entering it again from inside would hang.
        let cycle = ACTIVE.with(|active| {
            let active = active.borrow();
            active.iter().position(|f| f == name).map(|at| {
                let mut path: Vec<&str> = active[at..].iter().map(String::as_str).collect();
                path.push(name);
                path.join(" → ")
            })
        });
        if let Some(path) = cycle {
            return Err(FlowError::Error(format!("flows form a cycle: {path}")));
        }
        let Some(flow) = self.recipes.suite().and_then(|s| s.file.flows.get(name)) else {
            return Err(FlowError::Error(format!("no flow `{name}` in the suite")));
        };
        ACTIVE.with(|active| active.borrow_mut().push(name.to_string()));
        let result = if flow.fresh {
            self.run_flow(name, depth)
        } else {
            match self.flows.cell(name) {
                Some(cell) => cell.get_or_init(|| self.run_flow(name, depth)).clone(),
                None => self.run_flow(name, depth),
            }
        };
        ACTIVE.with(|active| active.borrow_mut().pop());
        result
    }

    /// Runs `name` after a case passed, to check its effect; `${case.NAME}` are its inputs.
    pub fn verify(
        &self,
        name: &str,
        case_inputs: &IndexMap<String, Value>,
        tally: &Tally,
    ) -> Result<Captures, FlowError> {
        if self
            .recipes
            .suite()
            .is_none_or(|s| !s.file.flows.contains_key(name))
        {
            return Err(FlowError::Error(format!("no flow `{name}` in the suite")));
        }
        self.run_flow_in(name, 1, Some(case_inputs), tally)
    }

    fn run_flow(&self, name: &str, depth: usize) -> Result<Captures, FlowError> {
        let tally = Tally::default();
        let result = self.run_flow_in(name, depth, None, &tally);
        if let Err(FlowError::Failed(failure)) = &result
            && failure.flow == name
        {
            let mut failure = (**failure).clone();
            failure.requests = tally.count();
            self.flows.record(&failure);
        }
        result
    }

    fn run_flow_in(
        &self,
        name: &str,
        depth: usize,
        case_inputs: Option<&IndexMap<String, Value>>,
        tally: &Tally,
    ) -> Result<Captures, FlowError> {
        let suite = self
            .recipes
            .suite()
            .ok_or_else(|| FlowError::Error("no suite".into()))?;
        let flow = &suite.file.flows[name];
        let mut captures = Captures::new();
        for (i, step) in flow.steps.iter().enumerate() {
            let where_ = format!("flow `{name}` step {}", i + 1);
            // A step may use what earlier steps of the same flow captured.
            let mut inputs = step.inputs();
            for value in inputs.inputs.values_mut() {
                substitute_own(value, name, &captures);
            }
            for value in inputs.headers.values_mut() {
                substitute_own_str(value, name, &captures);
            }
            let resolved = self.resolve_in(&inputs, None, case_inputs, depth)?;
            let Some(op_id) = &step.operation else {
                // An endpoint outside the document: send as written, check nothing but status.
                let request = raw_request(step, &resolved);
                let exchange = self
                    .gate
                    .send("", &request, tally, On429::BackOff)
                    .map_err(|e| {
                        FlowError::Error(format!(
                            "{where_} ({} {}): {e}",
                            request.method, request.path
                        ))
                    })?;
                let status = exchange.response.status;
                let ok = match step.expect_status {
                    Some(expected) => status == expected,
                    None => (200..400).contains(&status),
                };
                if !ok {
                    let expected = step
                        .expect_status
                        .map_or("2xx or 3xx".to_string(), |s| s.to_string());
                    let step = format!("{where_} ({} {})", request.method, request.path);
                    let violation = flow_check::unexpected_status(
                        &step,
                        &expected,
                        status,
                        &exchange.response.body,
                    );
                    return Err(failed(name, "", vec![violation], exchange));
                }
                self.capture_all(name, "", step, exchange, &request, &where_, &mut captures)?;
                continue;
            };
            let Some(op) = self.doc.operations.iter().find(|o| o.id() == *op_id) else {
                return Err(FlowError::Error(format!(
                    "{where_}: no operation `{op_id}`"
                )));
            };
            // A step sends bodies the way the suite sends them to that operation.
            if inputs.content_type.is_none() {
                inputs.content_type = suite
                    .file
                    .operations
                    .get(op_id)
                    .and_then(|o| o.content_type.clone());
            }
            let request = self
                .valid_request(op, &inputs, &resolved, &format!("flow/{name}/{i}"))
                .map_err(|e| FlowError::Error(format!("{where_}: {e}")))?;
            let exchange = self
                .gate
                .send(&op.id(), &request, tally, On429::BackOff)
                .map_err(|e| {
                    FlowError::Error(format!(
                        "{where_} ({} {}): {e}",
                        request.method, request.path
                    ))
                })?;
            let expected = step.expect_status.map(StatusSpec::Code);
            let violations = self.step_violations(op, &exchange, expected);
            if !violations.is_empty() {
                let step = format!("{where_} ({} {})", request.method, request.path);
                let violations = violations
                    .into_iter()
                    .map(|v| flow_check::in_step(v, &step, &exchange.response.body))
                    .collect();
                return Err(failed(name, op_id, violations, exchange));
            }
            self.capture_all(
                name,
                op_id,
                step,
                exchange,
                &request,
                &where_,
                &mut captures,
            )?;
        }
        Ok(captures)
    }

    #[allow(clippy::too_many_arguments)]
    fn capture_all(
        &self,
        flow: &str,
        operation: &str,
        step: &crate::suite::Step,
        exchange: Exchange,
        request: &Request,
        where_: &str,
        captures: &mut Captures,
    ) -> Result<(), FlowError> {
        for (var, source) in &step.capture {
            let Some(value) = capture(&exchange, source) else {
                let step = format!(
                    "{where_} ({} {} → {})",
                    request.method, request.path, exchange.response.status
                );
                let violation = flow_check::nothing_to_capture(&step, source, var);
                return Err(failed(flow, operation, vec![violation], exchange));
            };
            if let Value::String(s) = &value {
                // Named after the flow, not numbered: captures happen in whatever order cases
                // run, and the same seed must print the same lines.
                let name: String = format!("CONFORM_FLOW_{flow}_{var}")
                    .to_ascii_uppercase()
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .collect();
                self.redactor.add(crate::redact::Secret::placeholder(
                    s.clone(),
                    name,
                    format!("what flow `{flow}` captured as `{var}`"),
                ));
            }
            captures.insert(var.clone(), value);
        }
        Ok(())
    }

    /// Checks of a flow step's response: every response check, and the status the step needs
    /// (without one, any 2xx or 3xx).
    fn step_violations(
        &self,
        op: &crate::spec::Operation,
        exchange: &Exchange,
        expected: Option<StatusSpec>,
    ) -> Vec<Violation> {
        let status = exchange.response.status;
        let expected = expected.unwrap_or(if (300..400).contains(&status) {
            StatusSpec::Range(3)
        } else {
            StatusSpec::Range(2)
        });
        let mut violations = self.check(op, expected, exchange);
        if violations.is_empty() && !expected.matches(status) {
            violations.push(flow_check::unexpected_status(
                "the step",
                &expected.to_string(),
                status,
                &exchange.response.body,
            ));
        }
        violations
    }

    /// A valid request to `op` with `inputs` (already `resolved`): required inputs generated
    /// where not given, optional ones left out; `key` seeds the generation.
    pub(super) fn valid_request(
        &self,
        op: &crate::spec::Operation,
        inputs: &Inputs,
        resolved: &ResolvedInputs,
        key: &str,
    ) -> Result<Request, String> {
        let plan = self
            .recipes
            .request_plan(op, inputs)
            .map_err(|e| e.to_string())?;
        let generated = self.sample(&plan.valid(&resolved.fixed), key)?;
        let required = self.required_body(op, plan.media_type());
        Ok(finish(op, &generated, resolved, Keep::Required, &required))
    }

    /// Required top-level body properties of an operation's body in `media_type`.
    pub fn required_body(
        &self,
        op: &crate::spec::Operation,
        media_type: Option<&str>,
    ) -> Vec<String> {
        let Some(schema) = op
            .request_body
            .as_ref()
            .and_then(|b| {
                b.content
                    .iter()
                    .find(|m| Some(m.media_type.as_str()) == media_type)
            })
            .and_then(|m| m.schema.as_ref())
        else {
            return Vec::new();
        };
        self.recipes
            .schemas()
            .converted(schema, crate::schema::Direction::Request)
            .map(|s| required_properties(&s))
            .unwrap_or_default()
    }
}

/// A step's failure.
fn failed(
    flow: &str,
    operation: &str,
    violations: Vec<Violation>,
    exchange: Exchange,
) -> FlowError {
    FlowError::Failed(Box::new(FlowFailure {
        flow: flow.to_string(),
        operation: operation.to_string(),
        violations,
        exchange: Some(exchange),
        requests: 0,
    }))
}

/// A captured value: `/json/pointer` into the body, or `location:NAME` for a query or fragment
/// parameter of the `Location` header.
fn capture(exchange: &Exchange, source: &str) -> Option<Value> {
    if let Some(name) = source.strip_prefix("location:") {
        let location = exchange.response.header("location")?;
        let url = url::Url::parse(location)
            .or_else(|_| url::Url::parse("http://relative.invalid").and_then(|b| b.join(location)))
            .ok()?;
        let from_query = url
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned());
        let from_fragment = || {
            url.fragment().and_then(|f| {
                url::form_urlencoded::parse(f.as_bytes())
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.into_owned())
            })
        };
        return from_query.or_else(from_fragment).map(Value::String);
    }
    if let Some(rest) = source.strip_prefix("last") {
        // `last:/pointer` or `last(field=value):/pointer`: in a JSON array body, the last
        // element (whose `field` is `value`).
        let (filter, pointer) = rest.split_once(':')?;
        let body: Value = serde_json::from_slice(&exchange.response.body).ok()?;
        let condition = filter
            .strip_prefix('(')
            .and_then(|f| f.strip_suffix(')'))
            .and_then(|f| f.split_once('='));
        let item = body.as_array()?.iter().rev().find(|item| match condition {
            Some((field, value)) => item.get(field).and_then(Value::as_str) == Some(value),
            None => true,
        })?;
        return item.pointer(pointer).cloned().filter(|v| !v.is_null());
    }
    if source == "location" {
        return exchange
            .response
            .header("location")
            .map(|l| Value::String(l.to_string()));
    }
    let body: Value = serde_json::from_slice(&exchange.response.body).ok()?;
    let pointer: String = source
        .split('/')
        .map(|t| crate::spec::escape_token(&unescape_token(t)))
        .collect::<Vec<_>>()
        .join("/");
    body.pointer(&pointer).cloned().filter(|v| !v.is_null())
}

/// A request to a path outside the document, from a step's inputs.
fn raw_request(step: &crate::suite::Step, inputs: &ResolvedInputs) -> Request {
    let mut request = Request::new(
        crate::spec::Method::Get,
        step.path.clone().unwrap_or_default(),
    );
    if let Some(method) = &step.method {
        request.method = method.to_ascii_uppercase();
    }
    request.query = inputs
        .fixed
        .iter()
        .map(|(k, v)| (k.clone(), text(v.clone())))
        .collect();
    request.headers = inputs.headers.clone();
    request.query.extend(inputs.query.iter().cloned());
    if let Some(body) = &inputs.body {
        request.body = Some(crate::execute::Body {
            content_type: inputs
                .content_type
                .clone()
                .unwrap_or_else(|| "application/json".into()),
            bytes: body.clone().into_bytes(),
        });
        request.query.clear();
    }
    request
}

fn text(value: Value) -> String {
    match value {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// Replaces `${flows.<this flow>.VAR}` by values captured earlier in the same flow.
fn substitute_own(value: &mut toml::Value, flow: &str, captures: &Captures) {
    match value {
        toml::Value::String(s) => substitute_own_str(s, flow, captures),
        toml::Value::Array(items) => items
            .iter_mut()
            .for_each(|v| substitute_own(v, flow, captures)),
        toml::Value::Table(t) => t
            .iter_mut()
            .for_each(|(_, v)| substitute_own(v, flow, captures)),
        _ => {}
    }
}

fn substitute_own_str(s: &mut String, flow: &str, captures: &Captures) {
    for (var, value) in captures {
        let template = format!("${{flows.{flow}.{var}}}");
        if s.contains(&template) {
            *s = s.replace(&template, &text(value.clone()));
        }
    }
}
