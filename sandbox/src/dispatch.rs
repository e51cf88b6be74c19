//! Every `/v1` request, the same way: route by the spec, authenticate where the
//! operation documents a 401, claim the `Idempotency-Key` where the operation
//! declares one, validate against the spec's schemas and the rules table, then run
//! the operation's handler inside the commit.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::http::header::{ALLOW, AUTHORIZATION};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};

use crate::admin;
use crate::app::{App, Ctx, IdemSlot};
use crate::handlers::{self, Call, render};
use crate::idempotency::{Begin, IdemKey, body_fingerprint};
use crate::problem::Problem;
use crate::reply::Reply;
use crate::spec::{Operation, Route, spec};
use crate::{ids, outbox, rules, validate};

/// Largest request body the sandbox reads.
const MAX_BODY: usize = 1024 * 1024;

/// The owner of requests to operations that need no token (redeeming an access code,
/// the event catalogue).
const ANONYMOUS: &str = "anonymous";

/// Request id chosen by the connection layer, so fault answers and handlers agree.
#[derive(Clone, Debug)]
pub(crate) struct RequestId(pub String);

/// Set by the connection layer when the `Delay` fault was drawn for this request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DelayFault(pub Duration);

/// The owner identity: the whole bearer token, which must start with `lv_`.
pub(crate) fn owner(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    let valid = scheme.eq_ignore_ascii_case("bearer")
        && token.len() > 3
        && token.starts_with("lv_")
        && !token.contains(char::is_whitespace);
    valid.then(|| token.to_owned())
}

async fn pause(delay: Option<Duration>) {
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
}

/// Releases a claimed key if the request never finished (its task was cancelled or
/// panicked), so a retry is not stuck on `409 duplicate_request`.
struct SlotGuard {
    app: Arc<App>,
    slot: Option<IdemSlot>,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            self.app.lock().idem.abandon(&slot.key, slot.token);
        }
    }
}

/// Admin routes, and [`api`] for everything else.
pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/_sandbox/counters", get(admin::counters))
        .route("/_sandbox/faults", post(admin::script))
        .route("/_sandbox/domains/{domain}", post(admin::domain_dns))
        .fallback(api)
        .with_state(app)
}

/// The fallback of the router: every path that is not an admin route.
pub(crate) async fn api(State(app): State<Arc<App>>, req: Request) -> Response {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_else(ids::request_id);
    let delay = req.extensions().get::<DelayFault>().map(|d| d.0);
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    let fail = |p: Problem| p.into_reply(&path, &request_id).into_response();

    let (op, path_params) = match spec().route(&method, &path) {
        Route::Found(op, params) => (op, params),
        Route::MethodNotAllowed(allowed) => {
            let detail = format!("{method} is not allowed on {path}");
            let mut answer = fail(Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                detail,
            ));
            // RFC 9110: a 405 names the methods the path has.
            let names: Vec<&str> = allowed.iter().map(Method::as_str).collect();
            if let Ok(value) = HeaderValue::from_str(&names.join(", ")) {
                answer.headers_mut().insert(ALLOW, value);
            }
            return answer;
        }
        Route::NotFound => return fail(Problem::not_found(format!("No API route matches {path}"))),
    };
    let fail = |p: Problem| render(op, p, &path, &request_id).into_response();

    let owner = match owner(req.headers()) {
        Some(owner) => owner,
        None if op.documents(401) => {
            pause(delay).await;
            return fail(Problem::unauthorized());
        }
        None => ANONYMOUS.to_owned(),
    };
    let query: Vec<(String, String)> = Query::try_from_uri(req.uri())
        .map(|Query(q)| q)
        .unwrap_or_default();
    let (parts, body) = req.into_parts();
    let bytes = if op.body.is_some() {
        match axum::body::to_bytes(body, MAX_BODY).await {
            Ok(b) => b,
            Err(_) => {
                return fail(Problem::invalid_request(
                    "The request body could not be read or exceeds 1 MiB",
                ));
            }
        }
    } else {
        Bytes::new()
    };
    if let Err(p) = validate::headers(op, &parts.headers) {
        return fail(p);
    }

    let key = parts
        .headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let slot = match &key {
        Some(key) if op.declares_key => {
            let ik = IdemKey {
                owner: owner.clone(),
                key: key.clone(),
                method: method.as_str().to_owned(),
                path: path.clone(),
            };
            match claim(&app, ik, &bytes, op) {
                Claim::Proceed(slot) => Some(slot),
                Claim::Replay(reply) => return reply.into_replay(),
                Claim::Refuse(p) => return fail(p),
            }
        }
        _ => None,
    };
    let _guard = SlotGuard {
        app: app.clone(),
        slot: slot.clone(),
    };

    pause(delay).await;

    let ctx = Ctx {
        op,
        owner,
        request_id,
        method,
        path,
        idem: slot,
        key,
        body_hash: body_fingerprint(&bytes),
    };
    let checked = validate::request(op, path_params, &query, &bytes);
    let Some(handler) = handlers::handler(&op.id) else {
        return ctx
            .problem(Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "The sandbox has no handler for this operation",
            ))
            .into_response();
    };
    let reply = app.commit(&ctx, |store, now| {
        let input = checked?;
        rules::check(op, &input.body, now)?;
        let call = Call {
            op,
            owner: &ctx.owner,
            request_id: &ctx.request_id,
            input: &input,
            headers: &parts.headers,
            now,
            base_url: &app.config.base_url,
        };
        handler(store, &call)
    });
    // Webhook deliveries the call produced go out only now, lock released.
    outbox::send_pending(&app);
    reply.into_response()
}

/// What the idempotency store says about a keyed request.
enum Claim {
    Proceed(IdemSlot),
    Replay(Reply),
    Refuse(Problem),
}

/// Claims the key, or answers at once: a replay, `409 duplicate_request` while the
/// original runs, or `409 idempotency_key_reused` where the key pins the body.
fn claim(app: &App, key: IdemKey, body: &[u8], op: &Operation) -> Claim {
    let pins_body = rules::key_pins_body(&op.id);
    let mut inner = app.lock();
    match inner
        .idem
        .begin(&key, body_fingerprint(body), pins_body, Instant::now())
    {
        Begin::Proceed(token) => Claim::Proceed(IdemSlot { key, token }),
        Begin::Replay(reply) => {
            inner.counters.replays += 1;
            Claim::Replay(reply)
        }
        Begin::InFlight => {
            inner.counters.in_flight_conflicts += 1;
            Claim::Refuse(
                Problem::conflict(
                    "duplicate_request",
                    "A request with this Idempotency-Key is still being processed; retry shortly",
                )
                .with_retry_after(1),
            )
        }
        Begin::BodyMismatch => Claim::Refuse(Problem::conflict(
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different request body; send the original body or use a new key",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(auth).unwrap());
        h
    }

    #[test]
    fn bearer_tokens() {
        assert_eq!(owner(&headers("Bearer lv_abc")).as_deref(), Some("lv_abc"));
        assert_eq!(
            owner(&headers("bearer lv_live_x")).as_deref(),
            Some("lv_live_x")
        );
        assert_eq!(owner(&headers("Bearer lv_")), None);
        assert_eq!(owner(&headers("Bearer abc")), None);
        assert_eq!(owner(&headers("Basic lv_abc")), None);
        assert_eq!(owner(&HeaderMap::new()), None);
    }
}
