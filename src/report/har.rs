//! The HAR reporter: `reports/exchanges.har`, HAR 1.2 of every exchange a case kept (the one that
//! decided its verdict), for browsers' devtools and other HTTP tools. Redacted like every
//! report: headers and query fields by name on the structured exchange first, then bodies and
//! the whole text through the one [`Redactor`](crate::redact::Redactor).

use serde_json::{Value, json};

use crate::execute::Exchange;
use crate::redact::{MASK, Redactor, SENSITIVE_HEADERS, SENSITIVE_NAMES};

/// The HAR document, secrets masked.
pub fn render(report: &super::RunReport<'_>) -> String {
    let started = super::timestamp(report.started);
    let entries: Vec<Value> = super::ordered(report.results)
        .into_iter()
        .filter_map(|result| {
            let exchange = result.exchange.as_ref()?;
            Some(entry(
                exchange,
                &report.info.base_url,
                &started,
                &result.id,
                report.redactor,
            ))
        })
        .collect();
    let har = json!({
        "log": {
            "version": "1.2",
            "creator": {"name": "conform", "version": env!("CARGO_PKG_VERSION")},
            "pages": [],
            "entries": entries,
            "comment": format!(
                "{} against {}, seed {}: the exchange that decided each case (bodies are excerpts)",
                report.info.spec, report.info.base_url, report.info.seed
            ),
        }
    });
    let text = serde_json::to_string_pretty(&har).unwrap_or_else(|_| "{}".into());
    report.redactor.redact(&text)
}

/// Whether a header's or a field's value is secret by its name.
fn sensitive(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SENSITIVE_HEADERS.contains(&name.as_str()) || SENSITIVE_NAMES.contains(&name.as_str())
}

fn pairs(pairs: &[(String, String)], redactor: &Redactor) -> Vec<Value> {
    pairs
        .iter()
        .map(|(name, value)| {
            let value = if sensitive(name) {
                MASK.to_string()
            } else {
                redactor.redact(value)
            };
            json!({"name": name, "value": value})
        })
        .collect()
}

fn entry(
    exchange: &Exchange,
    base_url: &str,
    started: &str,
    case: &str,
    redactor: &Redactor,
) -> Value {
    let (req, resp) = (&exchange.request, &exchange.response);
    let ms = resp.elapsed.as_secs_f64() * 1000.0;
    // The query as sent, with secret fields masked before it becomes part of the URL.
    let masked_query: Vec<(String, String)> = req
        .query
        .iter()
        .map(|(k, v)| {
            let v = if sensitive(k) {
                MASK.to_string()
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect();
    let mut shown = req.clone();
    shown.query = masked_query;
    let url = format!(
        "{}{}",
        base_url.trim_end_matches('/'),
        shown.path_and_query()
    );
    let mut headers = req.headers.clone();
    if let Some(body) = &req.body {
        headers.push(("content-type".into(), body.content_type.clone()));
    }
    let mut request = json!({
        "method": req.method,
        "url": redactor.redact(&url),
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": pairs(&headers, redactor),
        "queryString": pairs(&req.query, redactor),
        "headersSize": -1,
        "bodySize": req.body.as_ref().map(|b| b.bytes.len() as i64).unwrap_or(0),
    });
    if let Some(body) = &req.body {
        request["postData"] = json!({
            "mimeType": body.content_type,
            "text": redactor.redact(&String::from_utf8_lossy(&body.bytes)),
        });
    }
    let mime = resp.header("content-type").unwrap_or("").to_string();
    json!({
        "startedDateTime": started,
        "time": ms,
        "request": request,
        "response": {
            "status": resp.status,
            // The standard reason phrase: conform keeps no status line, and devtools show this.
            "statusText": reqwest::StatusCode::from_u16(resp.status)
                .ok()
                .and_then(|c| c.canonical_reason())
                .unwrap_or(""),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": pairs(&resp.headers, redactor),
            "content": {
                "size": resp.body.len(),
                "mimeType": mime,
                "text": redactor.redact(&String::from_utf8_lossy(&resp.body)),
            },
            "redirectURL": resp.header("location").unwrap_or(""),
            "headersSize": -1,
            "bodySize": resp.body.len(),
        },
        "cache": {},
        "timings": {"send": 0, "wait": ms, "receive": 0},
        "comment": case,
        "_case": case,
    })
}
