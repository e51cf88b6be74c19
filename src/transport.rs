//! One attempt on the wire, with the whole body read (up to a cap) so the
//! retry loop can look at it and a cut-off body counts as a failed attempt.

use bytes::{Bytes, BytesMut};
use progenitor_client::ResponseValue;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Request, Response, ResponseBuilderExt, StatusCode, Url, Version};
use serde::de::DeserializeOwned;

use crate::idempotency::IDEMPOTENCY_KEY_HEADER;

/// Status line, headers and URL of a response whose body has been read.
pub(crate) struct Head {
    pub(crate) status: StatusCode,
    pub(crate) version: Version,
    pub(crate) headers: HeaderMap,
    pub(crate) url: Url,
}

impl Head {
    /// Take the head out of a response that is about to be dropped.
    fn take(response: &mut Response) -> Self {
        Head {
            status: response.status(),
            version: response.version(),
            // Moved, not cloned: the response is spent.
            headers: std::mem::take(response.headers_mut()),
            url: response.url().clone(),
        }
    }

    /// A response again, for the generated code. Carrying the URL along
    /// also spares reqwest from parsing a placeholder URL per response.
    fn rebuild(self, body: reqwest::Body) -> Response {
        let mut builder = http::Response::builder()
            .status(self.status)
            .version(self.version)
            .url(self.url);
        if let Some(h) = builder.headers_mut() {
            *h = self.headers;
        }
        match builder.body(body) {
            Ok(r) => Response::from(r),
            // Unreachable: status and version came from a real response.
            Err(_) => Response::from(http::Response::new(reqwest::Body::from(Bytes::new()))),
        }
    }
}

/// What one attempt produced.
pub(crate) enum Outcome {
    /// Nothing usable came back (connect error, timeout, reset, ...).
    Transport(reqwest::Error),
    /// A complete response.
    Response { head: Head, body: Bytes },
    /// Headers arrived, then the body was cut short.
    BodyCut(reqwest::Error),
    /// The body is larger than the client's cap.
    TooLarge { head: Head, cap: usize },
}

impl Outcome {
    pub(crate) fn status(&self) -> Option<StatusCode> {
        self.head().map(|h| h.status)
    }

    pub(crate) fn headers(&self) -> Option<&HeaderMap> {
        self.head().map(|h| &h.headers)
    }

    fn head(&self) -> Option<&Head> {
        match self {
            Outcome::Response { head, .. } | Outcome::TooLarge { head, .. } => Some(head),
            _ => None,
        }
    }
}

/// The last attempt's complete answer, as the generated code reads it:
/// decoded from the bytes already read, with the head moved, not cloned.
pub(crate) struct Answer {
    head: Head,
    body: Bytes,
}

impl Answer {
    /// The generated code's error for an outcome with no answer to decode;
    /// a successful answer gains the call's key unless the server echoed it.
    pub(crate) async fn from_outcome<E>(
        outcome: Outcome,
        key: Option<&HeaderValue>,
    ) -> Result<Answer, progenitor_client::Error<E>> {
        use progenitor_client::Error as G;
        match outcome {
            Outcome::Transport(e) | Outcome::BodyCut(e) => Err(G::CommunicationError(e)),
            Outcome::TooLarge { head, cap } => Err(too_large(head, cap).await),
            Outcome::Response { mut head, body } => {
                if let Some(key) = key
                    && head.status.is_success()
                    && !head.headers.contains_key(IDEMPOTENCY_KEY_HEADER)
                {
                    head.headers.insert(IDEMPOTENCY_KEY_HEADER, key.clone());
                }
                Ok(Answer { head, body })
            }
        }
    }

    pub(crate) fn status(&self) -> StatusCode {
        self.head.status
    }

    /// The body as the documented type (progenitor's `from_response`, without
    /// reading the body a second time).
    // The error is the generated code's own type, returned as it expects.
    #[allow(clippy::result_large_err)]
    pub(crate) fn decode<T: DeserializeOwned, E>(
        self,
    ) -> Result<ResponseValue<T>, progenitor_client::Error<E>> {
        match serde_json::from_slice(&self.body) {
            Ok(inner) => Ok(ResponseValue::new(
                inner,
                self.head.status,
                self.head.headers,
            )),
            Err(e) => Err(progenitor_client::Error::InvalidResponsePayload(
                self.body, e,
            )),
        }
    }

    /// A documented answer without a body.
    pub(crate) fn empty(self) -> ResponseValue<()> {
        ResponseValue::new((), self.head.status, self.head.headers)
    }

    /// A `reqwest::Response` again, for an undocumented status.
    pub(crate) fn into_response(self) -> Response {
        self.head.rebuild(self.body.into())
    }
}

/// A body over the cap, reported as reqwest reports a body that fails while
/// read: an error naming the cap, with nothing allocated for the body.
async fn too_large<E>(head: Head, cap: usize) -> progenitor_client::Error<E> {
    let err = std::io::Error::other(format!(
        "response body is larger than the client's cap of {cap} bytes; raise it with ClientBuilder::max_body_bytes"
    ));
    let stream = futures::stream::once(async move { Err::<Bytes, _>(err) });
    match head
        .rebuild(reqwest::Body::wrap_stream(stream))
        .bytes()
        .await
    {
        Err(e) => progenitor_client::Error::ResponseBodyError(e),
        // Unreachable: the stream's only item is an error.
        Ok(_) => progenitor_client::Error::InvalidRequest(format!(
            "the answer's body is larger than the client's cap of {cap} bytes"
        )),
    }
}

/// Short description for the attempt event (formatted only if a subscriber asks).
impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Transport(e) if e.is_connect() => f.write_str("connect error"),
            Outcome::Transport(e) if e.is_timeout() => f.write_str("timed out"),
            Outcome::Transport(_) => f.write_str("connection closed before a response"),
            Outcome::Response { head, .. } => write!(f, "status {}", head.status.as_u16()),
            Outcome::BodyCut(_) => f.write_str("body cut off"),
            Outcome::TooLarge { cap, .. } => write!(f, "body over the {cap}-byte cap"),
        }
    }
}

/// Send `request` once and read the whole answer.
pub(crate) async fn attempt(client: &reqwest::Client, request: Request, cap: usize) -> Outcome {
    let mut response = match client.execute(request).await {
        Ok(r) => r,
        Err(e) => return Outcome::Transport(e),
    };
    if response.content_length().is_some_and(|n| n > cap as u64) {
        return Outcome::TooLarge {
            head: Head::take(&mut response),
            cap,
        };
    }
    let mut body = BytesMut::with_capacity(response.content_length().unwrap_or(0) as usize);
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > cap {
                    return Outcome::TooLarge {
                        head: Head::take(&mut response),
                        cap,
                    };
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => return Outcome::BodyCut(e),
        }
    }
    let mut head = Head::take(&mut response);
    let mut body = body.freeze();
    if head.status.is_client_error() || head.status.is_server_error() {
        body = crate::problem::normalise_error_body(head.status, body);
        // The rebuilt response must announce the rewritten length.
        head.headers
            .insert(reqwest::header::CONTENT_LENGTH, body.len().into());
    }
    Outcome::Response { head, body }
}
