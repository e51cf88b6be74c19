//! A small, in-memory qURL API server for tests: every operation of `openapi.json`,
//! validated against the spec's own schemas, with real idempotency semantics and
//! fault injection, listening on 127.0.0.1 only. [`contract`] checks answers against
//! the same spec.
//!
//! ```
//! use qurl_sandbox::{FaultKind, Sandbox, ScriptedFault};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let sandbox = Sandbox::builder().seed(7).start().await?;
//! // The next POST /v1/qurls is handled and committed, but its answer is lost.
//! sandbox.script(ScriptedFault::new(FaultKind::DropAfterCommit).method("POST").path("/v1/qurls"));
//! // ... point the client at sandbox.base_url() and create a qURL ...
//! assert_eq!(sandbox.counters().duplicates(), 0);
//! # Ok(())
//! # }
//! ```

mod admin;
mod app;
mod builder;
pub mod contract;
mod counters;
pub mod delivery;
mod dispatch;
mod envelopes;
mod events;
mod faults;
mod handlers;
mod idempotency;
mod ids;
mod outbox;
mod problem;
mod reply;
mod rules;
mod server;
mod shapes;
mod spec;
mod store;
mod validate;
mod views;

pub use builder::{Sandbox, SandboxBuilder};
pub use counters::Counters;
pub use faults::{FaultKind, ScriptedFault, UnknownFaultKind};
pub use spec::fuzz_spec;
