//! Load-time checks of a suite's numbers and of cycles between its flows: a bad value is a
//! suite error naming the key, the file and the line, before anything is sent.

use std::path::Path;

use serde_json::Value;
use toml::de::{DeTable, DeValue};

use super::error::{SuiteError, line_col};
use super::model::{Inputs, SuiteFile};
use super::template::references;
use crate::spec::{Document, Operation, ParamLocation, SchemeKind};

/// Slowest accepted pace: one request in about 11.5 days. Slower is a typo (and the pacer's
/// interval would overflow a `Duration`).
pub const MIN_RATE: f64 = 1e-6;
/// Longest accepted `max_response_time`, in seconds.
pub const MAX_RESPONSE_TIME: f64 = 3600.0;
pub const MAX_EXAMPLES: u32 = 10_000;
pub const MAX_BURST: u32 = 100_000;
pub const MAX_BUDGET: u32 = 10_000_000;

/// Every number of the suite within its range, or an error at the first one that is not.
pub(crate) fn check_numbers(path: &Path, text: &str, file: &SuiteFile) -> Result<(), SuiteError> {
    let error = |keys: &[&str], message: String| SuiteError {
        file: path.to_path_buf(),
        location: key_location(text, keys),
        key: Some(dotted(keys)),
        message,
    };
    let rate = |keys: &[&str], r: f64| -> Result<(), SuiteError> {
        if r.is_finite() && r >= MIN_RATE {
            Ok(())
        } else {
            Err(error(
                keys,
                format!(
                    "`rate` is {r:?}; it must be a finite number of requests per second, at least {MIN_RATE:?}"
                ),
            ))
        }
    };
    let count = |keys: &[&str], n: u32, lo: u32, hi: u32| -> Result<(), SuiteError> {
        if (lo..=hi).contains(&n) {
            Ok(())
        } else {
            let name = keys.last().copied().unwrap_or_default();
            Err(error(
                keys,
                format!("`{name}` is {n}; it must be between {lo} and {hi}"),
            ))
        }
    };
    let header = &file.suite;
    if let Some(r) = header.rate {
        rate(&["suite", "rate"], r)?;
    }
    if let Some(t) = header.max_response_time
        && !(t.is_finite() && t > 0.0 && t <= MAX_RESPONSE_TIME)
    {
        return Err(error(
            &["suite", "max_response_time"],
            format!(
                "`max_response_time` is {t:?}; it must be a number of seconds above 0 and at most {MAX_RESPONSE_TIME}"
            ),
        ));
    }
    if let Some(n) = header.examples {
        count(&["suite", "examples"], n, 1, MAX_EXAMPLES)?;
    }
    for (id, op) in &file.operations {
        if let Some(r) = op.rate {
            rate(&["operations", id, "rate"], r)?;
        }
        if let Some(b) = op.burst {
            count(&["operations", id, "burst"], b, 1, MAX_BURST)?;
        }
        if let Some(b) = op.budget {
            count(&["operations", id, "budget"], b, 1, MAX_BUDGET)?;
        }
    }
    for (class, recipe) in &file.recipes {
        if let Some(b) = recipe.burst {
            count(&["recipes", class, "burst"], b, 1, MAX_BURST)?;
        }
    }
    let status = |keys: &[&str], s: u16| -> Result<(), SuiteError> {
        if (100..=599).contains(&s) {
            Ok(())
        } else {
            Err(error(
                keys,
                format!("`expect_status` is {s}; an HTTP status is between 100 and 599"),
            ))
        }
    };
    for (id, case) in &file.cases {
        if let Some(s) = case.expect_status {
            status(&["cases", id, "expect_status"], s)?;
        }
    }
    for (name, flow) in &file.flows {
        for step in &flow.steps {
            if let Some(s) = step.expect_status {
                status(&["flows", name, "steps", "expect_status"], s)?;
            }
        }
    }
    Ok(())
}

/// Flows that need each other's captures (`a` uses `${flows.b.x}`, `b` uses `${flows.a.y}`)
/// would never finish: refused, naming the cycle. A flow may use what its own earlier steps
/// captured.
pub(crate) fn check_flow_cycles(
    path: &Path,
    text: &str,
    file: &SuiteFile,
) -> Result<(), SuiteError> {
    let names: Vec<&String> = file.flows.keys().collect();
    // Edges: flow index -> flows it needs.
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); names.len()];
    for (i, (name, flow)) in file.flows.iter().enumerate() {
        for (s, step) in flow.steps.iter().enumerate() {
            let inputs = step.inputs();
            let mut strings: Vec<String> = Vec::new();
            for v in inputs.inputs.values() {
                collect(v, &mut strings);
            }
            strings.extend(inputs.headers.values().cloned());
            strings.extend(inputs.query.values().cloned());
            strings.extend(inputs.body.iter().cloned());
            for reference in strings.iter().flat_map(|s| references(s)) {
                let parts: Vec<&str> = reference.split('.').collect();
                let ["flows", other, var] = parts.as_slice() else {
                    continue;
                };
                let earlier = flow.steps[..s].iter().any(|e| e.capture.contains_key(*var));
                if *other == name.as_str() && earlier {
                    continue;
                }
                if let Some(j) = names.iter().position(|n| n.as_str() == *other)
                    && !edges[i].contains(&j)
                {
                    edges[i].push(j);
                }
            }
        }
    }
    // Depth-first search with colours; the grey path is the cycle when a grey node is met.
    let mut colour = vec![0u8; names.len()];
    let mut stack: Vec<usize> = Vec::new();
    fn visit(
        n: usize,
        edges: &[Vec<usize>],
        colour: &mut [u8],
        stack: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        colour[n] = 1;
        stack.push(n);
        for &m in &edges[n] {
            if colour[m] == 1 {
                let start = stack.iter().position(|&x| x == m).unwrap_or(0);
                let mut cycle = stack[start..].to_vec();
                cycle.push(m);
                return Some(cycle);
            }
            if colour[m] == 0
                && let Some(cycle) = visit(m, edges, colour, stack)
            {
                return Some(cycle);
            }
        }
        stack.pop();
        colour[n] = 2;
        None
    }
    for n in 0..names.len() {
        if colour[n] == 0
            && let Some(cycle) = visit(n, &edges, &mut colour, &mut stack)
        {
            let first = names[cycle[0]];
            let chain: Vec<String> = cycle
                .iter()
                .map(|&i| format!("flows.{}", names[i]))
                .collect();
            return Err(SuiteError {
                file: path.to_path_buf(),
                location: key_location(text, &["flows", first]),
                key: Some(format!("flows.{first}")),
                message: format!(
                    "flows need each other's captures in a cycle: {}",
                    chain.join(" -> ")
                ),
            });
        }
    }
    Ok(())
}

/// `[protocol]` names only protocol checks and endpoint roles conform knows.
pub(crate) fn check_protocol(path: &Path, text: &str, file: &SuiteFile) -> Result<(), SuiteError> {
    use crate::check::protocol::{Endpoint, ProtocolId};
    let Some(protocol) = &file.protocol else {
        return Ok(());
    };
    let error = |keys: &[&str], message: String| SuiteError {
        file: path.to_path_buf(),
        location: key_location(text, keys),
        key: Some(dotted(keys)),
        message,
    };
    for name in &protocol.checks {
        if name != "all"
            && let Err(message) = name.parse::<ProtocolId>()
        {
            return Err(error(&["protocol", "checks"], message));
        }
    }
    for role in protocol.endpoints.keys() {
        if !Endpoint::ALL.iter().any(|e| e.as_str() == role) {
            let roles: Vec<&str> = Endpoint::ALL.iter().map(|e| e.as_str()).collect();
            return Err(error(
                &["protocol", "endpoints", role],
                format!("no endpoint role `{role}` (known: {})", roles.join(", ")),
            ));
        }
    }
    Ok(())
}

fn collect(value: &toml::Value, out: &mut Vec<String>) {
    match value {
        toml::Value::String(s) => out.push(s.clone()),
        toml::Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        toml::Value::Table(t) => t.values().for_each(|v| collect(v, out)),
        _ => {}
    }
}

fn dotted(keys: &[&str]) -> String {
    let mut out = String::new();
    for k in keys {
        if k.starts_with('[') && k.ends_with(']') {
            // An array index: `steps[0]`.
            out.push_str(k);
            continue;
        }
        if !out.is_empty() {
            out.push('.');
        }
        if k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            out.push_str(k);
        } else {
            out.push_str(&format!("{k:?}"));
        }
    }
    out
}

/// 1-based line and column of the key at `keys` (tables by name, arrays of tables: the first
/// element that has the rest), from the TOML parser's spans.
pub(crate) fn key_location(text: &str, keys: &[&str]) -> Option<(usize, usize)> {
    let table = DeTable::parse(text).ok()?;
    let span = find_in_table(table.get_ref(), keys)?;
    Some(line_col(text, span))
}

fn find_in_table(table: &DeTable<'_>, keys: &[&str]) -> Option<usize> {
    let (first, rest) = keys.split_first()?;
    let (key, value) = table.iter().find(|(k, _)| k.get_ref().as_ref() == *first)?;
    if rest.is_empty() {
        return Some(key.span().start);
    }
    find_in_value(value.get_ref(), rest)
}

fn find_in_value(value: &DeValue<'_>, keys: &[&str]) -> Option<usize> {
    match value {
        DeValue::Table(t) => find_in_table(t, keys),
        DeValue::Array(items) => {
            // `[N]` picks one element (a flow's step, an `omit` entry); else the first that has
            // the rest.
            if let Some(index) = keys
                .first()
                .and_then(|k| k.strip_prefix('['))
                .and_then(|k| k.strip_suffix(']'))
                .and_then(|k| k.parse::<usize>().ok())
            {
                let item = items.get(index)?;
                return match &keys[1..] {
                    [] => Some(item.span().start),
                    rest => find_in_value(item.get_ref(), rest),
                };
            }
            items.iter().find_map(|v| find_in_value(v.get_ref(), keys))
        }
        _ => None,
    }
}

/// Every `inputs` and `omit` key names something the request has: a parameter, an API-key
/// credential of the operation's security, or a top-level body property (any media type, any
/// `allOf`/`oneOf`/`anyOf` branch). A key that matches nothing would be dropped without a word,
/// so it is refused, naming the key, the file and the line. A recipe class's inputs apply to
/// many operations: there a key must match at least one.
pub(crate) fn check_input_keys(
    path: &Path,
    text: &str,
    file: &SuiteFile,
    doc: &Document,
) -> Result<(), SuiteError> {
    let names: Vec<(String, InputNames)> = doc
        .operations
        .iter()
        .map(|op| (op.id(), InputNames::of(doc, op)))
        .collect();
    let of = |id: &str| names.iter().find(|(i, _)| i == id).map(|(_, n)| n);
    let check = |table: &[&str], inputs: &Inputs, matches: &dyn Fn(&str) -> bool, what: &str| {
        for key in inputs.inputs.keys() {
            if !matches(key) {
                let mut keys = table.to_vec();
                keys.extend(["inputs", key.as_str()]);
                return Err(SuiteError {
                    file: path.to_path_buf(),
                    location: key_location(text, &keys),
                    key: Some(dotted(&keys)),
                    message: format!(
                        "`inputs` key `{key}` matches no parameter or body property of {what}"
                    ),
                });
            }
        }
        for (i, key) in inputs.omit.iter().enumerate() {
            if !matches(key) {
                let mut keys = table.to_vec();
                keys.push("omit");
                let at = format!("[{i}]");
                let mut located = keys.clone();
                located.push(&at);
                return Err(SuiteError {
                    file: path.to_path_buf(),
                    location: key_location(text, &located).or_else(|| key_location(text, &keys)),
                    key: Some(format!("{}[{i}]", dotted(&keys))),
                    message: format!(
                        "`omit` entry `{key}` matches no parameter or body property of {what}"
                    ),
                });
            }
        }
        Ok(())
    };
    for (id, settings) in &file.operations {
        let Some(n) = of(id) else { continue };
        check(
            &["operations", id],
            &settings.inputs(),
            &|k| n.matches(k),
            &format!("operation `{id}`"),
        )?;
    }
    for (case, settings) in &file.cases {
        let op = case.rsplit_once('/').map_or(case.as_str(), |(op, _)| op);
        let Some(n) = of(op) else { continue };
        check(
            &["cases", case],
            &settings.inputs(),
            &|k| n.matches(k),
            &format!("operation `{op}`"),
        )?;
    }
    for (class, settings) in &file.recipes {
        check(
            &["recipes", class],
            &settings.inputs(),
            &|k| names.iter().any(|(_, n)| n.matches(k)),
            "any operation of the document",
        )?;
    }
    for (name, flow) in &file.flows {
        for (i, step) in flow.steps.iter().enumerate() {
            // A step to a path outside the document sends its inputs as a query: any name goes.
            let Some(op) = &step.operation else { continue };
            let Some(n) = of(op) else { continue };
            let index = format!("[{i}]");
            check(
                &["flows", name, "steps", &index],
                &step.inputs(),
                &|k| n.matches(k),
                &format!("operation `{op}` (flow `{name}` step {})", i + 1),
            )?;
        }
    }
    Ok(())
}

/// The names an operation's inputs may use.
struct InputNames {
    names: Vec<String>,
    /// Header parameters and API keys, matched without regard to case.
    headers: Vec<String>,
    /// A body schema allows properties it does not name (`additionalProperties` written as
    /// `true` or a schema), or could not be followed: any key may be a body property.
    open: bool,
}

impl InputNames {
    fn of(doc: &Document, op: &Operation) -> InputNames {
        let mut out = InputNames {
            names: Vec::new(),
            headers: Vec::new(),
            open: false,
        };
        for p in &op.parameters {
            if p.location == ParamLocation::Header {
                out.headers.push(p.name.to_ascii_lowercase());
            }
            out.names.push(p.name.clone());
        }
        for scheme in op.security.iter().flatten() {
            if let Some(SchemeKind::ApiKey { location, name }) = doc
                .security_schemes
                .iter()
                .find(|s| &s.name == scheme)
                .map(|s| &s.kind)
            {
                if *location == ParamLocation::Header {
                    out.headers.push(name.to_ascii_lowercase());
                }
                out.names.push(name.clone());
            }
        }
        for media in op.request_body.iter().flat_map(|b| b.content.iter()) {
            match media.schema.as_ref().and_then(|s| doc.schema(s)) {
                Some(schema) => out.properties(&doc.raw, schema, 0),
                // A body without a schema takes anything.
                None => out.open = true,
            }
        }
        out
    }

    fn properties(&mut self, root: &Value, schema: &Value, depth: usize) {
        if depth > 32 {
            self.open = true;
            return;
        }
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            match reference
                .strip_prefix('#')
                .and_then(|p| root.pointer(&percent_decode(p)))
            {
                Some(target) => self.properties(root, target, depth + 1),
                None => self.open = true,
            }
        }
        if let Some(Value::Object(props)) = schema.get("properties") {
            self.names.extend(props.keys().cloned());
        }
        match schema.get("additionalProperties") {
            Some(Value::Bool(true)) | Some(Value::Object(_)) => self.open = true,
            _ => {}
        }
        if schema.get("patternProperties").is_some() {
            self.open = true;
        }
        for keyword in ["allOf", "oneOf", "anyOf"] {
            if let Some(Value::Array(branches)) = schema.get(keyword) {
                for branch in branches {
                    self.properties(root, branch, depth + 1);
                }
            }
        }
    }

    fn matches(&self, key: &str) -> bool {
        self.open
            || self.names.iter().any(|n| n == key)
            || self.headers.contains(&key.to_ascii_lowercase())
    }
}

/// `%7B` and friends in a `$ref` pointer, decoded.
fn percent_decode(pointer: &str) -> String {
    url::form_urlencoded::parse(format!("p={}", pointer.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| pointer.to_string())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    const DOC: &str = r##"
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /token:
    post:
      operationId: token
      parameters:
        - {name: X-Trace, in: header, schema: {type: string}}
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema:
              oneOf:
                - $ref: "#/components/schemas/Password"
                - {type: object, properties: {refresh_token: {type: string}}}
      responses: {"200": {description: ok}, "400": {description: bad}}
  /items/{id}:
    get:
      operationId: item
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses: {"200": {description: ok}}
components:
  schemas:
    Password:
      allOf:
        - {type: object, properties: {grant_type: {type: string}}}
        - {type: object, properties: {password: {type: string}}}
"##;

    fn check(suite: &str) -> Result<(), crate::suite::SuiteError> {
        let doc = crate::spec::load_str(Path::new("api.yaml"), DOC).expect("document");
        let suite = crate::suite::load_str(Path::new("s.toml"), suite, &|_| None)?;
        suite.check_against(&doc)
    }

    #[test]
    fn keys_that_name_parameters_or_body_properties_load() {
        check(
            r#"
[operations.token]
inputs = { grant_type = "password", password = "p", refresh_token = "r", "x-trace" = "t" }
omit = ["X-Trace"]

[recipes.invalid-input]
inputs = { id = "nope" }

[[flows.f.steps]]
operation = "item"
inputs = { id = "1" }

[[flows.f.steps]]
path = "/outbox"
inputs = { anything = "goes" }
"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn a_key_that_matches_nothing_is_named_with_its_file_and_line() {
        let cases: [(&str, usize, &str); 5] = [
            (
                "[operations.token]\ninputs = { grant_type = \"p\", pasword = \"x\" }\n",
                2,
                "operations.token.inputs.pasword",
            ),
            (
                "[cases.\"token/400\"]\nomit = [\"password\",\n  \"granttype\"]\n",
                3,
                "cases.\"token/400\".omit[1]",
            ),
            (
                "[recipes.unauthenticated]\n\ninputs = { nowhere = 1 }\n",
                3,
                "recipes.unauthenticated.inputs.nowhere",
            ),
            (
                "[[flows.f.steps]]\noperation = \"item\"\ninputs = { id = \"1\" }\n[[flows.f.steps]]\noperation = \"item\"\ninputs = { idd = \"1\" }\n",
                6,
                "flows.f.steps[1].inputs.idd",
            ),
            // A path parameter of another operation is no key of this one.
            (
                "[operations.token]\ninputs = { id = \"1\" }\n",
                2,
                "operations.token.inputs.id",
            ),
        ];
        for (suite, line, key) in cases {
            let e = check(suite).expect_err(suite);
            assert_eq!(e.key.as_deref(), Some(key), "{e}");
            assert_eq!(e.location.map(|l| l.0), Some(line), "{e}");
            assert!(e.to_string().starts_with("s.toml:"), "{e}");
            assert!(
                e.message.contains("matches no parameter or body property"),
                "{e}"
            );
        }
    }
}
