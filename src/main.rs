//! The `conform` binary: parse the command line, run it, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use conform::cli::Cli;

fn main() -> ExitCode {
    // A bug must read as one line and an exit code, not a backtrace (RUST_BACKTRACE may be set).
    std::panic::set_hook(Box::new(|info| {
        // `conform run | head`: the reader left; stop quietly, as a process killed by SIGPIPE.
        if info.to_string().contains("Broken pipe") {
            std::process::exit(141);
        }
        eprintln!("conform: internal error (a bug, please report it): {info}");
    }));
    let cli = Cli::parse();
    match std::panic::catch_unwind(|| conform::app::main_with(cli)) {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(error)) => {
            eprintln!("error: {error}");
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::from(error.exit_code())
        }
        Err(_) => ExitCode::from(conform::exit_code::PANIC),
    }
}
