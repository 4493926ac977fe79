//! The commands, wired stage to stage: spec → plan → (generate → execute → check) → report.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

use crate::cli::{
    Cli, Command, LintArgs, ListArgs, ListFormat, RateLimitProfile, RunArgs, ServeArgs,
};
use crate::config::{DEFAULT_SUITE_PATH, EMBEDDED_SUITE, RunConfig, load_spec, random_seed};
use crate::execute::{Client, ClientOptions, ExecuteError};
use crate::plan::{Plan, plan};
use crate::recipe::{DEFAULT_EXAMPLES, RecipeBook, Safety};
use crate::reference_server::{self, Fault, RateLimits, ServerConfig};
use crate::report::{self, Redactor};
use crate::runner::{self, RunContext, RunInfo};
use crate::runner::{Baseline, Flows, Limit, Pacer};
use crate::schema::SchemaSet;
use crate::spec::{Document, SpecError};
use crate::suite::{self, Suite, SuiteError};
use crate::{check, exit_code};

/// Why a command could not do its work. Each maps to one exit code.
#[derive(Debug, Error)]
pub enum AppError {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error(transparent)]
    Suite(#[from] SuiteError),
    #[error("could not start the tokio runtime")]
    Runtime(#[source] std::io::Error),
    #[error("could not set up the HTTP client")]
    Client(#[from] ExecuteError),
    #[error("{0}")]
    Target(String),
    #[error("{0}")]
    Usage(String),
    #[error("could not write the report {path}")]
    Report {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("baseline {path}")]
    Baseline {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not write to the console")]
    Console(#[source] std::io::Error),
}

impl AppError {
    pub fn exit_code(&self) -> u8 {
        match self {
            AppError::Spec(_) | AppError::Suite(_) | AppError::Baseline { .. } => {
                exit_code::BAD_INPUT
            }
            AppError::Usage(_) => exit_code::USAGE,
            _ => exit_code::HARNESS_ERRORS,
        }
    }
}

/// Runs one parsed command line; the `u8` is the process exit code.
pub fn main_with(cli: Cli) -> Result<u8, AppError> {
    match cli.command {
        Command::List(args) => list(&args),
        Command::Run(args) => run(&args),
        Command::Serve(args) => serve(&args),
        Command::Lint(args) => lint(&args),
    }
}

/// The plan of a document with the recipes conform has and the suite's settings.
pub fn plan_document(
    doc: &Arc<Document>,
    suite: Option<Arc<Suite>>,
    safety: Safety,
) -> (Plan, RecipeBook) {
    let schemas = Arc::new(SchemaSet::new(doc));
    let recipes = RecipeBook::new(Arc::clone(doc), schemas, suite, safety);
    let plan = plan(doc, |op, case| recipes.assess(op, case));
    (plan, recipes)
}

/// The suite a command uses: `--suite`, or for the embedded target the reference suite.
fn load_suite(
    explicit: Option<&std::path::Path>,
    embedded: bool,
) -> Result<Option<Arc<Suite>>, AppError> {
    let suite = match explicit {
        Some(path) => suite::load(path)?,
        None if !embedded => return Ok(None),
        None if std::path::Path::new(DEFAULT_SUITE_PATH).exists() => {
            suite::load(std::path::Path::new(DEFAULT_SUITE_PATH))?
        }
        None => suite::load_str(
            std::path::Path::new(DEFAULT_SUITE_PATH),
            EMBEDDED_SUITE,
            &|name| std::env::var(name).ok(),
        )?,
    };
    Ok(Some(Arc::new(suite)))
}

fn list(args: &ListArgs) -> Result<u8, AppError> {
    match write_list(args) {
        // `conform list | head` is not an error.
        Err(AppError::Console(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            Ok(exit_code::OK)
        }
        other => other,
    }
}

fn write_list(args: &ListArgs) -> Result<u8, AppError> {
    // Without --spec, list what `conform run` runs: the reference suite's view of the document.
    let suite = load_suite(args.suite.as_deref(), args.spec.spec.is_none())?;
    let doc = Arc::new(load_spec(
        args.spec
            .spec
            .clone()
            .or_else(|| suite_spec(suite.as_deref()))
            .as_deref(),
    )?);
    if let Some(suite) = &suite {
        suite.check_against(&doc)?;
    }
    let (plan, _) = plan_document(&doc, suite, Safety::default());
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        ListFormat::Json => {
            let rows: Vec<_> = plan.rows(&doc).collect();
            serde_json::to_writer_pretty(&mut out, &rows)
                .map_err(|e| AppError::Console(e.into()))?;
            writeln!(out).map_err(AppError::Console)?;
        }
        ListFormat::Human => {
            for case in &plan.cases {
                match case.readiness.reason() {
                    None => writeln!(out, "{:<40} {}", case.id, case.display),
                    Some(reason) => {
                        writeln!(out, "{:<40} {}  [ignored: {reason}]", case.id, case.display)
                    }
                }
                .map_err(AppError::Console)?;
            }
        }
    }
    if plan.cases.is_empty() {
        eprintln!(
            "conform: {} documents no responses: no cases",
            doc.source.display()
        );
        return Ok(exit_code::NO_CASES);
    }
    Ok(exit_code::OK)
}

fn run(args: &RunArgs) -> Result<u8, AppError> {
    let suite = load_suite(args.suite.as_deref(), args.base_url.is_none())?;
    let suite_target = suite.as_ref().and_then(|s| s.file.suite.target.clone());
    let config = RunConfig {
        spec: args
            .spec
            .spec
            .clone()
            .or_else(|| suite_spec(suite.as_deref())),
        base_url: args
            .base_url
            .clone()
            .or(suite_target.filter(|t| t != "embedded")),
        report_dir: args.report_dir.clone(),
        seed: args.seed.unwrap_or_else(random_seed),
        timeout: Duration::from_secs_f64(args.timeout.max(0.001)),
    };
    let mut doc = load_spec(config.spec.as_deref())?;
    let mut patches = Vec::new();
    if let Some(suite) = &suite {
        doc = suite.patch(&doc)?;
        patches = suite.patch_notes();
        suite.check_against(&doc)?;
    }
    let doc = Arc::new(doc);
    // A live target: anything not on loopback, or whatever the user or suite says is live.
    let live = args.live
        || suite.as_ref().and_then(|s| s.file.suite.live) == Some(true)
        || config
            .base_url
            .as_deref()
            .is_some_and(|url| !is_loopback_url(url));
    let safety = Safety {
        live,
        allow: args.allow.clone(),
    };
    let (plan, recipes) = plan_document(&doc, suite.clone(), safety);
    let plan = Arc::new(plan);
    let examples = args
        .examples
        .or(suite.as_ref().and_then(|s| s.file.suite.examples))
        .unwrap_or(DEFAULT_EXAMPLES)
        .max(1);
    let pacer = Pacer::new(doc.operations.iter().filter_map(|op| {
        let limit = operation_limit(suite.as_deref(), &op.id())?;
        Some((op.id(), limit))
    }));
    let target_name = config
        .base_url
        .clone()
        .unwrap_or_else(|| "the embedded reference server".into());
    let overview = report::plan::Overview::new(&doc, &plan, &recipes, &pacer, examples);
    if live || args.dry_run {
        print!("{}", overview.render(&target_name, live));
        for patch in &patches {
            println!("patched: {patch}");
        }
    }
    if args.dry_run {
        println!("--dry-run: nothing was sent");
        return Ok(exit_code::OK);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(AppError::Runtime)?;

    // No target named: test conform's own reference server, started in-process on a free port.
    let embedded = match &config.base_url {
        Some(_) => None,
        None => Some(
            runtime
                .block_on(reference_server::start(ServerConfig::default()))
                .map_err(|e| {
                    AppError::Target(format!(
                        "could not start the embedded reference server: {e}"
                    ))
                })?,
        ),
    };
    let base_url = match (&config.base_url, &embedded) {
        (Some(url), _) => url.trim_end_matches('/').to_string(),
        (None, Some(server)) => server.base_url(),
        (None, None) => unreachable!("started above"),
    };
    let client = Client::new(
        &base_url,
        ClientOptions {
            timeout: config.timeout,
            ..ClientOptions::default()
        },
    )?;
    let info = RunInfo {
        spec: doc.source.display().to_string(),
        title: doc.title.clone(),
        base_url: base_url.clone(),
        seed: config.seed,
        embedded_server: config.base_url.is_none(),
        patches: patches.clone(),
    };
    let redactor = Redactor::new();
    for secret in suite.iter().flat_map(|s| s.secrets.iter()) {
        redactor.add_secret(secret.clone());
    }
    let flows = Flows::new(suite.iter().flat_map(|s| s.file.flows.keys().cloned()));
    let warnings: Vec<String> = crate::lint::lint(&doc, recipes.schemas())
        .iter()
        .map(|w| w.to_string())
        .collect();
    let cx = Arc::new(RunContext {
        doc: Arc::clone(&doc),
        plan: Arc::clone(&plan),
        recipes,
        client,
        checks: check::registry(
            suite
                .as_ref()
                .and_then(|s| s.file.suite.max_response_time)
                .map(Duration::from_secs_f64),
        ),
        info: info.clone(),
        redactor: redactor.clone(),
        rerun_prefix: rerun_prefix(&config, args.suite.as_deref()),
        examples,
        handle: runtime.handle().clone(),
        flows,
        pacer,
        sent: Default::default(),
        max_requests: args.max_requests,
        partition: args.partition,
        baseline: match &args.baseline {
            Some(path) => Some(Baseline::load(path).map_err(|source| AppError::Baseline {
                path: path.clone(),
                source,
            })?),
            None => None,
        },
        unique: Default::default(),
    });
    if !args.test.list {
        println!(
            "conform {}: {} ({}) against {} — seed {} ({} cases, {} runnable)",
            env!("CARGO_PKG_VERSION"),
            info.spec,
            doc.title,
            base_url,
            config.seed,
            plan.cases.len(),
            plan.runnable()
        );
        if !live {
            println!("{}", overview.summary());
        }
    }
    for patch in &patches {
        println!("patched: {patch}");
    }
    for warning in &warnings {
        println!("warning: the document: {warning}");
    }
    let output = runner::run(&args.test, cx);
    if output.listed_only {
        return Ok(exit_code::OK);
    }
    let results = output.results();
    let totals = output.totals();
    let report = report::RunReport {
        info: &info,
        totals: &totals,
        warnings: &warnings,
        results: &results,
        redactor: &redactor,
    };
    let written = report::write_all(&config.report_dir, &report)
        .map_err(|(path, source)| AppError::Report { path, source })?;
    let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    println!("reports: {}", names.join(", "));
    if let Some(path) = &args.save_baseline {
        let baseline = Baseline::from_results(&results);
        baseline.save(path).map_err(|source| AppError::Baseline {
            path: path.clone(),
            source,
        })?;
        println!(
            "baseline: {} known failures written to {}",
            baseline.known_failures.len(),
            path.display()
        );
    }
    if let Some(baseline) = args.baseline.as_ref().and_then(|p| Baseline::load(p).ok()) {
        let known = results
            .iter()
            .filter(|r| {
                r.note
                    .as_deref()
                    .is_some_and(|n| n.starts_with("known failure"))
            })
            .count();
        let fixed: Vec<&str> = results
            .iter()
            .filter(|r| {
                matches!(r.outcome, runner::Outcome::Passed)
                    && baseline.known_failures.contains_key(&r.id)
            })
            .map(|r| r.id.as_str())
            .collect();
        println!(
            "baseline: {known} known failures, {} new failures",
            totals.failed
        );
        if !fixed.is_empty() {
            println!(
                "baseline: {} cases in the baseline pass now (remove them, e.g. --save-baseline): {}",
                fixed.len(),
                fixed.join(", ")
            );
        }
    }
    if let Some(server) = embedded {
        runtime.block_on(server.shutdown());
    }
    Ok(exit_code::for_run(
        totals.failed,
        totals.errors,
        totals.selected(),
    ))
}

fn lint(args: &LintArgs) -> Result<u8, AppError> {
    let suite = match &args.suite {
        Some(path) => Some(suite::load(path)?),
        None => None,
    };
    let mut doc = load_spec(
        args.spec
            .spec
            .clone()
            .or_else(|| suite_spec(suite.as_ref()))
            .as_deref(),
    )?;
    if let Some(suite) = &suite {
        doc = suite.patch(&doc)?;
        for note in suite.patch_notes() {
            println!("patched: {note}");
        }
    }
    let schemas = SchemaSet::new(&doc);
    let warnings = crate::lint::lint(&doc, &schemas);
    for warning in &warnings {
        println!("warning: {}: {warning}", doc.source.display());
    }
    println!(
        "{} warning{} in {}",
        warnings.len(),
        if warnings.len() == 1 { "" } else { "s" },
        doc.source.display()
    );
    Ok(exit_code::OK)
}

fn serve(args: &ServeArgs) -> Result<u8, AppError> {
    if args.list_faults {
        let width = reference_server::faults()
            .iter()
            .map(|f| f.name.len())
            .max()
            .unwrap_or(0);
        for fault in reference_server::faults() {
            println!("{:<width$}  {}", fault.name, fault.description);
        }
        return Ok(exit_code::OK);
    }
    let faults = args
        .faults
        .iter()
        .map(|name| name.parse::<Fault>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| AppError::Usage(format!("{e}; `conform serve --list-faults` lists them")))?;
    let config = ServerConfig {
        bind: std::net::SocketAddr::from(([127, 0, 0, 1], args.port)),
        faults,
        allow_simulation: args.allow_simulation,
        rate_limits: match args.rate_limits {
            RateLimitProfile::Auth0 => RateLimits::auth0(),
            RateLimitProfile::Uniform => ServerConfig::default().rate_limits,
            RateLimitProfile::Off => RateLimits::disabled(),
        },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(AppError::Runtime)?;
    runtime
        .block_on(async {
            let server = reference_server::start(config.clone()).await?;
            println!(
                "conform serve: the reference Auth0 Authentication API on {} (faults: {}; simulation {}); Ctrl-C stops it",
                server.base_url(),
                if config.faults.is_empty() {
                    "none".to_string()
                } else {
                    config.faults.iter().map(|f| f.to_string()).collect::<Vec<_>>().join(", ")
                },
                if config.allow_simulation { "on" } else { "off" },
            );
            use std::io::Write as _;
            let _ = std::io::stdout().flush();
            let result = tokio::signal::ctrl_c().await;
            server.shutdown().await;
            result
        })
        .map_err(|e| AppError::Target(format!("reference server: {e}")))?;
    Ok(exit_code::OK)
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

/// The pace and budget the suite sets for an operation, if any.
fn operation_limit(suite: Option<&Suite>, op: &str) -> Option<Limit> {
    let suite = suite?;
    let settings = suite.file.operations.get(op);
    let rate = settings.and_then(|o| o.rate).or(suite.file.suite.rate);
    let budget = settings.and_then(|o| o.budget);
    if rate.is_none() && budget.is_none() {
        return None;
    }
    Some(Limit {
        rate,
        burst: settings.and_then(|o| o.burst).unwrap_or(1).max(1),
        budget,
    })
}

/// The document a suite names, relative to the suite file.
fn suite_spec(suite: Option<&Suite>) -> Option<std::path::PathBuf> {
    let suite = suite?;
    let spec = suite.file.suite.spec.as_ref()?;
    let base = suite.path.parent().unwrap_or(std::path::Path::new("."));
    Some(base.join(spec))
}

/// The start of a command that reruns one case with the same seed and target.
fn rerun_prefix(config: &RunConfig, suite: Option<&std::path::Path>) -> String {
    let mut cmd = format!("conform run --seed {}", config.seed);
    if let Some(suite) = suite {
        cmd.push_str(&format!(" --suite '{}'", suite.display()));
    }
    if let Some(spec) = &config.spec {
        cmd.push_str(&format!(" --spec '{}'", spec.display()));
    }
    if let Some(url) = &config.base_url {
        cmd.push_str(&format!(" --base-url '{url}'"));
    }
    // --exact picks one case, whatever shard it was in: no --partition in the rerun command.
    cmd
}
