//! The command line as clap flags only; [`super::resolve`] turns them into a configuration.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Seconds before a request is given up, unless `--timeout` says otherwise.
pub const DEFAULT_TIMEOUT: f64 = 10.0;

#[derive(Debug, Parser)]
#[command(
    name = "conform",
    version,
    about = "Prove that a server speaks an API exactly as its OpenAPI document says",
    long_about = "conform plans one test case per (operation, documented response status) of an \
                  OpenAPI document, provokes each status against a live server and checks every \
                  response against the document.\n\nWith no --base-url, `conform run` starts the \
                  embedded reference server (an in-memory Auth0 Authentication API) and tests it."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the planned cases, one a line (or as JSON).
    List(ListArgs),
    /// Run the cases against a server and write reports.
    #[command(
        long_about = "Run the planned cases against a server (the embedded reference server when \
                      no --base-url or suite target is given), print one line per case and write \
                      the reports: junit.xml, conform.json, conform.html, summary.md and \
                      exchanges.har.",
        after_help = "Examples:\n  conform run                                  the embedded reference server\n  \
                      conform run --base-url https://t.eu.auth0.com --suite suites/tenant.toml\n  \
                      conform run --exact oauth_token/400 --seed 7   rerun one case as printed\n  \
                      conform run --partition count:1/3            one CI shard of three\n\n\
                      Exit codes: 0 passed, 1 a case failed, 2 usage, 3 bad document or suite, \
                      4 no case ran, 5 harness errors only."
    )]
    Run(Box<RunArgs>),
    /// Serve the reference Auth0 Authentication API on 127.0.0.1 until Ctrl-C.
    Serve(ServeArgs),
    /// List the document's problems conform works around (spec warnings).
    Lint(LintArgs),
    /// Work with written reports: `conform report merge DIR...` makes one report of shards.
    Report(ReportArgs),
    /// Print a commented starter suite for a document (or write it with -o, never over a file).
    #[command(
        long_about = "Print a commented starter suite (TOML) for an OpenAPI document: the target, \
                      every operation with its security, its required inputs as ${ENV} \
                      placeholders, and the recipe classes its cases need. The comment at the top \
                      lists the variables to export; `conform run --suite FILE` runs it unchanged.",
        after_help = "Examples:\n  conform init --spec api.yaml --base-url http://127.0.0.1:8080 > suites/mine.toml\n  \
                      conform init --spec api.yaml -o suites/mine.toml   refuses to write over a file"
    )]
    Init(InitArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The OpenAPI document (3.0 or 3.1, YAML or JSON).
    #[arg(long, value_name = "FILE")]
    pub spec: PathBuf,
    /// The server the suite targets (its `[suite] target`); without it, the target is a
    /// `${..._BASE_URL}` placeholder to export.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Write the suite to FILE instead of stdout; an existing FILE is never written over.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub command: ReportCommand,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Combine the reports of `--partition` shards (their conform.json) into one JUnit, JSON,
    /// HTML, Markdown summary and HAR; refuses shards of different documents, suites or seeds.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' report directories (or their conform.json files).
    #[arg(value_name = "DIR", required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where the merged reports go (created if missing).
    #[arg(long, default_value = "reports", value_name = "DIR")]
    pub report_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// Apply this suite's patches first.
    #[arg(long, env = "CONFORM_SUITE", value_name = "FILE")]
    pub suite: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RateLimitProfile {
    /// Auth0's published per-endpoint limits.
    Auth0,
    /// 50 requests per second per endpoint and client address (the embedded default).
    Uniform,
    /// No rate limiting.
    Off,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0 picks a free one and prints it).
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// Switch on a deliberate non-conformance (repeatable); see --list-faults.
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// Print every fault with a one-line description, then exit.
    #[arg(long)]
    pub list_faults: bool,
    /// Honour the x-conform-simulate-status header (answer a documented 5xx on demand).
    #[arg(long)]
    pub allow_simulation: bool,
    /// Rate limits to enforce.
    #[arg(long, value_enum, default_value_t = RateLimitProfile::Auth0)]
    pub rate_limits: RateLimitProfile,
}

/// Which document to test.
#[derive(Debug, Args, Clone)]
pub struct SpecArgs {
    /// The OpenAPI document (YAML or JSON). Default: spec/auth0-authentication.yaml, or the
    /// copy built into conform when that file is absent.
    #[arg(long, env = "CONFORM_SPEC", value_name = "FILE")]
    pub spec: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// `<id>  <display name>  [reason]`, one case a line.
    Human,
    /// A JSON array of cases: id, method, path, status, recipe, runnable, reason.
    Json,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// The suite whose settings decide what can run. Default without --spec:
    /// suites/reference.toml.
    #[arg(long, env = "CONFORM_SUITE", value_name = "FILE")]
    pub suite: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// The server to test, e.g. https://tenant.eu.auth0.com. Default: start the embedded
    /// reference server on a loopback port.
    #[arg(long, env = "CONFORM_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// The suite file: target, fixtures, flows, per-case settings. Default for the embedded
    /// target: suites/reference.toml (or the built-in copy).
    #[arg(long, env = "CONFORM_SUITE", value_name = "FILE")]
    pub suite: Option<PathBuf>,
    /// Generated examples per generative case (success and invalid-input).
    #[arg(long, value_name = "N")]
    pub examples: Option<u32>,
    /// Treat the target as a live tenant even on loopback: cases with side effects are skipped
    /// unless --allow names their class. Any target that is not loopback is live anyway.
    #[arg(long)]
    pub live: bool,
    /// Send cases of this side-effect class to a live target (repeatable): creates-user,
    /// changes-user, sends-email, sends-sms, enrols-mfa, removes-mfa, revokes-token,
    /// creates-client, impersonates.
    #[arg(long = "allow", value_name = "CLASS")]
    pub allow: Vec<String>,
    /// Print the plan (what would be sent, how many requests, what is skipped for safety,
    /// how long it would take) and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Known failures: cases failing as this file records are reported as ignored ("known
    /// failure") and do not fail the run; a new failure still does.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write this run's failures as a baseline file (never over a file conform did not write).
    #[arg(long, value_name = "FILE")]
    pub save_baseline: Option<PathBuf>,
    /// Run one shard of the cases, to split a run across CI machines: count:K/N (every N-th case
    /// from the K-th) or hash:K/N (by case id, stable as cases are added).
    #[arg(long, value_name = "SPEC", value_parser = clap::value_parser!(conform::plan::Partition))]
    pub partition: Option<conform::plan::Partition>,
    /// Accept any server certificate (self-signed, expired, another host's). Allowed only for
    /// a loopback target or with --live; a warning says so on every run.
    #[arg(long)]
    pub insecure: bool,
    /// A PEM file of CA certificates trusted besides the built-in roots (a private CA, a
    /// self-signed server).
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// A PEM client certificate (chain) for mutual TLS; needs --client-key.
    #[arg(long, value_name = "FILE", requires = "client_key")]
    pub client_cert: Option<PathBuf>,
    /// The PEM private key of --client-cert.
    #[arg(long, value_name = "FILE", requires = "client_cert")]
    pub client_key: Option<PathBuf>,
    /// Stop at the first failed case: the cases not yet started are reported as not run.
    #[arg(long)]
    pub fail_fast: bool,
    /// Stop handing out cases once N cases failed; the rest are reported as not run.
    #[arg(long, value_name = "N")]
    pub max_fail: Option<usize>,
    /// Stop sending after this many requests in the whole run (the rest are harness errors).
    #[arg(long, value_name = "N")]
    pub max_requests: Option<usize>,
    /// Where the reports go (created if missing): junit.xml, conform.json, conform.html,
    /// summary.md and exchanges.har.
    #[arg(long, default_value = "reports", value_name = "DIR")]
    pub report_dir: PathBuf,
    /// Seed for generated requests; the same seed sends the same requests. Default: random,
    /// printed at the start and recorded in every report.
    #[arg(long, env = "CONFORM_SEED")]
    pub seed: Option<u64>,
    /// Seconds before a request is given up (a harness error, not a failure).
    #[arg(long, default_value_t = DEFAULT_TIMEOUT, value_name = "SECS")]
    pub timeout: f64,
    /// A header sent with every request, `Name: value` (repeatable); `${VAR}` is read from the
    /// environment. The value is always secret. The suite's operation and case headers win.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// List every ignored case in the console (default: one line per reason, with a count).
    #[arg(short = 'v', long)]
    pub verbose: bool,
    #[command(flatten)]
    pub test: TestArgs,
}

/// How the console prints cases as they finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunFormat {
    /// One line per case.
    Pretty,
    /// One character per case.
    Terse,
    /// libtest's JSON events on stdout (human lines go to stderr).
    Json,
}

/// Selecting and printing cases, with the names and meanings `cargo test` users know.
#[derive(Debug, Args, Clone, Default)]
pub struct TestArgs {
    /// Run only the cases whose id contains FILTER (ids look like `oauth_token/400`).
    #[arg(value_name = "FILTER")]
    pub filter: Option<String>,
    /// Match FILTER against the whole case id instead of a part of it.
    #[arg(long)]
    pub exact: bool,
    /// Leave out the cases whose id contains FILTER (repeatable).
    #[arg(long, value_name = "FILTER")]
    pub skip: Vec<String>,
    /// Run only the cases of operations with this method (repeatable), e.g. GET.
    #[arg(long = "method", value_name = "METHOD")]
    pub methods: Vec<String>,
    /// Run only the cases of this status (repeatable): a code (401) or a class (4xx).
    #[arg(long = "status", value_name = "CODE|CLASS")]
    pub statuses: Vec<String>,
    /// Run only the cases of this operation id (repeatable).
    #[arg(long = "operation", value_name = "ID")]
    pub operations: Vec<String>,
    /// Run only the cases of operations with this tag (repeatable).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Run only the cases that are ignored by default (opt-in cases such as rate-limit bursts).
    #[arg(long)]
    pub ignored: bool,
    /// Run the opt-in cases too.
    #[arg(long)]
    pub include_ignored: bool,
    /// Cases run at the same time (default 16; 0 means the default).
    #[arg(long, value_name = "N")]
    pub test_threads: Option<usize>,
    /// List the selected case ids and send nothing.
    #[arg(long)]
    pub list: bool,
    /// How cases are printed as they finish.
    #[arg(
        long,
        value_enum,
        value_name = "pretty|terse|json",
        conflicts_with = "quiet"
    )]
    pub format: Option<RunFormat>,
    /// One character per case: the same as --format terse.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}
