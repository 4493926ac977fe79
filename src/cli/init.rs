//! `conform init`: a commented starter suite for a document (target, every operation with its
//! security and required inputs as `${ENV}` placeholders, the recipe classes its cases need),
//! checked to load before it is printed, and never written over an existing file.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use serde_json::Value;

use conform::plan::{Plan, Recipe};
use conform::recipe::{Safety, plan_document, required_in};
use conform::spec::{Document, Method, Operation, ParamLocation, SchemeKind};

use super::args::InitArgs;
use super::{CliError, exit_code, resolve};

pub fn init(args: &InitArgs) -> Result<u8, CliError> {
    let base_url = args
        .base_url
        .as_deref()
        .map(resolve::parse_base_url)
        .transpose()?;
    // Refused before anything is read, so a mistyped `-o` costs nothing.
    if let Some(output) = &args.output {
        refuse_existing(output)?;
    }
    let doc = Arc::new(resolve::load_spec(Some(&args.spec))?);
    let (plan, _) = plan_document(&doc, None, Safety::default());
    // `[suite] spec` is relative to the suite file: to the file named by `-o`, or the file
    // stdout is redirected to; else to the current directory, as given.
    let suite_dir = match &args.output {
        Some(output) => Some(output_dir(output)?),
        None => stdout_file_dir(),
    };
    let spec_path = match &suite_dir {
        Some(dir) => relative_to(dir, &args.spec).unwrap_or_else(|| args.spec.clone()),
        None => args.spec.clone(),
    };
    let starter = Starter::new(&doc, &plan, base_url.as_deref());
    let text = starter.render(&spec_path.to_string_lossy(), suite_dir.is_some());
    // What init prints must load as a suite of this very document: a failure here is a bug
    // in init, reported rather than printed.
    let check_path = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from("<conform init>"));
    let bug = |e: conform::suite::SuiteError| {
        CliError::SuiteValue(format!(
            "the starter suite for {} does not load, so it is not written (a conform bug, please report it): {e}",
            args.spec.display()
        ))
    };
    let suite = conform::suite::load_str(&check_path, &text, &|_| Some("conform-init".into()))
        .map_err(bug)?;
    suite.check_against(&doc).map_err(bug)?;

    match &args.output {
        Some(output) => {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(output)
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::AlreadyExists => exists(output),
                    _ => CliError::Usage(format!("--output {}: {e}", output.display())),
                })?;
            file.write_all(text.as_bytes())
                .map_err(|e| CliError::Usage(format!("--output {}: {e}", output.display())))?;
            eprintln!(
                "conform: wrote {} ({} operations, {} cases); export the variables it lists, then `conform run --suite {}`",
                output.display(),
                starter.operations,
                plan.cases.len(),
                output.display()
            );
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            out.write_all(text.as_bytes()).map_err(CliError::Console)?;
            out.flush().map_err(CliError::Console)?;
        }
    }
    Ok(exit_code::OK)
}

fn exists(path: &Path) -> CliError {
    CliError::Usage(format!(
        "--output {}: the file already exists; conform init never writes over a file (remove it or name another)",
        path.display()
    ))
}

fn refuse_existing(path: &Path) -> Result<(), CliError> {
    // `symlink_metadata`: a dangling link is a file that exists too.
    if std::fs::symlink_metadata(path).is_ok() {
        return Err(exists(path));
    }
    Ok(())
}

/// The directory the output file will live in, which must exist.
fn output_dir(output: &Path) -> Result<PathBuf, CliError> {
    let parent = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::canonicalize(&parent).map_err(|e| {
        CliError::Usage(format!(
            "--output {}: its directory {}: {e}",
            output.display(),
            parent.display()
        ))
    })
}

/// The directory of the `.toml` file stdout is redirected to (`> suites/mine.toml`), where the
/// platform says (Linux: /dev/stdout is a link to it). Only a `.toml` file: a log file that
/// captures stdout says nothing about where the suite will live.
fn stdout_file_dir() -> Option<PathBuf> {
    let target = std::fs::canonicalize("/dev/stdout").ok()?;
    if !std::fs::metadata(&target).ok()?.is_file() || target.extension().is_none_or(|e| e != "toml")
    {
        return None;
    }
    target.parent().map(Path::to_path_buf)
}

/// `to` as a path relative to the directory `from` (both made absolute first).
fn relative_to(from: &Path, to: &Path) -> Option<PathBuf> {
    let from = std::fs::canonicalize(from).ok()?;
    let to = std::fs::canonicalize(to).ok()?;
    let from: Vec<Component> = from.components().collect();
    let to_parts: Vec<Component> = to.components().collect();
    let common = from
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    // Nothing in common but the root: an absolute path says more than a climb to `/`.
    if common <= 1 {
        return Some(to);
    }
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for part in &to_parts[common..] {
        out.push(part.as_os_str());
    }
    Some(out)
}

/// One `${ENV}` the suite needs: its name, what it is for, an example value when one is known.
struct Variable {
    name: String,
    purpose: String,
    example: String,
}

/// Everything the starter suite says, gathered from the document and its plan.
struct Starter<'a> {
    doc: &'a Document,
    plan: &'a Plan,
    /// `[suite] target`: the base URL, or a variable.
    target: String,
    prefix: String,
    variables: Vec<Variable>,
    /// Scheme name → the `[auth.NAME]` lines.
    auth: IndexMap<String, Vec<String>>,
    /// Schemes operations need that conform cannot send, with why.
    unsupported: Vec<String>,
    /// Fixture name → (parameter, its variable, secret).
    fixtures: IndexMap<String, (String, String, bool)>,
    /// Distinct operation ids, each written once.
    operations: usize,
}

impl<'a> Starter<'a> {
    fn new(doc: &'a Document, plan: &'a Plan, base_url: Option<&'a str>) -> Starter<'a> {
        let mut starter = Starter {
            doc,
            plan,
            target: String::new(),
            prefix: env_prefix(&doc.title),
            variables: Vec::new(),
            auth: IndexMap::new(),
            unsupported: Vec::new(),
            fixtures: IndexMap::new(),
            operations: 0,
        };
        starter.target = match base_url {
            Some(url) => starter.target_of(url),
            None => {
                let example = server_url(doc).unwrap_or_else(|| "http://127.0.0.1:8080".into());
                let var =
                    starter.variable("BASE_URL", "the server to test ([suite] target)", &example);
                format!("${{{var}}}")
            }
        };
        starter.collect_auth();
        starter.collect_fixtures();
        let ids: BTreeSet<String> = doc.operations.iter().map(Operation::id).collect();
        starter.operations = ids.len();
        starter
    }

    /// The target for `--base-url`: credentials in it become variables, so their values are
    /// printed nowhere.
    fn target_of(&mut self, url: &str) -> String {
        let Ok(mut parsed) = url::Url::parse(url) else {
            return url.to_string();
        };
        if parsed.username().is_empty() && parsed.password().is_none() {
            return url.to_string();
        }
        let user = self.variable(
            "BASE_URL_USER",
            "the user name of the --base-url credentials",
            "...",
        );
        let password = self.variable(
            "BASE_URL_PASSWORD",
            "the password of the --base-url credentials",
            "...",
        );
        let _ = parsed.set_username("");
        let _ = parsed.set_password(None);
        let bare = parsed.as_str().trim_end_matches('/');
        let scheme = format!("{}://", parsed.scheme());
        let rest = bare.strip_prefix(&scheme).unwrap_or(bare);
        format!("{scheme}${{{user}}}:${{{password}}}@{rest}")
    }

    /// Adds a variable `PREFIX_REST` (made unique) and returns its name.
    fn variable(&mut self, rest: &str, purpose: &str, example: &str) -> String {
        let base = format!("{}_{}", self.prefix, env_word(rest));
        let mut name = base.clone();
        let mut n = 2;
        while self.variables.iter().any(|v| v.name == name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        self.variables.push(Variable {
            name: name.clone(),
            purpose: purpose.to_string(),
            example: example.to_string(),
        });
        name
    }

    /// `[auth.NAME]` for every scheme an operation needs, its value from a variable.
    fn collect_auth(&mut self) {
        let used: Vec<String> = {
            let mut used = Vec::new();
            for op in &self.doc.operations {
                for name in op.security.iter().flatten() {
                    if !used.contains(name) {
                        used.push(name.clone());
                    }
                }
            }
            used
        };
        let schemes: Vec<_> = self
            .doc
            .security_schemes
            .iter()
            .filter(|s| used.contains(&s.name))
            .cloned()
            .collect();
        let count =
            |kind: fn(&SchemeKind) -> bool| schemes.iter().filter(|s| kind(&s.kind)).count();
        let bearers = count(|k| matches!(k, SchemeKind::Bearer));
        let keys = count(|k| matches!(k, SchemeKind::ApiKey { .. }));
        let basics = count(|k| matches!(k, SchemeKind::Basic));
        for scheme in schemes {
            let own = |suffix: &str, many: usize| {
                let slug = env_word(&scheme.name);
                if many <= 1 {
                    suffix.to_string()
                } else if slug.ends_with(suffix) {
                    slug
                } else {
                    format!("{slug}_{suffix}")
                }
            };
            let lines = match &scheme.kind {
                SchemeKind::Bearer => {
                    let var = self.variable(
                        &own("TOKEN", bearers),
                        &format!("the bearer token of security scheme `{}`", scheme.name),
                        "...",
                    );
                    vec![format!(
                        "value = \"${{{var}}}\"   # sent as `Authorization: Bearer <token>`"
                    )]
                }
                SchemeKind::ApiKey { location, name } => {
                    let var = self.variable(
                        &own("KEY", keys),
                        &format!(
                            "the API key of security scheme `{}` ({location} `{name}`)",
                            scheme.name
                        ),
                        "...",
                    );
                    vec![format!(
                        "value = \"${{{var}}}\"   # sent as the {location} `{}`",
                        one_line(name)
                    )]
                }
                SchemeKind::Basic => {
                    let user = self.variable(
                        &own("USERNAME", basics),
                        &format!("the user name of security scheme `{}`", scheme.name),
                        "...",
                    );
                    let password = self.variable(
                        &own("PASSWORD", basics),
                        &format!("the password of security scheme `{}`", scheme.name),
                        "...",
                    );
                    vec![
                        format!("username = \"${{{user}}}\""),
                        format!(
                            "password = \"${{{password}}}\"   # sent as `Authorization: Basic ...`"
                        ),
                    ]
                }
                SchemeKind::Unsupported(what) => {
                    self.unsupported
                        .push(format!("`{}` is {what}", one_line(&scheme.name)));
                    continue;
                }
            };
            self.auth.insert(scheme.name.clone(), lines);
        }
    }

    /// A fixture for every required parameter (shared by name), its value from a variable.
    fn collect_fixtures(&mut self) {
        let mut wanted: Vec<(String, ParamLocation)> = Vec::new();
        for op in &self.doc.operations {
            for p in op.parameters.iter().filter(|p| p.required) {
                if !wanted.iter().any(|(n, _)| n == &p.name) {
                    wanted.push((p.name.clone(), p.location));
                }
            }
        }
        for (param, location) in wanted {
            let mut fixture = snake(&param);
            let mut n = 2;
            while self.fixtures.contains_key(&fixture) {
                fixture = format!("{}_{n}", snake(&param));
                n += 1;
            }
            let secret = looks_secret(&param);
            let var = self.variable(
                &param,
                &format!("the {location} parameter `{}`", one_line(&param)),
                if location == ParamLocation::Path {
                    "an id that exists on the server"
                } else {
                    "..."
                },
            );
            self.fixtures.insert(fixture, (param, var, secret));
        }
    }

    fn fixture_of(&self, param: &str) -> Option<&str> {
        self.fixtures
            .iter()
            .find(|(_, (p, _, _))| p == param)
            .map(|(f, _)| f.as_str())
    }

    /// The suite's text; `placed`: `spec_path` is relative to where the suite will be.
    fn render(&self, spec_path: &str, placed: bool) -> String {
        let mut out = String::new();
        let doc = self.doc;
        let _ = writeln!(
            out,
            "# A starter suite for {} (version {}, {}), written by `conform init`.",
            one_line(&doc.title),
            one_line(&doc.version),
            one_line(&doc.source.display().to_string())
        );
        out.push_str(
            "# Every value it needs comes from the environment: export these, then\n\
             # `conform run --suite THIS_FILE` (a variable that is not set stops the run, named):\n#\n",
        );
        for v in &self.variables {
            let _ = writeln!(
                out,
                "#   export {}='{}'   # {}",
                v.name,
                one_line(&v.example),
                one_line(&v.purpose)
            );
        }
        if self.variables.is_empty() {
            out.push_str(
                "#   (none: the document declares no credentials or required parameters)\n",
            );
        }
        out.push_str(
            "#\n# Start small: `conform run --suite THIS_FILE --dry-run` shows what would be sent;\n\
             # `--operation ID`, `--status 4xx`, `--tag TAG` run part of it. Headers for every\n\
             # request: `--header 'Name: ${VAR}'` or `[suite] headers`. Self-signed HTTPS: `--ca-cert FILE`.\n\
             # Unknown keys are errors naming the key and line; README.md, \"Suites\", lists them all.\n\n",
        );

        out.push_str("[suite]\n");
        let _ = writeln!(
            out,
            "name = {}",
            toml_string(&format!("{} (starter)", doc.title))
        );
        if placed {
            let _ = writeln!(out, "# The document, relative to this file.");
        } else {
            let _ = writeln!(
                out,
                "# The document, relative to this file: written as given, for a suite in the current\n\
                 # directory (`-o FILE` or `> FILE.toml` writes it relative to FILE)."
            );
        }
        let _ = writeln!(out, "spec = {}", toml_string(spec_path));
        let _ = writeln!(
            out,
            "target = {}   # --base-url wins",
            toml_string(&self.target)
        );
        out.push_str(
            "examples = 8\n\
             # Requests per second per operation: be gentle with a shared server.\n\
             rate = 10.0\n\
             # A target that is not on loopback is live: only operations whose `side_effect` is\n\
             # `none` or `issues-token` are sent there, unless `--allow CLASS` names theirs.\n\
             # live = true\n\
             # Once every case reaches its status, make an unreached one fail:\n\
             # strict = true\n",
        );

        if !self.fixtures.is_empty() {
            out.push_str(
                "\n# Required parameters: real values from your server (a generated id finds nothing).\n\
                 # One fixture per parameter name; give an operation its own if it must differ",
            );
            if doc.operations.iter().any(|o| o.method == Method::Delete) {
                out.push_str("\n# (a DELETE should not spend the id the other operations read)");
            }
            out.push_str(".\n[fixtures]\n");
            for (fixture, (_, var, secret)) in &self.fixtures {
                if *secret {
                    let _ = writeln!(
                        out,
                        "{} = {{ value = \"${{{var}}}\", secret = true }}",
                        toml_key(fixture)
                    );
                } else {
                    let _ = writeln!(out, "{} = \"${{{var}}}\"", toml_key(fixture));
                }
            }
        }

        if !self.auth.is_empty() || !self.unsupported.is_empty() {
            out.push_str(
                "\n# Credentials by security scheme: sent on every case whose operation needs the\n\
                 # scheme, left out of its 401 case. Masked in every output and report.\n",
            );
            for (scheme, lines) in &self.auth {
                let _ = writeln!(out, "[auth.{}]", toml_key(scheme));
                for line in lines {
                    let _ = writeln!(out, "{line}");
                }
            }
            for why in &self.unsupported {
                let _ = writeln!(
                    out,
                    "# Security scheme {why}, which conform cannot send (mutual TLS: --client-cert/--client-key)."
                );
            }
        }

        out.push_str(
            "\n# ---------------------------------------------------------------------------------------------\n\
             # Operations: each case is `<operation id>/<status>`; `conform list --suite THIS_FILE` shows\n\
             # them with the reason for any that cannot run yet.\n",
        );
        let mut written: BTreeSet<String> = BTreeSet::new();
        for (index, op) in doc.operations.iter().enumerate() {
            let id = op.id();
            if !written.insert(id.clone()) {
                continue;
            }
            self.render_operation(&mut out, index, op);
        }

        self.render_recipes(&mut out);
        out
    }

    fn render_operation(&self, out: &mut String, index: usize, op: &Operation) {
        let id = op.id();
        out.push('\n');
        let summary = op
            .summary
            .as_deref()
            .map(|s| format!(": {}", one_line(s)))
            .unwrap_or_default();
        let deprecated = if op.deprecated { " (deprecated)" } else { "" };
        let _ = writeln!(
            out,
            "# {} {}{summary}{deprecated}",
            op.method,
            one_line(&op.path)
        );
        let _ = writeln!(out, "# security: {}", self.security_text(op));
        let (ready, waiting): (Vec<_>, Vec<_>) = self
            .plan
            .cases
            .iter()
            .filter(|c| c.operation == index)
            .partition(|c| c.readiness.is_runnable());
        let statuses = |cases: &[&conform::plan::Case]| {
            cases
                .iter()
                .map(|c| c.status.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match (ready.is_empty(), waiting.is_empty()) {
            (_, true) => {
                let _ = writeln!(out, "# cases: {}", statuses(&ready));
            }
            (true, false) => {
                let _ = writeln!(
                    out,
                    "# cases not runnable yet (`conform list` says why): {}",
                    statuses(&waiting)
                );
            }
            (false, false) => {
                let _ = writeln!(
                    out,
                    "# cases: {}; not runnable yet (`conform list` says why): {}",
                    statuses(&ready),
                    statuses(&waiting)
                );
            }
        }
        let _ = writeln!(out, "[operations.{}]", toml_key(&id));
        if matches!(
            op.method,
            Method::Get | Method::Head | Method::Options | Method::Trace
        ) {
            let _ = writeln!(
                out,
                "side_effect = \"none\"   # {} is safe by HTTP's rules: correct it if this one is not",
                op.method
            );
        } else {
            let _ = writeln!(
                out,
                "# side_effect = \"...\"   # what calling it does: one of {}; unclassified, it is skipped on a live target",
                conform::suite::SIDE_EFFECTS.join(", ")
            );
        }
        let pinned: Vec<String> = op
            .parameters
            .iter()
            .filter(|p| p.required)
            .filter_map(|p| {
                let fixture = self.fixture_of(&p.name)?;
                Some(format!(
                    "{} = \"${{fixtures.{fixture}}}\"",
                    toml_key(&p.name)
                ))
            })
            .collect();
        if !pinned.is_empty() {
            let _ = writeln!(out, "inputs = {{ {} }}", pinned.join(", "));
        }
        if let Some(body) = &op.request_body {
            let types: Vec<&str> = body.content.iter().map(|m| m.media_type.as_str()).collect();
            let required = body
                .content
                .iter()
                .find_map(|m| m.schema.as_ref())
                .map(|s| required_properties(&self.doc.raw, &s.pointer))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "# body{}: {}; generated from the schema{}",
                if body.required { "" } else { " (optional)" },
                one_line(&types.join(", ")),
                if required.is_empty() {
                    String::new()
                } else {
                    format!(
                        ". Pin real values of its required properties if the server needs them:\n# inputs = {{ {} }}",
                        required
                            .iter()
                            .map(|r| format!("{} = \"...\"", toml_key(r)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            );
        }
        // Statuses only an input of the suite provokes: where to give it.
        for case in waiting {
            if matches!(case.recipe, Recipe::Forbidden | Recipe::Other) {
                let _ = writeln!(
                    out,
                    "# {} needs an input your server answers it to: [cases.{}] inputs = {{ ... }} or headers = {{ ... }}",
                    case.status,
                    toml_key(&case.id)
                );
            }
        }
    }

    fn security_text(&self, op: &Operation) -> String {
        if op.security.is_empty() {
            return "none declared (no 401 case unless the suite names its credential)".into();
        }
        let alternatives: Vec<String> = op
            .security
            .iter()
            .map(|alt| {
                if alt.is_empty() {
                    "anonymous".to_string()
                } else {
                    alt.iter()
                        .map(|s| {
                            if self.auth.contains_key(s) {
                                format!("{} ([auth.{}])", one_line(s), toml_key(s))
                            } else {
                                one_line(s)
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" + ")
                }
            })
            .collect();
        alternatives.join(" or ")
    }

    /// How 401 cases work, and a case that sends a wrong credential instead of none (per case:
    /// a recipe-class header would go to operations of every scheme).
    fn unauthenticated_example(&self) -> String {
        let mut text = String::from(
            "# 401 (unauthenticated): the credential of [auth] is left out of the request.",
        );
        let example = self
            .plan
            .cases
            .iter()
            .filter(|c| c.recipe == Recipe::Unauthenticated)
            .find_map(|c| {
                let op = &self.doc.operations[c.operation];
                let scheme =
                    op.security.iter().flatten().find_map(|name| {
                        self.doc.security_schemes.iter().find(|s| &s.name == name)
                    })?;
                let header = match &scheme.kind {
                    SchemeKind::Bearer => ("authorization".to_string(), "Bearer not-a-valid-token"),
                    SchemeKind::Basic => ("authorization".to_string(), "Basic bm90OnZhbGlk"),
                    SchemeKind::ApiKey {
                        location: ParamLocation::Header,
                        name,
                    } => (name.clone(), "not-a-valid-key"),
                    _ => return None,
                };
                Some((c.id.clone(), header))
            });
        if let Some((id, (name, value))) = example {
            let _ = write!(
                text,
                " To send a wrong one instead:\n# [cases.{}]\n# headers = {{ {} = {} }}",
                toml_key(&id),
                toml_key(&name),
                toml_string(value)
            );
        }
        text
    }

    /// A commented `[recipes.CLASS]` for every class the plan has that a suite can help.
    fn render_recipes(&self, out: &mut String) {
        let classes: BTreeSet<&'static str> =
            self.plan.cases.iter().map(|c| c.recipe.as_str()).collect();
        let first = |recipe: Recipe| {
            self.plan
                .cases
                .iter()
                .find(|c| c.recipe == recipe)
                .map(|c| c.id.clone())
        };
        let mut blocks: Vec<String> = Vec::new();
        if classes.contains("invalid-input") {
            blocks.push(
                "# 400/422 (invalid-input): generated requests that each break exactly one rule of the\n\
                 # document. Inputs here go to every such case (not the input a case breaks):\n\
                 # [recipes.invalid-input]\n\
                 # headers = { x-request-source = \"conform\" }"
                    .into(),
            );
        }
        if classes.contains("unauthenticated") {
            blocks.push(self.unauthenticated_example());
        }
        if classes.contains("forbidden") {
            let id = first(Recipe::Forbidden).unwrap_or_default();
            blocks.push(format!(
                "# 403 (forbidden): needs an input your server refuses (a user without the right), per case:\n\
                 # [cases.{}]\n\
                 # headers = {{ authorization = \"Bearer ${{fixtures.readonly_token}}\" }}",
                toml_key(&id)
            ));
        }
        if classes.contains("not-found") {
            blocks.push(
                "# 404 (not-found): every path parameter gets an unknown value; nothing to set."
                    .into(),
            );
        }
        if classes.contains("method-not-allowed") {
            blocks.push(
                "# 405 (method-not-allowed): a method the path does not declare; nothing to set."
                    .into(),
            );
        }
        if classes.contains("rate-limited") {
            blocks.push(
                "# 429 (rate-limited): a bounded burst, opt-in (--include-ignored) unless enabled:\n\
                 # [recipes.rate-limited]\n\
                 # burst = 100\n\
                 # enabled = true"
                    .into(),
            );
        }
        if classes.contains("server-error") {
            blocks.push(
                "# 5xx (server-error): a well-formed request cannot make a server fail; only if yours has a switch:\n\
                 # [recipes.server-error]\n\
                 # headers = { x-simulate-status = \"${status}\" }"
                    .into(),
            );
        }
        if classes.contains("other") {
            let id = first(Recipe::Other).unwrap_or_default();
            blocks.push(format!(
                "# Other statuses (409, 410, default, ...): only through inputs a case gives:\n\
                 # [cases.{}]\n\
                 # inputs = {{ ... }}",
                toml_key(&id)
            ));
        }
        if blocks.is_empty() {
            return;
        }
        out.push_str(
            "\n# ---------------------------------------------------------------------------------------------\n\
             # Recipes by class, for the classes this document's cases have (commented examples).\n",
        );
        for block in blocks {
            out.push('\n');
            out.push_str(&block);
            out.push('\n');
        }
    }
}

/// `servers[0].url` when it is an absolute http(s) URL without variables.
fn server_url(doc: &Document) -> Option<String> {
    let url = doc.raw.pointer("/servers/0/url")?.as_str()?;
    (url.starts_with("http://") || url.starts_with("https://"))
        .then(|| url.trim_end_matches('/'))
        .filter(|u| !u.contains('{') && !u.contains('\'') && !u.chars().any(char::is_control))
        .map(String::from)
}

/// Top-level required property names of a schema in the document (through `$ref` and
/// `allOf`), each once, for the comment on a body.
fn required_properties(raw: &Value, pointer: &str) -> Vec<String> {
    let mut names = raw
        .pointer(pointer)
        .map(|schema| required_in(raw, schema))
        .unwrap_or_default();
    let mut seen = BTreeSet::new();
    names.retain(|name| seen.insert(name.clone()));
    names
}

/// The variable prefix from the document's title: its first two words, upper case
/// (`Pets API` → `PETS_API`), or `API`.
fn env_prefix(title: &str) -> String {
    let words: Vec<String> = title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(2)
        .map(str::to_ascii_uppercase)
        .collect();
    let prefix = words.join("_");
    if prefix.is_empty() {
        "API".into()
    } else if prefix.starts_with(|c: char| c.is_ascii_digit()) {
        format!("API_{prefix}")
    } else {
        prefix
    }
}

/// `petId`, `X-Request-Id`, `api_key` → `PET_ID`, `X_REQUEST_ID`, `API_KEY`.
fn env_word(text: &str) -> String {
    snake(text).to_ascii_uppercase()
}

/// Lower snake case of a name: camel humps and every non-alphanumeric run become `_`.
fn snake(text: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && prev_lower && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    let out = out.trim_matches('_').to_string();
    if out.is_empty() { "value".into() } else { out }
}

/// A parameter whose name says it carries a credential: its fixture is secret.
fn looks_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "auth", "token", "key", "secret", "password", "cookie", "session",
    ]
    .iter()
    .any(|w| name.contains(w))
}

/// A TOML key: bare when it can be, else a basic string.
fn toml_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        key.to_string()
    } else {
        toml_string(key)
    }
}

/// A TOML basic string (quotes, backslashes and control characters escaped).
fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text from the document made safe for one comment line (no line breaks, no control chars).
fn one_line(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if out.chars().count() > 100 {
        out = out.chars().take(97).collect::<String>() + "...";
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keys_and_strings() {
        assert_eq!(env_prefix("Pets API"), "PETS_API");
        assert_eq!(
            env_prefix("Swagger Petstore - OpenAPI 3.0"),
            "SWAGGER_PETSTORE"
        );
        assert_eq!(env_prefix("Üñî"), "API");
        assert_eq!(env_prefix("Ünï"), "N");
        assert_eq!(env_prefix("1Password Connect"), "API_1PASSWORD_CONNECT");
        assert_eq!(env_word("petId"), "PET_ID");
        assert_eq!(env_word("X-Request-Id"), "X_REQUEST_ID");
        assert_eq!(snake("api_key"), "api_key");
        assert_eq!(snake("$$"), "value");
        assert_eq!(toml_key("listPets"), "listPets");
        assert_eq!(toml_key("GET /pets"), "\"GET /pets\"");
        assert_eq!(toml_string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
        assert_eq!(one_line("two\nlines\r\n  here"), "two lines here");
        assert!(looks_secret("X-Api-Key") && !looks_secret("petId"));
    }

    #[test]
    fn required_properties_are_named_once_through_refs() {
        let raw = serde_json::json!({"components": {"schemas": {
            "Base": {"required": ["a"]},
            "Body": {"allOf": [{"$ref": "#/components/schemas/Base"}, {"required": ["a", "b"]}]}
        }}});
        assert_eq!(
            required_properties(&raw, "/components/schemas/Body"),
            ["a", "b"]
        );
        assert!(required_properties(&raw, "/components/schemas/None").is_empty());
    }

    #[test]
    fn relative_paths_climb_to_the_common_directory() {
        let root = std::env::temp_dir().join(format!("conform-init-rel-{}", std::process::id()));
        std::fs::create_dir_all(root.join("suites")).unwrap();
        std::fs::create_dir_all(root.join("specs/x")).unwrap();
        std::fs::write(root.join("specs/x/api.yaml"), "").unwrap();
        assert_eq!(
            relative_to(&root.join("suites"), &root.join("specs/x/api.yaml")),
            Some(PathBuf::from("../specs/x/api.yaml"))
        );
        let _ = std::fs::remove_dir_all(&root);
    }
}
