//! One attempt on the wire, with the whole body read (up to a cap) so the
//! retry loop can look at it and a cut-off body counts as a failed attempt.

use bytes::{Bytes, BytesMut};
use reqwest::header::HeaderMap;
use reqwest::{Request, Response, StatusCode, Version};

/// What one attempt produced.
pub(crate) enum Outcome {
    /// Nothing usable came back (connect error, timeout, reset, ...).
    Transport(reqwest::Error),
    /// A complete response.
    Response {
        status: StatusCode,
        version: Version,
        headers: HeaderMap,
        body: Bytes,
    },
    /// Headers arrived, then the body was cut short.
    BodyCut(reqwest::Error),
    /// The body is larger than the client's cap.
    TooLarge {
        status: StatusCode,
        headers: HeaderMap,
        cap: usize,
    },
}

impl Outcome {
    pub(crate) fn status(&self) -> Option<StatusCode> {
        match self {
            Outcome::Response { status, .. } | Outcome::TooLarge { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub(crate) fn headers(&self) -> Option<&HeaderMap> {
        match self {
            Outcome::Response { headers, .. } | Outcome::TooLarge { headers, .. } => Some(headers),
            _ => None,
        }
    }

    /// Hand the outcome back to the generated code as the reqwest result it expects.
    pub(crate) fn into_result(self) -> reqwest::Result<Response> {
        match self {
            Outcome::Transport(e) | Outcome::BodyCut(e) => Err(e),
            Outcome::Response {
                status,
                version,
                headers,
                body,
            } => Ok(rebuild(status, version, headers, body.into())),
            Outcome::TooLarge {
                status,
                headers,
                cap,
            } => {
                // A body that fails when read: decoding reports a body error
                // naming the cap instead of allocating without bound.
                let err = std::io::Error::other(format!(
                    "response body is larger than the client's cap of {cap} bytes; raise it with ClientBuilder::max_body_bytes"
                ));
                let stream = futures::stream::once(async move { Err::<Bytes, _>(err) });
                Ok(rebuild(
                    status,
                    Version::HTTP_11,
                    headers,
                    reqwest::Body::wrap_stream(stream),
                ))
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
            Outcome::Response { status, .. } => write!(f, "status {}", status.as_u16()),
            Outcome::BodyCut(_) => f.write_str("body cut off"),
            Outcome::TooLarge { cap, .. } => write!(f, "body over the {cap}-byte cap"),
        }
    }
}

fn rebuild(
    status: StatusCode,
    version: Version,
    headers: HeaderMap,
    body: reqwest::Body,
) -> Response {
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    *response.version_mut() = version;
    *response.headers_mut() = headers;
    Response::from(response)
}

/// Send `request` once and read the whole answer.
pub(crate) async fn attempt(client: &reqwest::Client, request: Request, cap: usize) -> Outcome {
    let mut response = match client.execute(request).await {
        Ok(r) => r,
        Err(e) => return Outcome::Transport(e),
    };
    let status = response.status();
    let version = response.version();
    // Headers are moved out, not cloned, whenever the response is spent.
    let take_headers = |r: &mut Response| std::mem::take(r.headers_mut());
    if response.content_length().is_some_and(|n| n > cap as u64) {
        let headers = take_headers(&mut response);
        return Outcome::TooLarge {
            status,
            headers,
            cap,
        };
    }
    let mut body = BytesMut::with_capacity(response.content_length().unwrap_or(0) as usize);
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > cap {
                    let headers = take_headers(&mut response);
                    return Outcome::TooLarge {
                        status,
                        headers,
                        cap,
                    };
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => return Outcome::BodyCut(e),
        }
    }
    let mut headers = take_headers(&mut response);
    let mut body = body.freeze();
    if status.is_client_error() || status.is_server_error() {
        body = crate::problem::normalise_error_body(status, body);
        // The rebuilt response must announce the rewritten length.
        headers.insert(reqwest::header::CONTENT_LENGTH, body.len().into());
    }
    Outcome::Response {
        status,
        version,
        headers,
        body,
    }
}
