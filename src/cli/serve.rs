//! `conform serve`, and the embedded reference server `conform run` starts when no target is
//! named (both need the `reference` feature).

use super::CliError;
use super::args::ServeArgs;
use super::resolve::Target;

#[cfg(feature = "reference")]
pub use conform::reference_server::RunningServer;

/// Without the reference server there is nothing to start.
#[cfg(not(feature = "reference"))]
pub struct RunningServer;

#[cfg(not(feature = "reference"))]
impl RunningServer {
    pub fn base_url(&self) -> String {
        String::new()
    }
    pub async fn shutdown(self) {}
}

/// Starts the embedded reference server on a free loopback port when the target is embedded.
pub fn start_embedded(
    runtime: &tokio::runtime::Runtime,
    target: &Target,
) -> Result<Option<RunningServer>, CliError> {
    if *target != Target::Embedded {
        return Ok(None);
    }
    #[cfg(feature = "reference")]
    {
        use conform::reference_server::{self, ServerConfig};
        runtime
            .block_on(reference_server::start(ServerConfig::default()))
            .map(Some)
            .map_err(|e| {
                CliError::Target(format!(
                    "could not start the embedded reference server: {e}"
                ))
            })
    }
    #[cfg(not(feature = "reference"))]
    {
        let _ = runtime;
        Err(CliError::Usage(
            "no --base-url, and this conform was built without the embedded reference server \
             (the `reference` feature)"
                .into(),
        ))
    }
}

#[cfg(not(feature = "reference"))]
pub fn serve(_: &ServeArgs) -> Result<u8, CliError> {
    Err(CliError::Usage(
        "this conform was built without the reference server (the `reference` feature)".into(),
    ))
}

#[cfg(feature = "reference")]
pub fn serve(args: &ServeArgs) -> Result<u8, CliError> {
    use super::args::RateLimitProfile;
    use super::exit_code;
    use conform::reference_server::{self, Fault, RateLimits, ServerConfig};

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
        .map_err(|e| CliError::Usage(format!("{e}; `conform serve --list-faults` lists them")))?;
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
        .map_err(CliError::Runtime)?;
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
        .map_err(|e| CliError::Target(format!("reference server: {e}")))?;
    Ok(exit_code::OK)
}
