//! Plain values for body builders: what a generated setter accepts where
//! progenitor alone would want a typed wrapper.

use chrono::{DateTime, Utc};

/// A timestamp for a `date-time` field: a `DateTime<Utc>`, or an RFC 3339
/// string such as `"2026-12-01T09:00:00Z"` (any offset; kept as UTC).
///
/// ```
/// use qurl::prelude::*;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let sandbox = qurl_sandbox::Sandbox::builder().start().await?;
/// # let client = qurl::Client::builder().api_key("lv_live_docs_owner_0001").base_url(sandbox.base_url()).build()?;
/// # let qurl_id = client.post_qurls().body_map(|b| b.target_url("https://example.com")).send().await?.into_data()?.qurl_id.unwrap_or_default();
/// client
///     .post_qurls_id_mint_link()
///     .id(&qurl_id)
///     .body_map(|b| b.expires_at(chrono::Utc::now() + chrono::Duration::days(1)))
///     .send()
///     .await?;
/// // An RFC 3339 string such as "2026-12-01T09:00:00Z" (the API wants it within 30 days).
/// let soon = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
/// client
///     .post_qurls_id_mint_link()
///     .id(&qurl_id)
///     .body_map(|b| b.expires_at(soon.as_str()))
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
