//! The handwritten shim behind every generated call: the per-client state
//! (progenitor's inner type) and the `ClientHooks` that give each call one
//! idempotency key and a retry loop that reuses it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo, ResponseValue};
use reqwest::header::{AUTHORIZATION, HeaderValue, USER_AGENT};
use reqwest::{Request, Response};
use tokio::time::Instant;
use tracing::Instrument;

use crate::Error;
use crate::generated::Client;
use crate::idempotency::{GENERIC_RULE, IDEMPOTENCY_KEY_HEADER, KeySource, validate};
use crate::manifest::{Operation, Replay};
use crate::retry::decision::{Decision, DelaySource, Situation, Stop, decide};
use crate::retry::{Reason, RetryBudget, RetryPolicy, classify, server_delay};
use crate::secret::ApiKey;
use crate::transport::{Outcome, attempt};

/// What each client carries besides its `reqwest::Client` (progenitor's
/// inner type; not part of the public API).
#[doc(hidden)]
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

impl Client {
    /// A view of this client with another retry policy, for one call or a few.
    /// Cheap: it shares the connection pool, the retry budget (its size is a
    /// setting of the client, not of a policy) and the key generator.
    ///
    /// ```
    /// # async fn demo(client: &qurl::Client) {
    /// let _ = client
    ///     .with_retry_policy(qurl::RetryPolicy::none())
    ///     .get_quota()
    ///     .send()
    ///     .await;
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = qurl_sandbox::Sandbox::builder().start().await?;
    /// # let client = qurl::Client::builder().api_key("lv_live_docs_owner_0001").base_url(sandbox.base_url()).build()?;
    /// # demo(&client).await; Ok(()) }
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

/// One logical call, from before its first attempt to its result: made by
/// every generated `send` (see `codegen/src/rewrite.rs`).
pub(crate) struct Call {
    operation: &'static Operation,
    key: Option<String>,
}

impl Call {
    /// Before the first attempt: a mutating call gets its key now (the
    /// caller's, checked against the operation's rule, or a new one), so that
    /// every attempt, and the error, carry the same one.
    pub(crate) fn begin(
        client: &Client,
        operation_id: &'static str,
        key: Option<&mut Result<Option<String>, String>>,
    ) -> Result<Call, Error> {
        let operation = crate::manifest::find(operation_id).ok_or_else(|| {
            Error::invalid_request(
                operation_id,
                "the operation is missing from the manifest (a build problem; please report it)",
                None,
            )
        })?;
        let Some(slot) = key else {
            return Ok(Call {
                operation,
                key: None,
            });
        };
        let rule = operation.idempotency_key.unwrap_or(GENERIC_RULE);
        let key = match slot {
            Ok(Some(given)) => {
                validate(given.as_bytes(), rule).map_err(|e| {
                    Error::invalid_request(operation_id, e.to_string(), Some(Box::new(e)))
                })?;
                given.clone()
            }
            Ok(None) => {
                let made = client.inner().keys.next_key();
                validate(made.as_bytes(), rule).map_err(|e| {
                    Error::invalid_request(
                        operation_id,
                        format!("the client's key generator made an invalid key: {e}"),
                        Some(Box::new(e)),
                    )
                })?;
                *slot = Ok(Some(made.clone()));
                made
            }
            Err(message) => {
                return Err(Error::invalid_request(operation_id, message.clone(), None));
            }
        };
        Ok(Call {
            operation,
            key: Some(key),
        })
    }

    /// After the last attempt: the one error type, carrying the key; an
    /// answer carries the key too (`Idempotency-Key`, unless the server
    /// echoed it), so `into_data()` can name it if the payload is missing.
    pub(crate) fn end<T>(
        self,
        result: Result<ResponseValue<T>, progenitor_client::Error<crate::types::ApiErrorBody>>,
    ) -> Result<ResponseValue<T>, Error> {
        match (result, self.key) {
            (Ok(answer), None) => Ok(answer),
            (Ok(answer), Some(key)) => Ok(with_key_header(answer, &key)),
            (Err(e), key) => {
                Err(Error::from_generated(e, self.operation).with_call(key, self.operation.replay))
            }
        }
    }
}

fn with_key_header<T>(answer: ResponseValue<T>, key: &str) -> ResponseValue<T> {
    if answer.headers().contains_key(IDEMPOTENCY_KEY_HEADER) {
        return answer;
    }
    let Ok(value) = HeaderValue::from_str(key) else {
        return answer;
    };
    let status = answer.status();
    let mut headers = answer.headers().clone();
    headers.insert(IDEMPOTENCY_KEY_HEADER, value);
    ResponseValue::new(answer.into_inner(), status, headers)
}

impl ClientHooks<ClientState> for Client {
    /// Once per `send()`: credentials, user agent, per-attempt timeout. The
    /// key is already in place (`Call::begin`).
    async fn pre<E>(
        &self,
        request: &mut Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let state = self.inner();
        let headers = request.headers_mut();
        if let Some(key) = &state.api_key {
            headers.insert(AUTHORIZATION, key.header().clone());
        }
        headers.insert(USER_AGENT, state.user_agent.clone());
        if request.timeout().is_none() {
            *request.timeout_mut() = Some(state.timeout);
        }
        Ok(())
    }

    /// The retry loop: every attempt sends a clone of the same request, so
    /// the same bytes and the same key.
    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        let replay =
            crate::manifest::find(info.operation_id).map_or(Replay::Unkeyed, |op| op.replay);
        let key = request.headers().get(IDEMPOTENCY_KEY_HEADER);
        let span = tracing::info_span!(
            "qurl.call",
            operation = info.operation_id,
            method = %request.method(),
            path = request.url().path(),
            key = key.and_then(|v| v.to_str().ok()).unwrap_or(""),
        );
        retry_loop(self.client(), self.inner(), request, replay)
            .instrument(span)
            .await
    }
}

async fn retry_loop(
    client: &reqwest::Client,
    state: &ClientState,
    request: Request,
    replay: Replay,
) -> reqwest::Result<Response> {
    let policy = &*state.policy;
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
        let server = outcome.headers().and_then(server_delay);
        let situation = Situation {
            reason,
            replay,
            backoff: backoff.get_or_insert_with(|| policy.backoff()).next(),
            server_wait: server.map(|(d, _)| d),
            body_replayable: spare.is_some(),
            time_left: deadline.map(|d| d.saturating_duration_since(Instant::now())),
            budget: state.budget.available(),
        };
        let decision = decide(&situation, policy);
        let (delay, source, cost) = match decision {
            Decision::Retry {
                delay,
                source,
                cost,
            } => (delay, source, cost),
            Decision::Stop(why) => return give_up(number, reason, why.as_str(), outcome),
        };
        // Another call may have spent the last tokens since we looked.
        if !state.budget.try_spend(cost) {
            return give_up(number, reason, Stop::BudgetEmpty.as_str(), outcome);
        }
        // `decide` already stopped when there was no spare request.
        let Some(next) = spare else {
            return give_up(number, reason, Stop::BodyNotReplayable.as_str(), outcome);
        };
        tracing::info!(
            attempt = number,
            outcome = %outcome,
            reason = reason.as_str(),
            decision = "retry",
            delay_ms = delay.as_millis() as u64,
            delay_source = match (source, server) {
                (DelaySource::Server, Some((_, s))) => s.as_str(),
                _ => "backoff",
            },
        );
        policy.sleep(delay).await;
        pending = next;
        number += 1;
    }
}

fn give_up(number: u32, reason: Reason, why: &str, outcome: Outcome) -> reqwest::Result<Response> {
    tracing::info!(attempt = number, outcome = %outcome, reason = reason.as_str(), decision = "give-up", why);
    outcome.into_result()
}
