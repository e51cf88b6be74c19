#![doc = include_str!("../README.md")]
#![warn(missing_docs, missing_debug_implementations)]

mod body;
mod client_builder;
mod error;
mod generated;
mod idempotency;
pub mod manifest;
mod problem;
mod replay;
pub mod retry;
mod secret;
mod shim;
mod transport;

#[cfg(feature = "blocking")]
pub mod blocking;

pub use body::Timestamp;
pub use client_builder::{
    BuildError, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_MAX_BODY_BYTES, DEFAULT_RETRY_BUDGET,
    DEFAULT_TIMEOUT,
};
pub use error::{Error, ErrorKind};
pub use generated::{Client, ResponseValue, builder, types};
pub use idempotency::{IdempotencyKey, KeyError};
pub use problem::Problem;
pub use replay::WasReplayed;
pub use retry::RetryPolicy;

/// `use qurl::prelude::*;` brings the extension traits a caller needs.
pub mod prelude {
    pub use crate::WasReplayed;
    pub use crate::generated::ClientInfo;
    pub use crate::{Error, ErrorKind, IdempotencyKey, RetryPolicy};
}

#[doc(hidden)]
pub use shim::ClientState;
