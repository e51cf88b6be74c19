//! Accept loop and per-request fault wiring.
//!
//! Connections are served with hyper directly (not `axum::serve`) because two fault
//! kinds need control below the router: a service future that fails makes hyper
//! close the connection without answering, and a body that fails part-way cuts the
//! answer short.

use std::fmt;
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::header::{CONTENT_LENGTH, RETRY_AFTER};
use axum::http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::app::App;
use crate::dispatch::{DelayFault, RequestId};
use crate::faults::FaultKind;
use crate::ids;
use crate::problem::Problem;

/// The service error that tells hyper to drop the connection.
#[derive(Debug)]
struct Dropped;

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by sandbox fault injection")
    }
}

impl std::error::Error for Dropped {}

pub(crate) async fn accept_loop(
    listener: TcpListener,
    app: Arc<App>,
    router: Router,
    shutdown: watch::Receiver<bool>,
) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Usually fd exhaustion; back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let router = router.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| serve(req, app.clone(), router.clone()));
            let mut conn =
                pin!(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = shutdown.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
}

async fn serve(
    mut req: Request<Incoming>,
    app: Arc<App>,
    router: Router,
) -> Result<Response<Body>, Dropped> {
    let path = req.uri().path().to_owned();
    if path == "/_sandbox" || path.starts_with("/_sandbox/") {
        return Ok(dispatch(router, req).await);
    }
    let method = req.method().as_str().to_owned();
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let request_id = ids::request_id();
    req.extensions_mut().insert(RequestId(request_id.clone()));

    let fault = app.faults.choose(&method, &path);
    {
        let mut inner = app.lock();
        inner.counters.record_request(key.as_deref());
        if let Some(kind) = fault {
            inner.counters.record_fault(kind);
        }
    }

    let refuse = |status: StatusCode, code: &str, detail: &str| {
        let reply = Problem::new(status, code, detail).into_reply(&path, &request_id);
        Ok(reply.into_response())
    };
    match fault {
        None => Ok(dispatch(router, req).await),
        Some(FaultKind::DropBeforeHandling) => Err(Dropped),
        Some(FaultKind::DropAfterCommit) => {
            let _ = dispatch(router, req).await;
            Err(Dropped)
        }
        Some(FaultKind::BadGateway) => refuse(
            StatusCode::BAD_GATEWAY,
            "bad_gateway",
            "Injected fault: upstream failed before the request was handled",
        ),
        Some(FaultKind::ServiceUnavailable) => {
            let reply = Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable",
                "Injected fault: service temporarily unavailable; the request was not handled",
            )
            .with_retry_after(app.config.retry_after_secs)
            .into_reply(&path, &request_id);
            Ok(reply.into_response())
        }
        Some(FaultKind::GatewayTimeout) => refuse(
            StatusCode::GATEWAY_TIMEOUT,
            "gateway_timeout",
            "Injected fault: upstream timed out before the request was handled",
        ),
        Some(FaultKind::RateLimited) => Ok(rate_limited(&app, &path, &request_id)),
        Some(FaultKind::Delay) => {
            req.extensions_mut()
                .insert(DelayFault(app.config.slow_delay));
            Ok(dispatch(router, req).await)
        }
        Some(FaultKind::TruncatedBody) => truncate(dispatch(router, req).await).await,
    }
}

fn rate_limited(app: &App, path: &str, request_id: &str) -> Response<Body> {
    let secs = app.config.retry_after_secs;
    let reset = chrono::Utc::now().timestamp().saturating_add(secs as i64);
    let reply = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limit_exceeded",
        "Injected fault: too many requests; retry after the advertised delay",
    )
    .with_header(RETRY_AFTER, secs.to_string())
    .with_header(HeaderName::from_static("ratelimit-limit"), "60")
    .with_header(HeaderName::from_static("ratelimit-remaining"), "0")
    .with_header(
        HeaderName::from_static("ratelimit-reset"),
        reset.to_string(),
    )
    .into_reply(path, request_id);
    reply.into_response()
}

/// Runs the router in its own task so that a client that hangs up (or times out)
/// cannot cancel handling half-way: the commit always completes.
async fn dispatch(router: Router, req: Request<Incoming>) -> Response<Body> {
    let req = req.map(Body::new);
    match tokio::spawn(async move { router.oneshot(req).await }).await {
        Ok(Ok(resp)) => resp,
        Ok(Err(never)) => match never {},
        Err(_) => Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "The sandbox failed while handling the request",
        )
        .into_reply("", &ids::request_id())
        .into_response(),
    }
}

/// Sends the full `Content-Length` but only half the body, then fails the stream.
async fn truncate(resp: Response<Body>) -> Result<Response<Body>, Dropped> {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|_| Dropped)?;
    if bytes.is_empty() {
        // Nothing to cut (e.g. a 204): closing the connection is the closest fault.
        return Err(Dropped);
    }
    parts
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let partial = bytes.slice(..bytes.len() / 2);
    Ok(Response::from_parts(
        parts,
        Body::new(CutShort::new(partial)),
    ))
}

/// A body that yields one chunk, pauses briefly so hyper flushes it, then errors.
struct CutShort {
    chunk: Option<Bytes>,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl CutShort {
    fn new(chunk: Bytes) -> Self {
        CutShort {
            chunk: Some(chunk),
            pause: Some(Box::pin(tokio::time::sleep(Duration::from_millis(20)))),
        }
    }
}

impl hyper::body::Body for CutShort {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        if let Some(chunk) = self.chunk.take()
            && !chunk.is_empty()
        {
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        if let Some(pause) = self.pause.as_mut() {
            if pause.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.pause = None;
        }
        Poll::Ready(Some(Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "response truncated by sandbox fault injection",
        ))))
    }
}
