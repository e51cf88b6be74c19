//! When to retry, how long to wait, and how much retrying a client may do.

mod budget;
mod classify;
pub(crate) mod decision;
mod policy;
mod retry_after;

pub(crate) use budget::RetryBudget;
pub(crate) use classify::{Reason, classify};
pub use policy::{RetryPolicy, Sleeper};
pub(crate) use retry_after::server_delay;
pub use retry_after::{parse_rate_limit_reset, parse_retry_after};
