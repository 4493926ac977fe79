//! [`SchemaSet`]: converts and compiles each schema of a document once per direction, and
//! [`CompiledSchema`]: validates instances, naming the OpenAPI node of every failure.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use indexmap::IndexSet;
use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use serde_json::{Value, json};

use super::convert::{Converter, DISPATCH_ENUM_KEY, DISPATCH_KEY, POINTER_KEY, strip_annotations};
use super::draft2020;
use super::types::{Direction, SchemaError, SchemaViolation, SpecWarning};
use crate::spec::{Dialect, Document, SchemaRef, percent_decode, unescape_token};

/// Messages longer than this are cut: an error that quotes a whole instance helps nobody.
const MAX_MESSAGE: usize = 400;

type Key = (String, Direction);

/// Every schema of one document, converted and compiled on first use and cached.
pub struct SchemaSet {
    raw: Arc<Value>,
    dialect: Dialect,
    /// What the converter (and so the generators) reads: `raw` for 3.0; for 2020-12 a copy
    /// rewritten into 3.0 shapes, with every schema at the same pointer.
    generation_root: Arc<Value>,
    state: Mutex<State>,
}

struct State {
    request: Converter,
    response: Converter,
    converted: HashMap<Key, Result<Value, SchemaError>>,
    compiled: HashMap<Key, Result<Arc<CompiledSchema>, SchemaError>>,
    warnings: IndexSet<SpecWarning>,
}

impl SchemaSet {
    pub fn new(doc: &Document) -> Self {
        let generation_root = match doc.dialect {
            Dialect::OpenApi30 => Arc::clone(&doc.raw),
            Dialect::Draft202012 => Arc::new(draft2020::normalize_document(&doc.raw)),
        };
        SchemaSet {
            raw: Arc::clone(&doc.raw),
            dialect: doc.dialect,
            generation_root,
            state: Mutex::new(State {
                request: Converter::new(Direction::Request),
                response: Converter::new(Direction::Response),
                converted: HashMap::new(),
                compiled: HashMap::new(),
                warnings: IndexSet::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave the caches half-written in a way that matters: they
        // only ever gain complete entries.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The annotated Draft 4 document for a schema. Kept (`keep`) for [`Self::converted`];
    /// compiled schemas keep their own copy, so theirs is not cached twice.
    fn annotated(
        &self,
        state: &mut State,
        schema: &SchemaRef,
        dir: Direction,
        keep: bool,
    ) -> Result<Value, SchemaError> {
        let key = (schema.pointer.clone(), dir);
        if let Some(done) = state.converted.get(&key) {
            return done.clone();
        }
        let converter = match dir {
            Direction::Request => &mut state.request,
            Direction::Response => &mut state.response,
        };
        let result = converter.convert(&self.generation_root, &schema.pointer);
        let found: Vec<SpecWarning> = converter.warnings.drain(..).collect();
        state.warnings.extend(found);
        if keep {
            state.converted.insert(key, result.clone());
        }
        result
    }

    /// The compiled validator for a schema in a direction.
    pub fn compile(
        &self,
        schema: &SchemaRef,
        dir: Direction,
    ) -> Result<Arc<CompiledSchema>, SchemaError> {
        // Many schemas are a bare `$ref` to the same component (every operation's `default`
        // error response): compile the component once and share it.
        let schema = &self.canonical(schema);
        let key = (schema.pointer.clone(), dir);
        let annotated = {
            let mut state = self.lock();
            if let Some(done) = state.compiled.get(&key) {
                return done.clone();
            }
            match self.dialect {
                Dialect::OpenApi30 => self.annotated(&mut state, schema, dir, false),
                Dialect::Draft202012 => draft2020::bundle(&self.raw, &schema.pointer, dir),
            }
        };
        // Building can take a while (Stripe-sized closures): not under the lock, so other
        // threads compile their schemas meanwhile.
        let built =
            annotated.and_then(|annotated| build_checked(self.dialect, annotated, &schema.pointer));
        let mut state = self.lock();
        if let Some(done) = state.compiled.get(&key) {
            return done.clone();
        }
        let result = built.map(|(validator, annotated, dropped)| {
            state.warnings.extend(dropped);
            Arc::new(CompiledSchema {
                validator,
                annotated,
                pointer: schema.pointer.clone(),
            })
        });
        state.compiled.insert(key, result.clone());
        result
    }

    /// The pointer a bare `$ref` chain ends at (OpenAPI 3.0 ignores a `$ref`'s siblings).
    fn canonical(&self, schema: &SchemaRef) -> SchemaRef {
        let mut pointer = schema.pointer.clone();
        let dialect = self.dialect;
        for _ in 0..64 {
            let next = self
                .raw
                .pointer(&pointer)
                // `nullable` next to a `$ref` changes the schema: not a bare ref.
                .filter(|node| node.get("nullable") != Some(&Value::Bool(true)))
                // In 2020-12 every sibling of `$ref` counts.
                .filter(|node| dialect == Dialect::OpenApi30 || only_ref(node))
                .and_then(|node| node.get("$ref"))
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix('#'))
                .map(percent_decode);
            match next {
                Some(target) if self.raw.pointer(&target).is_some() => pointer = target,
                _ => break,
            }
        }
        SchemaRef { pointer }
    }

    /// The Draft 4 schema used for validation, without annotations; `$ref`s point into its own
    /// `definitions`, so it is its own root for generators.
    pub fn converted(&self, schema: &SchemaRef, dir: Direction) -> Result<Value, SchemaError> {
        let schema = &self.canonical(schema);
        let mut state = self.lock();
        let mut value = self.annotated(&mut state, schema, dir, true)?;
        strip_annotations(&mut value);
        Ok(value)
    }

    /// Problems found in the document so far, each once.
    pub fn warnings(&self) -> Vec<SpecWarning> {
        self.lock().warnings.iter().cloned().collect()
    }
}

/// Does a 2020-12 node hold nothing but a `$ref` and annotations?
fn only_ref(node: &Value) -> bool {
    node.as_object().is_some_and(|m| {
        m.keys().all(|k| {
            matches!(
                k.as_str(),
                "$ref" | "description" | "summary" | "title" | "examples" | "example" | "$comment"
            )
        })
    })
}

fn build(dialect: Dialect, schema: &Value) -> Result<Validator, ValidationError<'static>> {
    match dialect {
        Dialect::OpenApi30 => jsonschema::draft4::options()
            .should_validate_formats(true)
            .build(schema),
        Dialect::Draft202012 => jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(schema),
    }
}

/// Compiles once to find patterns the regex engine refuses (documents use other dialects):
/// those are dropped with a warning rather than making the whole schema unusable.
fn build_checked(
    dialect: Dialect,
    mut annotated: Value,
    pointer: &str,
) -> Result<(Validator, Value, Vec<SpecWarning>), SchemaError> {
    let first = match build(dialect, &annotated) {
        Ok(validator) => return Ok((validator, annotated, Vec::new())),
        Err(e) => e.to_string(),
    };
    let mut dropped = Vec::new();
    drop_bad_patterns(&mut annotated, &mut dropped);
    let compile_error = |message: String| SchemaError::Compile {
        pointer: pointer.to_string(),
        message,
    };
    if dropped.is_empty() {
        // Not a pattern problem: report the compiler's own words.
        return Err(compile_error(first));
    }
    let validator = build(dialect, &annotated).map_err(|e| compile_error(e.to_string()))?;
    Ok((validator, annotated, dropped))
}

fn drop_bad_patterns(value: &mut Value, dropped: &mut Vec<SpecWarning>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(pattern)) = map.get("pattern")
                && build(Dialect::OpenApi30, &json!({ "pattern": pattern })).is_err()
            {
                let at = map
                    .get(POINTER_KEY)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                dropped.push(SpecWarning {
                    pointer: format!("{at}/pattern"),
                    message: format!("pattern {pattern:?} is not a regular expression the validator accepts; not checked"),
                });
                map.remove("pattern");
            }
            for (k, v) in map.iter_mut() {
                if k != "enum" {
                    drop_bad_patterns(v, dropped);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| drop_bad_patterns(v, dropped)),
        _ => {}
    }
}

/// A schema compiled once, to validate many instances.
pub struct CompiledSchema {
    validator: Validator,
    annotated: Value,
    pointer: String,
}

impl std::fmt::Debug for CompiledSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledSchema")
            .field("pointer", &self.pointer)
            .finish_non_exhaustive()
    }
}

impl CompiledSchema {
    pub fn is_valid(&self, instance: &Value) -> bool {
        self.validator.is_valid(instance)
    }

    /// Every way the instance fails, each traced back to the OpenAPI schema node.
    pub fn validate(&self, instance: &Value) -> Vec<SchemaViolation> {
        let mut out = Vec::new();
        for error in self.validator.iter_errors(instance) {
            self.collect(&error, instance, &mut out);
        }
        out
    }

    /// The pointer of the OpenAPI document this schema was compiled from.
    pub fn pointer(&self) -> &str {
        &self.pointer
    }

    fn collect(
        &self,
        error: &ValidationError<'_>,
        instance: &Value,
        out: &mut Vec<SchemaViolation>,
    ) {
        let schema_path = error.schema_path().as_str().to_string();
        let instance_path = error.instance_path().as_str().to_string();
        let (node, spec_pointer) = self.locate(&schema_path);
        if node.is_some_and(|n| n.get(DISPATCH_ENUM_KEY).is_some()) {
            // Reported by the dispatch below, with the list of accepted values.
            return;
        }
        if let (ValidationErrorKind::AnyOf { context }, Some(dispatch)) =
            (error.kind(), node.and_then(|n| n.get(DISPATCH_KEY)))
        {
            self.dispatch(
                dispatch,
                context,
                &instance_path,
                &schema_path,
                &spec_pointer,
                instance,
                out,
            );
            return;
        }
        out.push(SchemaViolation {
            instance_path,
            schema_path,
            spec_pointer,
            message: truncate(message(error)),
            observed: Some(error.instance().clone().into_owned()),
        });
    }

    /// A `oneOf` validated by a key property: report the selected branch's own failures, or
    /// that the key selects no branch.
    #[allow(clippy::too_many_arguments)]
    fn dispatch(
        &self,
        dispatch: &Value,
        context: &[Vec<ValidationError<'static>>],
        instance_path: &str,
        schema_path: &str,
        spec_pointer: &str,
        instance: &Value,
        out: &mut Vec<SchemaViolation>,
    ) {
        let key = dispatch
            .get("property")
            .and_then(Value::as_str)
            .unwrap_or("");
        let values: &[Value] = dispatch
            .get("values")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice);
        let Some(observed) = instance.pointer(instance_path).and_then(|i| i.get(key)) else {
            // A missing key is reported by `required`.
            return;
        };
        let selected: Vec<usize> = (0..values.len())
            .filter(|&i| &values[i] == observed)
            .collect();
        if selected.is_empty() {
            let accepted: Vec<String> = values.iter().map(Value::to_string).collect();
            let mut accepted_unique: Vec<String> = Vec::new();
            for a in accepted {
                if !accepted_unique.contains(&a) {
                    accepted_unique.push(a);
                }
            }
            out.push(SchemaViolation {
                instance_path: format!("{instance_path}/{}", crate::spec::escape_token(key)),
                schema_path: schema_path.to_string(),
                spec_pointer: format!("{spec_pointer}/oneOf"),
                message: truncate(format!(
                    "{key} {observed} selects no branch of the oneOf (expected one of {})",
                    accepted_unique.join(", ")
                )),
                observed: Some(observed.clone()),
            });
            return;
        }
        // Several branches may share a key value: the one with the fewest failures explains best.
        let best = selected
            .into_iter()
            .filter_map(|i| context.get(i))
            .min_by_key(|errors| errors.len());
        if let Some(errors) = best {
            for error in errors {
                self.collect(error, instance, out);
            }
        }
    }

    /// The converted node a schema path ends in (or its nearest schema ancestor) and the
    /// OpenAPI pointer annotated on the deepest node along the way.
    fn locate(&self, schema_path: &str) -> (Option<&Value>, String) {
        let mut node = &self.annotated;
        let mut pointer = node
            .get(POINTER_KEY)
            .and_then(Value::as_str)
            .unwrap_or(&self.pointer)
            .to_string();
        let mut last_object: Option<&Value> = Some(node);
        if !schema_path.is_empty() {
            for token in schema_path.trim_start_matches('/').split('/') {
                let token = unescape_token(token);
                let next = match node {
                    Value::Object(map) => map.get(&token),
                    Value::Array(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
                    _ => None,
                };
                let Some(next) = next else { break };
                node = next;
                if let Some(p) = node.get(POINTER_KEY).and_then(Value::as_str) {
                    pointer = p.to_string();
                    last_object = Some(node);
                }
            }
        }
        (last_object, pointer)
    }
}

/// The validator's message, without quoting structures or long strings: those may hold tokens
/// and secrets, and `observed` carries the value for whoever is allowed to show it.
fn message(error: &ValidationError<'_>) -> String {
    let mut text = match error.instance().as_ref() {
        Value::Object(_) => error.masked_with("the object").to_string(),
        Value::Array(_) => error.masked_with("the array").to_string(),
        Value::String(s) if s.chars().count() > 24 => error
            .masked_with(format!("a string of {} characters", s.chars().count()))
            .to_string(),
        _ => error.to_string(),
    };
    // `anyOf`/`oneOf` alone says little: add what the closest branch wanted.
    if let ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } =
        error.kind()
        && let Some(closest) = context
            .iter()
            .filter(|e| !e.is_empty())
            .min_by_key(|e| e.len())
        && let Some(first) = closest.first()
    {
        text.push_str(&format!(" (closest branch: {})", message(first)));
    }
    text
}

fn truncate(mut message: String) -> String {
    if message.len() > MAX_MESSAGE {
        let mut cut = MAX_MESSAGE;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push('…');
    }
    message
}
