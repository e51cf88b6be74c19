//! Admission for `/v1` routes: bearer auth, `Idempotency-Key` handling, and the
//! delay fault (applied after the key is claimed, so a retry during the delay sees
//! `409 duplicate_request`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use crate::app::{App, Ctx, IdemSlot};
use crate::idempotency::{Begin, IdemKey, MAX_KEY_LEN, MIN_API_KEY_MINT_KEY_LEN, body_fingerprint};
use crate::ids;
use crate::problem::Problem;
use crate::reply::Reply;

/// Largest request body the sandbox reads.
const MAX_BODY: usize = 1024 * 1024;

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

fn check_key(value: &HeaderValue, api_key_mint: bool) -> Result<String, Problem> {
    let key = value
        .to_str()
        .map_err(|_| Problem::invalid_request("Idempotency-Key must be printable ASCII"))?;
    let len = key.chars().count();
    if len == 0 {
        return Err(Problem::invalid_request(
            "Idempotency-Key must not be empty",
        ));
    }
    if len > MAX_KEY_LEN {
        return Err(Problem::invalid_request(format!(
            "Idempotency-Key must be at most {MAX_KEY_LEN} characters"
        )));
    }
    if api_key_mint && len < MIN_API_KEY_MINT_KEY_LEN {
        return Err(Problem::invalid_request(format!(
            "Idempotency-Key must be {MIN_API_KEY_MINT_KEY_LEN}-{MAX_KEY_LEN} characters on POST /v1/api-keys"
        )));
    }
    Ok(key.to_owned())
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

pub(crate) async fn gate(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_else(ids::request_id);
    let delay = req.extensions().get::<DelayFault>().map(|d| d.0);
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    let fail = |p: Problem| p.into_reply(&path, &request_id).into_response();

    let Some(owner) = owner(req.headers()) else {
        pause(delay).await;
        return fail(Problem::unauthorized());
    };

    let keyed_method = matches!(method, Method::POST | Method::PUT | Method::PATCH);
    let api_key_mint = method == Method::POST && path == "/v1/api-keys";
    let (parts, body) = req.into_parts();
    let (body, bytes) = if keyed_method {
        match axum::body::to_bytes(body, MAX_BODY).await {
            Ok(b) => (Body::from(b.clone()), b),
            Err(_) => {
                return fail(Problem::invalid_request(
                    "The request body could not be read or exceeds 1 MiB",
                ));
            }
        }
    } else {
        (body, Bytes::new())
    };

    let key = match parts.headers.get("idempotency-key") {
        Some(v) if keyed_method => match check_key(v, api_key_mint) {
            Ok(k) => Some(k),
            Err(p) => return fail(p),
        },
        _ => None,
    };

    let slot = match key {
        None => None,
        Some(key) => {
            let ik = IdemKey {
                owner: owner.clone(),
                key,
                method: method.as_str().to_owned(),
                path: path.clone(),
            };
            let fingerprint = body_fingerprint(&bytes);
            let mut inner = app.lock();
            match inner
                .idem
                .begin(&ik, fingerprint, api_key_mint, Instant::now())
            {
                Begin::Proceed(token) => Some(IdemSlot { key: ik, token }),
                Begin::Replay(reply) => {
                    inner.counters.replays += 1;
                    return reply.into_replay();
                }
                Begin::InFlight => {
                    inner.counters.in_flight_conflicts += 1;
                    return fail(
                        Problem::new(
                            StatusCode::CONFLICT,
                            "duplicate_request",
                            "A request with this Idempotency-Key is still being processed; retry shortly",
                        )
                        .with_retry_after(1),
                    );
                }
                Begin::BodyMismatch => {
                    return fail(Problem::new(
                        StatusCode::CONFLICT,
                        "idempotency_key_reused",
                        "This Idempotency-Key was already used with a different request body; send the original body or use a new key",
                    ));
                }
            }
        }
    };
    let guard = SlotGuard {
        app: app.clone(),
        slot: slot.clone(),
    };

    pause(delay).await;

    let mut req = Request::from_parts(parts, body);
    req.extensions_mut().insert(Ctx {
        owner,
        request_id: request_id.clone(),
        method,
        path: path.clone(),
        idem: slot.clone(),
    });
    let resp = next.run(req).await;

    let Some(slot) = slot else {
        return resp;
    };
    // Handlers that commit have already stored their answer; this stores the ones
    // that never reached a commit (validation errors, 404s) and forgets 5xx.
    let reply = Reply::from_response(resp).await;
    app.lock()
        .idem
        .complete(&slot.key, slot.token, &reply, Instant::now());
    drop(guard);
    reply.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn key_rules() {
        let v = |s: &str| HeaderValue::from_str(s).unwrap();
        assert!(check_key(&v("k"), false).is_ok());
        assert!(check_key(&v(""), false).is_err());
        assert!(check_key(&v(&"a".repeat(256)), false).is_ok());
        assert!(check_key(&v(&"a".repeat(257)), false).is_err());
        assert!(check_key(&v(&"a".repeat(31)), true).is_err());
        assert!(check_key(&v(&"a".repeat(32)), true).is_ok());
        assert!(check_key(&HeaderValue::from_bytes(b"\xff").unwrap(), false).is_err());
    }
}
