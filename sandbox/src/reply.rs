//! A fully buffered response that can be stored for idempotent replay, and the
//! typed envelopes every answer is built from.

use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;

use crate::envelopes::Payload;
use crate::ids;
use crate::shapes::{ListMeta, Meta};

/// Response header that marks a replay from the idempotency store.
pub(crate) const IDEMPOTENCY_REPLAYED: &str = "idempotency-replayed";

/// Status, the headers that matter, and the body: everything needed to answer again.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

/// One page of a cursor-paginated list.
pub(crate) struct Page<T> {
    pub items: Vec<T>,
    pub has_more: bool,
    pub next_cursor: String,
}

impl<T> Page<T> {
    pub(crate) fn meta(&self, request_id: &str) -> ListMeta {
        ListMeta {
            request_id: request_id.to_owned(),
            page_size: Some(i64::try_from(self.items.len()).unwrap_or(i64::MAX)),
            has_more: Some(self.has_more),
            next_cursor: Some(self.next_cursor.clone()),
        }
    }
}

impl Reply {
    /// Serialises a typed body; the types are plain data, so this cannot fail in practice.
    pub(crate) fn typed(
        status: StatusCode,
        content_type: &'static str,
        body: &impl Serialize,
    ) -> Self {
        let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
        Reply {
            status,
            headers: vec![(CONTENT_TYPE, HeaderValue::from_static(content_type))],
            body: Bytes::from(bytes),
        }
    }

    /// `data` in its envelope, as `application/json`.
    pub(crate) fn enveloped<P: Payload>(status: StatusCode, data: P, meta: P::Meta) -> Self {
        Self::typed(status, "application/json", &data.wrap(meta))
    }

    /// `{"data", "meta": {"request_id"}}`.
    pub(crate) fn data(
        status: StatusCode,
        data: impl Payload<Meta = Meta>,
        request_id: &str,
    ) -> Self {
        let meta = Meta {
            request_id: request_id.to_owned(),
            tombstone: None,
        };
        Self::enveloped(status, data, meta)
    }

    /// A 200 list page with `ListMeta`.
    pub(crate) fn page<T>(page: Page<T>, request_id: &str) -> Self
    where
        Vec<T>: Payload<Meta = ListMeta>,
    {
        let meta = page.meta(request_id);
        Self::enveloped(StatusCode::OK, page.items, meta)
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

    /// Adds an `ETag` over the payload (`data` only, so request ids do not change it)
    /// and answers `304` when `If-None-Match` already names it.
    pub(crate) fn cached(self, request: &HeaderMap) -> Self {
        let payload = serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|mut v| v.get_mut("data").map(serde_json::Value::take))
            .unwrap_or_default();
        let tag = format!(
            "\"{:016x}\"",
            ids::fingerprint(payload.to_string().as_bytes())
        );
        let matches = request
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
            self
        };
        reply.header(ETAG, &tag)
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
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        Reply::into_response(self)
    }
}
