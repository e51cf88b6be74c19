//! Telling a replayed answer from a fresh one.

use progenitor_client::ResponseValue;
use reqwest::header::HeaderMap;

/// `was_replayed()`: the server answered from its idempotency store, so this
/// call found the result of an earlier attempt instead of acting again.
///
/// ```
/// use qurl::WasReplayed;
/// # async fn demo(client: qurl::Client, body: qurl::types::CreateQurlRequest) -> Result<(), Box<dyn std::error::Error>> {
/// let created = client.post_qurls().body(body).send().await?;
/// if created.was_replayed() {
///     println!("an earlier attempt already created it");
/// }
/// # Ok(()) }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let sandbox = qurl_sandbox::Sandbox::builder().start().await?;
/// # let client = qurl::Client::builder().api_key("lv_live_docs_owner_0001").base_url(sandbox.base_url()).build()?;
/// # demo(client, serde_json::from_value(serde_json::json!({"target_url": "https://example.com"}))?).await?; Ok(()) }
/// ```
pub trait WasReplayed {
    /// `true` when `Idempotency-Replayed: true` (qURL) or `Idempotent-Replayed: true` (Stripe style) came back.
    fn was_replayed(&self) -> bool;
}

pub(crate) fn headers_say_replayed(headers: &HeaderMap) -> bool {
    ["idempotency-replayed", "idempotent-replayed"]
        .iter()
        .any(|name| {
            headers.get_all(*name).iter().any(|v| {
                v.to_str()
                    .is_ok_and(|s| s.trim().eq_ignore_ascii_case("true"))
            })
        })
}

impl<T> WasReplayed for ResponseValue<T> {
    fn was_replayed(&self) -> bool {
        headers_say_replayed(self.headers())
    }
}
