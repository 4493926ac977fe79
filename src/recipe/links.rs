//! OpenAPI response `links` as flows without a suite: a link on a response of operation A says
//! that a value of that response (`$response.body#/id`) is a parameter of operation B, so B's
//! valid candidates can use a value a real call to A just returned. Only `$response.body#…`
//! expressions are followed; other runtime expressions (`$request.…`, `$response.header.…`)
//! and `operationRef`s outside the document are skipped.

use serde_json::Value;

use crate::spec::{Document, Operation, ParamLocation, StatusSpec};

/// One link into an operation: call `source`, and when it answers `status`, take each
/// parameter's value from its body.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// The link's name in the document (`GetCreatedWidget`).
    pub name: String,
    /// Index of the source operation in [`Document::operations`].
    pub source: usize,
    /// The response of the source that carries the link.
    pub status: StatusSpec,
    /// Target parameter name → JSON pointer into the source's response body.
    pub parameters: Vec<(String, String)>,
}

/// Every link of the document whose target is `target`, in document order.
pub fn links_to(doc: &Document, target: &Operation) -> Vec<Link> {
    let mut found = Vec::new();
    for (index, source) in doc.operations.iter().enumerate() {
        for response in &source.responses {
            let Some(Value::Object(links)) = doc
                .raw
                .pointer(&response.pointer)
                .and_then(|r| r.get("links"))
            else {
                continue;
            };
            for (name, link) in links {
                let link = follow(&doc.raw, link);
                if !names(doc, link, target) {
                    continue;
                }
                let parameters: Vec<(String, String)> = link
                    .get("parameters")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .filter_map(|(param, expression)| {
                        let pointer = expression.as_str()?.strip_prefix("$response.body#")?;
                        let param = parameter_of(target, param)?;
                        Some((param, pointer.to_string()))
                    })
                    .collect();
                if !parameters.is_empty() {
                    found.push(Link {
                        name: name.clone(),
                        source: index,
                        status: response.status,
                        parameters,
                    });
                }
            }
        }
    }
    found
}

/// Does the Link Object name `target` (by `operationId`, or by a local `operationRef`)?
fn names(doc: &Document, link: &Value, target: &Operation) -> bool {
    if let Some(id) = link.get("operationId").and_then(Value::as_str) {
        return target.operation_id.as_deref() == Some(id);
    }
    let Some(reference) = link
        .get("operationRef")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
    else {
        return false;
    };
    // The target's pointer may be where a `$ref`'d path item really is: compare the node.
    reference == target.pointer
        || doc
            .raw
            .pointer(reference)
            .is_some_and(|node| doc.raw.pointer(&target.pointer) == Some(node))
}

/// A link parameter name (`id`, or qualified `path.id`) → the target's parameter name.
fn parameter_of(target: &Operation, name: &str) -> Option<String> {
    let (location, bare) = match name.split_once('.') {
        Some((l, rest)) if ["path", "query", "header", "cookie"].contains(&l) => (Some(l), rest),
        _ => (None, name),
    };
    target
        .parameters
        .iter()
        .find(|p| {
            p.name == bare
                && location.is_none_or(|l| {
                    l == match p.location {
                        ParamLocation::Path => "path",
                        ParamLocation::Query => "query",
                        ParamLocation::Header => "header",
                        ParamLocation::Cookie => "cookie",
                    }
                })
        })
        .map(|p| p.name.clone())
}

/// A `$ref`'d Link Object → the link (components.links).
fn follow<'a>(raw: &'a Value, node: &'a Value) -> &'a Value {
    node.get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|p| raw.pointer(p))
        .unwrap_or(node)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const DOC: &str = r##"
openapi: 3.0.3
info: {title: links, version: "1"}
paths:
  /users:
    post:
      operationId: createUser
      responses:
        "201":
          description: created
          links:
            ById:
              operationId: getUser
              parameters:
                path.id: $response.body#/id
                verbose: $request.query.verbose
            ByRef:
              operationRef: "#/paths/~1users~1{id}/get"
              parameters:
                id: $response.body#/data/id
            Elsewhere:
              operationId: createUser
              parameters:
                id: $response.body#/id
        "400": {description: bad}
  /users/{id}:
    get:
      operationId: getUser
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: verbose, in: query, schema: {type: boolean}}
      responses:
        "200": {description: ok}
"##;

    #[test]
    fn links_into_an_operation_by_id_or_ref_with_body_values_only() {
        let doc = crate::spec::load_str(Path::new("links.yaml"), DOC).expect("loads");
        let get = doc.operations.iter().find(|o| o.id() == "getUser").unwrap();
        let create = doc
            .operations
            .iter()
            .position(|o| o.id() == "createUser")
            .unwrap();
        let found = links_to(&doc, get);
        assert_eq!(
            found,
            vec![
                Link {
                    name: "ById".into(),
                    source: create,
                    status: StatusSpec::Code(201),
                    parameters: vec![("id".into(), "/id".into())],
                },
                Link {
                    name: "ByRef".into(),
                    source: create,
                    status: StatusSpec::Code(201),
                    parameters: vec![("id".into(), "/data/id".into())],
                },
            ]
        );
        // createUser has no parameter `id`: that link gives nothing to pin.
        assert!(links_to(&doc, &doc.operations[create]).is_empty());
    }
}
