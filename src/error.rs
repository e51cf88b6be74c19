//! `qurl::Error`: the one error type of every operation, async and blocking.
//!
//! A caller branches on [`Error::kind`], reads the API's problem details by
//! reference with [`Error::problem`], and, when a mutating call ended without
//! a definite answer, learns so from [`Error::outcome_unknown`] and resumes
//! with [`Error::idempotency_key`].

use std::fmt;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::idempotency::KeyError;
use crate::manifest::Replay;
use crate::problem::Problem;
use crate::types;

/// What kind of failure an [`Error`] is: the thing to branch on.
///
/// ```
/// # async fn demo(client: qurl::Client) -> Result<(), qurl::Error> {
/// match client.get_qurls_id().id("q_123").send().await {
///     Ok(found) => println!("{:?}", found.into_inner().data),
///     Err(e) if e.kind() == qurl::ErrorKind::NotFound => println!("gone"),
///     Err(e) => return Err(e),
/// }
/// # Ok(()) }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let sandbox = qurl_sandbox::Sandbox::builder().start().await?;
/// # let client = qurl::Client::builder().api_key("lv_live_docs_owner_0001").base_url(sandbox.base_url()).build()?;
/// # demo(client).await?; Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Refused locally before anything was sent: a body field, a parameter or
    /// an idempotency key broke the spec's rule. Fix the input.
    InvalidRequest,
    /// The connection failed (a refused or timed-out connect: nothing was
    /// sent) or broke before a full answer arrived.
    Transport,
    /// No answer within the attempt timeout or the call's deadline.
    Timeout,
    /// 401: the API key is missing, malformed, revoked or expired.
    Unauthorized,
    /// 403: the key lacks the scope or plan for this operation.
    Forbidden,
    /// 404: no such resource (or not visible to this key).
    NotFound,
    /// 409: the request conflicts with the resource's state, or its key is
    /// still being processed by an earlier attempt.
    Conflict,
    /// 410: the resource existed and is gone (revoked, expired, used up).
    Gone,
    /// 400 or 422: the API rejected the input; see `problem().invalid_fields`.
    Validation,
    /// 429: too many requests; retries already honoured `Retry-After`.
    RateLimited,
    /// 5xx: the server failed; retries were spent where that was safe.
    Server,
    /// An answer that does not decode, a status the operation does not
    /// document, a success without its payload, or a list whose cursors
    /// would loop.
    UnexpectedResponse,
    /// A lookup that must find one thing found several
    /// ([`Error::match_count`] says how many).
    Ambiguous,
}

/// The error of every qURL call.
///
/// Small to move around (one pointer); the details live behind it.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    operation: &'static str,
    message: String,
    status: Option<StatusCode>,
    headers: Option<HeaderMap>,
    problem: Option<Problem>,
    batch: Option<types::BatchCreateResponse>,
    key: Option<String>,
    replay: Replay,
    page_cursor: Option<String>,
    match_count: Option<usize>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    fn new(kind: ErrorKind, operation: &'static str, message: impl Into<String>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                operation,
                message: message.into(),
                status: None,
                headers: None,
                problem: None,
                batch: None,
                key: None,
                replay: Replay::Safe,
                page_cursor: None,
                match_count: None,
                source: None,
            }),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The HTTP status, when the API (or a proxy) answered.
    pub fn status(&self) -> Option<StatusCode> {
        self.inner.status
    }

    /// The problem details of an error answer (status, code, title, detail,
    /// request id, per-field messages); `None` when no answer came back.
    ///
    /// ```
    /// # async fn demo(client: qurl::Client) {
    /// if let Err(err) = client.get_qurls_id().id("q_missing").send().await {
    ///     if let Some(p) = err.problem() {
    ///         println!("{} {} (request {:?})", p.status, p.code, p.request_id);
    ///     }
    /// }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = qurl_sandbox::Sandbox::builder().start().await?;
    /// # let client = qurl::Client::builder().api_key("lv_live_docs_owner_0001").base_url(sandbox.base_url()).build()?;
    /// # demo(client).await; Ok(()) }
    /// ```
    pub fn problem(&self) -> Option<&Problem> {
        self.inner.problem.as_ref()
    }

    /// Headers of the error answer, if one came back.
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.inner.headers.as_ref()
    }

    /// Per-item results carried by an error answer: batch create answers 400
    /// when every item failed, with each item's outcome in the body.
    ///
    /// ```
    /// # async fn demo(client: qurl::Client, batch: qurl::types::BatchCreateRequest) {
    /// if let Err(err) = client.post_qurls_batch().body(batch).send().await
    ///     && let Some(outcome) = err.batch_results()
    /// {
    ///     for item in outcome.data.iter().flat_map(|d| &d.results) {
    ///         println!("{item:?}");
    ///     }
    /// }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = qurl_sandbox::Sandbox::builder().start().await?;
    /// # let client = qurl::Client::builder().api_key("lv_live_docs_owner_0001").base_url(sandbox.base_url()).build()?;
    /// # demo(client, serde_json::from_value(serde_json::json!({"items": [{"target_url": "https://example.com"}]}))?).await; Ok(()) }
    /// ```
    pub fn batch_results(&self) -> Option<&types::BatchCreateResponse> {
        self.inner.batch.as_ref()
    }

    /// `true` when the server answered from its idempotency store (this is
    /// the stored answer of an earlier attempt with the same key).
    pub fn was_replayed(&self) -> bool {
        self.inner
            .headers
            .as_ref()
            .is_some_and(crate::replay::headers_say_replayed)
    }

    /// The `Idempotency-Key` the call sent (every POST, PUT and PATCH sends
    /// one). Resend the same request with it to resume an unknown outcome.
    pub fn idempotency_key(&self) -> Option<&str> {
        self.inner.key.as_deref()
    }

    /// `true` when a mutating call ended without a definite answer (retries
    /// ran out on a broken connection, a timeout or a 5xx), so it may or may
    /// not have been carried out. Resend it with [`Error::idempotency_key`]:
    /// where the API honours keys, that returns the original outcome instead
    /// of acting twice.
    ///
    /// ```
    /// # async fn demo(client: qurl::Client) -> Result<(), qurl::Error> {
    /// let first = client.post_qurls().body_map(|b| b.target_url("https://example.com")).send().await;
    /// if let Err(err) = &first
    ///     && err.outcome_unknown()
    ///     && let Some(key) = err.idempotency_key()
    /// {
    ///     // Later, or on another machine: the same request with the same key.
    ///     client.post_qurls().idempotency_key(key).body_map(|b| b.target_url("https://example.com")).send().await?;
    /// }
    /// # Ok(()) }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = qurl_sandbox::Sandbox::builder().start().await?;
    /// # let client = qurl::Client::builder().api_key("lv_live_docs_owner_0001").base_url(sandbox.base_url()).build()?;
    /// # demo(client).await?; Ok(()) }
    /// ```
    pub fn outcome_unknown(&self) -> bool {
        let mutating = !matches!(self.inner.replay, Replay::Safe);
        let undecided = match self.inner.kind {
            ErrorKind::Timeout | ErrorKind::Server => true,
            // A refused connection never reached the server.
            ErrorKind::Transport => !self.connect_failure(),
            _ => false,
        };
        mutating && undecided
    }

    fn connect_failure(&self) -> bool {
        self.inner
            .source
            .as_deref()
            .and_then(|s| s.downcast_ref::<reqwest::Error>())
            .is_some_and(reqwest::Error::is_connect)
    }

    /// The key error, when a caller's `Idempotency-Key` was refused.
    pub fn key_error(&self) -> Option<&KeyError> {
        self.inner.source.as_deref()?.downcast_ref::<KeyError>()
    }

    /// In a walk over a list (`by_page()`, `by_item()`): the cursor of the
    /// page that failed, `None` for the first page of a walk that started
    /// without one. Set it on the same builder to resume exactly there.
    ///
    /// ```
    /// # use futures::TryStreamExt;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), qurl::Error> {
    /// # let sandbox = qurl_sandbox::Sandbox::builder().start().await.unwrap();
    /// # let client = qurl::Client::builder().api_key("lv_live_docs_0001").base_url(sandbox.base_url()).build().unwrap();
    /// let walk = client.get_qurls().limit(50).by_item().try_collect::<Vec<_>>().await;
    /// let all = match walk {
    ///     Ok(all) => all,
    ///     // Pick up where it stopped (the items already read are kept by you).
    ///     Err(e) => match e.page_cursor() {
    ///         Some(cursor) => client.get_qurls().limit(50).cursor(cursor).by_item().try_collect().await?,
    ///         None => return Err(e),
    ///     },
    /// };
    /// # let _ = all;
    /// # Ok(()) }
    /// ```
    pub fn page_cursor(&self) -> Option<&str> {
        self.inner.page_cursor.as_deref()
    }

    /// How many matched, when a lookup that must find exactly one
    /// ([`crate::Client::connector_resource`]) found several
    /// ([`ErrorKind::Ambiguous`]).
    pub fn match_count(&self) -> Option<usize> {
        self.inner.match_count
    }

    /// The generated method the error came from (e.g. `post_qurls`).
    pub fn operation(&self) -> &'static str {
        self.inner.operation
    }

    pub(crate) fn invalid_request(
        operation: &'static str,
        message: impl Into<String>,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        let mut e = Self::new(ErrorKind::InvalidRequest, operation, message);
        e.inner.source = source;
        e
    }

    /// A successful answer the client cannot use as documented.
    pub(crate) fn unexpected(operation: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::UnexpectedResponse, operation, message)
    }

    /// Not found by a lookup the client made itself (no single answer says 404).
    pub(crate) fn not_found(operation: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, operation, message)
    }

    /// Several matches where one was required.
    pub(crate) fn ambiguous(
        operation: &'static str,
        count: usize,
        message: impl Into<String>,
    ) -> Self {
        let mut e = Self::new(ErrorKind::Ambiguous, operation, message);
        e.inner.match_count = Some(count);
        e
    }

    /// The answer's status and headers, for an error about a success answer.
    pub(crate) fn with_answer(mut self, status: StatusCode, headers: HeaderMap) -> Self {
        self.inner.status = Some(status);
        self.inner.headers = Some(headers);
        self
    }

    /// The key a successful but unusable answer was made under.
    pub(crate) fn with_resume_key(mut self, key: Option<String>) -> Self {
        self.inner.key = key;
        self
    }

    pub(crate) fn with_page_cursor(mut self, cursor: Option<String>) -> Self {
        self.inner.page_cursor = cursor;
        self
    }

    pub(crate) fn with_call(mut self, key: Option<String>, replay: Replay) -> Self {
        self.inner.key = key;
        self.inner.replay = replay;
        self
    }

    /// From progenitor's error, with the operation's documented statuses.
    pub(crate) fn from_generated(
        e: progenitor_client::Error<types::ApiErrorBody>,
        operation: &'static crate::manifest::Operation,
    ) -> Self {
        use progenitor_client::Error as G;
        let name: &'static str = match &operation.method {
            std::borrow::Cow::Borrowed(s) => s,
            std::borrow::Cow::Owned(_) => "unknown",
        };
        match e {
            G::InvalidRequest(message) => Self::invalid_request(name, message, None),
            G::CommunicationError(e) | G::ResponseBodyError(e) => {
                // A connect that timed out never reached the server: a
                // connection failure, whose outcome is known (nothing done).
                let kind = if e.is_timeout() && !e.is_connect() {
                    ErrorKind::Timeout
                } else {
                    ErrorKind::Transport
                };
                let mut out = Self::new(kind, name, with_causes(&e));
                out.inner.status = e.status();
                out.inner.source = Some(Box::new(e));
                out
            }
            G::ErrorResponse(response) => {
                let status = response.status();
                let headers = response.headers().clone();
                let body = response.into_inner();
                let mut out = Self::new(kind_of(status), name, String::new());
                out.inner.problem = Some(Problem::from_body(status, &body));
                if let Some(data) = &body.data {
                    out.inner.batch = serde_json::from_value(serde_json::json!({
                        "data": data,
                        "meta": body.meta.as_ref().map(|m| serde_json::json!({"request_id": m.request_id})),
                    }))
                    .ok();
                }
                out.inner.status = Some(status);
                out.inner.headers = Some(headers);
                out
            }
            G::InvalidResponsePayload(_, e) => {
                let mut out = Self::new(
                    ErrorKind::UnexpectedResponse,
                    name,
                    format!("the answer did not decode as the documented type: {e}"),
                );
                out.inner.source = Some(Box::new(e));
                out
            }
            G::UnexpectedResponse(response) => {
                let mut out = Self::new(
                    ErrorKind::UnexpectedResponse,
                    name,
                    format!("undocumented status {}", response.status()),
                );
                out.inner.status = Some(response.status());
                out.inner.headers = Some(response.headers().clone());
                out
            }
            other => Self::new(ErrorKind::UnexpectedResponse, name, other.to_string()),
        }
    }
}

/// An error's message followed by its causes' (reqwest keeps the useful
/// part, such as "connection refused", in the chain).
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

/// The kind of an error answer, by status. Statuses outside the API's
/// documented set (402, 405, 413, ...) are unexpected.
fn kind_of(status: StatusCode) -> ErrorKind {
    match status.as_u16() {
        400 | 422 => ErrorKind::Validation,
        401 => ErrorKind::Unauthorized,
        403 => ErrorKind::Forbidden,
        404 => ErrorKind::NotFound,
        409 => ErrorKind::Conflict,
        410 => ErrorKind::Gone,
        429 => ErrorKind::RateLimited,
        500..=599 => ErrorKind::Server,
        _ => ErrorKind::UnexpectedResponse,
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        write!(f, "{}: ", i.operation)?;
        match (&i.problem, i.status) {
            (Some(p), Some(status)) => {
                write!(f, "{status} ({})", p.code)?;
                if let Some(detail) = &p.detail {
                    write!(f, ": {detail}")?;
                }
                for (field, message) in &p.invalid_fields {
                    write!(f, "; `{field}`: {message}")?;
                }
                if let Some(id) = &p.request_id {
                    write!(f, " [request {id}]")?;
                }
            }
            _ => f.write_str(&i.message)?,
        }
        if i.kind == ErrorKind::InvalidRequest {
            f.write_str("; nothing was sent")?;
        }
        if self.outcome_unknown()
            && let Some(key) = &i.key
        {
            write!(
                f,
                "; the outcome is unknown: resend the same request with Idempotency-Key {key}"
            )?;
        }
        if i.kind == ErrorKind::UnexpectedResponse
            && i.status.is_some_and(|s| s.is_success())
            && let Some(key) = &i.key
        {
            write!(
                f,
                "; the call succeeded under Idempotency-Key {key}: resend it with that key to read its answer again"
            )?;
        }
        let cached = i.replay == Replay::Keyed
            && i.status.is_some_and(|s| s.is_client_error())
            && !matches!(i.kind, ErrorKind::RateLimited | ErrorKind::Conflict);
        if cached && let Some(key) = &i.key {
            write!(
                f,
                "; the API keeps this answer under Idempotency-Key {key} for 24 h, so fix the request and send it with a new key"
            )?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Error")
            .field("kind", &i.kind)
            .field("operation", &i.operation)
            .field("status", &i.status)
            .field("problem", &i.problem)
            .field("message", &i.message)
            .field("idempotency_key", &i.key)
            .field("page_cursor", &i.page_cursor)
            .field("outcome_unknown", &self.outcome_unknown())
            .finish_non_exhaustive()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}
