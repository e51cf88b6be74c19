//! One HTTP POST to a checked loopback [`Target`], bounded by a timeout.
//! hyper over a `TcpStream` connected to the checked address: no DNS, no
//! proxy, no redirect can take it anywhere else.

use std::time::Duration;

use axum::http::{Request, header};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::target::Target;

/// Most bytes of a receiver's answer kept (the API's `response_body` limit).
pub(crate) const MAX_RESPONSE_BODY: usize = 8 * 1024;

/// What the receiver answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Answer {
    pub status: u16,
    /// The first [`MAX_RESPONSE_BODY`] bytes of the body, lossily decoded.
    pub body: String,
}

/// POSTs `body` with `headers` to `target`; an error is a message for the
/// delivery record (refused connection, reset, timeout).
pub(crate) async fn post(
    target: &Target,
    headers: &[(&'static str, String)],
    body: Bytes,
    timeout: Duration,
) -> Result<Answer, String> {
    match tokio::time::timeout(timeout, exchange(target, headers, body)).await {
        Ok(answer) => answer,
        Err(_) => Err(format!("no answer within {} ms", timeout.as_millis())),
    }
}

async fn exchange(
    target: &Target,
    headers: &[(&'static str, String)],
    body: Bytes,
) -> Result<Answer, String> {
    let stream = TcpStream::connect(target.addr)
        .await
        .map_err(|e| format!("could not connect to {}: {e}", target.addr))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake failed: {e}"))?;
    // The connection task ends with this guard, even when the timeout
    // drops the exchange half-way.
    let connection = AbortOnDrop(tokio::spawn(connection));

    let mut request = Request::post(target.path_and_query.as_str())
        .header(header::HOST, target.authority.as_str())
        .header(header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    let request = request
        .body(Full::new(body))
        .map_err(|e| format!("could not build the request: {e}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("no answer: {e}"))?;
    let status = response.status().as_u16();
    let body = read_prefix(response.into_body()).await;
    drop(connection);
    Ok(Answer { status, body })
}

/// Reads at most [`MAX_RESPONSE_BODY`] bytes; a body cut off early keeps
/// what arrived.
async fn read_prefix(mut body: hyper::body::Incoming) -> String {
    let mut kept = Vec::new();
    while kept.len() < MAX_RESPONSE_BODY {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    let room = MAX_RESPONSE_BODY - kept.len();
                    kept.extend_from_slice(&data[..data.len().min(room)]);
                }
            }
            Some(Err(_)) | None => break,
        }
    }
    String::from_utf8_lossy(&kept).into_owned()
}

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
