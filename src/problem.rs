//! Error bodies: whatever a server or a proxy sends with a 4xx/5xx becomes
//! the documented problem envelope, and [`crate::Error::problem`] reads it.
//!
//! Real error bodies are not always the documented shape: legacy
//! `{"error": {"code", "message"}}`, problem fields at the top level, an empty
//! body, or an HTML page from a proxy. The transport rewrites those (and only
//! those) into `{"error": {type, title, status, code, detail}, "meta": {...}}`
//! so the typed error always decodes, with the status and whatever could be read.

use std::collections::BTreeMap;

use bytes::Bytes;
use reqwest::StatusCode;
use serde_json::{Map, Value, json};

/// Longest piece of a non-JSON body kept in `detail`.
const SNIPPET_CHARS: usize = 200;

/// Bring an error body into the documented envelope. Bodies that already
/// match, and success-shaped bodies (`data` without `error`, as batch
/// create's 400), come back untouched.
pub(crate) fn normalise_error_body(status: StatusCode, body: Bytes) -> Bytes {
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let rewritten = match parsed {
        Some(Value::Object(obj)) => normalise_object(status, obj),
        _ => Some(synthesised(status, &body)),
    };
    match rewritten {
        Some(v) => Bytes::from(serde_json::to_vec(&v).unwrap_or_default()),
        None => body,
    }
}

/// `None` when the object needs no change.
fn normalise_object(status: StatusCode, mut obj: Map<String, Value>) -> Option<Value> {
    const PROBLEM_FIELDS: [&str; 7] = [
        "type", "title", "status", "code", "detail", "message", "instance",
    ];
    let mut changed = false;
    let mut error = match obj.remove("error") {
        Some(Value::Object(e)) => e,
        Some(Value::String(text)) => {
            changed = true;
            Map::from_iter([("detail".to_owned(), Value::String(text))])
        }
        Some(other) => {
            // An unexpected `error` value: keep it readable in `detail`.
            changed = true;
            Map::from_iter([("detail".to_owned(), Value::String(other.to_string()))])
        }
        None if obj.contains_key("data") => return None,
        None => {
            // Flat problem fields (or none at all): move them under `error`.
            changed = true;
            let mut e = Map::new();
            for field in PROBLEM_FIELDS.iter().chain(&["invalid_fields"]) {
                if let Some(v) = obj.remove(*field) {
                    e.insert((*field).to_owned(), v);
                }
            }
            if e.is_empty() {
                e.insert(
                    "detail".into(),
                    Value::String(snippet(Value::Object(obj.clone()).to_string().as_bytes())),
                );
            }
            e
        }
    };
    changed |= fill_required(status, &mut error);
    let meta = match obj.remove("meta") {
        Some(Value::Object(mut m)) => {
            if !m.get("request_id").is_some_and(Value::is_string) {
                changed = true;
                m.insert("request_id".into(), Value::String(String::new()));
            }
            m
        }
        Some(_) => {
            changed = true;
            Map::from_iter([("request_id".to_owned(), Value::String(String::new()))])
        }
        None => {
            let id = obj
                .remove("request_id")
                .and_then(|v| v.as_str().map(str::to_owned));
            changed = true;
            Map::from_iter([(
                "request_id".to_owned(),
                Value::String(id.unwrap_or_default()),
            )])
        }
    };
    if !changed {
        return None;
    }
    obj.insert("error".into(), Value::Object(error));
    obj.insert("meta".into(), Value::Object(meta));
    Some(Value::Object(obj))
}

/// Whether a field's value is acceptable as it is.
type FieldCheck = fn(&Value) -> bool;

/// Fill the fields the envelope requires; `true` if anything changed.
fn fill_required(status: StatusCode, error: &mut Map<String, Value>) -> bool {
    let mut changed = false;
    let required: [(&str, Value, FieldCheck); 4] = [
        ("status", json!(status.as_u16()), Value::is_u64),
        ("title", json!(reason(status)), Value::is_string),
        ("type", json!("about:blank"), Value::is_string),
        ("code", json!("unknown"), |v| {
            v.as_str().is_some_and(|s| !s.is_empty())
        }),
    ];
    for (key, value, ok) in required {
        if !error.get(key).is_some_and(ok) {
            error.insert(key.to_owned(), value);
            changed = true;
        }
    }
    if !error.contains_key("detail")
        && let Some(message) = error
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned)
    {
        error.insert("detail".into(), Value::String(message));
        changed = true;
    }
    for optional in ["detail", "instance"] {
        if error.get(optional).is_some_and(|v| !v.is_string()) {
            let text = error[optional].to_string();
            error.insert(optional.to_owned(), Value::String(text));
            changed = true;
        }
    }
    match error.get_mut("invalid_fields") {
        Some(Value::Object(fields)) => {
            // Field messages must be strings to decode; keep others readable.
            for v in fields.values_mut().filter(|v| !v.is_string()) {
                *v = Value::String(v.to_string());
                changed = true;
            }
        }
        Some(_) => {
            error.remove("invalid_fields");
            changed = true;
        }
        None => {}
    }
    changed
}

fn synthesised(status: StatusCode, body: &[u8]) -> Value {
    let detail = if body.iter().all(u8::is_ascii_whitespace) {
        "the server sent no body".to_owned()
    } else {
        format!(
            "the server sent a body that is not a JSON problem: {}",
            snippet(body)
        )
    };
    json!({
        "error": {"type": "about:blank", "title": reason(status), "status": status.as_u16(), "code": "unknown", "detail": detail},
        "meta": {"request_id": ""},
    })
}

fn reason(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Error")
}

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = collapsed.chars().take(SNIPPET_CHARS).collect();
    if collapsed.chars().count() > SNIPPET_CHARS {
        out.push('…');
    }
    out
}

/// The problem details of an error answer, read once when the error is made.
///
/// ```
/// # async fn demo(client: qurl::Client) {
/// if let Err(err) = client.post_qurls().body_map(|b| b.target_url("not a url")).send().await
///     && let Some(p) = err.problem()
/// {
///     println!("{} {}: {:?}", p.status, p.code, p.detail);
///     for (field, message) in &p.invalid_fields {
///         println!("  {field}: {message}");
///     }
/// }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let sandbox = qurl_sandbox::Sandbox::builder().start().await?;
/// # let client = qurl::Client::builder().api_key("lv_live_docs_owner_0001").base_url(sandbox.base_url()).build()?;
/// # demo(client).await; Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Problem {
    /// HTTP status of the response.
    pub status: u16,
    /// Machine-readable code to branch on (`unknown` when the server gave none).
    pub code: String,
    /// Short summary.
    pub title: String,
    /// Human-readable explanation (may change; don't branch on it).
    pub detail: Option<String>,
    /// Problem type URI.
    pub problem_type: String,
    /// The request path it concerns, if sent.
    pub instance: Option<String>,
    /// The server's id of the request, for support.
    pub request_id: Option<String>,
    /// Message per rejected field (validation errors).
    pub invalid_fields: BTreeMap<String, String>,
}

impl Problem {
    /// Read once from the decoded error body; the transport has already
    /// filled what the envelope requires, so defaults are a last resort.
    pub(crate) fn from_body(status: StatusCode, body: &crate::types::ApiErrorBody) -> Self {
        let error = body.error.as_ref();
        let text = |f: fn(&crate::types::ApiErrorBodyError) -> &Option<String>| {
            error.and_then(|e| f(e).clone())
        };
        Problem {
            status: status.as_u16(),
            code: text(|e| &e.code).unwrap_or_else(|| "unknown".into()),
            title: text(|e| &e.title).unwrap_or_default(),
            detail: text(|e| &e.detail),
            problem_type: text(|e| &e.type_).unwrap_or_default(),
            instance: text(|e| &e.instance),
            request_id: body
                .meta
                .as_ref()
                .and_then(|m| m.request_id.clone())
                .filter(|s| !s.is_empty()),
            invalid_fields: error
                .map(|e| e.invalid_fields.clone().into_iter().collect())
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(status: u16, body: &str) -> Value {
        let out = normalise_error_body(
            StatusCode::from_u16(status).unwrap(),
            Bytes::from(body.to_owned()),
        );
        serde_json::from_slice(&out).unwrap()
    }

    use proptest::prelude::*;

    fn body() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..200),
            "[ -~]{0,120}".prop_map(String::into_bytes),
            // JSON-ish bodies built from problem fields in odd shapes.
            (
                proptest::option::of(prop_oneof![
                    Just("{}".to_owned()),
                    Just("\"x\"".to_owned()),
                    Just("7".to_owned()),
                    Just("{\"code\":\"c\",\"message\":\"m\"}".to_owned())
                ]),
                proptest::option::of("[a-z_]{0,12}"),
                proptest::option::of(any::<i32>()),
                proptest::option::of(prop_oneof![
                    Just("{}".to_owned()),
                    Just("[]".to_owned()),
                    Just("{\"request_id\":1}".to_owned())
                ]),
            )
                .prop_map(|(error, code, status, meta)| {
                    let mut parts = Vec::new();
                    if let Some(e) = error {
                        parts.push(format!("\"error\":{e}"));
                    }
                    if let Some(c) = code {
                        parts.push(format!("\"code\":\"{c}\""));
                    }
                    if let Some(s) = status {
                        parts.push(format!("\"status\":{s}"));
                    }
                    if let Some(m) = meta {
                        parts.push(format!("\"meta\":{m}"));
                    }
                    format!("{{{}}}", parts.join(",")).into_bytes()
                }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        /// Any error body becomes one the generated envelope type decodes,
        /// keeping the real status; nothing panics.
        #[test]
        fn every_error_body_decodes_as_the_envelope(status in 400u16..600, raw in body()) {
            let status = StatusCode::from_u16(status).unwrap();
            let out = normalise_error_body(status, Bytes::from(raw));
            let v: Value = serde_json::from_slice(&out).expect("JSON out");
            if v.get("data").is_some() && v.get("error").is_none() {
                return Ok(()); // success-shaped (batch) bodies pass through
            }
            let typed: crate::types::ApiErrorBody = serde_json::from_value(v).expect("decodes");
            let error = typed.error.expect("error present");
            prop_assert!(!error.code.unwrap_or_default().is_empty());
        }
    }

    #[test]
    fn documented_envelopes_are_untouched() {
        let body = r#"{"error":{"type":"t","title":"T","status":404,"code":"not_found"},"meta":{"request_id":"r"}}"#;
        let out = normalise_error_body(StatusCode::NOT_FOUND, Bytes::from(body));
        assert_eq!(out, Bytes::from(body));
        let batch = r#"{"data":{"succeeded":0,"failed":1},"meta":{"request_id":"r"}}"#;
        assert_eq!(
            normalise_error_body(StatusCode::BAD_REQUEST, Bytes::from(batch)),
            Bytes::from(batch)
        );
    }

    #[test]
    fn legacy_flat_empty_and_html_bodies_become_problems() {
        let legacy = norm(
            409,
            r#"{"error":{"code":"alias_in_use","message":"taken"}}"#,
        );
        assert_eq!(legacy["error"]["code"], "alias_in_use");
        assert_eq!(legacy["error"]["detail"], "taken");
        assert_eq!(legacy["error"]["status"], 409);
        let flat = norm(
            429,
            r#"{"title":"Too Many","status":429,"code":"rate_limited","request_id":"req_7"}"#,
        );
        assert_eq!(flat["error"]["code"], "rate_limited");
        assert_eq!(flat["meta"]["request_id"], "req_7");
        let empty = norm(502, "");
        assert_eq!(empty["error"]["code"], "unknown");
        assert_eq!(empty["error"]["title"], "Bad Gateway");
        let html = norm(
            503,
            "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
        );
        assert!(
            html["error"]["detail"]
                .as_str()
                .unwrap()
                .contains("503 Service Temporarily Unavailable")
        );
        let weird = norm(500, r#"{"error": 42}"#);
        assert_eq!(weird["error"]["detail"], "42");
        let list = norm(500, "[1,2]");
        assert_eq!(list["error"]["status"], 500);
    }
}
