//! The response came within the suite's time budget (`[suite] max_response_time`).

use std::time::Duration;

use super::{Check, CheckContext, CheckId, Violation};

pub struct ResponseTime {
    pub max: Duration,
}

impl Check for ResponseTime {
    fn id(&self) -> CheckId {
        CheckId::ResponseTime
    }

    fn check(&self, cx: &CheckContext<'_>) -> Vec<Violation> {
        let elapsed = cx.exchange.response.elapsed;
        if elapsed <= self.max {
            return Vec::new();
        }
        vec![Violation::new(
            self.id(),
            format!(
                "answered after {:.2} s; the suite allows {:.2} s",
                elapsed.as_secs_f64(),
                self.max.as_secs_f64()
            ),
        )]
    }
}
