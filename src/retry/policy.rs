//! `RetryPolicy`: every number of the retry loop, with sane defaults.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

/// How a call waits between attempts. Tests inject one that records delays.
pub type Sleeper = Arc<dyn Fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// How calls are retried.
///
/// Defaults: 3 retries, delays from 500 ms doubling to an 8 s cap with
/// jitter, `Retry-After` honoured up to 60 s, statuses 408/429/502/503/504
/// and 409 `duplicate_request` retried, no overall deadline; a retry takes 5
/// tokens from the client's budget (10 after a timeout) and a success puts 1
/// back (the budget's size is set on [`crate::ClientBuilder::retry_budget`]).
/// Operations the spec does not declare idempotent are replayed only when
/// the request never reached the server (see [`RetryPolicy::assume_idempotent`]).
///
/// ```
/// use std::time::Duration;
/// let patient = qurl::RetryPolicy::default()
///     .max_retries(5)
///     .initial_delay(Duration::from_millis(200))
///     .deadline(Duration::from_secs(30));
/// let never = qurl::RetryPolicy::none();
/// # let _ = (patient, never);
/// ```
#[derive(Clone)]
pub struct RetryPolicy {
    pub(crate) max_retries: u32,
    pub(crate) initial_delay: Duration,
    pub(crate) max_delay: Duration,
    pub(crate) jitter: bool,
    pub(crate) max_server_delay: Duration,
    pub(crate) deadline: Option<Duration>,
    pub(crate) retry_statuses: Vec<u16>,
    pub(crate) retry_in_flight_conflict: bool,
    pub(crate) assume_idempotent: bool,
    pub(crate) retry_cost: u32,
    pub(crate) timeout_retry_cost: u32,
    pub(crate) success_refund: u32,
    pub(crate) sleeper: Option<Sleeper>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            jitter: true,
            max_server_delay: Duration::from_secs(60),
            deadline: None,
            retry_statuses: vec![408, 429, 502, 503, 504],
            retry_in_flight_conflict: true,
            assume_idempotent: false,
            retry_cost: 5,
            timeout_retry_cost: 10,
            success_refund: 1,
            sleeper: None,
        }
    }
}

impl RetryPolicy {
    /// One attempt per call; keys are still sent.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Retries after the first attempt (0 turns retrying off).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// First backoff delay; each later one doubles.
    pub fn initial_delay(mut self, d: Duration) -> Self {
        self.initial_delay = d;
        self
    }

    /// Cap on one backoff delay.
    pub fn max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }

    /// Randomise backoff delays (on by default, so clients do not retry in step).
    pub fn jitter(mut self, on: bool) -> Self {
        self.jitter = on;
        self
    }

    /// Longest `Retry-After` / `RateLimit-Reset` wait honoured. A server asking
    /// for longer ends the call with its response instead of sleeping.
    pub fn max_server_delay(mut self, d: Duration) -> Self {
        self.max_server_delay = d;
        self
    }

    /// Overall bound on attempts and sleeps together, per call.
    pub fn deadline(mut self, d: Duration) -> Self {
        self.deadline = Some(d);
        self
    }

    /// Remove the overall deadline.
    pub fn no_deadline(mut self) -> Self {
        self.deadline = None;
        self
    }

    /// Response statuses that are retried (default 408, 429, 502, 503, 504).
    pub fn retry_statuses(mut self, statuses: impl IntoIterator<Item = u16>) -> Self {
        self.retry_statuses = statuses.into_iter().collect();
        self
    }

    /// Retry 409 `duplicate_request` (the original is still running). On by default.
    pub fn retry_in_flight_conflict(mut self, on: bool) -> Self {
        self.retry_in_flight_conflict = on;
        self
    }

    /// Replay POST/PUT/PATCH operations whose spec declares no
    /// `Idempotency-Key` as if it did (off by default). Without it, such a
    /// call is retried only when the request provably never reached the
    /// server (no connection, or 429), because a replay could act twice.
    /// Turn it on, for a client or for one call, only where you know a
    /// repeat is harmless; `x-qurl-idempotent: true` in the spec does the
    /// same for one operation, and survives regeneration.
    ///
    /// ```
    /// # async fn demo(client: qurl::Client) -> Result<(), qurl::Error> {
    /// // This customer update sets absolute values: repeating it is harmless.
    /// client
    ///     .with_retry_policy(qurl::RetryPolicy::default().assume_idempotent(true))
    ///     .patch_customer()
    ///     .body_map(|b| b.spending_cap_cents(50_000))
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = qurl_sandbox::Sandbox::builder().start().await?;
    /// # let client = qurl::Client::builder().api_key("lv_live_docs_owner_0001").base_url(sandbox.base_url()).build()?;
    /// # demo(client).await?; Ok(()) }
    /// ```
    pub fn assume_idempotent(mut self, on: bool) -> Self {
        self.assume_idempotent = on;
        self
    }

    /// Tokens one retry takes (after a timeout, `timeout_retry_cost`).
    pub fn retry_cost(mut self, tokens: u32) -> Self {
        self.retry_cost = tokens;
        self
    }

    /// Tokens one retry after a timeout takes.
    pub fn timeout_retry_cost(mut self, tokens: u32) -> Self {
        self.timeout_retry_cost = tokens;
        self
    }

    /// Tokens a successful call puts back.
    pub fn success_refund(mut self, tokens: u32) -> Self {
        self.success_refund = tokens;
        self
    }

    /// Replace how the loop sleeps (test hook: record delays, skip waiting).
    pub fn sleeper(mut self, sleeper: Sleeper) -> Self {
        self.sleeper = Some(sleeper);
        self
    }

    /// The backoff delays of one call, from `backon`.
    pub(crate) fn backoff(&self) -> impl Iterator<Item = Duration> + use<> {
        let mut b = ExponentialBuilder::default()
            .with_min_delay(self.initial_delay)
            .with_max_delay(self.max_delay)
            .with_factor(2.0)
            .with_max_times(self.max_retries as usize);
        if self.jitter {
            b = b.with_jitter();
        }
        b.build()
    }

    pub(crate) async fn sleep(&self, d: Duration) {
        match &self.sleeper {
            Some(s) => s(d).await,
            None => tokio::time::sleep(d).await,
        }
    }
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("max_retries", &self.max_retries)
            .field("initial_delay", &self.initial_delay)
            .field("max_delay", &self.max_delay)
            .field("jitter", &self.jitter)
            .field("max_server_delay", &self.max_server_delay)
            .field("deadline", &self.deadline)
            .field("retry_statuses", &self.retry_statuses)
            .field("retry_in_flight_conflict", &self.retry_in_flight_conflict)
            .field("assume_idempotent", &self.assume_idempotent)
            .field("retry_cost", &self.retry_cost)
            .field("timeout_retry_cost", &self.timeout_retry_cost)
            .field("success_refund", &self.success_refund)
            .field("sleeper", &self.sleeper.as_ref().map(|_| "custom"))
            .finish()
    }
}
