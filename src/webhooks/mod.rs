//! Receiving qURL webhooks: verify each delivery, read it as a typed event,
//! and process it exactly once.
//!
//! qURL POSTs every event to your endpoint with four headers:
//! `QURL-Signature` (hex HMAC-SHA256 of the raw body, keyed with the
//! webhook's secret), `QURL-Event`, `QURL-Delivery` (one id per delivery,
//! repeated on every retry of it) and `User-Agent: QURL-Webhook/1.0`. A
//! delivery that failed or was answered too slowly is sent again, so a
//! receiver sees some deliveries twice.
//!
//! 1. [`construct_event`] checks the signature over the exact bytes it was
//!    given (against one secret, or two during a rotation), then decodes the
//!    body into an [`Event`].
//! 2. [`OncePerDelivery`] runs your handler at most once per delivery id,
//!    over a [`DeliveryStore`]: [`MemoryStore`] for one process, or
//!    `RedisStore` (feature `redis`) for receivers on several machines.
//!
//! Nothing here depends on a web framework: bytes and an
//! [`http::HeaderMap`] in, so axum, actix-web and hyper all fit.
//!
//! ```
//! use qurl::webhooks::{self, MemoryStore, OncePerDelivery, Processed};
//!
//! # async fn demo(body: &[u8], headers: &http::HeaderMap) -> u16 {
//! let once = OncePerDelivery::new(MemoryStore::default());
//! let event = match webhooks::construct_event(body, headers, &["whsec_current"]) {
//!     Ok(event) => event,
//!     Err(_) => return 400, // not from qURL, or not readable: never process it
//! };
//! let outcome = once
//!     .run(event.delivery_id(), || async {
//!         println!("{} {}", event.event_type(), event.delivery_id());
//!         Ok::<_, std::convert::Infallible>(())
//!     })
//!     .await;
//! match outcome {
//!     Ok(Processed::Ran(())) | Ok(Processed::AlreadyDone) => 200,
//!     Ok(Processed::InProgress) => 409, // qURL retries later
//!     Err(_) => 500, // the claim was released: the retry is processed
//! }
//! # }
//! ```

mod error;
mod event;
mod memory_store;
mod once;
#[cfg(feature = "redis")]
mod redis_store;
mod signature;
mod store;
mod verify;

pub use error::Error;
pub use event::{Event, EventType, QurlAccessed};
pub use memory_store::MemoryStore;
pub use once::{OncePerDelivery, Processed, RunError};
#[cfg(feature = "redis")]
pub use redis_store::RedisStore;
pub use signature::sign;
pub use store::{Claim, ClaimToken, DeliveryStore, StoreError};
pub use verify::construct_event;

/// Header carrying the hex HMAC-SHA256 of the raw body.
///
/// ```
/// assert_eq!(qurl::webhooks::SIGNATURE_HEADER, "qurl-signature");
/// ```
pub const SIGNATURE_HEADER: &str = "qurl-signature";

/// Header naming the event type; it must match the body's `type`.
///
/// ```
/// assert_eq!(qurl::webhooks::EVENT_HEADER, "qurl-event");
/// ```
pub const EVENT_HEADER: &str = "qurl-event";

/// Header carrying the delivery id, repeated on every retry of one delivery.
///
/// ```
/// assert_eq!(qurl::webhooks::DELIVERY_HEADER, "qurl-delivery");
/// ```
pub const DELIVERY_HEADER: &str = "qurl-delivery";

/// The `User-Agent` qURL sends with each delivery. Informational: the API
/// asks receivers not to reject on it (a later version may change the suffix).
///
/// ```
/// assert!(qurl::webhooks::USER_AGENT.starts_with("QURL-Webhook/"));
/// ```
pub const USER_AGENT: &str = "QURL-Webhook/1.0";
