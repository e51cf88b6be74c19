//! Plain values for body builders: what a generated setter accepts where
//! progenitor alone would want a typed wrapper.

use chrono::{DateTime, Utc};

/// A timestamp for a `date-time` field: a `DateTime<Utc>`, or an RFC 3339
/// string such as `"2026-12-01T09:00:00Z"` (any offset; kept as UTC).
///
/// ```no_run
/// # async fn demo(client: qurl::Client) -> Result<(), qurl::Error> {
/// client
///     .post_qurls_id_mint_link()
///     .id("q_123")
///     .body_map(|b| b.expires_at("2026-12-01T09:00:00Z"))
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
pub trait Timestamp {
    /// The value as UTC, or why it is not a timestamp.
    fn into_timestamp(self) -> Result<DateTime<Utc>, String>;
}

impl Timestamp for DateTime<Utc> {
    fn into_timestamp(self) -> Result<DateTime<Utc>, String> {
        Ok(self)
    }
}

impl Timestamp for &str {
    fn into_timestamp(self) -> Result<DateTime<Utc>, String> {
        DateTime::parse_from_rfc3339(self)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| {
                format!(
                    "{self:?} is not an RFC 3339 timestamp ({e}); write e.g. 2026-12-01T09:00:00Z"
                )
            })
    }
}

impl Timestamp for String {
    fn into_timestamp(self) -> Result<DateTime<Utc>, String> {
        self.as_str().into_timestamp()
    }
}

impl Timestamp for &String {
    fn into_timestamp(self) -> Result<DateTime<Utc>, String> {
        self.as_str().into_timestamp()
    }
}
