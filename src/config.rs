//! Resolved configuration: flags turned into what a run needs (ripgrep keeps these apart too).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::spec::{Document, SpecError};

/// The flagship document, built in so `conform` works from any directory.
pub const EMBEDDED_SPEC: &str = include_str!("../spec/auth0-authentication.yaml");
/// Where the repository keeps it.
pub const DEFAULT_SPEC_PATH: &str = "spec/auth0-authentication.yaml";

/// The suite that matches the reference server's seeded tenant, built in as well.
pub const EMBEDDED_SUITE: &str = include_str!("../suites/reference.toml");
/// Where the repository keeps it.
pub const DEFAULT_SUITE_PATH: &str = "suites/reference.toml";

/// Loads `--spec`, or the default document: the repository's copy, else the built-in one.
pub fn load_spec(spec: Option<&Path>) -> Result<Document, SpecError> {
    match spec {
        Some(path) => crate::spec::load(path),
        None if Path::new(DEFAULT_SPEC_PATH).exists() => {
            crate::spec::load(Path::new(DEFAULT_SPEC_PATH))
        }
        None => crate::spec::load_str(Path::new(DEFAULT_SPEC_PATH), EMBEDDED_SPEC),
    }
}

/// Everything `conform run` needs, resolved.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub spec: Option<PathBuf>,
    pub base_url: Option<String>,
    pub report_dir: PathBuf,
    pub seed: u64,
    pub timeout: Duration,
}

/// A fresh seed when none is given: time-based is enough, it is printed and recorded.
pub fn random_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    (nanos as u64) ^ ((nanos >> 64) as u64) ^ u64::from(std::process::id()).rotate_left(32)
}
