//! `into_data()`: the payload of a `{data, meta}` answer in one step.

use progenitor_client::ResponseValue;
use reqwest::header::HeaderMap;

use crate::Error;
use crate::idempotency::IDEMPOTENCY_KEY_HEADER;

/// An answer body of the API's `{data, meta}` shape (implemented, by the
/// generator, for every success type that has one).
pub trait Envelope {
    /// What `data` holds.
    type Data;
    /// The type's name, for errors.
    const NAME: &'static str;
    /// `data` (if present) and `meta.request_id` (if present).
    fn into_parts(self) -> (Option<Self::Data>, Option<String>);
}

/// `into_data()` on a successful answer: its payload, or an error when the
/// API answered 2xx without one.
///
/// The error ([`ErrorKind::UnexpectedResponse`](crate::ErrorKind)) carries
/// the status, the headers and the request id, and for a mutating call the
/// `Idempotency-Key` it was sent with (every mutating call's answer carries
/// that header; the client adds it when the server does not echo it), so the
/// call can be resumed without acting twice.
///
/// ```
/// use qurl::prelude::*;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let sandbox = qurl_sandbox::Sandbox::builder().start().await?;
/// # let client = qurl::Client::builder().api_key("lv_live_docs_0001").base_url(sandbox.base_url()).build()?;
/// let created = client
///     .post_qurls()
///     .body_map(|b| b.target_url("https://example.com/report").expires_in("24h"))
///     .send()
///     .await?
///     .into_data()?;
/// println!("{:?} {:?}", created.qurl_id, created.expires_at);
/// # assert!(created.qurl_id.is_some());
/// # Ok(()) }
/// ```
pub trait IntoData {
    /// The payload type.
    type Data;
    /// The payload, or [`ErrorKind::UnexpectedResponse`](crate::ErrorKind)
    /// when the answer has none.
    fn into_data(self) -> Result<Self::Data, Error>;
}

impl<T: Envelope> IntoData for ResponseValue<T> {
    type Data = T::Data;

    fn into_data(self) -> Result<T::Data, Error> {
        let status = self.status();
        let headers = self.headers().clone();
        let (data, request_id) = self.into_inner().into_parts();
        data.ok_or_else(|| missing_data(T::NAME, status, headers, request_id))
    }
}

fn missing_data(
    name: &'static str,
    status: reqwest::StatusCode,
    headers: HeaderMap,
    request_id: Option<String>,
) -> Error {
    let key = headers
        .get(IDEMPOTENCY_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut message = format!("{status} answer ({name}) has no `data`");
    if let Some(id) = &request_id {
        message.push_str(&format!(" [request {id}]"));
    }
    Error::unexpected(name, message)
        .with_answer(status, headers)
        .with_resume_key(key)
}
