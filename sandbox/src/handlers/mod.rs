//! The router: implemented endpoints, 501 for the rest of the API, 404/405 otherwise.

/// The value of a `Result<_, Problem>`, or return the problem as the reply.
macro_rules! or_problem {
    ($ctx:expr, $result:expr) => {
        match $result {
            Ok(v) => v,
            Err(p) => return $ctx.problem(p),
        }
    };
}

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::routing::{delete, get, patch, post};

use crate::app::App;
use crate::gate::{RequestId, gate};
use crate::ids;
use crate::problem::Problem;
use crate::reply::Reply;

mod admin;
mod api_keys;
mod quota;
mod qurls;

pub(crate) fn router(app: Arc<App>) -> Router {
    let ni = not_implemented;
    let v1 = Router::new()
        .route("/v1/qurls", post(qurls::create).get(qurls::list))
        .route("/v1/qurls/batch", post(qurls::batch))
        .route(
            "/v1/qurls/{id}",
            get(qurls::get_one)
                .patch(qurls::update)
                .delete(qurls::delete),
        )
        .route("/v1/qurls/{id}/mint_link", post(qurls::mint_link))
        .route("/v1/resources/{id}/qurls", post(qurls::create_for_resource))
        .route("/v1/api-keys", post(api_keys::create).get(api_keys::list))
        .route(
            "/v1/api-keys/{key_id}",
            patch(api_keys::update).delete(api_keys::revoke),
        )
        .route("/v1/quota", get(quota::get))
        // The rest of the documented operations: answered honestly with 501.
        .route("/v1/resolve", post(ni))
        .route("/v1/resources", get(ni).post(ni))
        .route("/v1/connectors/installations", get(ni))
        .route("/v1/resources/{id}", get(ni).patch(ni).delete(ni))
        .route("/v1/resources/{id}/qurls/{qurl_id}", patch(ni).delete(ni))
        .route("/v1/resources/{id}/sessions", get(ni).delete(ni))
        .route("/v1/resources/{id}/sessions/{session_id}", delete(ni))
        .route("/v1/usage/current-period", get(ni))
        .route("/v1/usage/daily", get(ni))
        .route("/v1/customer", get(ni).patch(ni))
        .route("/v1/billing/checkout", post(ni))
        .route("/v1/billing/portal", post(ni))
        .route("/v1/billing/invoices", get(ni))
        .route("/v1/domains", get(ni).post(ni))
        .route("/v1/domains/{domain}", get(ni).delete(ni))
        .route("/v1/domains/{domain}/verify", post(ni))
        .route("/v1/domains/{domain}/regenerate-token", post(ni))
        .route("/v1/webhooks", get(ni).post(ni))
        .route("/v1/webhooks/events", get(ni))
        .route("/v1/webhooks/{id}", get(ni).patch(ni).delete(ni))
        .route("/v1/webhooks/{id}/secret", post(ni))
        .route("/v1/webhooks/{id}/deliveries", get(ni))
        .route("/v1/access-codes", get(ni).post(ni))
        .route("/v1/access-codes/{id}", delete(ni))
        .route_layer(from_fn_with_state(app.clone(), gate));

    // Public in the real API (no bearer token), so it bypasses the gate.
    let public = Router::new().route("/v1/access-codes/redeem", post(ni));

    let admin = Router::new()
        .route("/_sandbox/counters", get(admin::counters))
        .route("/_sandbox/faults", post(admin::script));

    v1.merge(public)
        .merge(admin)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(app)
}

fn request_id(req: &Request) -> String {
    req.extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_else(ids::request_id)
}

async fn not_implemented(req: Request) -> Reply {
    let detail = format!(
        "The qURL sandbox does not implement {} {}; only qURLs, batch create, mint_link, resource qURL mint, API keys and quota are simulated",
        req.method(),
        req.uri().path()
    );
    Problem::new(StatusCode::NOT_IMPLEMENTED, "not_implemented", detail)
        .into_reply(req.uri().path(), &request_id(&req))
}

async fn not_found(req: Request) -> Reply {
    let detail = format!("No API route matches {}", req.uri().path());
    Problem::not_found(detail).into_reply(req.uri().path(), &request_id(&req))
}

async fn method_not_allowed(req: Request) -> Reply {
    let detail = format!("{} is not allowed on {}", req.method(), req.uri().path());
    Problem::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", detail)
        .into_reply(req.uri().path(), &request_id(&req))
}

/// Query parameters by name (first occurrence wins); undecodable queries are a 400.
pub(crate) type Params = HashMap<String, String>;

pub(crate) fn params(
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Params, Problem> {
    let Query(pairs) =
        query.map_err(|_| Problem::invalid_request("The query string could not be decoded"))?;
    let mut map = Params::new();
    for (k, v) in pairs {
        map.entry(k).or_insert(v);
    }
    Ok(map)
}

/// `limit`: 1..=100, default 20.
pub(crate) fn limit(params: &Params) -> Result<usize, Problem> {
    match params.get("limit") {
        None => Ok(20),
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| Problem::invalid_request("limit must be an integer between 1 and 100")),
    }
}

/// Cursors are opaque to clients: hex of `|`-joined fields.
pub(crate) fn encode_cursor(fields: &[String]) -> String {
    ids::hex_encode(&fields.join("|"))
}

pub(crate) fn decode_cursor(cursor: &str, expected_fields: usize) -> Result<Vec<String>, Problem> {
    ids::hex_decode(cursor)
        .map(|s| s.split('|').map(str::to_owned).collect::<Vec<_>>())
        .filter(|f| f.len() == expected_fields)
        .ok_or_else(|| {
            Problem::invalid_request("cursor is not valid; restart pagination without it")
        })
}

/// A path segment, or a 400 when it cannot be decoded (e.g. invalid UTF-8).
pub(crate) fn path_param(
    p: Result<axum::extract::Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<String, Problem> {
    p.map(|axum::extract::Path(v)| v)
        .map_err(|_| Problem::invalid_request("A path parameter could not be decoded"))
}
