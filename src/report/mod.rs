//! Reporters: consumers of the runner's events. The console is libtest-mimic's printer (libtest
//! output users know); JUnit XML, JSON and HTML files are written from the collected results.

pub mod html;
pub mod json;
pub mod junit;
pub mod plan;
mod redact;

use std::io;
use std::path::Path;

pub use redact::{MASK, Redactor, SENSITIVE_HEADERS, SENSITIVE_NAMES};

/// Everything a report file is made from.
pub struct RunReport<'a> {
    pub info: &'a crate::runner::RunInfo,
    pub totals: &'a crate::runner::Totals,
    pub warnings: &'a [String],
    pub results: &'a [crate::runner::CaseResult],
    pub redactor: &'a Redactor,
}

/// Writes `junit.xml`, `conform.json` and `conform.html` into `dir`; on failure, the file that
/// could not be written.
pub fn write_all(
    dir: &Path,
    report: &RunReport<'_>,
) -> Result<Vec<std::path::PathBuf>, (std::path::PathBuf, io::Error)> {
    let files = [
        (
            "junit.xml",
            junit::render(report.info, report.results, report.redactor),
        ),
        ("conform.json", Ok(json::render(report).into_bytes())),
        ("conform.html", Ok(html::render(report).into_bytes())),
    ];
    let mut written = Vec::new();
    for (name, bytes) in files {
        let path = dir.join(name);
        match bytes.and_then(|b| write_atomically(&path, &b)) {
            Ok(()) => written.push(path),
            Err(e) => return Err((path, e)),
        }
    }
    Ok(written)
}

/// Writes a report file through a temporary sibling, so a reader never sees half a file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
