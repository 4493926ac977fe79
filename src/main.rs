//! The `conform` binary: parse the command line, run it, map the outcome to an exit code.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A bug must read as one line and an exit code, not a backtrace (RUST_BACKTRACE may be set).
    std::panic::set_hook(Box::new(|info| {
        eprintln!("conform: internal error (a bug, please report it): {info}");
    }));
    let cli = cli::Cli::parse();
    match std::panic::catch_unwind(|| cli::main_with(cli)) {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(error)) => {
            if error.exit_code() != cli::exit_code::BROKEN_PIPE {
                eprintln!("error: {error}");
                let mut source = std::error::Error::source(&error);
                while let Some(cause) = source {
                    eprintln!("  caused by: {cause}");
                    source = cause.source();
                }
            }
            ExitCode::from(error.exit_code())
        }
        Err(_) => ExitCode::from(cli::exit_code::PANIC),
    }
}
