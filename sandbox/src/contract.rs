//! Responses checked against the spec the sandbox serves: the status must be one the
//! operation documents (or a 429 / 5xx, which fault injection may add to any
//! operation), and the body must have the media type and match the schema the spec
//! gives that status. The contract test runs every answer of the sandbox through
//! [`check_response`]; it works as well on answers from any other qURL server.
//!
//! ```
//! let body = br#"{"data":{"url":"https://billing.example/x"},"meta":{"request_id":"req_1"}}"#;
//! let op = qurl_sandbox::contract::check_response(
//!     "POST", "/v1/billing/portal", 200, Some("application/json"), body,
//! ).unwrap();
//! assert_eq!(op, "createBillingPortal");
//! ```

use std::fmt;

use axum::http::Method;
use serde_json::Value;

use crate::spec::{Route, spec};

/// One operation of `openapi.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperationInfo {
    /// The spec's `operationId`, e.g. `createQurl`.
    pub id: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// The path template, e.g. `/v1/qurls/{id}`.
    pub path: String,
    /// Documented statuses, ascending.
    pub statuses: Vec<u16>,
}

/// Every operation of the spec, in document order.
pub fn operations() -> Vec<OperationInfo> {
    spec()
        .operations
        .iter()
        .map(|o| OperationInfo {
            id: o.id.clone(),
            method: o.method.to_string(),
            path: o.template.clone(),
            statuses: o.statuses.keys().copied().collect(),
        })
        .collect()
}

/// Why a response breaks the contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContractError {
    /// No operation of the spec serves this method and path.
    UnknownOperation { method: String, path: String },
    /// The operation does not document this status.
    UndocumentedStatus { operation: String, status: u16 },
    /// The `Content-Type` is not the documented media type.
    WrongContentType {
        operation: String,
        status: u16,
        expected: Option<String>,
        found: Option<String>,
    },
    /// The body is not JSON, or is not empty where the spec has no body.
    BadBody {
        operation: String,
        status: u16,
        detail: String,
    },
    /// The body does not match the schema of the status.
    SchemaMismatch {
        operation: String,
        status: u16,
        errors: Vec<String>,
    },
}

impl fmt::Display for ContractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContractError::UnknownOperation { method, path } => {
                write!(f, "{method} {path} is not an operation of openapi.json")
            }
            ContractError::UndocumentedStatus { operation, status } => {
                write!(f, "{operation} does not document status {status}")
            }
            ContractError::WrongContentType {
                operation,
                status,
                expected,
                found,
            } => write!(
                f,
                "{operation} {status}: content type {found:?}, the spec says {expected:?}"
            ),
            ContractError::BadBody {
                operation,
                status,
                detail,
            } => write!(f, "{operation} {status}: {detail}"),
            ContractError::SchemaMismatch {
                operation,
                status,
                errors,
            } => write!(
                f,
                "{operation} {status}: body does not match the schema: {}",
                errors.join("; ")
            ),
        }
    }
}

impl std::error::Error for ContractError {}

/// Media type of the answers fault injection adds to every operation.
const PROBLEM_JSON: &str = "application/problem+json";

/// Checks one response; on success returns the `operationId` it belongs to.
pub fn check_response(
    method: &str,
    path: &str,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<String, ContractError> {
    let unknown = || ContractError::UnknownOperation {
        method: method.to_owned(),
        path: path.to_owned(),
    };
    let method: Method = method.parse().map_err(|_| unknown())?;
    let Route::Found(op, _) = spec().route(&method, path) else {
        return Err(unknown());
    };
    let operation = op.id.clone();
    let injected = status == 429 || status >= 500;
    let expected = match op.statuses.get(&status) {
        Some(media) => media.clone(),
        None if injected => Some(PROBLEM_JSON.to_owned()),
        None => return Err(ContractError::UndocumentedStatus { operation, status }),
    };
    let found = content_type.map(|c| c.split(';').next().unwrap_or_default().trim().to_owned());
    let Some(expected) = expected else {
        if !body.is_empty() {
            let detail = "the spec documents no body, but one was sent".to_owned();
            return Err(ContractError::BadBody {
                operation,
                status,
                detail,
            });
        }
        return Ok(operation);
    };
    if found.as_deref() != Some(expected.as_str()) {
        return Err(ContractError::WrongContentType {
            operation,
            status,
            expected: Some(expected),
            found,
        });
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| ContractError::BadBody {
        operation: operation.clone(),
        status,
        detail: format!("body is not JSON: {e}"),
    })?;
    let pointer = if op.documents(status) {
        op.response_pointer(status)
    } else {
        "#/components/schemas/ErrorEnvelope".to_owned()
    };
    if let Some(validator) = spec().validator(&pointer) {
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{} at `{}`", e, e.instance_path()))
            .collect();
        if !errors.is_empty() {
            return Err(ContractError::SchemaMismatch {
                operation,
                status,
                errors,
            });
        }
    }
    Ok(operation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_of_the_spec() {
        let spec = include_str!("../openapi.json");
        assert_eq!(operations().len(), crate::spec::operations_in(spec));
    }

    #[test]
    fn undocumented_statuses_and_shapes_are_caught() {
        let err = check_response("DELETE", "/v1/api-keys/x", 400, Some(PROBLEM_JSON), b"{}");
        assert!(matches!(err, Err(ContractError::UndocumentedStatus { .. })));
        let body = br#"{"data":{"url":5},"meta":{"request_id":"r"}}"#;
        let err = check_response(
            "POST",
            "/v1/billing/portal",
            200,
            Some("application/json"),
            body,
        );
        assert!(
            matches!(err, Err(ContractError::SchemaMismatch { .. })),
            "{err:?}"
        );
        let err = check_response("DELETE", "/v1/api-keys/x", 204, None, b"x");
        assert!(matches!(err, Err(ContractError::BadBody { .. })));
        let injected = br#"{"error":{"type":"https://p.example/x","title":"t","status":503,"code":"x"},"meta":{"request_id":"r"}}"#;
        let ok = check_response(
            "GET",
            "/v1/webhooks/events",
            503,
            Some(PROBLEM_JSON),
            injected,
        );
        assert!(ok.is_ok(), "{ok:?}");
        let wrong = br#"{"error":{"type":"https://p.example/x"},"meta":{"request_id":"r"}}"#;
        let err = check_response("GET", "/v1/webhooks/events", 503, Some(PROBLEM_JSON), wrong);
        assert!(
            err.is_err(),
            "injected answers are checked against ErrorEnvelope"
        );
    }
}
