//! Finds the line and column of a JSON pointer in YAML or JSON source text.
//!
//! serde and openapiv3 lose positions, so on an error we parse the text again with yaml-rust2's
//! marked events (JSON is YAML 1.2) and walk to the node. This runs only when there is an error.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use super::pointer::tokens;

/// Returns the 1-based (line, column) of the node at `pointer` (without `#`), or of its key when
/// the node is the value of a mapping entry. `None` when the text does not parse or has no such
/// node.
pub fn locate(source: &str, pointer: &str) -> Option<(usize, usize)> {
    let target = tokens(pointer.trim_start_matches('#'));
    if target.is_empty() {
        return Some((1, 1));
    }
    let mut finder = Finder {
        target,
        stack: Vec::new(),
        found: None,
    };
    let mut parser = Parser::new_from_str(source);
    // A parse error after the node was found still leaves a good answer.
    let _ = parser.load(&mut finder, false);
    finder.found.map(|m| (m.line(), m.col() + 1)) // yaml-rust2 columns are 0-based
}

enum Frame {
    Mapping { key: Option<String>, want_key: bool },
    Sequence { index: usize },
}

struct Finder {
    target: Vec<String>,
    stack: Vec<Frame>,
    found: Option<Marker>,
}

impl Finder {
    /// Does the node about to start sit at the target? For a mapping key, `key` is that key and
    /// the innermost frame is the mapping being read; otherwise every frame names a token.
    fn path_matches(&self, key: Option<&str>) -> bool {
        if self.stack.len() != self.target.len() {
            return false;
        }
        let named = if key.is_some() {
            self.stack.len() - 1
        } else {
            self.stack.len()
        };
        for (frame, want) in self.stack[..named].iter().zip(&self.target) {
            let matches = match frame {
                Frame::Mapping { key: Some(k), .. } => k == want,
                Frame::Mapping { key: None, .. } => false,
                Frame::Sequence { index } => index.to_string() == *want,
            };
            if !matches {
                return false;
            }
        }
        match key {
            Some(key) => self.target[named] == key,
            None => true,
        }
    }

    /// Called when a node (scalar, mapping, sequence, alias) starts in value position.
    fn value_started(&mut self, mark: Marker) {
        if self.found.is_none() && self.in_sequence() && self.path_matches(None) {
            self.found = Some(mark);
        }
    }

    fn in_sequence(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Sequence { .. }))
    }

    /// After a value completes, advance the parent: next key, or next index.
    fn value_done(&mut self) {
        match self.stack.last_mut() {
            Some(Frame::Mapping { key, want_key }) => {
                *key = None;
                *want_key = true;
            }
            // Saturating: a complex key's frame starts at usize::MAX so that it never matches.
            Some(Frame::Sequence { index }) => *index = index.saturating_add(1),
            None => {}
        }
    }
}

impl MarkedEventReceiver for Finder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let want_key = matches!(
            self.stack.last(),
            Some(Frame::Mapping { want_key: true, .. })
        );
        match ev {
            Event::Scalar(value, ..) if want_key => {
                if self.found.is_none() && self.path_matches(Some(&value)) {
                    self.found = Some(mark);
                }
                if let Some(Frame::Mapping { key, want_key }) = self.stack.last_mut() {
                    *key = Some(value);
                    *want_key = false;
                }
            }
            Event::Scalar(..) | Event::Alias(_) => {
                self.value_started(mark);
                self.value_done();
            }
            Event::MappingStart(..) | Event::SequenceStart(..) if want_key => {
                // A complex key: we cannot name it in a pointer; treat as an unnamed key.
                if let Some(Frame::Mapping { want_key, .. }) = self.stack.last_mut() {
                    *want_key = false;
                }
                self.stack.push(Frame::Sequence { index: usize::MAX });
            }
            Event::MappingStart(..) => {
                self.value_started(mark);
                self.stack.push(Frame::Mapping {
                    key: None,
                    want_key: true,
                });
            }
            Event::SequenceStart(..) => {
                self.value_started(mark);
                self.stack.push(Frame::Sequence { index: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.value_done();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "openapi: 3.0.0\npaths:\n  /pets:\n    get:\n      responses:\n        '200':\n          description: ok\ntags:\n  - name: a\n  - name: b\n";

    #[test]
    fn finds_mapping_keys_and_sequence_items() {
        assert_eq!(locate(YAML, "/paths/~1pets/get/responses"), Some((5, 7)));
        assert_eq!(
            locate(YAML, "/paths/~1pets/get/responses/200/description"),
            Some((7, 11))
        );
        assert_eq!(locate(YAML, "/tags/1").map(|(line, _)| line), Some(10));
        // yaml-rust2 marks the first key of a compact mapping in a sequence late; the line is right.
        assert_eq!(locate(YAML, "/tags/1/name").map(|(line, _)| line), Some(10));
        assert_eq!(locate(YAML, "/nope"), None);
    }

    #[test]
    fn finds_nodes_in_json() {
        let json = "{\n  \"openapi\": \"3.0.0\",\n  \"paths\": {\n    \"/a\": {\"get\": 1}\n  }\n}";
        assert_eq!(locate(json, "/paths/~1a/get"), Some((4, 12)));
    }
}
