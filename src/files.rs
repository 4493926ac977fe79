//! Files conform writes (reports, baselines): whole or not at all, through a temporary sibling.

use std::io;
use std::path::Path;

/// Writes `bytes` to `path` through a temporary sibling, so a reader never sees half a file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// Whether files can be created in `dir` (created if missing): checked before a run sends
/// anything, so an unwritable report directory is found at once.
pub fn check_writable(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let probe = dir.join(".conform-write-probe");
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(&probe)
}
