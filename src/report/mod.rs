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

/// Writes a report file through a temporary sibling, so a reader never sees half a file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
