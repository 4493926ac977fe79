//! The response's Content-Type is one the document declares for the observed status.

use super::{Check, CheckContext, CheckId, Violation};

pub struct ContentType;

impl Check for ContentType {
    fn id(&self) -> CheckId {
        CheckId::ContentType
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let Some(documented) = cx.documented() else {
            return Vec::new(); // status_documented reports it
        };
        let response = &cx.exchange.response;
        if documented.content.is_empty() {
            // The document says nothing about a body here (common for redirects and XML
            // endpoints): there is no rule to break.
            return Vec::new();
        }
        let Some(actual) = response.media_type() else {
            return vec![
                Violation::new(
                    self.id(),
                    "no Content-Type header on a response with documented content",
                )
                .at_spec(format!("{}/content", documented.pointer)),
            ];
        };
        if documented
            .content
            .iter()
            .any(|m| media_matches(&m.media_type, &actual))
        {
            return Vec::new();
        }
        let listed: Vec<&str> = documented
            .content
            .iter()
            .map(|m| m.media_type.as_str())
            .collect();
        vec![
            Violation::new(
                self.id(),
                format!(
                    "Content-Type {actual} is not documented (documented: {})",
                    listed.join(", ")
                ),
            )
            .at_spec(format!("{}/content", documented.pointer))
            .observed(actual),
        ]
    }
}

/// Does a documented media range (`application/json`, `text/*`, `*/*`) cover `actual`?
pub fn media_matches(documented: &str, actual: &str) -> bool {
    let documented = crate::generate::encode::essence(documented);
    let (d_type, d_sub) = documented.split_once('/').unwrap_or((&documented, "*"));
    let (a_type, a_sub) = actual.split_once('/').unwrap_or((actual, ""));
    (d_type == "*" || d_type == a_type) && (d_sub == "*" || d_sub == a_sub)
}

#[cfg(test)]
mod tests {
    use super::media_matches;

    #[test]
    fn media_ranges() {
        assert!(media_matches("application/json", "application/json"));
        assert!(media_matches(
            "application/json; charset=utf-8",
            "application/json"
        ));
        assert!(media_matches("text/*", "text/html"));
        assert!(media_matches("*/*", "image/png"));
        assert!(!media_matches("application/json", "text/html"));
        assert!(!media_matches(
            "application/json",
            "application/problem+json"
        ));
    }
}
