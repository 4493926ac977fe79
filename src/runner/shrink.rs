//! Shrinking a failing generated request to a smaller one that fails the same way: optional
//! parameters and body properties are dropped (in halves, then one by one), then long strings
//! and arrays are cut by bisection, within a budget of requests.

use serde_json::Value;

use crate::generate::GeneratedRequest;

/// Where a droppable input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Query,
    Header,
    Cookie,
    Body,
}

/// One thing that can be dropped or cut.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Entry(Place, String),
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, PartialEq)]
enum Leaf {
    Query(usize),
    Header(usize),
    Cookie(usize),
    Body(Vec<Step>),
}

/// The smallest request found that still `fails`, starting from `start` (which fails), trying
/// at most `budget` candidates. `keep(place, name)` says which inputs must stay (required ones,
/// suite-pinned ones, the one an invalid request breaks on purpose).
pub fn shrink(
    start: &GeneratedRequest,
    keep: &dyn Fn(Place, &str) -> bool,
    budget: usize,
    fails: &mut dyn FnMut(&GeneratedRequest) -> bool,
) -> GeneratedRequest {
    let mut best = start.clone();
    let mut left = budget;
    let mut attempt = |candidate: &GeneratedRequest, left: &mut usize| -> bool {
        if *left == 0 || candidate == start {
            return false;
        }
        *left -= 1;
        fails(candidate)
    };

    // 1. Drop what the failure does not need: everything at once, then halves, then one by one.
    let mut remaining = droppable(&best, keep);
    let mut chunk = remaining.len();
    while chunk > 0 && !remaining.is_empty() && left > 0 {
        let mut at = 0;
        while at < remaining.len() && left > 0 {
            let end = (at + chunk).min(remaining.len());
            let candidate = without(&best, &remaining[at..end]);
            if attempt(&candidate, &mut left) {
                best = candidate;
                remaining.drain(at..end);
            } else {
                at = end;
            }
        }
        if chunk == 1 {
            break;
        }
        chunk = chunk.div_ceil(2);
    }

    // 2. Cut long strings and arrays, longest first, by bisection on their length.
    let mut leaves = leaves(&best);
    leaves.sort_by_key(|(_, len)| std::cmp::Reverse(*len));
    for (leaf, len) in leaves {
        let (mut lo, mut hi) = (0usize, len);
        while hi - lo > 1 && left > 0 {
            let mid = lo + (hi - lo) / 2;
            let Some(candidate) = cut(&best, &leaf, mid) else {
                break;
            };
            if attempt(&candidate, &mut left) {
                best = candidate;
                hi = mid;
            } else {
                lo = mid;
            }
        }
    }
    best
}

fn droppable(request: &GeneratedRequest, keep: &dyn Fn(Place, &str) -> bool) -> Vec<Item> {
    let mut items = Vec::new();
    let mut add = |place: Place, name: &str| {
        let item = Item::Entry(place, name.to_string());
        if !keep(place, name) && !items.contains(&item) {
            items.push(item);
        }
    };
    for (name, _) in &request.query {
        add(Place::Query, base_name(name));
    }
    for (name, _) in &request.headers {
        add(Place::Header, name);
    }
    for (name, _) in &request.cookies {
        add(Place::Cookie, name);
    }
    if let Some(Value::Object(map)) = request.body.as_ref().and_then(|b| b.value.as_ref()) {
        for name in map.keys() {
            add(Place::Body, name);
        }
    }
    items
}

/// `name[...]` (deepObject and array query styles) is the parameter `name`.
fn base_name(name: &str) -> &str {
    name.split('[').next().unwrap_or(name)
}

fn without(request: &GeneratedRequest, items: &[Item]) -> GeneratedRequest {
    let mut out = request.clone();
    let dropped = |place: Place, name: &str| {
        items
            .iter()
            .any(|Item::Entry(p, n)| *p == place && n == name)
    };
    out.query
        .retain(|(k, _)| !dropped(Place::Query, base_name(k)));
    out.headers.retain(|(k, _)| !dropped(Place::Header, k));
    out.cookies.retain(|(k, _)| !dropped(Place::Cookie, k));
    if let Some(Value::Object(map)) = out.body.as_mut().and_then(|b| b.value.as_mut()) {
        map.retain(|k, _| !dropped(Place::Body, k));
    }
    out
}

/// Strings (by characters) and arrays (by items) longer than one, with their lengths.
fn leaves(request: &GeneratedRequest) -> Vec<(Leaf, usize)> {
    let chars = |s: &str| s.chars().count();
    let mut out = Vec::new();
    for (i, (_, v)) in request.query.iter().enumerate() {
        out.push((Leaf::Query(i), chars(v)));
    }
    for (i, (_, v)) in request.headers.iter().enumerate() {
        out.push((Leaf::Header(i), chars(v)));
    }
    for (i, (_, v)) in request.cookies.iter().enumerate() {
        out.push((Leaf::Cookie(i), chars(v)));
    }
    fn walk(value: &Value, path: &mut Vec<Step>, out: &mut Vec<(Leaf, usize)>) {
        match value {
            Value::String(s) => out.push((Leaf::Body(path.clone()), s.chars().count())),
            Value::Array(items) => {
                out.push((Leaf::Body(path.clone()), items.len()));
                for (i, item) in items.iter().enumerate() {
                    path.push(Step::Index(i));
                    walk(item, path, out);
                    path.pop();
                }
            }
            Value::Object(map) => {
                for (k, v) in map {
                    path.push(Step::Key(k.clone()));
                    walk(v, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    if let Some(value) = request.body.as_ref().and_then(|b| b.value.as_ref()) {
        walk(value, &mut Vec::new(), &mut out);
    }
    out.retain(|(_, len)| *len > 1);
    out
}

/// `request` with the leaf cut to `len` characters or items.
fn cut(request: &GeneratedRequest, leaf: &Leaf, len: usize) -> Option<GeneratedRequest> {
    let mut out = request.clone();
    let truncate = |s: &mut String| {
        if let Some((at, _)) = s.char_indices().nth(len) {
            s.truncate(at);
        }
    };
    match leaf {
        Leaf::Query(i) => truncate(&mut out.query.get_mut(*i)?.1),
        Leaf::Header(i) => truncate(&mut out.headers.get_mut(*i)?.1),
        Leaf::Cookie(i) => truncate(&mut out.cookies.get_mut(*i)?.1),
        Leaf::Body(path) => {
            let mut node = out.body.as_mut()?.value.as_mut()?;
            for step in path {
                node = match step {
                    Step::Key(k) => node.get_mut(k)?,
                    Step::Index(i) => node.get_mut(*i)?,
                };
            }
            match node {
                Value::String(s) => truncate(s),
                Value::Array(items) => items.truncate(len),
                _ => return None,
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::encode::Body;
    use crate::spec::Method;
    use serde_json::json;

    fn request(nonce: &str, extra: bool) -> GeneratedRequest {
        let mut query = vec![("nonce".to_string(), nonce.to_string())];
        if extra {
            query.push(("prompt".to_string(), "login".to_string()));
        }
        GeneratedRequest {
            method: Method::Get,
            path: "/authorize".into(),
            query,
            headers: Vec::new(),
            cookies: Vec::new(),
            body: Some(Body {
                content_type: "application/json".into(),
                bytes: Vec::new(),
                value: Some(json!({"a": "x".repeat(300), "tags": [1, 2, 3, 4, 5, 6, 7, 8]})),
            }),
            violation: None,
        }
    }

    #[test]
    fn keeps_what_the_failure_needs_and_cuts_the_rest() {
        // The failure: a nonce longer than 1,000 characters.
        let start = request(&"n".repeat(3_800), true);
        let mut sent = 0;
        let mut fails = |r: &GeneratedRequest| {
            sent += 1;
            r.query
                .iter()
                .any(|(k, v)| k == "nonce" && v.chars().count() > 1_000)
        };
        let keep = |_: Place, name: &str| name == "nonce";
        let small = shrink(&start, &keep, 48, &mut fails);
        let nonce = &small.query.iter().find(|(k, _)| k == "nonce").unwrap().1;
        assert!(
            nonce.len() > 1_000 && nonce.len() <= 1_100,
            "{}",
            nonce.len()
        );
        assert!(!small.query.iter().any(|(k, _)| k == "prompt"), "{small:?}");
        assert_eq!(small.body.as_ref().unwrap().value, Some(json!({})));
        assert!(sent <= 48);
    }

    #[test]
    fn never_spends_more_than_the_budget() {
        let start = request(&"n".repeat(3_800), true);
        let mut sent = 0;
        let mut fails = |_: &GeneratedRequest| {
            sent += 1;
            false
        };
        shrink(&start, &|_, _| false, 10, &mut fails);
        assert_eq!(sent, 10);
    }
}
