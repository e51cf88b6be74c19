//! Is this outcome worth another attempt, and why.

use bytes::Bytes;
use reqwest::StatusCode;

use super::RetryPolicy;
use crate::transport::Outcome;

/// Why an attempt is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// Never connected: nothing reached the server.
    Connect,
    /// No answer in time: the server may or may not have acted.
    Timeout,
    /// Sent, then the connection closed or reset without a full answer.
    Transport,
    /// Status line and headers arrived, the body was cut off.
    BodyCut,
    /// A retryable status (408, 429, 502, 503, 504 by default).
    Status(u16),
    /// 409 `duplicate_request`: the original attempt is still running.
    InFlight,
}

impl Reason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Reason::Connect => "connect-error",
            Reason::Timeout => "timeout",
            Reason::Transport => "connection-closed",
            Reason::BodyCut => "body-cut-off",
            Reason::Status(_) => "retryable-status",
            Reason::InFlight => "duplicate-request-in-flight",
        }
    }
}

/// `None`: the outcome is final (success, or an error no retry can fix).
pub(crate) fn classify(outcome: &Outcome, policy: &RetryPolicy) -> Option<Reason> {
    match outcome {
        Outcome::Transport(e) if e.is_builder() => None,
        // A certificate the provider refused stays refused.
        Outcome::Transport(e) if crate::tls::is_handshake_refusal(e) => None,
        Outcome::Transport(e) if e.is_connect() => Some(Reason::Connect),
        Outcome::Transport(e) if e.is_timeout() => Some(Reason::Timeout),
        Outcome::Transport(_) => Some(Reason::Transport),
        Outcome::BodyCut { .. } => Some(Reason::BodyCut),
        Outcome::TooLarge { .. } => None,
        Outcome::Response { head, body } => {
            let status = &head.status;
            if policy.retry_statuses.contains(&status.as_u16()) {
                Some(Reason::Status(status.as_u16()))
            } else if *status == StatusCode::CONFLICT
                && policy.retry_in_flight_conflict
                && error_code(body).as_deref() == Some("duplicate_request")
            {
                Some(Reason::InFlight)
            } else {
                None
            }
        }
    }
}

/// `error.code` of a problem body, or a flat `code`; `None` if unreadable.
pub(crate) fn error_code(body: &Bytes) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.pointer("/error/code")
        .or_else(|| v.get("code"))
        .and_then(|c| c.as_str())
        .map(str::to_owned)
}
