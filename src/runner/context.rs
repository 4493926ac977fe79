//! What every case of a run shares: the document, the plan, the client, the checks, the redactor.

use std::sync::Arc;

use super::event::RunInfo;
use crate::check::Check;
use crate::execute::Client;
use crate::plan::Plan;
use crate::report::Redactor;
use crate::spec::Document;

pub struct RunContext {
    pub doc: Arc<Document>,
    pub plan: Arc<Plan>,
    pub client: Client,
    pub checks: Vec<Box<dyn Check>>,
    pub info: RunInfo,
    pub redactor: Redactor,
    /// The command line that reruns a case, before its id: `conform run --seed 7 --spec x`.
    pub rerun_prefix: String,
}

impl RunContext {
    pub fn rerun_command(&self, case_id: &str) -> String {
        format!(
            "{} --exact '{}'",
            self.rerun_prefix,
            case_id.replace('\'', "'\\''")
        )
    }
}
