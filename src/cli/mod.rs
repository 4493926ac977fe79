//! The `conform` command line: clap flags ([`args`]), one resolve stage that turns flags and
//! suite into a complete configuration ([`resolve`]), one file per command, and the exit codes.

pub mod args;
pub mod exit_code;
mod init;
mod lint;
mod list;
mod report;
pub mod resolve;
mod run;
mod serve;

use std::path::PathBuf;

use thiserror::Error;

pub use args::Cli;
use args::Command;
use conform::execute::ExecuteError;
use conform::spec::SpecError;
use conform::suite::SuiteError;

/// Why a command could not do its work. Each maps to one exit code.
#[derive(Debug, Error)]
pub enum CliError {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error(transparent)]
    Suite(#[from] SuiteError),
    /// A value in the suite that cannot be used (named, with why).
    #[error("{0}")]
    SuiteValue(String),
    #[error("could not start the tokio runtime")]
    Runtime(#[source] std::io::Error),
    #[error("could not set up the HTTP client")]
    Client(#[from] ExecuteError),
    /// The target could not be started or reached.
    #[cfg_attr(not(feature = "reference"), allow(dead_code))]
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
    #[error(transparent)]
    Merge(#[from] conform::report::merge::MergeError),
    #[error("could not write to the console")]
    Console(#[source] std::io::Error),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Spec(_)
            | CliError::Suite(_)
            | CliError::SuiteValue(_)
            | CliError::Baseline { .. }
            | CliError::Merge(_) => exit_code::BAD_INPUT,
            CliError::Usage(_) => exit_code::USAGE,
            // The reader of the console left (`conform run | head`): as a process killed by
            // SIGPIPE.
            CliError::Console(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                exit_code::BROKEN_PIPE
            }
            _ => exit_code::HARNESS_ERRORS,
        }
    }
}

/// Runs one parsed command line; the `u8` is the process exit code.
pub fn main_with(cli: Cli) -> Result<u8, CliError> {
    match cli.command {
        Command::List(args) => list::list(&args),
        Command::Run(args) => run::run(&args),
        Command::Serve(args) => serve::serve(&args),
        Command::Lint(args) => lint::lint(&args),
        Command::Report(args) => report::report(&args),
        Command::Init(args) => init::init(&args),
    }
}
