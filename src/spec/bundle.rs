//! Documents split over several files: every `$ref` to a relative file (`./schemas/user.yaml`,
//! with or without a `#/fragment`) is read from the referring file's folder, recursively, each
//! file once (so files that refer to each other load), and copied into the root document under
//! [`FILES_KEY`] with its refs rewritten to local ones. A `$ref` to a URL is never fetched.
//! Errors name the file that is wrong, its line and the pointer inside it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::error::{SpecError, SpecErrorKind};
use super::locate::locate;
use super::pointer::escape_token;
use super::resolve::{follow, percent_decode};

/// Where other files' contents go in the root document: an extension key, so the OpenAPI
/// readers pass it over and only `$ref`s reach into it.
pub const FILES_KEY: &str = "x-conform-files";

/// At most this many files in one document.
const MAX_FILES: usize = 256;

/// The other files a document was bundled from, to point errors found later back at them.
#[derive(Debug, Default)]
pub(crate) struct Files {
    /// Slot `n` (`#/x-conform-files/n`): the file as named from its referrer, and its text.
    files: Vec<(PathBuf, String)>,
}

impl Files {
    /// An error at a pointer inside a bundled file, moved back to that file and its line.
    pub(crate) fn remap(&self, mut error: SpecError) -> SpecError {
        let prefix = format!("/{FILES_KEY}/");
        let Some(rest) = error
            .pointer
            .as_deref()
            .and_then(|p| p.strip_prefix(&prefix))
        else {
            return error;
        };
        let (slot, inner) = rest.split_once('/').map_or((rest, ""), |(s, i)| (s, i));
        let Some((path, source)) = slot.parse::<usize>().ok().and_then(|i| self.files.get(i))
        else {
            return error;
        };
        let inner = if inner.is_empty() {
            String::new()
        } else {
            format!("/{inner}")
        };
        error.location = locate(source, &inner);
        error.file = path.clone();
        error.pointer = Some(inner);
        error
    }
}

/// Parses a file's text (YAML or JSON) into JSON; the loader's own parser.
pub(crate) type Parse<'a> = &'a dyn Fn(&Path, &str) -> Result<Value, SpecError>;

/// Bundles every file `raw` (read from `path`) refers to into `raw` itself.
pub(crate) fn bundle(
    path: &Path,
    source: &str,
    raw: &mut Value,
    parse: Parse<'_>,
) -> Result<Files, SpecError> {
    if !has_file_ref(raw) {
        return Ok(Files::default());
    }
    let mut bundler = Bundler {
        parse,
        slots: HashMap::new(),
        files: Vec::new(),
        contents: Vec::new(),
        pending: Vec::new(),
    };
    let root_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let origin = Origin {
        path: path.to_path_buf(),
        source: source.to_string(),
        dir: root_dir,
        slot: None,
    };
    let mut refs = Vec::new();
    bundler.rewrite(raw, &origin, &mut String::new(), &mut refs, None)?;
    let mut checks: Vec<(Origin, Vec<RefSite>)> = vec![(origin, refs)];
    while let Some(slot) = bundler.pending.pop() {
        let mut content = std::mem::take(&mut bundler.contents[slot]);
        let (file, text) = bundler.files[slot].clone();
        let origin = Origin {
            dir: file.parent().map(Path::to_path_buf).unwrap_or_default(),
            path: file,
            source: text,
            slot: Some(slot),
        };
        let mut refs = Vec::new();
        bundler.rewrite(&mut content, &origin, &mut String::new(), &mut refs, None)?;
        bundler.contents[slot] = content;
        checks.push((origin, refs));
    }
    let contents = std::mem::take(&mut bundler.contents);
    let mut slots = Map::new();
    for (i, content) in contents.into_iter().enumerate() {
        slots.insert(i.to_string(), content);
    }
    if let Value::Object(map) = raw {
        map.insert(FILES_KEY.into(), Value::Object(slots));
    }
    // Every rewritten ref must name something, and no chain of refs may loop, across files.
    for (origin, refs) in checks {
        for site in refs {
            if let Err(kind) = follow(raw, &site.rewritten) {
                let kind = match kind {
                    SpecErrorKind::UnknownRef(_) => SpecErrorKind::UnknownRef(site.written),
                    other => other,
                };
                let at = format!("{}/$ref", site.pointer);
                return Err(SpecError::new(&origin.path, kind)
                    .at(Some(at.clone()), locate(&origin.source, &at)));
            }
        }
    }
    Ok(Files {
        files: bundler.files,
    })
}

/// A `$ref` as written, where it is in its file, and what it became.
struct RefSite {
    written: String,
    pointer: String,
    rewritten: String,
}

/// The file being rewritten.
struct Origin {
    path: PathBuf,
    source: String,
    dir: PathBuf,
    /// `None` for the root document.
    slot: Option<usize>,
}

struct Bundler<'a> {
    parse: Parse<'a>,
    /// Canonical path -> slot.
    slots: HashMap<PathBuf, usize>,
    files: Vec<(PathBuf, String)>,
    contents: Vec<Value>,
    /// Slots whose refs are not rewritten yet.
    pending: Vec<usize>,
}

impl Bundler<'_> {
    /// Rewrites every `$ref` under `value` (at `pointer` in `origin`) to a local one.
    fn rewrite(
        &mut self,
        value: &mut Value,
        origin: &Origin,
        pointer: &mut String,
        refs: &mut Vec<RefSite>,
        parent_key: Option<&str>,
    ) -> Result<(), SpecError> {
        match value {
            Value::Object(map) => {
                let keys_are_names = matches!(parent_key, Some("properties" | "patternProperties"));
                if !keys_are_names && let Some(Value::String(reference)) = map.get("$ref") {
                    let written = reference.clone();
                    if let Some(rewritten) = self.target(&written, origin, pointer)? {
                        refs.push(RefSite {
                            written,
                            pointer: pointer.clone(),
                            rewritten: rewritten.clone(),
                        });
                        map.insert("$ref".into(), Value::String(rewritten));
                    }
                }
                for (key, child) in map.iter_mut() {
                    if !keys_are_names
                        && (matches!(
                            key.as_str(),
                            "example" | "examples" | "enum" | "default" | "const"
                        ) || (key.starts_with("x-") && origin.slot.is_none()))
                    {
                        continue; // free-form data
                    }
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&escape_token(key));
                    self.rewrite(child, origin, pointer, refs, Some(key))?;
                    pointer.truncate(len);
                }
                Ok(())
            }
            Value::Array(items) => {
                for (i, child) in items.iter_mut().enumerate() {
                    let len = pointer.len();
                    pointer.push_str(&format!("/{i}"));
                    self.rewrite(child, origin, pointer, refs, None)?;
                    pointer.truncate(len);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The local ref a written one becomes; `None` when it stays as written (a local ref in the
    /// root document, or a URL, which the ref check refuses).
    fn target(
        &mut self,
        written: &str,
        origin: &Origin,
        pointer: &str,
    ) -> Result<Option<String>, SpecError> {
        let (file, fragment) = written.split_once('#').unwrap_or((written, ""));
        let at = format!("{pointer}/$ref");
        let error = |kind: SpecErrorKind| {
            SpecError::new(&origin.path, kind).at(Some(at.clone()), locate(&origin.source, &at))
        };
        if is_url(file) {
            return Err(error(SpecErrorKind::ExternalRef(written.to_string())));
        }
        let slot = if file.is_empty() {
            match origin.slot {
                None => return Ok(None),
                Some(slot) => slot,
            }
        } else {
            // As the user would name it: `specs/schemas/user.yaml`, not `specs/./schemas/user.yaml`.
            let named: PathBuf = origin
                .dir
                .join(percent_decode(file))
                .components()
                .filter(|c| !matches!(c, std::path::Component::CurDir))
                .collect();
            let canonical = named.canonicalize().map_err(|e| {
                error(SpecErrorKind::Unreadable(
                    named.display().to_string(),
                    e.to_string(),
                ))
            })?;
            match self.slots.get(&canonical) {
                Some(&slot) => slot,
                None => {
                    if self.files.len() >= MAX_FILES {
                        return Err(error(SpecErrorKind::Invalid(format!(
                            "more than {MAX_FILES} files referred to"
                        ))));
                    }
                    let text = std::fs::read_to_string(&canonical).map_err(|e| {
                        error(SpecErrorKind::Unreadable(
                            named.display().to_string(),
                            e.to_string(),
                        ))
                    })?;
                    let content = (self.parse)(&named, &text)?;
                    let slot = self.files.len();
                    self.slots.insert(canonical, slot);
                    self.files.push((named, text));
                    self.contents.push(content);
                    self.pending.push(slot);
                    slot
                }
            }
        };
        if !fragment.is_empty() && !fragment.starts_with('/') {
            return Err(error(SpecErrorKind::UnknownRef(written.to_string())));
        }
        Ok(Some(format!("#/{FILES_KEY}/{slot}{fragment}")))
    }
}

fn is_url(file: &str) -> bool {
    file.starts_with("//")
        || file.split_once(':').is_some_and(|(scheme, _)| {
            scheme.len() > 1
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        })
}

/// Is there any `$ref` that names a file (not `#...`, not a URL)? Most documents have none, and
/// this walk is all they pay.
fn has_file_ref(value: &Value) -> bool {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref")
                && !r.starts_with('#')
            {
                let file = r.split('#').next().unwrap_or("");
                if !is_url(file) {
                    return true;
                }
            }
            map.iter().any(|(k, v)| {
                !matches!(k.as_str(), "example" | "examples" | "enum" | "default")
                    && has_file_ref(v)
            })
        }
        Value::Array(items) => items.iter().any(has_file_ref),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_not_files() {
        assert!(is_url("https://example.com/a.json"));
        assert!(is_url("//example.com/a.json"));
        assert!(!is_url("./schemas/user.yaml"));
        assert!(!is_url("user.yaml"));
        assert!(!is_url("C"));
    }
}
