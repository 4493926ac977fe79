//! The exit codes of `conform`, stable and documented in one place (as nextest does).

/// Every selected case passed (ignored cases do not count against a run).
pub const OK: u8 = 0;
/// At least one case failed: the server broke the document.
pub const CASES_FAILED: u8 = 1;
/// The command line was wrong (unknown flag, bad value). clap exits with this code itself.
pub const USAGE: u8 = 2;
/// The document or the suite file could not be loaded: nothing was run.
pub const BAD_INPUT: u8 = 3;
/// No case ran (all filtered out, ignored or skipped for safety), so nothing was tested.
pub const NO_CASES: u8 = 4;
/// No case failed, but some could not be run to a verdict (timeout, connection refused, …).
pub const HARNESS_ERRORS: u8 = 5;
/// conform itself crashed: a bug, please report it.
pub const PANIC: u8 = 101;
/// The reader of the output went away (`conform run | head`), as a process killed by SIGPIPE.
pub const BROKEN_PIPE: u8 = 141;

/// The code for a finished run, from its counts: `ran` counts cases that ran to any verdict.
pub fn for_run(failed: usize, errors: usize, ran: usize) -> u8 {
    if failed > 0 {
        CASES_FAILED
    } else if errors > 0 {
        HARNESS_ERRORS
    } else if ran == 0 {
        NO_CASES
    } else {
        OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_outrank_errors_and_empty_selection() {
        assert_eq!(for_run(1, 3, 10), CASES_FAILED);
        assert_eq!(for_run(0, 3, 10), HARNESS_ERRORS);
        assert_eq!(for_run(0, 0, 0), NO_CASES);
        assert_eq!(for_run(0, 0, 7), OK);
    }
}
