//! One attempt on the wire, with the whole body read (up to a cap) so the
//! retry loop can look at it and a cut-off body counts as a failed attempt.

use bytes::{Bytes, BytesMut};
use reqwest::header::HeaderMap;
use reqwest::{Request, Response, ResponseBuilderExt, StatusCode, Url, Version};

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

    /// Hand the outcome back to the generated code as the reqwest result it expects.
    pub(crate) fn into_result(self) -> reqwest::Result<Response> {
        match self {
            Outcome::Transport(e) | Outcome::BodyCut(e) => Err(e),
            Outcome::Response { head, body } => Ok(head.rebuild(body.into())),
            Outcome::TooLarge { head, cap } => {
                // A body that fails when read: decoding reports a body error
                // naming the cap instead of allocating without bound.
                let err = std::io::Error::other(format!(
                    "response body is larger than the client's cap of {cap} bytes; raise it with ClientBuilder::max_body_bytes"
                ));
                let stream = futures::stream::once(async move { Err::<Bytes, _>(err) });
                Ok(head.rebuild(reqwest::Body::wrap_stream(stream)))
            }
        }
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
