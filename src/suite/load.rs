//! Reads a suite file, resolves its fixtures (environment variables included) and checks its
//! references against the document. Every error names the file, line and key.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::Value;

pub use super::error::SuiteError;
use super::error::line_col;
use super::model::{Fixture, SuiteFile};
use super::template::{expand_toml, references};
use crate::redact::Secret;
use crate::spec::Document;

/// The names `[recipes.NAME]` may use: the recipe classes of the plan.
pub const RECIPE_CLASSES: &[&str] = &[
    "success",
    "invalid-input",
    "unauthenticated",
    "forbidden",
    "not-found",
    "method-not-allowed",
    "rate-limited",
    "server-error",
    "other",
];

/// A loaded suite: the file as written, and its fixtures resolved.
#[derive(Debug, Clone)]
pub struct Suite {
    pub path: PathBuf,
    pub file: SuiteFile,
    /// Fixture name → value, environment variables substituted.
    pub fixtures: IndexMap<String, Value>,
    /// Values of the fixtures marked secret, of `[auth]` credentials and of environment
    /// variables in `[suite] headers`, each with where it came from (for `curl` lines).
    pub secrets: Vec<Secret>,
    /// The file as read, to point errors found later at their line.
    pub text: String,
}

/// Reads the suite at `path`.
pub fn load(path: &Path) -> Result<Suite, SuiteError> {
    // Bounded: a suite named `/dev/zero` (or a huge file) is refused, not read into memory.
    let text =
        crate::spec::read_bounded(path, crate::spec::MAX_INPUT_BYTES).map_err(|e| SuiteError {
            file: path.to_path_buf(),
            location: None,
            key: None,
            message: match e {
                crate::spec::SpecErrorKind::Io(e) => format!("cannot read the suite: {e}"),
                other => other.to_string(),
            },
        })?;
    load_str(path, &text, &|name| std::env::var(name).ok())
}

/// Reads a suite from text; `env` looks up environment variables.
pub fn load_str(
    path: &Path,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Suite, SuiteError> {
    let file: SuiteFile = toml::from_str(text).map_err(|e| {
        let location = e.span().map(|span| line_col(text, span.start));
        SuiteError {
            file: path.to_path_buf(),
            location,
            key: None,
            message: e.message().trim().to_string(),
        }
    })?;
    super::validate::check_numbers(path, text, &file)?;
    super::validate::check_protocol(path, text, &file)?;
    let mut missing: Vec<(String, String)> = Vec::new();
    let mut resolver = Fixtures {
        path,
        text,
        file: &file,
        env,
        stack: Vec::new(),
        done: IndexMap::new(),
        secrets: Vec::new(),
        missing: &mut missing,
    };
    for name in file.fixtures.keys() {
        resolver.resolve(name)?;
    }
    // In the order written, whatever order references resolved them in.
    let mut fixtures = IndexMap::new();
    for name in file.fixtures.keys() {
        if let Some(v) = resolver.done.get(name) {
            fixtures.insert(name.clone(), v.clone());
        }
    }
    let mut secrets = std::mem::take(&mut resolver.secrets);
    let mut file = file;
    if let Some(target) = &file.suite.target {
        let mut lookup = |var: &str| {
            let var = var.strip_prefix("env.").unwrap_or(var);
            match env(var) {
                Some(v) => Ok(Value::String(v)),
                None => {
                    missing.push((var.to_string(), "suite.target".to_string()));
                    Ok(Value::String(String::new()))
                }
            }
        };
        if let Ok(Value::String(expanded)) = super::template::expand(target, &mut lookup) {
            file.suite.target = Some(expanded);
        }
    }
    // Credentials of security schemes: `${ENV}` read now (a missing one stops the run like a
    // fixture's); `${fixtures.X}`/`${flows.F.V}` stay for the run. Every literal is secret.
    for (scheme, auth) in file.auth.iter_mut() {
        for value in [
            &mut auth.value,
            &mut auth.token,
            &mut auth.username,
            &mut auth.password,
        ]
        .into_iter()
        .flatten()
        {
            let mut from_env: Vec<Secret> = Vec::new();
            let mut lookup = |var: &str| {
                // `${env.X}` says outright what `${X}` means: the environment variable X.
                let var = var.strip_prefix("env.").unwrap_or(var);
                if var.contains('.') {
                    return Ok(Value::String(format!("${{{var}}}")));
                }
                match env(var) {
                    Some(v) => {
                        from_env.push(Secret::env(v.clone(), var));
                        Ok(Value::String(v))
                    }
                    None => {
                        missing.push((var.to_string(), format!("auth.{scheme}")));
                        Ok(Value::String(String::new()))
                    }
                }
            };
            if let Ok(Value::String(expanded)) = super::template::expand(value, &mut lookup) {
                *value = expanded;
            }
            secrets.extend(from_env);
            if !value.contains("${") && !value.is_empty() {
                secrets.push(Secret::named(
                    value.clone(),
                    format!("the credential of auth.{scheme}"),
                ));
            }
        }
        if let (Some(user), Some(password)) = (&auth.username, &auth.password) {
            // A user name is not secret; the encoded pair is (as the Authorization header
            // carries it).
            secrets.retain(|s| s.value != *user);
            let mut from_fixtures = |name: &str| {
                name.strip_prefix("fixtures.")
                    .and_then(|f| fixtures.get(f))
                    .cloned()
                    .ok_or_else(|| format!("`${{{name}}}` is not a fixture"))
            };
            let user = super::template::expand(user, &mut from_fixtures);
            let password = super::template::expand(password, &mut from_fixtures);
            if let (Ok(Value::String(user)), Ok(Value::String(password))) = (user, password) {
                use base64::Engine;
                secrets.push(Secret::named(
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")),
                    format!("the base64 of user:password of auth.{scheme}"),
                ));
            }
        }
    }
    // `[suite] headers`: `${ENV}` read now (a missing one stops the run); a value taken from
    // the environment is a credential as far as conform can tell, so it is secret.
    for (name, value) in file.suite.headers.iter_mut() {
        let mut from_env: Vec<Secret> = Vec::new();
        let mut lookup = |var: &str| {
            // `${env.X}` says outright what `${X}` means: the environment variable X.
            let var = var.strip_prefix("env.").unwrap_or(var);
            if var.contains('.') || var == "status" || var == "unique" {
                return Ok(Value::String(format!("${{{var}}}")));
            }
            match env(var) {
                Some(v) => {
                    from_env.push(Secret::env(v.clone(), var));
                    Ok(Value::String(v))
                }
                None => {
                    missing.push((var.to_string(), format!("suite.headers.{name}")));
                    Ok(Value::String(String::new()))
                }
            }
        };
        if let Ok(Value::String(expanded)) = super::template::expand(value, &mut lookup) {
            *value = expanded;
        }
        if !from_env.is_empty() && !value.is_empty() {
            secrets.extend(from_env);
            secrets.push(Secret::named(
                value.clone(),
                format!("the value of suite.headers.{name}"),
            ));
        }
    }
    if !missing.is_empty() {
        let list: Vec<String> = missing
            .iter()
            .map(|(var, key)| {
                if key.contains('.') {
                    format!("{var} ({key})")
                } else {
                    format!("{var} (fixtures.{key})")
                }
            })
            .collect();
        return Err(SuiteError {
            file: path.to_path_buf(),
            location: find(text, &format!("${{{}}}", missing[0].0)),
            key: None,
            message: format!(
                "{} environment variable{} not set: {}; nothing was sent",
                missing.len(),
                if missing.len() == 1 { " is" } else { "s are" },
                list.join(", ")
            ),
        });
    }
    let suite = Suite {
        path: path.to_path_buf(),
        file,
        fixtures,
        secrets,
        text: text.to_string(),
    };
    suite.check_references(text)?;
    super::validate::check_flow_cycles(path, text, &suite.file)?;
    Ok(suite)
}

/// Resolves fixtures: `${ENV}` from the environment, `${fixtures.OTHER}` from another fixture
/// (resolved first); a fixture that needs itself through others is a cycle, named.
struct Fixtures<'a> {
    path: &'a Path,
    text: &'a str,
    file: &'a SuiteFile,
    env: &'a dyn Fn(&str) -> Option<String>,
    stack: Vec<String>,
    done: IndexMap<String, Value>,
    secrets: Vec<Secret>,
    missing: &'a mut Vec<(String, String)>,
}

impl Fixtures<'_> {
    fn resolve(&mut self, name: &str) -> Result<Value, SuiteError> {
        if let Some(v) = self.done.get(name) {
            return Ok(v.clone());
        }
        if let Some(start) = self.stack.iter().position(|n| n == name) {
            let mut chain: Vec<String> = self.stack[start..]
                .iter()
                .map(|n| format!("fixtures.{n}"))
                .collect();
            chain.push(format!("fixtures.{name}"));
            return Err(SuiteError {
                file: self.path.to_path_buf(),
                location: super::validate::key_location(self.text, &["fixtures", name]),
                key: Some(format!("fixtures.{name}")),
                message: format!(
                    "fixtures refer to each other in a cycle: {}",
                    chain.join(" -> ")
                ),
            });
        }
        let Some(fixture) = self.file.fixtures.get(name) else {
            return Err(SuiteError {
                file: self.path.to_path_buf(),
                location: find(self.text, &format!("${{fixtures.{name}}}")),
                key: self.stack.last().map(|n| format!("fixtures.{n}")),
                message: format!("`${{fixtures.{name}}}` names no fixture of this suite"),
            });
        };
        let (value, secret) = match fixture {
            Fixture::Plain(v) => (v, false),
            Fixture::Detailed(d) => (&d.value, d.secret),
        };
        self.stack.push(name.to_string());
        let mut inner: Option<SuiteError> = None;
        let mut from_env: Vec<Secret> = Vec::new();
        let resolved = {
            let mut lookup = |var: &str| {
                // `${env.X}` says outright what `${X}` means: the environment variable X.
                let var = var.strip_prefix("env.").unwrap_or(var);
                if let Some(other) = var.strip_prefix("fixtures.") {
                    return match self.resolve(other) {
                        Ok(v) => Ok(v),
                        Err(e) => {
                            let message = e.message.clone();
                            inner.get_or_insert(e);
                            Err(message)
                        }
                    };
                }
                match (self.env)(var) {
                    Some(v) => {
                        from_env.push(Secret::env(v.clone(), var));
                        Ok(Value::String(v))
                    }
                    None => {
                        self.missing.push((var.to_string(), name.to_string()));
                        Ok(Value::String(String::new()))
                    }
                }
            };
            expand_toml(value, &mut lookup)
        };
        self.stack.pop();
        if let Some(e) = inner {
            return Err(e);
        }
        let resolved = resolved.map_err(|message| SuiteError {
            file: self.path.to_path_buf(),
            location: find(self.text, name),
            key: Some(format!("fixtures.{name}")),
            message,
        })?;
        if secret {
            // The variables it was read from, then the whole value (a variable stands for the
            // most it can, so the whole is a placeholder only when it is more than a variable).
            self.secrets.extend(from_env);
            self.secrets.push(Secret::named(
                match &resolved {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
                format!("the value of fixtures.{name}"),
            ));
        }
        self.done.insert(name.to_string(), resolved.clone());
        Ok(resolved)
    }
}

impl Suite {
    /// `${fixtures.X}` and `${flows.F.V}` must name things the suite defines.
    fn check_references(&self, text: &str) -> Result<(), SuiteError> {
        let mut strings: Vec<(String, String)> = Vec::new();
        let mut push_inputs = |key: String, inputs: &super::model::Inputs| {
            for v in inputs.inputs.values() {
                collect_strings(v, &mut |s| strings.push((key.clone(), s.to_string())));
            }
            for v in inputs.headers.values().chain(inputs.query.values()) {
                strings.push((key.clone(), v.clone()));
            }
            if let Some(body) = &inputs.body {
                strings.push((key.clone(), body.clone()));
            }
        };
        push_inputs(
            "suite.headers".into(),
            &super::model::Inputs {
                headers: self.file.suite.headers.clone(),
                ..Default::default()
            },
        );
        for (id, settings) in &self.file.operations {
            push_inputs(format!("operations.{id}"), &settings.inputs());
        }
        for (id, settings) in &self.file.cases {
            push_inputs(format!("cases.\"{id}\""), &settings.inputs());
        }
        for (name, flow) in &self.file.flows {
            for (i, step) in flow.steps.iter().enumerate() {
                push_inputs(format!("flows.{name}.steps[{i}]"), &step.inputs());
            }
        }
        for (class, settings) in &self.file.recipes {
            push_inputs(format!("recipes.{class}"), &settings.inputs());
        }
        for (key, s) in strings {
            for reference in references(&s) {
                let ok = match reference.split('.').collect::<Vec<_>>().as_slice() {
                    ["fixtures", name] => self.fixtures.contains_key(*name),
                    ["flows", flow, var] => self
                        .file
                        .flows
                        .get(*flow)
                        .is_some_and(|f| f.steps.iter().any(|s| s.capture.contains_key(*var))),
                    ["status"] | ["unique"] | ["case", _] => true,
                    ["totp", name] => self.fixtures.contains_key(*name),
                    _ => false,
                };
                if !ok {
                    return Err(SuiteError {
                        file: self.path.clone(),
                        location: find(text, &format!("${{{reference}}}")),
                        key: Some(key),
                        message: format!(
                            "`${{{reference}}}` names nothing this suite defines (use ${{fixtures.NAME}} or ${{flows.FLOW.VAR}})"
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// Operation ids, case ids and flow steps must exist in the document.
    pub fn check_against(&self, doc: &Document) -> Result<(), SuiteError> {
        let text = Some(self.text.as_str());
        let ids: Vec<String> = doc.operations.iter().map(|o| o.id()).collect();
        let statuses = |op: &str| -> Vec<String> {
            doc.operations
                .iter()
                .filter(|o| o.id() == op)
                .flat_map(|o| o.responses.iter().map(|r| r.status.to_string()))
                .collect()
        };
        let error = |key: String, needle: &str, message: String| SuiteError {
            file: self.path.clone(),
            location: text.and_then(|t| find(t, needle)),
            key: Some(key),
            message,
        };
        for class in self.file.recipes.keys() {
            if !RECIPE_CLASSES.contains(&class.as_str()) {
                return Err(error(
                    format!("recipes.{class}"),
                    class,
                    format!(
                        "no recipe class `{class}` (one of: {})",
                        RECIPE_CLASSES.join(", ")
                    ),
                ));
            }
        }
        for (id, settings) in &self.file.operations {
            if let Some(class) = &settings.side_effect
                && !super::model::SIDE_EFFECTS.contains(&class.as_str())
            {
                return Err(error(
                    format!("operations.{id}.side_effect"),
                    class,
                    format!(
                        "no side-effect class `{class}` (one of: {})",
                        super::model::SIDE_EFFECTS.join(", ")
                    ),
                ));
            }
        }
        for id in self.file.operations.keys() {
            if !ids.contains(id) {
                return Err(error(
                    format!("operations.{id}"),
                    id,
                    format!("no operation `{id}` in {}", doc.source.display()),
                ));
            }
        }
        for case in self.file.cases.keys() {
            let (op, status) = case.rsplit_once('/').unwrap_or((case.as_str(), ""));
            if !ids.iter().any(|i| i == op) || !statuses(op).iter().any(|s| s == status) {
                return Err(error(
                    format!("cases.\"{case}\""),
                    case,
                    format!(
                        "no case `{case}` in the plan (ids are `<operationId>/<status>`; see `conform list`)"
                    ),
                ));
            }
        }
        for (case, settings) in &self.file.cases {
            for flow in &settings.verify {
                if !self.file.flows.contains_key(flow) {
                    return Err(error(
                        format!("cases.\"{case}\".verify"),
                        flow,
                        format!("no flow `{flow}` in this suite"),
                    ));
                }
            }
        }
        for (name, flow) in &self.file.flows {
            for (i, step) in flow.steps.iter().enumerate() {
                let key = format!("flows.{name}.steps[{i}]");
                match (&step.operation, &step.path) {
                    (Some(op), None) if ids.contains(op) => {}
                    (Some(op), None) => {
                        return Err(error(
                            format!("{key}.operation"),
                            op,
                            format!("no operation `{op}` in {}", doc.source.display()),
                        ));
                    }
                    (None, Some(_)) => {}
                    _ => {
                        return Err(error(
                            key,
                            name,
                            "a step names either an `operation` or a `path`".to_string(),
                        ));
                    }
                }
            }
        }
        super::validate::check_input_keys(&self.path, &self.text, &self.file, doc)
    }
}

fn collect_strings(value: &toml::Value, out: &mut dyn FnMut(&str)) {
    match value {
        toml::Value::String(s) => out(s),
        toml::Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        toml::Value::Table(t) => t.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// Where `needle` first appears in the text.
fn find(text: &str, needle: &str) -> Option<(usize, usize)> {
    text.find(needle).map(|at| line_col(text, at))
}
