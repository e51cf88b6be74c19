#![doc = include_str!("../README.md")]
#![warn(missing_docs, missing_debug_implementations)]

mod body;
mod client_builder;
mod data;
mod endpoint;
mod error;
mod generated;
mod idempotency;
pub mod manifest;
pub mod pages;
mod problem;
mod recipe;
mod replay;
pub mod retry;
mod rules;
mod secret;
mod shim;
pub mod tasks;
mod tls;
mod transport;
pub mod webhooks;

#[cfg(feature = "blocking")]
pub mod blocking;

pub use body::Timestamp;
pub use client_builder::{
    BuildError, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_MAX_BODY_BYTES, DEFAULT_RETRY_BUDGET,
    DEFAULT_TIMEOUT,
};
pub use data::{Envelope, IntoData};
pub use error::{Error, ErrorKind};
pub use generated::{Client, ResponseValue, builder, types};
pub use idempotency::{IdempotencyKey, KeyError};
pub use problem::Problem;
pub use replay::WasReplayed;
pub use retry::RetryPolicy;

/// `use qurl::prelude::*;` brings the extension traits a caller needs
/// (`was_replayed()` and `into_data()` on responses, `baseurl()` on
/// clients, the stream helpers `try_next()`/`try_collect()` for lists) and
/// the types most code names.
///
/// ```
/// use qurl::prelude::*;
/// # async fn demo(client: Client) -> Result<(), Error> {
/// let created = client.post_qurls().body_map(|b| b.target_url("https://example.com")).send().await?;
/// println!("{} replayed: {}", client.baseurl(), created.was_replayed());
/// # Ok(()) }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let sandbox = qurl_sandbox::Sandbox::builder().start().await?;
/// # let client = qurl::Client::builder().api_key("lv_live_docs_owner_0001").base_url(sandbox.base_url()).build()?;
/// # demo(client).await?; Ok(()) }
/// ```
pub mod prelude {
    pub use crate::WasReplayed;
    pub use crate::data::IntoData;
    pub use crate::generated::ClientInfo;
    pub use crate::{Client, Error, ErrorKind, IdempotencyKey, RetryPolicy};
    pub use futures::{Stream, StreamExt, TryStreamExt};
}

#[doc(hidden)]
pub use shim::ClientState;
