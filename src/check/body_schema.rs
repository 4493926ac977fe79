//! The body parses and validates against the documented schema of its status and media type.

use super::content_type::media_matches;
use super::{Check, CheckContext, CheckId, Violation};
use crate::schema::Direction;

pub struct BodySchema;

impl Check for BodySchema {
    fn id(&self) -> CheckId {
        CheckId::BodySchema
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let Some(documented) = cx.documented() else {
            return Vec::new();
        };
        let response = &cx.exchange.response;
        let Some(actual) = response.media_type() else {
            return Vec::new(); // content_type reports a missing Content-Type
        };
        let Some(media) = documented
            .content
            .iter()
            .find(|m| media_matches(&m.media_type, &actual))
        else {
            return Vec::new(); // content_type reports an undocumented one
        };
        let Some(schema) = &media.schema else {
            return Vec::new();
        };
        if !is_json(&actual) {
            return Vec::new(); // only JSON bodies are validated against their schema
        }
        let body: serde_json::Value = match serde_json::from_slice(&response.body) {
            Ok(value) => value,
            Err(e) => {
                return vec![
                    Violation::new(
                        self.id(),
                        format!("the {actual} body is not valid JSON: {e}"),
                    )
                    .at_spec(&schema.pointer)
                    .observed(String::from_utf8_lossy(&response.body)),
                ];
            }
        };
        let compiled = match cx.schemas.compile(schema, Direction::Response) {
            Ok(compiled) => compiled,
            // A schema conform cannot compile is the document's problem, reported as a warning
            // at planning; it cannot be held against the server.
            Err(_) => return Vec::new(),
        };
        compiled
            .validate(&body)
            .into_iter()
            .map(|v| {
                let mut violation = Violation::new(self.id(), v.message);
                violation.instance_path = Some(v.instance_path);
                violation.schema_path = Some(v.schema_path);
                violation.spec_pointer = Some(v.spec_pointer);
                match v.observed {
                    Some(observed) => violation.observed(observed.to_string()),
                    None => violation,
                }
            })
            .collect()
    }
}

fn is_json(media_type: &str) -> bool {
    media_type == "application/json" || media_type.ends_with("+json")
}
