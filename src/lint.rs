//! Spec warnings: problems in the document that conform works around and says so, before a run
//! and in `conform lint` (ambiguous `oneOf`s, bodies without schemas, credentials in odd headers).

use serde::Serialize;

use crate::schema::{Direction, SchemaSet};
use crate::spec::{Document, ParamLocation, escape_token};

/// Header names that carry credentials but are not `Authorization`.
const CREDENTIAL_HEADERS: &[&str] = &["access_token", "token", "id_token", "api_key", "apikey"];

/// One warning about the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// JSON pointer (without `#`) of the node at fault.
    pub pointer: String,
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}: {}", self.pointer, self.message)
    }
}

/// Every warning about `doc`: conform's own rules, then what converting each schema found.
pub fn lint(doc: &Document, schemas: &SchemaSet) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for op in &doc.operations {
        for p in op
            .parameters
            .iter()
            .filter(|p| p.location == ParamLocation::Header)
        {
            if CREDENTIAL_HEADERS.contains(&p.name.to_ascii_lowercase().as_str()) {
                warnings.push(Warning {
                    pointer: p.pointer.clone(),
                    message: format!(
                        "{} passes a credential in a header named `{}`; clients and servers use `Authorization: Bearer` (RFC 6750), so a suite should patch this",
                        op.id(),
                        p.name
                    ),
                });
            }
            if let Some(schema) = &p.schema {
                let _ = schemas.converted(schema, Direction::Request);
            }
        }
        for p in op
            .parameters
            .iter()
            .filter(|p| p.location != ParamLocation::Header)
        {
            if let Some(schema) = &p.schema {
                let _ = schemas.converted(schema, Direction::Request);
            }
        }
        if let Some(body) = &op.request_body {
            for media in &body.content {
                match &media.schema {
                    Some(schema) => {
                        let _ = schemas.converted(schema, Direction::Request);
                    }
                    None if body.required => warnings.push(Warning {
                        pointer: format!("{}/content/{}", body.pointer, escape_token(&media.media_type)),
                        message: format!(
                            "{} requires a {} body but documents no schema for it: conform sends an empty object",
                            op.id(),
                            media.media_type
                        ),
                    }),
                    None => {}
                }
            }
        }
        for response in &op.responses {
            for media in &response.content {
                if let Some(schema) = &media.schema {
                    let _ = schemas.converted(schema, Direction::Response);
                }
            }
        }
    }
    // OpenAPI 3.1 webhooks and unused path items: read, not tested, and said so.
    warnings.extend(doc.untested.iter().map(|u| Warning {
        pointer: u.pointer.clone(),
        message: u.message.clone(),
    }));
    warnings.extend(schemas.warnings().into_iter().map(|w| Warning {
        pointer: w.pointer,
        message: w.message,
    }));
    warnings.dedup();
    warnings
}
