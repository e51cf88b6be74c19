//! Where receivers record which deliveries they have processed: a claim
//! with a lease while a handler runs, then "done" for as long as qURL may
//! still send the delivery again.

use std::fmt;
use std::future::Future;
use std::time::Duration;

/// Longest lease or retention a store accepts; longer ones are shortened to
/// it, so a huge `Duration` can never overflow a clock.
pub(crate) const MAX_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// A TTL a store can use as it is: at least 1 ms, at most [`MAX_TTL`].
pub(crate) fn bounded_ttl(ttl: Duration) -> Duration {
    ttl.clamp(Duration::from_millis(1), MAX_TTL)
}

/// Records which webhook deliveries were processed, so each runs once.
///
/// A receiver [`claim`](Self::claim)s a delivery id before processing it.
/// Only one caller gets [`Claim::Acquired`]; it then calls
/// [`mark_done`](Self::mark_done) on success, or [`release`](Self::release)
/// on failure so that qURL's redelivery is processed. A claim whose holder
/// crashed expires after its lease. Both calls act only on a claim the
/// caller still owns (matched by its [`ClaimToken`]).
///
/// [`OncePerDelivery`](super::OncePerDelivery) drives these calls; implement
/// the trait to keep the records in your own database.
///
/// ```
/// use std::time::Duration;
/// use qurl::webhooks::{Claim, DeliveryStore, MemoryStore};
///
/// # async fn demo() -> Result<(), qurl::webhooks::StoreError> {
/// let store = MemoryStore::default();
/// let Claim::Acquired(token) = store.claim("wd_1", Duration::from_secs(60)).await? else {
///     return Ok(()); // someone else has it, or it is done
/// };
/// // ... process the event ...
/// store.mark_done(&token, Duration::from_secs(3 * 24 * 3600)).await?;
/// assert_eq!(store.claim("wd_1", Duration::from_secs(60)).await?, Claim::Done);
/// # Ok(()) }
/// ```
pub trait DeliveryStore: Send + Sync {
    /// Claims `delivery_id` for `lease` unless it is already claimed or done.
    fn claim(
        &self,
        delivery_id: &str,
        lease: Duration,
    ) -> impl Future<Output = Result<Claim, StoreError>> + Send;

    /// Records the claimed delivery as processed, for `remember_for`.
    /// [`StoreError::ClaimLost`] if the claim expired or is someone else's.
    fn mark_done(
        &self,
        claim: &ClaimToken,
        remember_for: Duration,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Drops the claim so the next delivery of this id is processed.
    /// [`StoreError::ClaimLost`] if the claim expired or is someone else's.
    fn release(&self, claim: &ClaimToken) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// What [`DeliveryStore::claim`] found.
///
/// ```
/// use qurl::webhooks::Claim;
/// # fn demo(claim: Claim) {
/// match claim {
///     Claim::Acquired(token) => println!("process {}", token.delivery_id()),
///     Claim::InProgress => println!("another receiver is on it: answer non-2xx so qURL retries"),
///     Claim::Done => println!("processed before: answer 2xx"),
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Claim {
    /// The caller holds the claim and must process the delivery.
    Acquired(ClaimToken),
    /// Another caller holds an unexpired claim on it.
    InProgress,
    /// It was processed already.
    Done,
}

/// Proof of a claim: the delivery id and a random token only its holder
/// knows, so a late caller cannot finish or drop someone else's claim.
///
/// ```
/// let a = qurl::webhooks::ClaimToken::new("wd_1");
/// let b = qurl::webhooks::ClaimToken::new("wd_1");
/// assert_eq!(a.delivery_id(), "wd_1");
/// assert_ne!(a.token(), b.token());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimToken {
    delivery_id: String,
    token: String,
}

impl ClaimToken {
    /// A fresh token (a random UUIDv4) for `delivery_id`.
    ///
    /// ```
    /// assert_eq!(qurl::webhooks::ClaimToken::new("wd_1").token().len(), 36);
    /// ```
    pub fn new(delivery_id: &str) -> Self {
        Self {
            delivery_id: delivery_id.to_owned(),
            token: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// The claimed delivery id.
    ///
    /// ```
    /// assert_eq!(qurl::webhooks::ClaimToken::new("wd_1").delivery_id(), "wd_1");
    /// ```
    pub fn delivery_id(&self) -> &str {
        &self.delivery_id
    }

    /// The random value that identifies this claim in the store.
    ///
    /// ```
    /// assert!(!qurl::webhooks::ClaimToken::new("wd_1").token().is_empty());
    /// ```
    pub fn token(&self) -> &str {
        &self.token
    }
}

/// A [`DeliveryStore`] could not answer. Answer the delivery with a 5xx: qURL
/// retries it later.
///
/// ```
/// let err = qurl::webhooks::StoreError::Full { capacity: 10 };
/// assert!(err.to_string().contains("10"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// The in-memory store holds `capacity` unexpired claims and cannot
    /// forget any of them without risking a second run.
    Full {
        /// The store's capacity.
        capacity: usize,
    },
    /// The claim expired (its lease ran out) or another caller holds it now.
    ClaimLost {
        /// The delivery id.
        delivery_id: String,
    },
    /// The backend (e.g. Redis) failed.
    Backend(Box<dyn std::error::Error + Send + Sync>),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full { capacity } => write!(
                f,
                "delivery store is full ({capacity} deliveries in progress); answer 503 so \
                 qURL retries, or raise the capacity"
            ),
            Self::ClaimLost { delivery_id } => write!(
                f,
                "the claim on delivery {delivery_id:?} expired or passed to another \
                 receiver; make the lease longer than your handler's longest run"
            ),
            Self::Backend(err) => write!(f, "delivery store backend failed: {err}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Backend(err) => Some(err.as_ref()),
            _ => None,
        }
    }
}
