//! `conform run`: resolve, plan, start the embedded server if no target is named, run the cases
//! through the reporters, compare with a baseline, and pick the exit code.

use std::io::Write;
use std::sync::Arc;

use conform::baseline::Baseline;
use conform::event::{Fanout, Reporter};
use conform::execute::{Client, ClientOptions, Gate, Pacer};
use conform::recipe::plan_document_with;
use conform::redact::{Redactor, Secret};
use conform::report::console::{Console, ConsoleFormat};
use conform::report::{ReportFiles, plan::Overview};
use conform::runner::{self, Flows, RunContext};

use super::args::RunArgs;
use super::resolve::{self, RunConfig, Target};
use super::{CliError, exit_code};

pub fn run(args: &RunArgs) -> Result<u8, CliError> {
    let config = resolve::run(args)?;
    let RunConfig {
        resolved,
        target,
        live,
        safety,
        examples,
        seed,
        timeout,
        max_requests,
        max_response_time,
        strict,
        limits,
        selection,
        format,
        report_dir,
        rerun_prefix,
        rerun_note,
        headers,
        header_secrets,
        tls,
    } = config;
    let (doc, suite, patches) = (resolved.doc, resolved.suite, resolved.patches);
    // Human lines go to stderr when stdout carries JSON events.
    let mut human: Box<dyn Write> = match format {
        ConsoleFormat::Json => Box::new(std::io::stderr()),
        _ => Box::new(std::io::stdout()),
    };
    let (plan, recipes) = plan_document_with(&doc, suite.clone(), safety, headers);
    let plan = Arc::new(plan);
    let pacer = Pacer::new(limits);
    let target_name = match &target {
        Target::Url(url) => url.clone(),
        Target::Embedded => "the embedded reference server".into(),
    };
    // Every secret the run knows, before anything is printed.
    let redactor = Redactor::new();
    for secret in suite.iter().flat_map(|s| s.secrets.iter()) {
        redactor.add(secret.clone());
    }
    for secret in &header_secrets {
        redactor.add(secret.clone());
    }
    // Credentials in the base URL (`https://user:pass@host`) are secrets too.
    if let Target::Url(url) = &target
        && let Ok(url) = url::Url::parse(url)
    {
        let user = url.username();
        if let Some(password) = url.password() {
            let what = "the user:password of --base-url";
            redactor.add(Secret::named(format!("{user}:{password}"), what));
            redactor.add(Secret::named(password, "the password of --base-url"));
        } else if !user.is_empty() {
            redactor.add(Secret::named(
                format!("{user}@"),
                "the user name of --base-url, with its @",
            ));
        }
    }
    let say = |human: &mut Box<dyn Write>, line: String| -> Result<(), CliError> {
        writeln!(human, "{}", redactor.redact(&line)).map_err(CliError::Console)
    };
    let overview = Overview::new(&doc, &plan, &recipes, &pacer, examples);
    if live || args.dry_run {
        say(
            &mut human,
            overview.render(&target_name, live).trim_end().to_string(),
        )?;
        for patch in &patches {
            say(&mut human, format!("patched: {patch}"))?;
        }
    }
    if args.insecure {
        // Loud and on stderr whatever the format: a run that checks no certificate.
        eprintln!(
            "WARNING: --insecure: the server's TLS certificate is NOT checked; anyone on the path could read or change this run's requests"
        );
    }
    if args.dry_run {
        say(&mut human, "--dry-run: nothing was sent".into())?;
        return Ok(exit_code::OK);
    }
    if args.test.list {
        return list_selected(&doc, &plan, &selection);
    }
    // Found now, not after every request was sent.
    conform::files::check_writable(&report_dir).map_err(|source| CliError::Report {
        path: report_dir.clone(),
        source,
    })?;
    let baseline = match &args.baseline {
        Some(path) => Some(Baseline::load(path).map_err(|source| CliError::Baseline {
            path: path.clone(),
            source,
        })?),
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    let embedded = super::serve::start_embedded(&runtime, &target)?;
    let base_url = match (&target, &embedded) {
        (Target::Url(url), _) => url.clone(),
        (Target::Embedded, Some(server)) => server.base_url(),
        (Target::Embedded, None) => unreachable!("started above"),
    };
    // From here on the embedded server is shut down whatever happens.
    let outcome = (|| -> Result<u8, CliError> {
        let client = Client::new(
            &base_url,
            ClientOptions {
                timeout,
                tls,
                ..ClientOptions::default()
            },
        )?;
        let info = conform::event::RunInfo {
            spec: doc.source.display().to_string(),
            title: doc.title.clone(),
            base_url: base_url.clone(),
            seed,
            embedded_server: target == Target::Embedded,
            patches: patches.clone(),
            strict,
            suite: suite.as_ref().map(|s| s.path.display().to_string()),
            partition: args.partition.map(|p| p.to_string()),
        };
        let warnings: Vec<String> = conform::lint::lint(&doc, recipes.schemas())
            .iter()
            .map(|w| w.to_string())
            .collect();
        let flows = Flows::new(suite.iter().flat_map(|s| s.file.flows.keys().cloned()));
        say(
            &mut human,
            format!(
                "conform {}: {} ({}) against {} — seed {} ({} cases, {} runnable{})",
                env!("CARGO_PKG_VERSION"),
                info.spec,
                doc.title,
                base_url,
                seed,
                plan.cases.len(),
                plan.runnable(),
                if strict { "; strict suite" } else { "" }
            ),
        )?;
        if !live {
            say(&mut human, overview.summary())?;
        }
        if !live {
            for patch in &patches {
                say(&mut human, format!("patched: {patch}"))?;
            }
        }
        for warning in &warnings {
            say(&mut human, format!("warning: the document: {warning}"))?;
        }
        human.flush().map_err(CliError::Console)?;
        let cx = Arc::new(RunContext {
            doc: Arc::clone(&doc),
            plan: Arc::clone(&plan),
            recipes,
            gate: Gate::new(client, pacer, max_requests, runtime.handle().clone()),
            checks: conform::check::registry(max_response_time),
            info,
            redactor: redactor.clone(),
            rerun_prefix,
            rerun_note,
            examples,
            flows,
            baseline: baseline.clone(),
            partition: args.partition,
            unique: Default::default(),
        });
        let mut console = Console::new(std::io::stdout().lock(), format, redactor.clone())
            .verbose(args.verbose)
            .progress(conform::report::console::progress_wanted(format));
        let mut files = ReportFiles::new(&report_dir, warnings, redactor.clone());
        let shared = Arc::clone(&cx);
        let totals = {
            let mut reporters: Vec<&mut dyn Reporter> = vec![&mut console, &mut files];
            runner::run(cx, &selection, &mut Fanout(std::mem::take(&mut reporters)))
                .map_err(CliError::Console)?
        };
        drop(console);
        let unanswered = shared.gate.unanswered();
        if unanswered >= runner::DEAD_AFTER {
            say(
                &mut human,
                format!(
                    "conform: nothing answers at {base_url} ({unanswered} connections refused or timed out, no answer at all): stopping"
                ),
            )?;
        }
        if totals.ran() == 0 {
            say(
                &mut human,
                format!(
                    "conform: no case ran ({} filtered out, {} ignored): nothing was tested; the reports of the previous run are left as they were",
                    totals.filtered_out, totals.ignored
                ),
            )?;
            return Ok(exit_code::NO_CASES);
        }
        match files.written.take() {
            Some(Ok(written)) => {
                let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
                say(&mut human, format!("reports: {}", names.join(", ")))?;
            }
            Some(Err((path, source))) => return Err(CliError::Report { path, source }),
            None => {}
        }
        if let Some(path) = &args.save_baseline {
            let saved = Baseline::from_results(files.results(), &redactor);
            saved.save(path).map_err(|source| CliError::Baseline {
                path: path.clone(),
                source,
            })?;
            say(
                &mut human,
                format!(
                    "baseline: {} known failures written to {}",
                    saved.known_failures.len(),
                    path.display()
                ),
            )?;
        }
        if let Some(baseline) = &baseline {
            say(
                &mut human,
                format!(
                    "baseline: {} known failures, {} new failures",
                    totals.known_failures, totals.failed
                ),
            )?;
            let fixed = baseline.fixed(files.results());
            if !fixed.is_empty() {
                say(
                    &mut human,
                    format!(
                        "baseline: {} cases in the baseline pass now (remove them, e.g. --save-baseline): {}",
                        fixed.len(),
                        fixed.join(", ")
                    ),
                )?;
            }
        }
        Ok(exit_code::for_run(
            totals.failed,
            totals.errors,
            totals.ran(),
        ))
    })();
    if let Some(server) = embedded {
        runtime.block_on(server.shutdown());
    }
    outcome
}

/// `--list`: the selected cases, as libtest lists tests.
fn list_selected(
    doc: &conform::spec::Document,
    plan: &conform::plan::Plan,
    selection: &runner::Selection,
) -> Result<u8, CliError> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut count = 0;
    for case in &plan.cases {
        if selection.matches_case(case, &doc.operations[case.operation]) {
            writeln!(out, "{}: test", case.id).map_err(CliError::Console)?;
            count += 1;
        }
    }
    writeln!(out, "\n{count} tests, 0 benchmarks").map_err(CliError::Console)?;
    Ok(exit_code::OK)
}
