//! Planning: the (operation × documented status) matrix as test cases, each with its recipe.

mod case;
mod partition;
mod planner;

pub use case::{Case, Readiness, Recipe};
pub use partition::{Partition, PartitionKind};
pub use planner::{CaseRow, Plan, plan};
