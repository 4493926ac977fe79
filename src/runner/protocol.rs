//! Runs the suite's protocol checks (`[protocol] checks`), each as a test of its own
//! (`protocol:NAME`): the session sends each call the check asks for through the gate.

use std::time::Instant;

use indexmap::IndexMap;

use super::case::{describe, set_exchange};
use super::context::RunContext;
use crate::check::protocol::{Endpoint, ProtocolId, Session, Setup, Stop};
use crate::event::{CaseResult, Outcome, ResultKind};
use crate::execute::{Body, Exchange, On429, Request, Tally, back_off};
use crate::plan::Recipe;
use crate::spec::{Method, Operation, StatusSpec};
use crate::suite::{Inputs, ProtocolSettings};

/// The test id of a protocol check.
pub fn test_id(id: ProtocolId) -> String {
    format!("protocol:{id}")
}

/// The protocol checks the suite asks for, in its order (`all`: every one).
pub fn selected(cx: &RunContext) -> Vec<ProtocolId> {
    let Some(settings) = cx.recipes.suite().and_then(|s| s.file.protocol.as_ref()) else {
        return Vec::new();
    };
    if settings.checks.iter().any(|c| c == "all") {
        return ProtocolId::ALL.to_vec();
    }
    // Names were checked when the suite was loaded.
    settings
        .checks
        .iter()
        .filter_map(|c| c.parse().ok())
        .collect()
}

/// A protocol check's result before anything was sent.
pub fn run_nothing(cx: &RunContext, id: ProtocolId) -> CaseResult {
    let test = test_id(id);
    CaseResult::blank(
        &test,
        ResultKind::Protocol,
        format!("{} ({})", id.property(), id.source()),
        String::new(),
        Recipe::Success,
        cx.rerun_command(&test),
    )
}

/// Runs one protocol check; its result is a test like a case's.
pub fn run(cx: &RunContext, id: ProtocolId) -> CaseResult {
    let started = Instant::now();
    let test = test_id(id);
    let mut result = run_nothing(cx, id);
    let mut session = RunnerSession {
        cx,
        key: test.clone(),
        tally: Tally::default(),
        last: None,
        sent: Vec::new(),
        operation: None,
        skipped: None,
    };
    let found = setup(cx).and_then(|setup| id.run(&setup, &mut session));
    result.outcome = match found {
        Ok(violations) if violations.is_empty() => Outcome::Passed,
        Ok(violations) => Outcome::Failed { violations },
        Err(Stop::Unreached { status, reason }) => Outcome::Unreached { status, reason },
        Err(Stop::Error(message)) => Outcome::Error { message },
    };
    if let Some(reason) = session.skipped.take() {
        result.outcome = Outcome::Ignored { reason };
    }
    result.requests = session.tally.count();
    result.sent = std::mem::take(&mut session.sent);
    result.operation = session.operation.take().unwrap_or_default();
    if let Some(exchange) = session.last.take() {
        result.status = exchange.response.status.to_string();
        set_exchange(cx, &mut result, exchange);
    }
    result.duration = started.elapsed();
    result
}

/// The `[protocol]` values, templates expanded; the secret ones join the redactor.
fn setup(cx: &RunContext) -> Result<Setup, Stop> {
    let settings: ProtocolSettings = cx
        .recipes
        .suite()
        .and_then(|s| s.file.protocol.clone())
        .unwrap_or_default();
    let mut inputs = Inputs::default();
    for (name, value) in settings.values() {
        inputs
            .inputs
            .insert(name.to_string(), toml::Value::String(value.to_string()));
    }
    let resolved = cx
        .resolve(&inputs, None, 0)
        .map_err(|e| Stop::Error(format!("the [protocol] values: {}", e.message())))?;
    let mut setup = Setup {
        rotation: settings.rotation,
        ..Setup::default()
    };
    for (name, value) in resolved.fixed {
        let text = match value {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        if matches!(
            name.as_str(),
            "client_secret" | "other_client_secret" | "password" | "rotation_client_secret"
        ) {
            cx.redactor.add_secret(text.clone());
        }
        setup.values.insert(name, text);
    }
    Ok(setup)
}

/// The runner's session: operations built from the document, every request through the gate.
struct RunnerSession<'a> {
    cx: &'a RunContext,
    key: String,
    tally: Tally,
    /// The latest exchange: the one shown with the verdict.
    last: Option<Exchange>,
    sent: Vec<String>,
    /// The first operation called, named in reports.
    operation: Option<String>,
    /// Why the check stopped short: it needed an operation a live target must not get.
    skipped: Option<String>,
}

impl<'a> RunnerSession<'a> {
    /// The operation in `endpoint`'s role: the suite's `[protocol] endpoints`, else the one at
    /// the endpoint's conventional path.
    fn operation(&self, endpoint: Endpoint) -> Result<&'a Operation, Stop> {
        let named = self
            .cx
            .recipes
            .suite()
            .and_then(|s| s.file.protocol.as_ref())
            .and_then(|p| p.endpoints.get(endpoint.as_str()));
        let found = self.cx.doc.operations.iter().find(|op| match named {
            Some(id) => op.id() == *id,
            None => op.path == endpoint.conventional_path(),
        });
        found.ok_or_else(|| {
            Stop::Error(match named {
                Some(id) => format!("[protocol] endpoints names `{id}`, which the document lacks"),
                None => format!(
                    "the document has no {} endpoint at {} (name its operation in [protocol] endpoints)",
                    endpoint.as_str(),
                    endpoint.conventional_path()
                ),
            })
        })
    }

    fn send(&mut self, operation: &str, request: Request) -> Result<Exchange, Stop> {
        self.sent
            .push(describe(&self.cx.redactor.request(&request)));
        let send = |on_429| {
            self.cx
                .gate
                .send(operation, &request, &self.tally, on_429)
                .map_err(|e| Stop::Error(format!("{} {}: {e}", request.method, request.path)))
        };
        // RFC 8628 §3.5 `slow_down` is an answer the device_flow check judges (Auth0 sends it
        // as 429), not a rate limit to wait out; any other 429 is backed off as usual.
        let mut exchange = send(On429::Return)?;
        if exchange.response.status == 429 && !slow_down(&exchange) {
            std::thread::sleep(back_off(&exchange, std::time::SystemTime::now()));
            exchange = send(On429::BackOff)?;
        }
        if exchange.response.status == 429 && !slow_down(&exchange) {
            return Err(Stop::Unreached {
                status: 429,
                reason: "rate-limited while checking the property".into(),
            });
        }
        self.last = Some(exchange.clone());
        Ok(exchange)
    }
}

impl Session for RunnerSession<'_> {
    fn call(
        &mut self,
        endpoint: Endpoint,
        params: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Result<Exchange, Stop> {
        // A live target gets no side effect the run does not allow, from a check either
        // (revocation revokes a token).
        let op = self.operation(endpoint)?;
        if let Some(reason) = self.cx.recipes.unsafe_reason(op) {
            self.skipped = Some(reason.clone());
            return Err(Stop::Unreached { status: 0, reason });
        }
        let op_id = op.id();
        let mut inputs = Inputs::default();
        for (name, value) in params {
            inputs
                .inputs
                .insert(name.to_string(), toml::Value::String(value.to_string()));
        }
        inputs.headers = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<IndexMap<_, _>>();
        // Bodies go the way the suite sends them to that operation.
        inputs.content_type = self
            .cx
            .recipes
            .suite()
            .and_then(|s| s.file.operations.get(&op_id))
            .and_then(|o| o.content_type.clone());
        let resolved = self
            .cx
            .resolve(&inputs, None, 0)
            .map_err(|e| Stop::Error(e.message()))?;
        let key = format!("{}/{}", self.key, self.sent.len());
        let request = self
            .cx
            .valid_request(op, &inputs, &resolved, &key)
            .map_err(|e| Stop::Error(format!("{op_id}: {e}")))?;
        self.operation.get_or_insert_with(|| op_id.clone());
        let exchange = self.send(&op_id, request)?;
        // An answer that breaks the document is the operation's cases' failure, reported
        // there once: the property cannot be judged on it (a cut-off token answer is not a
        // token answer without a token).
        let status = exchange.response.status;
        let broken = self.cx.check(op, StatusSpec::Code(status), &exchange);
        if let Some(violation) = broken.first() {
            return Err(Stop::Unreached {
                status,
                reason: format!(
                    "{op_id} answered {status} against its document ([{}] {}); its cases report that",
                    violation.check, violation.message
                ),
            });
        }
        Ok(exchange)
    }

    fn get(&mut self, target: &str) -> Result<Exchange, Stop> {
        let (path, query) = self.on_target(target)?;
        self.guard(Method::Get, &path)?;
        let mut request = Request::new(Method::Get, path);
        request.query = query;
        self.send("", request)
    }

    fn post_form(&mut self, path: &str, form: &[(&str, &str)]) -> Result<Exchange, Stop> {
        let (path, query) = self.on_target(path)?;
        self.guard(Method::Post, &path)?;
        let mut request = Request::new(Method::Post, path);
        request.query = query;
        let mut body = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in form {
            body.append_pair(k, v);
        }
        request.body = Some(Body {
            content_type: "application/x-www-form-urlencoded".into(),
            bytes: body.finish().into_bytes(),
        });
        self.send("", request)
    }
}

impl RunnerSession<'_> {
    /// A live target gets no request to a documented path whose operation (with this method,
    /// else any at that path) has a side effect the run does not allow: a discovery document
    /// names registration and revocation endpoints too. The call is skipped as not on the
    /// target's safe side (`status: 0`), and the check goes on without it.
    fn guard(&self, method: Method, path: &str) -> Result<(), Stop> {
        let at_path: Vec<&Operation> = self
            .cx
            .doc
            .operations
            .iter()
            .filter(|op| template_matches(&op.path, path))
            .collect();
        let same_method: Vec<&Operation> = at_path
            .iter()
            .copied()
            .filter(|op| op.method == method)
            .collect();
        let judged = if same_method.is_empty() {
            at_path
        } else {
            same_method
        };
        match judged
            .into_iter()
            .find_map(|op| self.cx.recipes.unsafe_reason(op))
        {
            Some(reason) => Err(Stop::Unreached { status: 0, reason }),
            None => Ok(()),
        }
    }

    /// A path on the target: an absolute URL must be on the target's own origin (a discovery
    /// document naming another host is not followed; conform talks to one server).
    fn on_target(&self, target: &str) -> Result<(String, Vec<(String, String)>), Stop> {
        let base = self.cx.gate.client().base_url().trim_end_matches('/');
        let url = if target.starts_with('/') {
            url::Url::parse(&format!("{base}{target}"))
        } else {
            url::Url::parse(target)
        }
        .map_err(|e| Stop::Error(format!("`{target}` is not a URL: {e}")))?;
        let base_url =
            url::Url::parse(base).map_err(|e| Stop::Error(format!("the base URL: {e}")))?;
        if url.origin() != base_url.origin() {
            return Err(Stop::Unreached {
                status: 0,
                reason: format!(
                    "{target} is not on the target ({base}); conform does not follow it"
                ),
            });
        }
        let base_path = base_url.path().trim_end_matches('/');
        let path = url.path().strip_prefix(base_path).unwrap_or(url.path());
        let query = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()));
        Ok((path.to_string(), query.collect()))
    }
}

/// An OAuth `slow_down` error answer (RFC 8628 §3.5).
fn slow_down(exchange: &Exchange) -> bool {
    crate::check::protocol::json_object(exchange)
        .is_some_and(|b| b.get("error").and_then(serde_json::Value::as_str) == Some("slow_down"))
}

/// Whether `path` is an instance of the document's path `template` (`{name}` matches one
/// segment).
fn template_matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}') && !p.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::template_matches;

    #[test]
    fn paths_match_their_templates_segment_by_segment() {
        assert!(template_matches("/oidc/register", "/oidc/register"));
        assert!(template_matches(
            "/mfa/authenticators/{AUTHENTICATOR_ID}",
            "/mfa/authenticators/totp%7Cdev_1"
        ));
        assert!(!template_matches(
            "/mfa/authenticators/{id}",
            "/mfa/authenticators/"
        ));
        assert!(!template_matches("/oidc/register", "/oidc/registration"));
        assert!(!template_matches("/oauth/token", "/oauth/token/extra"));
    }
}
