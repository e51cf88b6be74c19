#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod client_builder;
mod generated;
mod idempotency;
pub mod manifest;
mod problem;
mod replay;
mod retry;
mod secret;
mod shim;
mod transport;
pub mod webhooks;

#[cfg(feature = "blocking")]
pub mod blocking;

pub use client_builder::{
    BuildError, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT,
};
pub use generated::{ByteStream, Client, ClientInfo, Error, ResponseValue, builder, types};
pub use idempotency::{IDEMPOTENCY_KEY_HEADER, IdempotencyKey, KeyError};
pub use problem::{Problem, ProblemDetails};
pub use replay::WasReplayed;
pub use retry::{RetryBudget, RetryPolicy, Sleeper, parse_rate_limit_reset, parse_retry_after};
pub use shim::ClientState;
