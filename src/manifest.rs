//! The operations manifest build.rs emits: one row per operation of the spec.
//!
//! The shim reads each operation's `Idempotency-Key` rule from here, and the
//! API-surface snapshot test renders the table.

/// One operation of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Operation {
    /// Method on [`crate::Client`] (verb + path rule).
    pub method: &'static str,
    /// The `operationId` the published document gives it.
    pub published_operation_id: Option<&'static str>,
    /// Upper-case HTTP verb.
    pub verb: &'static str,
    /// Path template, e.g. `/v1/qurls/{id}`.
    pub path: &'static str,
    /// Path, query and header parameters.
    pub parameters: &'static [Parameter],
    /// The key's length rule, for POST/PUT/PATCH.
    pub idempotency_key: Option<KeyRule>,
    /// Documented 2xx statuses.
    pub success_codes: &'static [&'static str],
    /// Request body type in [`crate::types`], if any.
    pub body_type: Option<&'static str>,
    /// Success type (`()` for body-less answers).
    pub response_type: &'static str,
    /// Error body type.
    pub error_type: &'static str,
}

/// A parameter of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Parameter {
    /// Name on the wire.
    pub name: &'static str,
    /// `path`, `query` or `header`.
    pub location: &'static str,
    /// Whether the spec requires it.
    pub required: bool,
}

/// Length bounds of an operation's `Idempotency-Key`, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct KeyRule {
    /// Shortest accepted key.
    pub min_len: u64,
    /// Longest accepted key.
    pub max_len: u64,
}

include!(concat!(env!("OUT_DIR"), "/manifest.rs"));

/// The row for a generated method name (progenitor's `operation_id`).
pub fn find(method: &str) -> Option<&'static Operation> {
    OPERATIONS
        .binary_search_by(|op| op.method.cmp(method))
        .ok()
        .map(|i| &OPERATIONS[i])
}
