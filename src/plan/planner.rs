//! Turns a document into its cases: one per (operation, documented status), in document order.

use serde::Serialize;

use super::case::{Case, Readiness, Recipe};
use crate::spec::{Document, Operation};

/// All cases of a document.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub cases: Vec<Case>,
}

impl Plan {
    pub fn runnable(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| c.readiness.is_runnable())
            .count()
    }

    /// One JSON-ready row per case, for `conform list --format json`.
    pub fn rows<'a>(&'a self, doc: &'a Document) -> impl Iterator<Item = CaseRow<'a>> + 'a {
        self.cases.iter().map(move |case| {
            let op = &doc.operations[case.operation];
            CaseRow {
                id: &case.id,
                name: &case.display,
                operation: op.id(),
                method: op.method.as_str(),
                path: &op.path,
                status: case.status.to_string(),
                recipe: case.recipe,
                runnable: case.readiness.is_runnable(),
                opt_in: matches!(case.readiness, Readiness::OptIn(_)),
                reason: case.readiness.reason(),
            }
        })
    }
}

/// A case as `conform list --format json` shows it.
#[derive(Debug, Serialize)]
pub struct CaseRow<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub operation: String,
    pub method: &'static str,
    pub path: &'a str,
    pub status: String,
    pub recipe: Recipe,
    pub runnable: bool,
    pub opt_in: bool,
    pub reason: Option<&'a str>,
}

/// Plans every case of `doc`; `assess` decides, per case, whether its recipe can be built.
pub fn plan(doc: &Document, mut assess: impl FnMut(&Operation, &Case) -> Readiness) -> Plan {
    let mut cases = Vec::new();
    for (index, op) in doc.operations.iter().enumerate() {
        for response in &op.responses {
            let mut case = Case::new(index, op, response.status);
            case.readiness = assess(op, &case);
            cases.push(case);
        }
    }
    Plan { cases }
}
