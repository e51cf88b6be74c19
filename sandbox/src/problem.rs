//! RFC 7807 problems, nested under `error` as the qURL API does.

use std::collections::BTreeMap;

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderName, StatusCode};

use crate::reply::Reply;
use crate::shapes::{
    Error, ErrorEnvelope, Meta, TombstoneInfo, ValidationError, ValidationErrorEnvelope,
};

/// Field name -> message, for `invalid_fields`.
pub(crate) type FieldErrors = BTreeMap<String, String>;

/// An error answer before it is tied to a request path and id.
#[derive(Clone, Debug)]
pub(crate) struct Problem {
    pub status: StatusCode,
    pub code: String,
    pub detail: String,
    pub invalid_fields: Option<FieldErrors>,
    pub headers: Vec<(HeaderName, String)>,
    /// `meta.tombstone` of a 410 for a deleted resource.
    pub tombstone: Option<Box<TombstoneInfo>>,
}

impl Problem {
    pub(crate) fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Problem {
            status,
            code: code.to_owned(),
            detail: detail.into(),
            invalid_fields: None,
            headers: Vec::new(),
            tombstone: None,
        }
    }

    pub(crate) fn invalid_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", detail)
    }

    /// 400 `validation_error` with the per-field messages.
    pub(crate) fn validation(fields: FieldErrors) -> Self {
        Self::fields(
            StatusCode::BAD_REQUEST,
            "validation_error",
            "One or more fields are invalid",
            fields,
        )
    }

    /// A 400 with another code that still lists the offending fields.
    pub(crate) fn fields(
        status: StatusCode,
        code: &str,
        detail: &str,
        fields: FieldErrors,
    ) -> Self {
        let mut p = Self::new(status, code, detail);
        p.invalid_fields = Some(fields);
        p
    }

    /// 400 `code` naming one field.
    pub(crate) fn field(code: &str, field: &str, message: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.insert(field.to_owned(), message.into());
        Self::fields(
            StatusCode::BAD_REQUEST,
            code,
            "One or more fields are invalid",
            fields,
        )
    }

    pub(crate) fn conflict(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    pub(crate) fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    pub(crate) fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "Missing or invalid bearer token (the sandbox accepts any `Bearer lv_...` token)",
        )
    }

    pub(crate) fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub(crate) fn with_retry_after(self, secs: u64) -> Self {
        self.with_header(RETRY_AFTER, secs.to_string())
    }

    /// Renders the problem for the request at `instance`: an `ErrorEnvelope`,
    /// or a `ValidationErrorEnvelope` when it names fields.
    pub(crate) fn into_reply(self, instance: &str, request_id: &str) -> Reply {
        let meta = Some(Meta {
            request_id: request_id.to_owned(),
            tombstone: self.tombstone.map(|t| *t),
        });
        let error = Error {
            type_: format!("https://api.qurl.link/problems/{}", self.code),
            title: title(&self.code),
            status: i64::from(self.status.as_u16()),
            detail: Some(self.detail),
            instance: Some(instance.to_owned()),
            code: self.code,
        };
        let mut reply = match self.invalid_fields {
            None => Reply::typed(
                self.status,
                PROBLEM_JSON,
                &ErrorEnvelope {
                    error: Some(error),
                    meta,
                },
            ),
            Some(fields) => Reply::typed(
                self.status,
                PROBLEM_JSON,
                &ValidationErrorEnvelope {
                    error: Some(with_fields(error, fields)),
                    meta,
                },
            ),
        };
        for (name, value) in self.headers {
            reply = reply.header(name, &value);
        }
        reply
    }
}

const PROBLEM_JSON: &str = "application/problem+json";

/// `ValidationError` is `Error` plus the per-field messages.
fn with_fields(e: Error, fields: FieldErrors) -> ValidationError {
    ValidationError {
        type_: e.type_,
        title: e.title,
        status: e.status,
        detail: e.detail,
        instance: e.instance,
        code: e.code,
        invalid_fields: Some(fields),
    }
}

/// Short, stable titles per code; unknown codes get a title derived from the code.
fn title(code: &str) -> String {
    let known = match code {
        "invalid_request" => "Invalid Request",
        "validation_error" => "Validation Error",
        "invalid_token" => "Invalid Token",
        "not_found" => "Resource Not Found",
        "rate_limit_exceeded" => "Rate Limit Exceeded",
        "service_unavailable" => "Service Unavailable",
        "internal_error" => "Internal Server Error",
        "not_implemented" => "Not Implemented",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_owned();
    }
    code.split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn envelope_shape() {
        let mut fields = FieldErrors::new();
        fields.insert("target_url".into(), "is required".into());
        let reply = Problem::validation(fields).into_reply("/v1/qurls", "req_1");
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        let v: Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(v["error"]["code"], "validation_error");
        assert_eq!(
            v["error"]["type"],
            "https://api.qurl.link/problems/validation_error"
        );
        assert_eq!(v["error"]["instance"], "/v1/qurls");
        assert_eq!(v["error"]["invalid_fields"]["target_url"], "is required");
        assert_eq!(v["meta"]["request_id"], "req_1");
    }

    #[test]
    fn derived_titles() {
        assert_eq!(title("duplicate_request"), "Duplicate Request");
        assert_eq!(title("alias_in_use"), "Alias In Use");
    }
}
