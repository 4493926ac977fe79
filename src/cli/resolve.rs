//! The resolve stage: flags and suite turned, once, into everything a command needs (the
//! document with the suite's patches applied, the target, safety, pacing, selection, seed),
//! every value validated. Flags win over the suite, the suite over defaults.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use conform::execute::{Limit, TlsOptions};
use conform::recipe::{DEFAULT_EXAMPLES, Safety};
use conform::redact::Secret;
use conform::report::console::ConsoleFormat;
use conform::runner::{DEFAULT_TEST_THREADS, Selection, StatusFilter};
use conform::spec::Document;
use conform::spec::Method;
use conform::suite::{self, Suite};
use indexmap::IndexMap;

use super::CliError;
use super::args::RunArgs;

/// The flagship document, built in so `conform` works from any directory.
pub const EMBEDDED_SPEC: &str = include_str!("../../spec/auth0-authentication.yaml");
/// Where the repository keeps it.
pub const DEFAULT_SPEC_PATH: &str = "spec/auth0-authentication.yaml";
/// The suite that matches the reference server's seeded tenant, built in as well.
pub const EMBEDDED_SUITE: &str = include_str!("../../suites/reference.toml");
/// Where the repository keeps it.
pub const DEFAULT_SUITE_PATH: &str = "suites/reference.toml";

/// The longest `--timeout` or `max_response_time`: an hour.
const MAX_SECONDS: f64 = 3600.0;
/// The most generated examples per case.
const MAX_EXAMPLES: u32 = 10_000;

/// The document a command works on, as the suite patches it.
pub struct Resolved {
    pub suite: Option<Arc<Suite>>,
    pub doc: Arc<Document>,
    /// The suite's patches, as notes with their reasons.
    pub patches: Vec<String>,
}

/// Loads the suite (`--suite`, or the reference suite when the target is the embedded server
/// and no document is named) and the document (`--spec`, else the suite's, else the default),
/// and applies the suite's patches. Every command goes through here.
pub fn document(
    spec: Option<&Path>,
    suite: Option<&Path>,
    default_suite: bool,
) -> Result<Resolved, CliError> {
    // For the embedded target, a named document gets the suite in suites/ written for it.
    let matching = match (suite, spec, default_suite) {
        (None, Some(spec), true) => suite_for(spec),
        _ => None,
    };
    let suite = match (&matching, spec) {
        (Some(path), _) => load_suite(Some(path), false)?,
        (None, Some(_)) => load_suite(suite, false)?,
        (None, None) => load_suite(suite, default_suite)?,
    };
    let spec = spec
        .map(Path::to_path_buf)
        .or_else(|| suite_spec(suite.as_deref()));
    let mut doc = load_spec(spec.as_deref())?;
    let mut patches = Vec::new();
    if let Some(suite) = &suite {
        doc = suite.patch(&doc)?;
        patches = suite.patch_notes();
        suite.check_against(&doc)?;
    }
    Ok(Resolved {
        suite,
        doc: Arc::new(doc),
        patches,
    })
}

/// `--spec`, or the default document: the repository's copy, else the built-in one.
pub fn load_spec(spec: Option<&Path>) -> Result<Document, CliError> {
    Ok(match spec {
        Some(path) => conform::spec::load(path)?,
        None if Path::new(DEFAULT_SPEC_PATH).exists() => {
            conform::spec::load(Path::new(DEFAULT_SPEC_PATH))?
        }
        None => conform::spec::load_str(Path::new(DEFAULT_SPEC_PATH), EMBEDDED_SPEC)?,
    })
}

fn load_suite(explicit: Option<&Path>, default: bool) -> Result<Option<Arc<Suite>>, CliError> {
    let suite = match explicit {
        Some(path) => suite::load(path)?,
        None if !default => return Ok(None),
        None if Path::new(DEFAULT_SUITE_PATH).exists() => {
            suite::load(Path::new(DEFAULT_SUITE_PATH))?
        }
        None => suite::load_str(Path::new(DEFAULT_SUITE_PATH), EMBEDDED_SUITE, &|name| {
            std::env::var(name).ok()
        })?,
    };
    Ok(Some(Arc::new(suite)))
}

/// The suite under `suites/` whose `[suite] spec` is `spec`, if one is.
fn suite_for(spec: &Path) -> Option<PathBuf> {
    let wanted = std::fs::canonicalize(spec).ok()?;
    let mut entries: Vec<PathBuf> = std::fs::read_dir("suites")
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    entries.sort();
    entries.into_iter().find(|path| {
        let Ok(text) = std::fs::read_to_string(path) else {
            return false;
        };
        let Ok(value) = text.parse::<toml::Table>() else {
            return false;
        };
        let named = value
            .get("suite")
            .and_then(|s| s.get("spec"))
            .and_then(|s| s.as_str());
        let base = path.parent().unwrap_or(Path::new("."));
        named.and_then(|n| std::fs::canonicalize(base.join(n)).ok()) == Some(wanted.clone())
    })
}

/// The document a suite names, relative to the suite file.
fn suite_spec(suite: Option<&Suite>) -> Option<PathBuf> {
    let suite = suite?;
    let spec = suite.file.suite.spec.as_ref()?;
    let base = suite.path.parent().unwrap_or(Path::new("."));
    Some(base.join(spec))
}

/// Which server a run tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// conform's embedded reference server, started for the run.
    Embedded,
    /// A server at this base URL (no trailing slash).
    Url(String),
}

/// Everything `conform run` needs, resolved and validated.
pub struct RunConfig {
    pub resolved: Resolved,
    pub target: Target,
    pub live: bool,
    pub safety: Safety,
    pub examples: u32,
    pub seed: u64,
    pub timeout: Duration,
    pub max_requests: Option<usize>,
    pub max_response_time: Option<Duration>,
    pub strict: bool,
    /// Pace and budget per operation id.
    pub limits: Vec<(String, Limit)>,
    pub selection: Selection,
    pub format: ConsoleFormat,
    pub report_dir: PathBuf,
    /// `conform run ...` up to the case id: every flag that changes what is sent.
    pub rerun_prefix: String,
    /// What to export before the rerun line runs (a `--header` value as a placeholder), as a
    /// shell comment for after the case id; empty when nothing is needed.
    pub rerun_note: String,
    /// Headers for every request: `[suite] headers` with `--header` on top.
    pub headers: IndexMap<String, String>,
    /// The `--header` values: secret, whatever their name; each with the environment variable
    /// it came from, or the placeholder the rerun and curl lines use for it.
    pub header_secrets: Vec<Secret>,
    /// `--ca-cert`, `--client-cert`/`--client-key`, `--insecure`: files read and checked.
    pub tls: TlsOptions,
}

/// Resolves `conform run`'s flags and suite.
pub fn run(args: &RunArgs) -> Result<RunConfig, CliError> {
    let base_url = args.base_url.as_deref().map(parse_base_url).transpose()?;
    let timeout = seconds("--timeout", args.timeout).map_err(CliError::Usage)?;
    if let Some(examples) = args.examples
        && !(1..=MAX_EXAMPLES).contains(&examples)
    {
        return Err(CliError::Usage(format!(
            "--examples {examples}: give 1 to {MAX_EXAMPLES}"
        )));
    }
    let resolved = document(
        args.spec.spec.as_deref(),
        args.suite.as_deref(),
        base_url.is_none(),
    )?;
    let header = resolved.suite.as_ref().map(|s| s.file.suite.clone());
    let target = match (&base_url, header.as_ref().and_then(|h| h.target.as_deref())) {
        (Some(url), _) => Target::Url(url.clone()),
        (None, None | Some("embedded")) => Target::Embedded,
        (None, Some(url)) => Target::Url(
            parse_base_url(url)
                .map_err(|e| CliError::SuiteValue(format!("the suite's `target`: {e}")))?,
        ),
    };
    // A live target: anything not on loopback, or whatever the user or suite says is live.
    let live = args.live
        || header.as_ref().and_then(|h| h.live) == Some(true)
        || matches!(&target, Target::Url(url) if !is_loopback_url(url));
    let max_response_time = header
        .as_ref()
        .and_then(|h| h.max_response_time)
        .map(|s| seconds("max_response_time", s))
        .transpose()
        .map_err(|e| CliError::SuiteValue(format!("the suite's {e}")))?;
    let examples = args
        .examples
        .or(header.as_ref().and_then(|h| h.examples))
        .unwrap_or(DEFAULT_EXAMPLES)
        .clamp(1, MAX_EXAMPLES);
    let limits = match &resolved.suite {
        Some(suite) => resolved
            .doc
            .operations
            .iter()
            .filter_map(|op| Some((op.id(), operation_limit(suite, &op.id()).transpose()?)))
            .map(|(id, limit)| limit.map(|l| (id, l)))
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    if args.max_fail == Some(0) {
        return Err(CliError::Usage(
            "--max-fail 0: give 1 or more (the number of failed cases that stops the run)".into(),
        ));
    }
    // --fail-fast is --max-fail 1, whatever else is given.
    let max_fail = if args.fail_fast {
        Some(1)
    } else {
        args.max_fail
    };
    let seed = args.seed.unwrap_or_else(random_seed);
    let test = &args.test;
    let methods = test
        .methods
        .iter()
        .map(|m| {
            Method::ALL
                .into_iter()
                .find(|known| known.as_str().eq_ignore_ascii_case(m.trim()))
                .ok_or_else(|| {
                    CliError::Usage(format!(
                        "--method {m:?}: give one of GET, PUT, POST, DELETE, OPTIONS, HEAD, PATCH, TRACE"
                    ))
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let statuses = test
        .statuses
        .iter()
        .map(|s| {
            s.parse::<StatusFilter>()
                .map_err(|e| CliError::Usage(format!("--status {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // A name that matches nothing in the document is a typo, not an empty selection.
    let ops = &resolved.doc.operations;
    for id in &test.operations {
        if !ops.iter().any(|op| &op.id() == id) {
            return Err(CliError::Usage(format!(
                "--operation {id:?}: the document has no operation with this id (see `conform list`)"
            )));
        }
    }
    for tag in &test.tags {
        if !ops
            .iter()
            .any(|op| op.tags.iter().any(|t| t.eq_ignore_ascii_case(tag)))
        {
            return Err(CliError::Usage(format!(
                "--tag {tag:?}: no operation of the document has this tag"
            )));
        }
    }
    let selection = Selection {
        methods,
        statuses,
        operations: test.operations.clone(),
        tags: test.tags.clone(),
        filters: test.filter.iter().cloned().collect(),
        exact: test.exact,
        skip: test.skip.clone(),
        ignored: test.ignored,
        include_ignored: test.include_ignored,
        // 0 means automatic, as in libtest.
        threads: test
            .test_threads
            .filter(|n| *n > 0)
            .unwrap_or(DEFAULT_TEST_THREADS),
        max_fail,
    };
    let format = match test.format {
        Some(super::args::RunFormat::Json) => ConsoleFormat::Json,
        Some(super::args::RunFormat::Terse) => ConsoleFormat::Terse,
        _ if test.quiet => ConsoleFormat::Terse,
        _ => ConsoleFormat::Pretty,
    };
    let (rerun_prefix, rerun_note) = rerun_prefix(args, seed, examples);
    let mut headers: IndexMap<String, String> = header
        .as_ref()
        .map(|h| h.headers.clone())
        .unwrap_or_default();
    let mut header_secrets = Vec::new();
    for text in &args.headers {
        let env = |var: &str| std::env::var(var).ok();
        let (name, value) = parse_header(text, &env)?;
        // A flag wins over the suite, whatever the case of the name.
        headers.retain(|k, _| !k.eq_ignore_ascii_case(&name));
        header_secrets.extend(header_secret_sources(text, &name, &value, &env));
        headers.insert(name, value);
    }
    let tls = tls_options(args, &target)?;
    Ok(RunConfig {
        tls,
        headers,
        header_secrets,
        strict: header.as_ref().and_then(|h| h.strict).unwrap_or(false),
        resolved,
        target,
        live,
        safety: Safety {
            live,
            allow: args.allow.clone(),
        },
        examples,
        seed,
        timeout,
        max_requests: args.max_requests,
        max_response_time,
        limits,
        selection,
        format,
        report_dir: args.report_dir.clone(),
        rerun_prefix,
        rerun_note,
    })
}

/// A base URL conform can send to: http or https, with a host; no trailing slash.
pub fn parse_base_url(text: &str) -> Result<String, CliError> {
    let usage = |why: &str| {
        CliError::Usage(format!(
            "--base-url {text:?}: {why} (e.g. https://tenant.eu.auth0.com or http://127.0.0.1:8787)"
        ))
    };
    let url = url::Url::parse(text).map_err(|e| match e {
        // `127.0.0.1:8787` has no scheme at all (`localhost:8789` parses as scheme `localhost`).
        url::ParseError::RelativeUrlWithoutBase => {
            usage("it has no scheme; the scheme must be http or https")
        }
        other => usage(&other.to_string()),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(usage("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(usage("no host"));
    }
    Ok(text.trim_end_matches('/').to_string())
}

/// `--header 'Name: value'`: a valid header name and value, `${VAR}` read from `env` (a missing
/// variable is a usage error naming it); `${fixtures.X}` and `${flows.F.V}` stay for the run.
pub fn parse_header(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, String), CliError> {
    let usage = |why: String| CliError::Usage(format!("--header {text:?}: {why}"));
    let Some((name, value)) = text.split_once(':') else {
        return Err(usage("give `Name: value`".into()));
    };
    let (name, value) = (name.trim(), value.trim());
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    {
        return Err(usage(format!("{name:?} is not a header name")));
    }
    let mut missing: Option<String> = None;
    let mut lookup = |var: &str| -> Result<serde_json::Value, String> {
        // `${env.X}` says outright what `${X}` means: the environment variable X.
        let var = var.strip_prefix("env.").unwrap_or(var);
        if var.contains('.') || var == "status" || var == "unique" {
            return Ok(serde_json::Value::String(format!("${{{var}}}")));
        }
        match env(var) {
            Some(v) => Ok(serde_json::Value::String(v)),
            None => {
                missing.get_or_insert_with(|| var.to_string());
                Ok(serde_json::Value::String(String::new()))
            }
        }
    };
    let expanded = conform::suite::expand(value, &mut lookup).map_err(usage)?;
    if let Some(var) = missing {
        return Err(usage(format!(
            "the environment variable {var} is not set; nothing was sent"
        )));
    }
    let value = match expanded {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    };
    if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(usage("the value holds a line break or NUL".into()));
    }
    Ok((name.to_string(), value))
}

/// The placeholder variable of a `--header` value given literally: `CONFORM_HEADER_X_API_KEY`.
pub fn header_placeholder(name: &str) -> String {
    let name: String = name
        .to_ascii_uppercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("CONFORM_HEADER_{name}")
}

/// The secrets of one `--header` (`text` as given, `value` expanded): each environment variable
/// it reads, and the whole value under its placeholder (used where no variable covers it).
fn header_secret_sources(
    text: &str,
    name: &str,
    value: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<Secret> {
    let raw = text.split_once(':').map_or("", |(_, v)| v.trim());
    let mut out: Vec<Secret> = conform::suite::references(raw)
        .into_iter()
        .map(|var| var.strip_prefix("env.").map_or(var.clone(), String::from))
        .filter(|var| !var.contains('.') && var != "status" && var != "unique")
        .filter_map(|var| env(&var).map(|v| Secret::env(v, var)))
        .collect();
    // A value that still holds a run-time template is no secret yet: what the flow captures is.
    if !value.is_empty() && !value.contains("${") {
        out.push(Secret::placeholder(
            value,
            header_placeholder(name),
            format!("the value given to --header {name}"),
        ));
    }
    out
}

/// The TLS flags: every file read and parsed now (a bad one is a usage error naming it), and
/// `--insecure` refused for a target that is neither loopback nor declared `--live`.
fn tls_options(args: &RunArgs, target: &Target) -> Result<TlsOptions, CliError> {
    let read = |flag: &str, path: &Path| -> Result<Vec<u8>, CliError> {
        std::fs::read(path).map_err(|e| CliError::Usage(format!("{flag} {}: {e}", path.display())))
    };
    let bad = |flag: &str, path: &Path, why: String| {
        CliError::Usage(format!("{flag} {}: {why}", path.display()))
    };
    let ca_pem = match &args.ca_cert {
        Some(path) => {
            let pem = read("--ca-cert", path)?;
            match reqwest::Certificate::from_pem_bundle(&pem) {
                Ok(certs) if !certs.is_empty() => Some(pem),
                Ok(_) => {
                    return Err(bad(
                        "--ca-cert",
                        path,
                        "no PEM certificate (-----BEGIN CERTIFICATE-----) in the file".into(),
                    ));
                }
                Err(e) => {
                    return Err(bad(
                        "--ca-cert",
                        path,
                        format!("not a PEM certificate: {e}"),
                    ));
                }
            }
        }
        None => None,
    };
    let identity_pem = match (&args.client_cert, &args.client_key) {
        (Some(cert), Some(key)) => {
            let mut pem = read("--client-cert", cert)?;
            match reqwest::Certificate::from_pem_bundle(&pem) {
                Ok(certs) if !certs.is_empty() => {}
                _ => {
                    return Err(bad(
                        "--client-cert",
                        cert,
                        "no PEM certificate (-----BEGIN CERTIFICATE-----) in the file".into(),
                    ));
                }
            }
            let key_pem = read("--client-key", key)?;
            pem.push(b'\n');
            pem.extend_from_slice(&key_pem);
            if let Err(e) = reqwest::Identity::from_pem(&pem) {
                return Err(bad(
                    "--client-key",
                    key,
                    format!("not a PEM private key (RSA, SEC1 or PKCS#8) for --client-cert: {e}"),
                ));
            }
            Some(pem)
        }
        (None, None) => None,
        // clap requires both; kept for callers that build RunArgs by hand.
        _ => {
            return Err(CliError::Usage(
                "--client-cert and --client-key go together".into(),
            ));
        }
    };
    if args.insecure {
        let loopback = match target {
            Target::Embedded => true,
            Target::Url(url) => is_loopback_url(url),
        };
        if !loopback && !args.live {
            return Err(CliError::Usage(
                "--insecure turns off certificate checks: allowed only for a loopback target \
                 (127.0.0.1, ::1, localhost) or with --live; for a private CA use --ca-cert FILE"
                    .into(),
            ));
        }
    }
    Ok(TlsOptions {
        accept_invalid_certs: args.insecure,
        ca_pem,
        identity_pem,
    })
}

/// A duration in seconds from a flag or the suite: finite, above zero, at most an hour.
pub fn seconds(name: &str, value: f64) -> Result<Duration, String> {
    if !value.is_finite() || value <= 0.0 || value > MAX_SECONDS {
        return Err(format!(
            "{name} {value}: give a number of seconds above 0 and at most {MAX_SECONDS}"
        ));
    }
    Duration::try_from_secs_f64(value).map_err(|e| format!("{name} {value}: {e}"))
}

/// Is the URL's host a loopback address (or `localhost`)?
pub fn is_loopback_url(url: &str) -> bool {
    match url::Url::parse(url)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    }
}

/// The pace and budget the suite sets for an operation, if any; an unusable rate is an error.
fn operation_limit(suite: &Suite, op: &str) -> Result<Option<Limit>, CliError> {
    let settings = suite.file.operations.get(op);
    let rate = settings.and_then(|o| o.rate).or(suite.file.suite.rate);
    let budget = settings.and_then(|o| o.budget);
    if let Some(rate) = rate
        && (!rate.is_finite() || rate < 1e-6)
    {
        return Err(CliError::SuiteValue(format!(
            "{}: the rate of {op} is {rate}: give requests per second, at least 0.000001",
            suite.path.display()
        )));
    }
    if rate.is_none() && budget.is_none() {
        return Ok(None);
    }
    Ok(Some(Limit {
        rate,
        burst: settings.and_then(|o| o.burst).unwrap_or(1).max(1),
        budget,
    }))
}

/// A fresh seed when none is given: time-based is enough, it is printed and recorded.
pub fn random_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    (nanos as u64) ^ ((nanos >> 64) as u64) ^ u64::from(std::process::id()).rotate_left(32)
}

/// The start of a command that reruns one case: every flag that changes what is sent. A
/// `--header` value never appears: one that reads the environment is repeated as written
/// (`'Authorization: Bearer ${TOKEN}'`, conform reads it again), any other becomes a
/// placeholder variable (`'X-Api-Key: ${CONFORM_HEADER_X_API_KEY}'`) that the returned note asks
/// to export.
fn rerun_prefix(args: &RunArgs, seed: u64, examples: u32) -> (String, String) {
    let mut needs: Vec<String> = Vec::new();
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let mut cmd = format!("conform run --seed {seed} --examples {examples}");
    if let Some(suite) = &args.suite {
        cmd.push_str(&format!(" --suite {}", quote(&suite.display().to_string())));
    }
    if let Some(spec) = &args.spec.spec {
        cmd.push_str(&format!(" --spec {}", quote(&spec.display().to_string())));
    }
    if let Some(url) = &args.base_url {
        cmd.push_str(&format!(" --base-url {}", quote(url)));
    }
    if args.timeout != super::args::DEFAULT_TIMEOUT {
        cmd.push_str(&format!(" --timeout {}", args.timeout));
    }
    for header in &args.headers {
        let (name, value) = header.split_once(':').unwrap_or((header, ""));
        let (name, value) = (name.trim(), value.trim());
        if value.contains("${") || value.is_empty() {
            cmd.push_str(&format!(" --header {}", quote(&format!("{name}: {value}"))));
        } else {
            let var = header_placeholder(name);
            cmd.push_str(&format!(
                " --header {}",
                quote(&format!("{name}: ${{{var}}}"))
            ));
            needs.push(format!("{var}=<the value given to --header {name}>"));
        }
    }
    // Without them the rerun could not reach an HTTPS target at all.
    for (flag, path) in [
        ("--ca-cert", &args.ca_cert),
        ("--client-cert", &args.client_cert),
        ("--client-key", &args.client_key),
    ] {
        if let Some(path) = path {
            cmd.push_str(&format!(" {flag} {}", quote(&path.display().to_string())));
        }
    }
    if args.insecure {
        cmd.push_str(" --insecure");
    }
    if args.live {
        cmd.push_str(" --live");
    }
    for class in &args.allow {
        cmd.push_str(&format!(" --allow {}", quote(class)));
    }
    if args.test.include_ignored || args.test.ignored {
        cmd.push_str(" --include-ignored");
    }
    // --exact picks one case, whatever shard it was in: no --partition in the rerun command.
    let note = if needs.is_empty() {
        String::new()
    } else {
        format!("  # before running, export {}", needs.join(", "))
    };
    (cmd, note)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn run_args(args: &[&str]) -> RunArgs {
        let mut argv = vec!["conform", "run"];
        argv.extend_from_slice(args);
        match super::super::args::Cli::parse_from(argv).command {
            super::super::args::Command::Run(args) => *args,
            _ => unreachable!(),
        }
    }

    fn in_repo<T>(f: impl FnOnce() -> T) -> T {
        // The default document and suite are read relative to the repository root.
        static CWD: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _guard = CWD.lock().unwrap_or_else(|e| e.into_inner());
        std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
        f()
    }

    #[test]
    fn no_target_means_the_embedded_server_and_its_suite() {
        let config = in_repo(|| run(&run_args(&[]))).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.target, Target::Embedded);
        assert!(!config.live);
        assert!(config.resolved.suite.is_some(), "the reference suite");
    }

    #[test]
    fn flags_win_over_the_suite() {
        let config = in_repo(|| {
            run(&run_args(&[
                "--suite",
                "suites/reference.toml",
                "--base-url",
                "http://127.0.0.1:9/",
                "--examples",
                "3",
                "--timeout",
                "2.5",
            ]))
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.target, Target::Url("http://127.0.0.1:9".into()));
        assert_eq!(config.examples, 3);
        assert_eq!(config.timeout, Duration::from_millis(2500));
        assert!(!config.live, "loopback is not live by itself");
        for flag in [
            "--seed ",
            "--examples 3",
            "--timeout 2.5",
            "--suite 'suites/reference.toml'",
            "--base-url 'http://127.0.0.1:9/'",
        ] {
            assert!(
                config.rerun_prefix.contains(flag),
                "{flag}: {}",
                config.rerun_prefix
            );
        }
        assert!(config.rerun_note.is_empty(), "{}", config.rerun_note);
    }

    #[test]
    fn a_remote_target_is_live_without_a_suite() {
        let config = in_repo(|| run(&run_args(&["--base-url", "https://tenant.example"])))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(config.live && config.safety.live);
        assert!(config.resolved.suite.is_none());
        assert_eq!(config.examples, DEFAULT_EXAMPLES);
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for args in [
            &["--timeout", "inf"][..],
            &["--timeout", "1e20"],
            &["--timeout", "0"],
            &["--timeout=-1"],
            &["--timeout", "NaN"],
            &["--examples", "0"],
            &["--base-url", "not a url"],
            &["--base-url", "ftp://x"],
            &["--base-url", "localhost:8789"],
            &["--base-url", "http://"],
            &["--base-url", "http://[::1"],
        ] {
            match in_repo(|| run(&run_args(args))) {
                Err(e) => assert_eq!(
                    e.exit_code(),
                    super::super::exit_code::USAGE,
                    "{args:?}: {e}"
                ),
                Ok(_) => panic!("{args:?} was accepted"),
            }
        }
    }

    #[test]
    fn a_named_document_gets_the_suite_written_for_it() {
        let config = in_repo(|| {
            run(&run_args(&[
                "--spec",
                "spec/auth0-authentication-api-3.1.json",
            ]))
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let suite = config.resolved.suite.expect("a suite");
        assert!(
            suite.path.ends_with("reference-3.1.toml"),
            "{}",
            suite.path.display()
        );
        assert_eq!(config.target, Target::Embedded);
    }

    #[test]
    fn header_flags_win_over_suite_headers_whatever_the_case() {
        let config = in_repo(|| {
            run(&run_args(&[
                "--suite",
                "tests/fixtures/own_api/plain.toml",
                "--base-url",
                "http://127.0.0.1:9",
                "--header",
                "authorization: Bearer from-the-flag",
            ]))
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let headers: Vec<(&str, &str)> = config
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            headers,
            [
                ("x-team", "blue"),
                ("authorization", "Bearer from-the-flag")
            ]
        );
        let values: Vec<&str> = config
            .header_secrets
            .iter()
            .map(|s| s.value.as_str())
            .collect();
        assert_eq!(values, ["Bearer from-the-flag"]);
        // The rerun line names a placeholder to export, never the value.
        assert!(
            config
                .rerun_prefix
                .contains("--header 'authorization: ${CONFORM_HEADER_AUTHORIZATION}'"),
            "{}",
            config.rerun_prefix
        );
        assert!(!config.rerun_prefix.contains("from-the-flag"));
        assert!(
            config
                .rerun_note
                .contains("export CONFORM_HEADER_AUTHORIZATION=<"),
            "{}",
            config.rerun_note
        );
    }

    #[test]
    fn header_values_read_the_environment_and_name_a_missing_variable() {
        let env = |name: &str| (name == "TOKEN").then(|| "t-1".to_string());
        let (name, value) = parse_header("Authorization: Bearer ${TOKEN}", &env).unwrap();
        assert_eq!(
            (name.as_str(), value.as_str()),
            ("Authorization", "Bearer t-1")
        );
        // Run-time templates stay for the runner.
        let (_, value) = parse_header("x: ${flows.login.access_token}", &env).unwrap();
        assert_eq!(value, "${flows.login.access_token}");
        match parse_header("x: ${NOPE}", &env) {
            Err(e) => assert!(e.to_string().contains("NOPE"), "{e}"),
            Ok(v) => panic!("accepted {v:?}"),
        }
        for bad in ["x", "a b: c", ": v"] {
            assert!(parse_header(bad, &env).is_err(), "{bad}");
        }
    }

    #[test]
    fn fail_fast_is_max_fail_one_and_zero_is_refused() {
        let config = in_repo(|| run(&run_args(&["--max-fail", "3"]))).unwrap();
        assert_eq!(config.selection.max_fail, Some(3));
        let config = in_repo(|| run(&run_args(&["--max-fail", "3", "--fail-fast"]))).unwrap();
        assert_eq!(config.selection.max_fail, Some(1));
        let config = in_repo(|| run(&run_args(&[]))).unwrap();
        assert_eq!(config.selection.max_fail, None);
        match in_repo(|| run(&run_args(&["--max-fail", "0"]))) {
            Err(e) => assert_eq!(e.exit_code(), super::super::exit_code::USAGE, "{e}"),
            Ok(_) => panic!("--max-fail 0 was accepted"),
        }
    }

    #[test]
    fn method_status_operation_and_tag_filters_are_checked_against_the_document() {
        let config = in_repo(|| {
            run(&run_args(&[
                "--spec",
                "tests/fixtures/own_api/api.yaml",
                "--base-url",
                "http://127.0.0.1:9",
                "--method",
                "get",
                "--status",
                "4xx",
                "--status",
                "200",
                "--operation",
                "team",
                "--tag",
                "People",
            ]))
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let s = &config.selection;
        assert_eq!(s.methods, [Method::Get]);
        assert_eq!(
            s.statuses,
            [StatusFilter::Class(4), StatusFilter::Code(200)]
        );
        assert_eq!(s.operations, ["team"]);
        assert_eq!(s.tags, ["People"]);
        for (args, named) in [
            (&["--method", "FETCH"][..], "FETCH"),
            (&["--status", "4x"], "4x"),
            (&["--operation", "nope"], "nope"),
            (&["--tag", "nope-tag"], "nope-tag"),
        ] {
            let mut argv = vec![
                "--spec",
                "tests/fixtures/own_api/api.yaml",
                "--base-url",
                "http://127.0.0.1:9",
            ];
            argv.extend_from_slice(args);
            match in_repo(|| run(&run_args(&argv))) {
                Err(e) => {
                    assert_eq!(e.exit_code(), super::super::exit_code::USAGE, "{e}");
                    assert!(e.to_string().contains(named), "{e}");
                }
                Ok(_) => panic!("{args:?} was accepted"),
            }
        }
    }

    #[test]
    fn insecure_is_for_loopback_or_an_explicit_live() {
        for args in [
            &["--insecure"][..],
            &["--insecure", "--base-url", "https://127.0.0.1:8443"],
            &[
                "--insecure",
                "--base-url",
                "https://tenant.example",
                "--live",
            ],
        ] {
            let config =
                in_repo(|| run(&run_args(args))).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            assert!(config.tls.accept_invalid_certs, "{args:?}");
        }
        match in_repo(|| {
            run(&run_args(&[
                "--insecure",
                "--base-url",
                "https://tenant.example",
            ]))
        }) {
            Err(e) => assert_eq!(e.exit_code(), super::super::exit_code::USAGE, "{e}"),
            Ok(_) => panic!("--insecure on a remote target without --live was accepted"),
        }
        let config = in_repo(|| run(&run_args(&[]))).unwrap();
        assert!(!config.tls.accept_invalid_certs && config.tls.ca_pem.is_none());
    }

    #[test]
    fn test_threads_zero_means_automatic() {
        let config = in_repo(|| run(&run_args(&["--test-threads", "0"]))).unwrap();
        assert_eq!(config.selection.threads, DEFAULT_TEST_THREADS);
    }
}
