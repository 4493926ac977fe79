//! Shards become one report: `conform report merge DIR...` reads the `conform.json` of each
//! `--partition` shard, refuses shards of different documents, suites, seeds or conform
//! versions (and a shard given twice), and rebuilds the results every report is written from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::Value;
use thiserror::Error;

use crate::check::Violation;
use crate::event::{CaseResult, Outcome, ResultKind, RunInfo, Totals};
use crate::execute::{Body, Exchange, Request, Response};
use crate::plan::Recipe;

/// Why shards could not be merged.
#[derive(Debug, Error)]
pub enum MergeError {
    #[error("nothing to merge: name at least one report directory")]
    NoShards,
    #[error("could not read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a conform JSON report: {message}")]
    Parse { path: PathBuf, message: String },
    #[error(
        "{second} and {first} are shards of different runs: {what} `{b}` differs from `{a}`; merge only shards of one document, suite and seed"
    )]
    Mismatch {
        what: &'static str,
        first: PathBuf,
        second: PathBuf,
        a: String,
        b: String,
    },
    #[error("{path} and {other} both ran case {case} (the same shard twice?)")]
    Duplicate {
        case: String,
        path: PathBuf,
        other: PathBuf,
    },
}

/// One shard's report, read back.
pub struct Shard {
    pub path: PathBuf,
    pub version: String,
    pub info: RunInfo,
    pub started: SystemTime,
    pub duration: Duration,
    pub warnings: Vec<String>,
    pub results: Vec<CaseResult>,
}

/// The shards as one run.
pub struct Merged {
    pub info: RunInfo,
    pub started: SystemTime,
    pub duration: Duration,
    pub totals: Totals,
    pub warnings: Vec<String>,
    pub results: Vec<CaseResult>,
    pub shards: usize,
}

/// Reads `dir/conform.json` (or the file itself, when `dir` names one).
pub fn read_shard(dir: &Path) -> Result<Shard, MergeError> {
    let path = if dir.is_dir() {
        dir.join("conform.json")
    } else {
        dir.to_path_buf()
    };
    let text = std::fs::read_to_string(&path).map_err(|source| MergeError::Read {
        path: path.clone(),
        source,
    })?;
    let parse_error = |message: String| MergeError::Parse {
        path: path.clone(),
        message,
    };
    let value: Value = serde_json::from_str(&text).map_err(|e| parse_error(e.to_string()))?;
    let run = value
        .get("run")
        .ok_or_else(|| parse_error("no `run`".into()))?;
    let info = run_info(run).map_err(parse_error)?;
    let cases = value["cases"]
        .as_array()
        .ok_or_else(|| parse_error("no `cases` array".into()))?;
    let results = cases
        .iter()
        .map(case_result)
        .collect::<Result<Vec<_>, _>>()
        .map_err(parse_error)?;
    Ok(Shard {
        version: str_of(&value, "conform_version").unwrap_or_default(),
        info,
        started: SystemTime::UNIX_EPOCH
            + Duration::from_secs(value["started_unix"].as_u64().unwrap_or(0)),
        duration: Duration::from_secs_f64(value["duration"].as_f64().unwrap_or(0.0).max(0.0)),
        warnings: value["warnings"]
            .as_array()
            .map(|w| {
                w.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
        results,
        path,
    })
}

/// Merges shards: each case's result from the shard that ran it (filtered out only where no
/// shard ran it), totals counted again, the earliest start and the longest shard's duration.
pub fn merge(shards: Vec<Shard>) -> Result<Merged, MergeError> {
    let first = shards.first().ok_or(MergeError::NoShards)?;
    for shard in &shards[1..] {
        let checks: [(&'static str, String, String); 4] = [
            ("document", first.info.spec.clone(), shard.info.spec.clone()),
            (
                "suite",
                first.info.suite.clone().unwrap_or_else(|| "(none)".into()),
                shard.info.suite.clone().unwrap_or_else(|| "(none)".into()),
            ),
            (
                "seed",
                first.info.seed.to_string(),
                shard.info.seed.to_string(),
            ),
            (
                "conform version",
                first.version.clone(),
                shard.version.clone(),
            ),
        ];
        for (what, a, b) in checks {
            if a != b {
                return Err(MergeError::Mismatch {
                    what,
                    first: first.path.clone(),
                    second: shard.path.clone(),
                    a,
                    b,
                });
            }
        }
    }
    let mut chosen: BTreeMap<String, (usize, CaseResult)> = BTreeMap::new();
    for (index, shard) in shards.iter().enumerate() {
        for result in &shard.results {
            let ran = !matches!(result.outcome, Outcome::FilteredOut);
            match chosen.get(&result.id) {
                None => {
                    chosen.insert(result.id.clone(), (index, result.clone()));
                }
                Some((other, existing)) => {
                    let existing_ran = !matches!(existing.outcome, Outcome::FilteredOut);
                    if ran && existing_ran {
                        return Err(MergeError::Duplicate {
                            case: result.id.clone(),
                            path: shard.path.clone(),
                            other: shards[*other].path.clone(),
                        });
                    }
                    if ran {
                        chosen.insert(result.id.clone(), (index, result.clone()));
                    }
                }
            }
        }
    }
    let results: Vec<CaseResult> = chosen.into_values().map(|(_, r)| r).collect();
    let mut totals = Totals::default();
    for result in &results {
        totals.add(result);
    }
    let mut info = first.info.clone();
    info.partition = None;
    let mut targets: Vec<&str> = shards.iter().map(|s| s.info.base_url.as_str()).collect();
    targets.dedup();
    if targets.len() > 1 {
        info.base_url = targets.join(", ");
    }
    Ok(Merged {
        info,
        started: shards
            .iter()
            .map(|s| s.started)
            .min()
            .unwrap_or(SystemTime::UNIX_EPOCH),
        duration: shards.iter().map(|s| s.duration).max().unwrap_or_default(),
        totals,
        warnings: first.warnings.clone(),
        results,
        shards: shards.len(),
    })
}

fn str_of(value: &Value, key: &str) -> Option<String> {
    value.get(key)?.as_str().map(String::from)
}

fn need(value: &Value, key: &str) -> Result<String, String> {
    str_of(value, key).ok_or_else(|| format!("a case or run without `{key}`"))
}

fn run_info(run: &Value) -> Result<RunInfo, String> {
    Ok(RunInfo {
        spec: need(run, "spec")?,
        title: need(run, "title")?,
        base_url: need(run, "base_url")?,
        seed: run["seed"].as_u64().ok_or("the run has no seed")?,
        embedded_server: run["embedded_server"].as_bool().unwrap_or(false),
        patches: strings(&run["patches"]),
        strict: run["strict"].as_bool().unwrap_or(false),
        suite: str_of(run, "suite"),
        partition: str_of(run, "partition"),
    })
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn recipe(name: &str) -> Result<Recipe, String> {
    Ok(match name {
        "success" => Recipe::Success,
        "invalid-input" => Recipe::InvalidInput,
        "unauthenticated" => Recipe::Unauthenticated,
        "forbidden" => Recipe::Forbidden,
        "not-found" => Recipe::NotFound,
        "method-not-allowed" => Recipe::MethodNotAllowed,
        "rate-limited" => Recipe::RateLimited,
        "server-error" => Recipe::ServerError,
        "other" => Recipe::Other,
        other => return Err(format!("unknown recipe `{other}`")),
    })
}

fn violations(value: &Value) -> Result<Vec<Violation>, String> {
    value
        .as_array()
        .ok_or("a failure without violations")?
        .iter()
        .map(|v| {
            let check = need(v, "check")?.parse()?;
            let mut violation = Violation::new(check, need(v, "message")?);
            violation.instance_path = str_of(v, "instance_path");
            violation.schema_path = str_of(v, "schema_path");
            violation.spec_pointer = str_of(v, "spec_pointer");
            violation.source = str_of(v, "source");
            violation.observed = str_of(v, "observed");
            Ok(violation)
        })
        .collect()
}

fn outcome(case: &Value) -> Result<Outcome, String> {
    Ok(match need(case, "outcome")?.as_str() {
        "passed" => Outcome::Passed,
        "failed" => Outcome::Failed {
            violations: violations(&case["violations"])?,
        },
        "unreached" => Outcome::Unreached {
            status: case["status"]
                .as_u64()
                .or_else(|| case["status"].as_str().and_then(|s| s.parse().ok()))
                .unwrap_or(0) as u16,
            reason: need(case, "reason")?,
        },
        "blocked" => Outcome::Blocked {
            flow: need(case, "flow")?,
            message: need(case, "message")?,
        },
        "error" => Outcome::Error {
            message: need(case, "message")?,
        },
        "ignored" => Outcome::Ignored {
            reason: need(case, "reason")?,
        },
        "known-failure" => Outcome::KnownFailure {
            recorded: need(case, "recorded")?,
            violations: violations(&case["violations"])?,
        },
        "filtered-out" => Outcome::FilteredOut,
        other => return Err(format!("unknown outcome `{other}`")),
    })
}

fn pair_list(value: &Value) -> Vec<(String, String)> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| Some((p[0].as_str()?.to_string(), p[1].as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn exchange(value: &Value) -> Option<Exchange> {
    let req = &value["request"];
    let resp = &value["response"];
    Some(Exchange {
        request: Request {
            method: str_of(req, "method")?,
            path: str_of(req, "path")?,
            query: pair_list(&req["query"]),
            headers: pair_list(&req["headers"]),
            body: req["body"].as_object().map(|b| Body {
                content_type: b
                    .get("content_type")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                bytes: b
                    .get("bytes")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .as_bytes()
                    .to_vec(),
            }),
        },
        response: Response {
            status: resp["status"].as_u64()? as u16,
            headers: pair_list(&resp["headers"]),
            body: resp["body"]
                .as_str()
                .unwrap_or_default()
                .as_bytes()
                .to_vec(),
            elapsed: Duration::from_secs_f64(
                resp["elapsed"].as_f64().unwrap_or(0.0).max(0.0) / 1000.0,
            ),
        },
    })
}

fn case_result(case: &Value) -> Result<CaseResult, String> {
    // With the outcome flattened into the case, an unreached case's `status` is the status the
    // server answered; the planned status is the end of its id.
    let id = need(case, "id")?;
    let outcome = outcome(case)?;
    let status = match (&outcome, case["status"].as_str()) {
        (Outcome::Unreached { .. }, _) | (_, None) => {
            id.rsplit('/').next().unwrap_or("").to_string()
        }
        (_, Some(s)) => s.to_string(),
    };
    Ok(CaseResult {
        kind: match case["kind"].as_str() {
            Some("flow") => ResultKind::Flow,
            Some("protocol") => ResultKind::Protocol,
            _ => ResultKind::Case,
        },
        name: need(case, "name")?,
        operation: need(case, "operation")?,
        status,
        recipe: recipe(&need(case, "recipe")?)?,
        outcome,
        convention: str_of(case, "convention"),
        duration: Duration::from_secs_f64(case["duration"].as_f64().unwrap_or(0.0).max(0.0)),
        requests: case["requests"].as_u64().unwrap_or(0) as usize,
        exchange: case.get("exchange").and_then(exchange),
        body_bytes: case["body_bytes"].as_u64().map(|n| n as usize),
        curl: str_of(case, "curl"),
        rerun: need(case, "rerun")?,
        violation_sought: str_of(case, "violation_sought"),
        sent: strings(&case["sent"]),
        note: str_of(case, "note"),
        id,
    })
}
