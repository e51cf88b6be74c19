//! The handwritten shim behind every generated call: the per-client state
//! (progenitor's inner type) and the `ClientHooks` that give each call one
//! idempotency key and a retry loop that reuses it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use progenitor_client::{ClientHooks, ClientInfo, ResponseValue};
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue, USER_AGENT};
use tokio::time::Instant;
use tracing::Instrument;

use crate::Error;
use crate::generated::Client;
use crate::idempotency::{GENERIC_RULE, IDEMPOTENCY_KEY_HEADER, KeySource, validate};
use crate::manifest::{Operation, Replay};
use crate::recipe::Recipe;
use crate::retry::decision::{Decision, DelaySource, Situation, Stop, decide};
use crate::retry::{Reason, RetryBudget, RetryPolicy, classify, server_delay};
use crate::secret::ApiKey;
use crate::transport::{Answer, Outcome, attempt};

/// What each client carries besides its `reqwest::Client` (progenitor's
/// inner type; not part of the public API).
#[doc(hidden)]
#[derive(Clone)]
pub struct ClientState {
    pub(crate) base: Arc<crate::endpoint::Endpoint>,
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
/// every generated `send` (see `codegen/src/rewrite.rs`), which hands its
/// request to [`execute`].
pub(crate) struct Call {
    operation: &'static Operation,
    /// The key every attempt carries, ready to put on the wire.
    key: Option<HeaderValue>,
}

impl Call {
    /// Before the first attempt: a mutating call gets its key now (the
    /// caller's, checked against the operation's rule, or a new one), so that
    /// every attempt, and the error, carry the same one.
    pub(crate) fn begin(
        client: &Client,
        operation: &'static Operation,
        key: Option<Result<Option<String>, String>>,
    ) -> Result<Call, Error> {
        let name = operation.method.as_ref();
        let Some(given) = key else {
            return Ok(Call {
                operation,
                key: None,
            });
        };
        let rule = operation.idempotency_key.unwrap_or(GENERIC_RULE);
        let (key, problem) = match given {
            Ok(Some(given)) => (given, ""),
            Ok(None) => (
                client.inner().keys.next_key(),
                "the client's key generator made an invalid key: ",
            ),
            Err(message) => return Err(Error::invalid_request(name, message, None)),
        };
        validate(key.as_bytes(), rule).map_err(|e| {
            Error::invalid_request(name, format!("{problem}{e}"), Some(Box::new(e)))
        })?;
        // A valid key is printable ASCII, so this takes the string as it is.
        let key = HeaderValue::try_from(key).map_err(|e| {
            Error::invalid_request(name, format!("{problem}{e}"), Some(Box::new(e)))
        })?;
        Ok(Call {
            operation,
            key: Some(key),
        })
    }

    /// After the last attempt: the one error type, carrying the key. (An
    /// answer already carries it: see [`execute`].)
    pub(crate) fn end<T>(
        self,
        result: Result<ResponseValue<T>, progenitor_client::Error<crate::types::ApiErrorBody>>,
    ) -> Result<ResponseValue<T>, Error> {
        result.map_err(|e| {
            let key = self
                .key
                .as_ref()
                .and_then(|k| k.to_str().ok())
                .map(str::to_owned);
            Error::from_generated(e, self.operation).with_call(key, self.operation.replay)
        })
    }
}

/// Send the request the generated `send` described for `call`:
/// credentials, user agent and key, then the retry loop. A successful
/// answer carries the key (`Idempotency-Key`, unless the server echoed it),
/// so `into_data()` can name it if the payload is missing.
pub(crate) async fn execute<E>(
    client: &Client,
    mut recipe: Recipe,
    call: &Call,
) -> Result<Answer, progenitor_client::Error<E>> {
    let state = client.inner();
    if let Some(key) = &call.key {
        recipe.set(KEY_HEADER, key.clone());
    }
    if let Some(key) = &state.api_key {
        recipe.set(AUTHORIZATION, key.header().clone());
    }
    recipe.set(USER_AGENT, state.user_agent.clone());
    let operation = call.operation;
    let span = tracing::info_span!(
        "qurl.call",
        operation = operation.method.as_ref(),
        method = %recipe.method(),
        path = recipe.url().path(),
        key = call.key.as_ref().and_then(|v| v.to_str().ok()).unwrap_or(""),
    );
    let calls = retry_loop(client.client(), state, &recipe, operation.replay);
    // Entering a span nobody listens to costs a little on every poll.
    let outcome = if span.is_disabled() {
        calls.await
    } else {
        calls.instrument(span).await
    };
    Answer::from_outcome(outcome, call.key.as_ref()).await
}

/// `Idempotency-Key`, as a header name.
const KEY_HEADER: HeaderName = HeaderName::from_static(IDEMPOTENCY_KEY_HEADER);

impl ClientHooks<ClientState> for Client {}

/// Attempts until one is final or the policy stops: each a fresh request
/// from the same recipe, so the same bytes and the same key.
async fn retry_loop(
    client: &reqwest::Client,
    state: &ClientState,
    recipe: &Recipe,
    replay: Replay,
) -> Outcome {
    let policy = &*state.policy;
    let deadline = policy.deadline.map(|d| Instant::now() + d);
    // Built on the first retry only: most calls never need it.
    let mut backoff = None;
    let mut number: u32 = 1;
    loop {
        let mut timeout = state.timeout;
        if let Some(deadline) = deadline {
            // The attempt may not outlive the call's deadline.
            let left = deadline.saturating_duration_since(Instant::now());
            timeout = timeout.min(left).max(Duration::from_millis(1));
        }
        let this = recipe.request(timeout);
        let outcome = attempt(client, this, state.max_body_bytes).await;
        let Some(reason) = classify(&outcome, policy) else {
            if outcome.status().is_some_and(|s| s.is_success()) {
                state.budget.refund(policy.success_refund);
            }
            tracing::debug!(attempt = number, outcome = %outcome, decision = "done");
            return outcome;
        };
        let server = outcome.headers().and_then(server_delay);
        let situation = Situation {
            reason,
            replay,
            backoff: backoff.get_or_insert_with(|| policy.backoff()).next(),
            server_wait: server.map(|(d, _)| d),
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
        number += 1;
    }
}

fn give_up(number: u32, reason: Reason, why: &str, outcome: Outcome) -> Outcome {
    tracing::info!(attempt = number, outcome = %outcome, reason = reason.as_str(), decision = "give-up", why);
    outcome
}
