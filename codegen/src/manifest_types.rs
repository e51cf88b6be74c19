// The operations manifest's types, declared once: the generator builds rows
// of them, and the `qurl` crate includes this same file (build.rs copies it
// into OUT_DIR) for the static table it is given.

/// One operation of the spec.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Operation {
    /// Method on the client (verb + path rule).
    pub method: ::std::borrow::Cow<'static, str>,
    /// The `operationId` the published document gives it.
    pub published_operation_id: Option<::std::borrow::Cow<'static, str>>,
    /// Upper-case HTTP verb.
    pub verb: ::std::borrow::Cow<'static, str>,
    /// Path template, e.g. `/v1/qurls/{id}`.
    pub path: ::std::borrow::Cow<'static, str>,
    /// Path, query and header parameters.
    pub parameters: ::std::borrow::Cow<'static, [Parameter]>,
    /// The key's length rule, for POST/PUT/PATCH (all of them carry a key).
    pub idempotency_key: Option<KeyRule>,
    /// Whether, and how, a retry of this call is safe.
    pub replay: Replay,
    /// Documented 2xx statuses.
    pub success_codes: ::std::borrow::Cow<'static, [::std::borrow::Cow<'static, str>]>,
    /// Request body type in `types`, if any.
    pub body_type: Option<::std::borrow::Cow<'static, str>>,
    /// Success type (`()` for body-less answers).
    pub response_type: ::std::borrow::Cow<'static, str>,
}

/// A parameter of an operation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Parameter {
    /// Name on the wire.
    pub name: ::std::borrow::Cow<'static, str>,
    /// `path`, `query` or `header`.
    pub location: ::std::borrow::Cow<'static, str>,
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

/// Replay class: what the spec says about repeating a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[non_exhaustive]
pub enum Replay {
    /// GET, HEAD, DELETE, OPTIONS: repeating changes nothing more.
    Safe,
    /// POST/PUT/PATCH whose spec declares `Idempotency-Key`: the API answers a
    /// repeated key with the first answer, so a retry with the key is safe.
    Keyed,
    /// POST/PUT/PATCH the spec marks `x-qurl-idempotent: true`: idempotent by
    /// nature, replayed like a keyed call.
    Idempotent,
    /// POST/PUT/PATCH without a declared key: a retry could act twice, so it
    /// is retried only when the request provably never reached the server.
    Unkeyed,
}

impl Replay {
    /// Whether a request that may have reached the server can be sent again.
    pub fn replayable(self) -> bool {
        !matches!(self, Replay::Unkeyed)
    }
}
