//! Every header the document marks `required` for the observed status is present.

use super::{Check, CheckContext, CheckId, Violation};

pub struct RequiredHeaders;

impl Check for RequiredHeaders {
    fn id(&self) -> CheckId {
        CheckId::Headers
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let Some(documented) = cx.documented() else {
            return Vec::new();
        };
        documented
            .headers
            .iter()
            .filter(|h| h.required && cx.exchange.response.header(&h.name).is_none())
            .map(|h| {
                Violation::new(self.id(), format!("required header {} is missing", h.name)).at_spec(
                    format!(
                        "{}/headers/{}",
                        documented.pointer,
                        crate::spec::escape_token(&h.name)
                    ),
                )
            })
            .collect()
    }
}
