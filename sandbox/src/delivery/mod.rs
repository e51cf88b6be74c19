//! Signed webhook delivery: each event POSTed to a webhook whose URL is on
//! loopback, with `QURL-Signature`, `QURL-Event`, `QURL-Delivery` and
//! `User-Agent: QURL-Webhook/1.0`; failed or slow attempts retried with the
//! same delivery id; faults (duplicate, delay, drop) injectable; a record of
//! every step. Never any traffic to a non-loopback address: the URL is
//! checked before a connection is made.
//!
//! ```no_run
//! // Not run as a doc test: it needs a webhook receiver listening on the URL.
//! use qurl_sandbox::delivery::{self, DeliveryFaults, Outgoing, Policy};
//!
//! # async fn demo() {
//! let outgoing = Outgoing {
//!     delivery_id: "wd_0123456789abcdef".into(),
//!     webhook_id: "wh_0123456789abcdef".into(),
//!     url: "http://127.0.0.1:3000/webhooks/qurl".into(),
//!     secret: "whsec_test".into(),
//!     event_type: "qurl.created".into(),
//!     body: br#"{"id":"evt_1","type":"qurl.created","data":{}}"#.to_vec(),
//! };
//! let record = delivery::deliver(&outgoing, &Policy::default(), &DeliveryFaults::default(), &|_| {}).await;
//! println!("{:?} after {} retries", record.status, record.retry_count);
//! # }
//! ```

mod faults;
mod send;
mod signing;
mod target;

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};

pub use faults::{DeliveryFault, DeliveryFaults};
pub use signing::signature;
pub use target::{Target, TargetError, loopback_target};

/// How the sandbox delivers webhooks: retry policy and injected faults.
#[derive(Debug, Default)]
pub(crate) struct DeliverySettings {
    pub policy: Policy,
    pub faults: DeliveryFaults,
}

/// `User-Agent` of every delivery.
///
/// ```
/// assert_eq!(qurl_sandbox::delivery::USER_AGENT, "QURL-Webhook/1.0");
/// ```
pub const USER_AGENT: &str = "QURL-Webhook/1.0";

/// Most attempts a [`Policy`] may ask for, so a delivery always ends.
const MAX_ATTEMPTS: u32 = 10;

/// One event on its way to one webhook. Its `Debug` leaves the secret out.
///
/// ```
/// let outgoing = qurl_sandbox::delivery::Outgoing {
///     delivery_id: "wd_0123456789abcdef".into(),
///     webhook_id: "wh_0123456789abcdef".into(),
///     url: "http://127.0.0.1:3000/hook".into(),
///     secret: "whsec_test".into(),
///     event_type: "qurl.created".into(),
///     body: b"{}".to_vec(),
/// };
/// assert!(!format!("{outgoing:?}").contains("whsec_test"));
/// ```
#[derive(Clone)]
pub struct Outgoing {
    /// `wd_…`: sent as `QURL-Delivery`, the same on every attempt.
    pub delivery_id: String,
    /// The webhook it goes to.
    pub webhook_id: String,
    /// The webhook's URL; only loopback `http://` URLs are delivered to.
    pub url: String,
    /// The webhook's secret when the event was produced.
    pub secret: String,
    /// Sent as `QURL-Event`.
    pub event_type: String,
    /// The serialized `WebhookPayload`, signed and sent byte for byte.
    pub body: Vec<u8>,
}

impl fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outgoing")
            .field("delivery_id", &self.delivery_id)
            .field("webhook_id", &self.webhook_id)
            .field("url", &self.url)
            .field("event_type", &self.event_type)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// How hard a delivery is tried.
///
/// ```
/// use std::time::Duration;
/// let patient = qurl_sandbox::delivery::Policy {
///     max_attempts: 8,
///     attempt_timeout: Duration::from_secs(1),
///     ..Default::default()
/// };
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Attempts in all (1..=10).
    pub max_attempts: u32,
    /// How long one attempt may take before it counts as failed.
    pub attempt_timeout: Duration,
    /// Wait before the first retry; doubled each time up to `max_backoff`.
    pub first_backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
}

impl Default for Policy {
    /// 5 attempts, 5 s each, waits of 200 ms doubling to 5 s.
    fn default() -> Self {
        Self {
            max_attempts: 5,
            attempt_timeout: Duration::from_secs(5),
            first_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl Policy {
    fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.first_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// The state of a delivery, as `GET /v1/webhooks/{id}/deliveries` shows it.
///
/// ```
/// assert_eq!(qurl_sandbox::delivery::Status::Success.as_str(), "success");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Recorded, not attempted yet.
    Pending,
    /// Delivered: the receiver answered 2xx.
    Success,
    /// Never sent: the URL is not a loopback `http://` URL.
    Failed,
    /// An attempt failed; another follows.
    Retrying,
    /// Every attempt failed.
    Abandoned,
}

impl Status {
    /// The API's name for it.
    ///
    /// ```
    /// assert_eq!(qurl_sandbox::delivery::Status::Abandoned.as_str(), "abandoned");
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Success => "success",
            Self::Failed => "failed",
            Self::Retrying => "retrying",
            Self::Abandoned => "abandoned",
        }
    }
}

/// What happened to a delivery so far (the fields of `WebhookDeliveryData`).
/// [`deliver`] returns the last one and shows every step to its callback.
///
/// ```no_run
/// // Not run as a doc test: it needs a webhook receiver listening on the URL.
/// # async fn demo(outgoing: qurl_sandbox::delivery::Outgoing) {
/// use qurl_sandbox::delivery::{self, DeliveryFaults, Policy, Status};
/// let record = delivery::deliver(&outgoing, &Policy::default(), &DeliveryFaults::default(), &|step| {
///     println!("{} after {} retries", step.status.as_str(), step.retry_count);
/// })
/// .await;
/// assert_ne!(record.status, Status::Retrying);
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// `QURL-Delivery`.
    pub delivery_id: String,
    /// The webhook.
    pub webhook_id: String,
    /// `QURL-Event`.
    pub event_type: String,
    /// Where it stands.
    pub status: Status,
    /// Status of the last answer, if any.
    pub response_code: Option<u16>,
    /// First 8 KiB of the last answer's body, if any.
    pub response_body: Option<String>,
    /// Why the last attempt failed, if it did.
    pub error_message: Option<String>,
    /// Time from the first attempt to the last answer.
    pub duration_ms: u64,
    /// Retries made (attempts − 1).
    pub retry_count: u32,
    /// When the delivery was recorded.
    pub created_at: DateTime<Utc>,
    /// When it succeeded, failed or was abandoned.
    pub completed_at: Option<DateTime<Utc>>,
    /// POSTs that went on the wire (a duplicate counts two, a drop none).
    pub posts_sent: u32,
}

impl Record {
    fn pending(outgoing: &Outgoing) -> Self {
        Self {
            delivery_id: outgoing.delivery_id.clone(),
            webhook_id: outgoing.webhook_id.clone(),
            event_type: outgoing.event_type.clone(),
            status: Status::Pending,
            response_code: None,
            response_body: None,
            error_message: None,
            duration_ms: 0,
            retry_count: 0,
            created_at: Utc::now(),
            completed_at: None,
            posts_sent: 0,
        }
    }

    fn finish(&mut self, status: Status) {
        self.status = status;
        self.completed_at = Some(Utc::now());
    }
}

/// Delivers `outgoing`: checks the URL, signs the body, and POSTs it until a
/// 2xx or `policy.max_attempts`, with the same `QURL-Delivery` each time.
/// `on_change` sees the record after every step (to update a store); the
/// final record is returned. Bounded: at most 10 attempts, each within the
/// policy's timeout.
///
/// ```no_run
/// // Not run as a doc test: it needs a webhook receiver listening on the URL.
/// # async fn demo(outgoing: qurl_sandbox::delivery::Outgoing) {
/// use qurl_sandbox::delivery::{self, DeliveryFault, DeliveryFaults, Policy};
/// let faults = DeliveryFaults::default();
/// faults.script(DeliveryFault::Duplicate, 1); // the receiver sees the first attempt twice
/// let record = delivery::deliver(&outgoing, &Policy::default(), &faults, &|_| {}).await;
/// # }
/// ```
pub async fn deliver(
    outgoing: &Outgoing,
    policy: &Policy,
    faults: &DeliveryFaults,
    on_change: &(dyn Fn(&Record) + Sync),
) -> Record {
    let mut record = Record::pending(outgoing);
    on_change(&record);
    let target = match loopback_target(&outgoing.url) {
        Ok(target) => target,
        Err(refused) => {
            record.error_message = Some(refused.to_string());
            record.finish(Status::Failed);
            on_change(&record);
            return record;
        }
    };
    let headers = [
        (
            "qurl-signature",
            signature(&outgoing.body, &outgoing.secret),
        ),
        ("qurl-event", outgoing.event_type.clone()),
        ("qurl-delivery", outgoing.delivery_id.clone()),
        ("user-agent", USER_AGENT.to_owned()),
    ];
    let body = Bytes::from(outgoing.body.clone());
    let started = tokio::time::Instant::now();
    let attempts = policy.max_attempts.clamp(1, MAX_ATTEMPTS);
    for attempt in 0..attempts {
        if attempt > 0 {
            tokio::time::sleep(policy.backoff(attempt)).await;
            record.retry_count = attempt;
        }
        let (posts, outcome) = attempt_once(&target, &headers, &body, policy, faults).await;
        record.posts_sent += posts;
        record.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match outcome {
            Ok(answer) => {
                record.response_code = Some(answer.status);
                record.response_body = Some(answer.body);
                if (200..300).contains(&answer.status) {
                    record.error_message = None;
                    record.finish(Status::Success);
                    on_change(&record);
                    return record;
                }
                record.error_message = Some(format!("the receiver answered {}", answer.status));
            }
            Err(message) => {
                record.response_code = None;
                record.response_body = None;
                record.error_message = Some(message);
            }
        }
        record.status = Status::Retrying;
        on_change(&record);
    }
    record.finish(Status::Abandoned);
    on_change(&record);
    record
}

/// One attempt with its injected fault: how many POSTs went out, and the
/// answer that counts (a 2xx from either copy of a duplicate).
async fn attempt_once(
    target: &Target,
    headers: &[(&'static str, String)],
    body: &Bytes,
    policy: &Policy,
    faults: &DeliveryFaults,
) -> (u32, Result<send::Answer, String>) {
    let post = || send::post(target, headers, body.clone(), policy.attempt_timeout);
    match faults.next() {
        None => (1, post().await),
        Some(DeliveryFault::Drop) => (0, Err("lost on the way (injected drop)".to_owned())),
        Some(DeliveryFault::Delay) => {
            tokio::time::sleep(faults.delay()).await;
            (1, post().await)
        }
        Some(DeliveryFault::Duplicate) => {
            let (first, second) = tokio::join!(post(), post());
            let success = |r: &Result<send::Answer, String>| {
                r.as_ref().is_ok_and(|a| (200..300).contains(&a.status))
            };
            (
                2,
                if !success(&first) && success(&second) {
                    second
                } else {
                    first
                },
            )
        }
    }
}
