//! The handwritten shim behind every generated call: the per-client state
//! (progenitor's inner type) and the `ClientHooks` that give each call one
//! idempotency key and a retry loop that reuses it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderValue, USER_AGENT};
use reqwest::{Method, Request, Response};
use tokio::time::Instant;
use tracing::Instrument;

use crate::generated::Client;
use crate::idempotency::{GENERIC_RULE, IDEMPOTENCY_KEY_HEADER, KeySource, validate};
use crate::retry::{Reason, RetryBudget, RetryPolicy, classify, next_delay};
use crate::secret::ApiKey;
use crate::transport::{Outcome, attempt};

/// What each client carries besides its `reqwest::Client`.
#[derive(Clone)]
pub struct ClientState {
    pub(crate) policy: Arc<RetryPolicy>,
    pub(crate) budget: Arc<RetryBudget>,
    pub(crate) keys: KeySource,
    pub(crate) api_key: Option<ApiKey>,
    pub(crate) user_agent: HeaderValue,
    pub(crate) timeout: Duration,
    pub(crate) max_body_bytes: usize,
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientState")
            .field("api_key", &self.api_key)
            .field("user_agent", &self.user_agent)
            .field("timeout", &self.timeout)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("policy", &self.policy)
            .field("budget_available", &self.budget.available())
            .field("keys", &self.keys)
            .finish()
    }
}

fn is_mutating(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH)
}

impl Client {
    /// A view of this client with another retry policy, for one call or a few.
    /// Cheap: it shares the connection pool and the retry budget.
    ///
    /// ```no_run
    /// # async fn demo(client: &qurl::Client) {
    /// let _ = client
    ///     .with_retry_policy(qurl::RetryPolicy::none())
    ///     .get_quota()
    ///     .send()
    ///     .await;
    /// # }
    /// ```
    pub fn with_retry_policy(&self, policy: RetryPolicy) -> Client {
        let mut inner = self.inner.clone();
        inner.policy = Arc::new(policy);
        Client::new_with_client(self.baseurl(), self.client().clone(), inner)
    }

    /// The retry policy calls on this client use.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.policy
    }

    /// Tokens left in this client's retry budget.
    pub fn retry_budget_available(&self) -> u32 {
        self.inner.budget.available()
    }
}

impl ClientHooks<ClientState> for Client {
    /// Once per `send()`: credentials, user agent, per-attempt timeout, and
    /// the idempotency key (the caller's, checked, or a new one).
    async fn pre<E>(&self, request: &mut Request, info: &OperationInfo) -> Result<(), Error<E>> {
        let state = self.inner();
        let headers = request.headers_mut();
        if let Some(key) = &state.api_key {
            headers.insert(AUTHORIZATION, key.header().clone());
        }
        headers.insert(USER_AGENT, state.user_agent.clone());
        if request.timeout().is_none() {
            *request.timeout_mut() = Some(state.timeout);
        }
        if !is_mutating(request.method()) {
            // GET, HEAD, DELETE, OPTIONS never carry a key.
            request.headers_mut().remove(IDEMPOTENCY_KEY_HEADER);
            return Ok(());
        }
        let rule = crate::manifest::find(info.operation_id)
            .and_then(|op| op.idempotency_key)
            .unwrap_or(GENERIC_RULE);
        let headers = request.headers_mut();
        match headers.get(IDEMPOTENCY_KEY_HEADER) {
            Some(given) => validate(given.as_bytes(), rule).map_err(|e| {
                Error::InvalidRequest(format!(
                    "{} (operation `{}`); nothing was sent",
                    e, info.operation_id
                ))
            }),
            None => {
                let key = state.keys.next_key();
                let value = HeaderValue::from_str(&key).map_err(|_| {
                    Error::InvalidRequest(format!(
                        "the key generator produced an invalid header value {key:?}"
                    ))
                })?;
                headers.insert(IDEMPOTENCY_KEY_HEADER, value);
                Ok(())
            }
        }
    }

    /// The retry loop: every attempt sends a clone of the same request, so
    /// the same bytes and the same key.
    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        let key = request.headers().get(IDEMPOTENCY_KEY_HEADER);
        let has_key = key.is_some();
        let span = tracing::info_span!(
            "qurl.call",
            operation = info.operation_id,
            method = %request.method(),
            path = request.url().path(),
            key = key.and_then(|v| v.to_str().ok()).unwrap_or(""),
        );
        retry_loop(self.client(), self.inner(), request, has_key)
            .instrument(span)
            .await
    }
}

async fn retry_loop(
    client: &reqwest::Client,
    state: &ClientState,
    request: Request,
    has_key: bool,
) -> reqwest::Result<Response> {
    let policy = &*state.policy;
    // Replaying is safe for reads and deletes, and for mutations with a key.
    let replay_safe = !is_mutating(request.method()) || has_key;
    let deadline = policy.deadline.map(|d| Instant::now() + d);
    // Built on the first retry only: most calls never need it.
    let mut backoff = None;
    let mut pending = request;
    let mut number: u32 = 1;
    loop {
        // Clone only while another attempt is possible (the clone is the retry).
        let spare = if number <= policy.max_retries {
            pending.try_clone()
        } else {
            None
        };
        let mut this = pending;
        if let Some(deadline) = deadline {
            // The attempt may not outlive the call's deadline.
            let left = deadline.saturating_duration_since(Instant::now());
            let timeout = this.timeout().copied().unwrap_or(state.timeout).min(left);
            *this.timeout_mut() = Some(timeout.max(Duration::from_millis(1)));
        }
        let outcome = attempt(client, this, state.max_body_bytes).await;
        let Some(reason) = classify(&outcome, policy) else {
            if outcome.status().is_some_and(|s| s.is_success()) {
                state.budget.refund(policy.success_refund);
            }
            tracing::debug!(attempt = number, outcome = %outcome, decision = "done");
            return outcome.into_result();
        };
        let stop = |why: &str, outcome: Outcome| {
            tracing::info!(attempt = number, outcome = %outcome, reason = reason.as_str(), decision = "give-up", why);
            outcome.into_result()
        };
        if reason.may_have_reached_server() && !replay_safe {
            return stop("not safe to replay: mutating call without a key", outcome);
        }
        let Some(backoff_delay) = backoff.get_or_insert_with(|| policy.backoff()).next() else {
            return stop("retries exhausted", outcome);
        };
        let Some(next) = spare else {
            return stop("request body cannot be replayed (streaming)", outcome);
        };
        let Ok((delay, source)) =
            next_delay(outcome.headers(), backoff_delay, policy.max_server_delay)
        else {
            return stop("server asked to wait longer than max_server_delay", outcome);
        };
        if let Some(deadline) = deadline
            && Instant::now() + delay >= deadline
        {
            return stop("the wait would pass the call's deadline", outcome);
        }
        let cost = if reason == Reason::Timeout {
            policy.timeout_retry_cost
        } else {
            policy.retry_cost
        };
        if !state.budget.try_spend(cost) {
            return stop("retry budget empty", outcome);
        }
        tracing::info!(
            attempt = number,
            outcome = %outcome,
            reason = reason.as_str(),
            decision = "retry",
            delay_ms = delay.as_millis() as u64,
            delay_source = source,
        );
        policy.sleep(delay).await;
        pending = next;
        number += 1;
    }
}
