//! What every attempt of a call is built from. The generated `send` fills a
//! `Recipe` with the calls it would make on reqwest's `RequestBuilder`
//! (`header`, `json`, `query`, `headers`, `build`; see
//! `codegen/src/send.rs`), and the retry loop builds a fresh
//! `reqwest::Request` from it for each attempt. So nothing is cloned before
//! the first attempt in case a retry needs it: the body is JSON bytes,
//! shared, and the headers are names and values that copy cheaply.

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Request, Url};
use serde::Serialize;
use std::time::Duration;

use crate::types::ApiErrorBody;

type BuildError = progenitor_client::Error<ApiErrorBody>;

pub(crate) struct Recipe {
    method: Method,
    url: Url,
    /// In the order they go on the wire.
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<Bytes>,
    /// The first thing that could not be built, reported by `build`.
    error: Option<String>,
}

impl Recipe {
    pub(crate) fn new(method: Method, url: Url) -> Recipe {
        Recipe {
            method,
            url,
            headers: Vec::with_capacity(8),
            body: None,
            error: None,
        }
    }

    /// Add a header (after any of the same name), as `RequestBuilder::header`.
    pub(crate) fn header(mut self, name: HeaderName, value: HeaderValue) -> Recipe {
        self.headers.push((name, value));
        self
    }

    /// Set a header, replacing any of the same name.
    pub(crate) fn set(&mut self, name: HeaderName, value: HeaderValue) {
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value));
    }

    /// Each name in `map` replaces the headers of that name, as
    /// `RequestBuilder::headers`.
    pub(crate) fn headers(mut self, map: HeaderMap) -> Recipe {
        for name in map.keys() {
            self.headers.retain(|(n, _)| n != name);
        }
        let mut last = None;
        for (name, value) in map {
            // The map names a header once, before all of its values.
            if let Some(name) = name {
                last = Some(name);
            }
            if let Some(name) = &last {
                self.headers.push((name.clone(), value));
            }
        }
        self
    }

    /// The body as JSON, and `Content-Type: application/json` unless set, as
    /// `RequestBuilder::json`.
    pub(crate) fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Recipe {
        match serde_json::to_vec(body) {
            Ok(bytes) => {
                if !self.headers.iter().any(|(n, _)| *n == CONTENT_TYPE) {
                    let json = HeaderValue::from_static("application/json");
                    self.headers.push((CONTENT_TYPE, json));
                }
                self.body = Some(Bytes::from(bytes));
            }
            Err(e) => self.fail(format!("the body cannot be encoded as JSON: {e}")),
        }
        self
    }

    /// Query parameters, URL-encoded, as `RequestBuilder::query`.
    pub(crate) fn query<T: Serialize + ?Sized>(mut self, query: &T) -> Recipe {
        let mut pairs = self.url.query_pairs_mut();
        let encoded = query
            .serialize(serde_urlencoded::Serializer::new(&mut pairs))
            .map(drop);
        drop(pairs);
        if let Err(e) = encoded {
            self.fail(format!("a query parameter cannot be encoded: {e}"));
        }
        if self.url.query() == Some("") {
            self.url.set_query(None);
        }
        self
    }

    /// The recipe, or what could not be built.
    // The error is the generated code's own type, returned as it expects.
    #[allow(clippy::result_large_err)]
    pub(crate) fn build(self) -> Result<Recipe, BuildError> {
        match self.error {
            Some(message) => Err(progenitor_client::Error::InvalidRequest(message)),
            None => Ok(self),
        }
    }

    fn fail(&mut self, message: String) {
        self.error.get_or_insert(message);
    }

    pub(crate) fn method(&self) -> &Method {
        &self.method
    }

    pub(crate) fn url(&self) -> &Url {
        &self.url
    }

    /// One attempt's request.
    pub(crate) fn request(&self, timeout: Duration) -> Request {
        let mut request = Request::new(self.method.clone(), self.url.clone());
        let headers = request.headers_mut();
        headers.reserve(self.headers.len());
        for (name, value) in &self.headers {
            headers.append(name.clone(), value.clone());
        }
        *request.body_mut() = self.body.clone().map(reqwest::Body::from);
        *request.timeout_mut() = Some(timeout);
        request
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{ACCEPT, AUTHORIZATION};

    fn recipe() -> Recipe {
        Recipe::new(
            Method::POST,
            Url::parse("http://127.0.0.1:1/v1/qurls").expect("a URL"),
        )
    }

    fn wire(request: &Request) -> Vec<(String, String)> {
        request
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("?").to_owned()))
            .collect()
    }

    /// Each attempt is the request reqwest's builder makes from the same calls.
    #[test]
    fn a_request_is_what_the_same_builder_calls_make() {
        #[derive(Serialize)]
        struct Body {
            target_url: &'static str,
        }
        let mut extra = HeaderMap::new();
        extra.insert("api-version", HeaderValue::from_static("2026-01"));
        extra.append("x-two", HeaderValue::from_static("a"));
        extra.append("x-two", HeaderValue::from_static("b"));
        let query = [("limit", "5"), ("q", "a b&c")];
        let ours = recipe()
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .json(&Body {
                target_url: "https://x",
            })
            .query(&query)
            .headers(extra.clone())
            .build()
            .expect("built")
            .request(Duration::from_secs(7));
        let theirs = reqwest::Client::new()
            .post("http://127.0.0.1:1/v1/qurls")
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .json(&Body {
                target_url: "https://x",
            })
            .query(&query)
            .headers(extra)
            .timeout(Duration::from_secs(7))
            .build()
            .expect("built");
        assert_eq!(ours.method(), theirs.method());
        assert_eq!(ours.url(), theirs.url());
        assert_eq!(wire(&ours), wire(&theirs));
        assert_eq!(ours.timeout(), theirs.timeout());
        let bytes = |r: &Request| r.body().and_then(|b| b.as_bytes()).map(<[u8]>::to_vec);
        assert_eq!(bytes(&ours), bytes(&theirs));
    }

    #[test]
    fn headers_replace_by_name_and_set_replaces() {
        let mut map = HeaderMap::new();
        map.insert(ACCEPT, HeaderValue::from_static("text/plain"));
        let mut r = recipe()
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(AUTHORIZATION, HeaderValue::from_static("old"))
            .headers(map);
        r.set(AUTHORIZATION, HeaderValue::from_static("new"));
        let request = r.request(Duration::from_secs(1));
        assert_eq!(
            wire(&request),
            [
                ("accept".to_owned(), "text/plain".to_owned()),
                ("authorization".to_owned(), "new".to_owned()),
            ]
        );
    }

    #[test]
    fn an_empty_query_leaves_no_question_mark_and_a_bad_body_is_an_error() {
        let empty: [(&str, &str); 0] = [];
        let r = recipe().query(&empty);
        assert_eq!(r.url().as_str(), "http://127.0.0.1:1/v1/qurls");
        let mut bad = std::collections::BTreeMap::new();
        bad.insert(vec![1u8], 1);
        let err = recipe().json(&bad).build().err().expect("refused");
        assert!(err.to_string().contains("JSON"), "{err}");
    }

    /// Every attempt gets the same bytes, and the recipe keeps them.
    #[test]
    fn every_attempt_carries_the_same_body() {
        let r = recipe().json(&[1, 2, 3]);
        let one = r.request(Duration::from_secs(1));
        let two = r.request(Duration::from_secs(2));
        assert_eq!(one.body().and_then(|b| b.as_bytes()), Some(&b"[1,2,3]"[..]));
        assert_eq!(two.body().and_then(|b| b.as_bytes()), Some(&b"[1,2,3]"[..]));
        assert_eq!(two.timeout(), Some(&Duration::from_secs(2)));
    }
}
