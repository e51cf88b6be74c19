//! A fully buffered response that can be stored for idempotent replay, and the
//! success envelopes.

use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;
use serde_json::{Value, json};

use crate::ids;

/// Response header that marks a replay from the idempotency store.
pub(crate) const IDEMPOTENCY_REPLAYED: &str = "idempotency-replayed";

/// Status, the headers that matter, and the body: everything needed to answer again.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

impl Reply {
    pub(crate) fn json_with_type(
        status: StatusCode,
        content_type: &'static str,
        body: &Value,
    ) -> Self {
        // Serialising a `Value` cannot fail; fall back to an empty object just in case.
        let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
        Reply {
            status,
            headers: vec![(CONTENT_TYPE, HeaderValue::from_static(content_type))],
            body: Bytes::from(bytes),
        }
    }

    pub(crate) fn json(status: StatusCode, body: &Value) -> Self {
        Self::json_with_type(status, "application/json", body)
    }

    pub(crate) fn no_content() -> Self {
        Reply {
            status: StatusCode::NO_CONTENT,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    /// Adds a header; values that are not valid header text are skipped rather than panicking.
    pub(crate) fn header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.push((name, v));
        }
        self
    }

    pub(crate) fn into_response(self) -> Response {
        let mut resp = Response::new(Body::from(self.body));
        *resp.status_mut() = self.status;
        let headers = resp.headers_mut();
        for (name, value) in self.headers {
            headers.append(name, value);
        }
        resp
    }

    pub(crate) fn into_replay(self) -> Response {
        let mut resp = self.into_response();
        resp.headers_mut().insert(
            HeaderName::from_static(IDEMPOTENCY_REPLAYED),
            HeaderValue::from_static("true"),
        );
        resp
    }

    /// Rebuilds a reply from a handler's response (used to store answers that never
    /// reached a commit, such as validation errors).
    pub(crate) async fn from_response(resp: Response) -> Self {
        let (parts, body) = resp.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        let headers = parts
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        Reply {
            status: parts.status,
            headers,
            body,
        }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        Reply::into_response(self)
    }
}

/// `{"data": ..., "meta": {"request_id": ...}}`
pub(crate) fn data(status: StatusCode, data: impl Serialize, request_id: &str) -> Reply {
    let data = serde_json::to_value(data).unwrap_or(Value::Null);
    Reply::json(
        status,
        &json!({ "data": data, "meta": { "request_id": request_id } }),
    )
}

/// One page of a cursor-paginated list.
pub(crate) struct Page<T> {
    pub items: Vec<T>,
    pub has_more: bool,
    pub next_cursor: String,
}

/// A 200 list envelope with `ListMeta`, honouring `If-None-Match`.
pub(crate) fn list<T: Serialize>(page: Page<T>, request_id: &str, headers: &HeaderMap) -> Reply {
    let items = serde_json::to_value(&page.items).unwrap_or(Value::Array(Vec::new()));
    let meta = json!({
        "request_id": request_id,
        "page_size": page.items.len(),
        "has_more": page.has_more,
        "next_cursor": page.next_cursor,
    });
    let tag = etag(&json!([items, page.has_more, page.next_cursor]));
    cached(tag, headers, || {
        Reply::json(StatusCode::OK, &json!({ "data": items, "meta": meta }))
    })
}

/// A 200 single-object envelope with an `ETag`, honouring `If-None-Match`.
pub(crate) fn cached_data(data: impl Serialize, request_id: &str, headers: &HeaderMap) -> Reply {
    let data = serde_json::to_value(data).unwrap_or(Value::Null);
    let tag = etag(&data);
    cached(tag, headers, || {
        Reply::json(
            StatusCode::OK,
            &json!({ "data": data, "meta": { "request_id": request_id } }),
        )
    })
}

fn cached(tag: String, headers: &HeaderMap, build: impl FnOnce() -> Reply) -> Reply {
    let matches = headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == tag || t == "*");
    let reply = if matches {
        Reply {
            status: StatusCode::NOT_MODIFIED,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    } else {
        build()
    };
    reply.header(ETAG, &tag)
}

/// The tag covers the payload only, so it is stable across request ids.
fn etag(value: &Value) -> String {
    let text = serde_json::to_string(value).unwrap_or_default();
    format!("\"{:016x}\"", ids::fingerprint(text.as_bytes()))
}
