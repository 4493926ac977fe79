//! Load-time checks of a suite's numbers and of cycles between its flows: a bad value is a
//! suite error naming the key, the file and the line, before anything is sent.

use std::path::Path;

use toml::de::{DeTable, DeValue};

use super::error::{SuiteError, line_col};
use super::model::SuiteFile;
use super::template::references;

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
    keys.iter()
        .map(|k| {
            if k.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                k.to_string()
            } else {
                format!("{k:?}")
            }
        })
        .collect::<Vec<_>>()
        .join(".")
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
        DeValue::Array(items) => items.iter().find_map(|v| find_in_value(v.get_ref(), keys)),
        _ => None,
    }
}
