//! `conform report merge DIR...`: the shards of a `--partition`ed run as one set of reports
//! (JUnit, JSON, HTML with one matrix, Markdown summary, HAR).

use conform::redact::Redactor;
use conform::report::merge::{self, MergeError};
use conform::report::{RunReport, write_all};

use super::args::{ReportArgs, ReportCommand};
use super::{CliError, exit_code};

pub fn report(args: &ReportArgs) -> Result<u8, CliError> {
    match &args.command {
        ReportCommand::Merge(merge_args) => {
            let shards = merge_args
                .dirs
                .iter()
                .map(|dir| merge::read_shard(dir))
                .collect::<Result<Vec<_>, MergeError>>()?;
            let merged = merge::merge(shards)?;
            conform::files::check_writable(&merge_args.report_dir).map_err(|source| {
                CliError::Report {
                    path: merge_args.report_dir.clone(),
                    source,
                }
            })?;
            // The shards were redacted when written; masking again catches nothing new but costs
            // nothing and keeps one rule: every report goes through the redactor.
            let redactor = Redactor::new();
            let report = RunReport {
                info: &merged.info,
                totals: &merged.totals,
                warnings: &merged.warnings,
                results: &merged.results,
                redactor: &redactor,
                started: merged.started,
                duration: merged.duration,
            };
            let written = write_all(&merge_args.report_dir, &report)
                .map_err(|(path, source)| CliError::Report { path, source })?;
            let t = &merged.totals;
            println!(
                "merged {} shards: {} passed; {} failed; {} unreached; {} blocked; {} errors; {} ignored; {} known failures; {} filtered out",
                merged.shards,
                t.passed,
                t.failed,
                t.unreached,
                t.blocked,
                t.errors,
                t.ignored,
                t.known_failures,
                t.filtered_out
            );
            let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
            println!("reports: {}", names.join(", "));
            Ok(exit_code::for_run(t.failed, t.errors, t.ran()))
        }
    }
}
