//! Resources found or made by what they protect.

use futures::TryStreamExt;

use crate::data::IntoData;
use crate::types::ResourceData;
use crate::{Client, Error};

impl Client {
    /// The resource protecting `url`: the existing one, or a new one.
    ///
    /// One call, `POST /v1/resources` with `type: url`. The API keeps one
    /// URL resource per URL and answers a second create with the resource
    /// it already has (201 either way), so repeating the call is harmless:
    /// unlike a plain `post_resources()` (which declares no
    /// `Idempotency-Key`), this call is retried after any retryable
    /// failure, even one that may have reached the server, and calling it
    /// again for the same URL returns the same resource.
    ///
    /// (`find_or_create: true` is not sent: the API accepts it only for
    /// tunnel resources with a slug, and refuses it with 400 otherwise.)
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = qurl_sandbox::Sandbox::builder().start().await?;
    /// # let client = qurl::Client::builder().api_key("lv_live_docs_0001").base_url(sandbox.base_url()).build()?;
    /// let resource = client.protect_url("https://example.com/dashboards/ops").await?;
    /// let again = client.protect_url("https://example.com/dashboards/ops").await?;
    /// assert_eq!(resource.resource_id, again.resource_id);
    /// # Ok(()) }
    /// ```
    pub async fn protect_url(&self, url: &str) -> Result<ResourceData, Error> {
        // The API's one-resource-per-URL rule makes a replay harmless: say
        // so to the retry loop.
        let replayable =
            self.with_retry_policy(self.retry_policy().clone().assume_idempotent(true));
        replayable
            .post_resources()
            .body_map(|b| b.type_("url").target_url(url))
            .send()
            .await?
            .into_data()
    }

    /// The one resource whose `slug` is `slug` (a connector's tunnel).
    ///
    /// Walks `GET /v1/resources?slug=…` across all its pages (reads only, so
    /// always safe to repeat). None gives [`ErrorKind::NotFound`]; several
    /// give [`ErrorKind::Ambiguous`] with [`Error::match_count`].
    ///
    /// [`ErrorKind::NotFound`]: crate::ErrorKind::NotFound
    /// [`ErrorKind::Ambiguous`]: crate::ErrorKind::Ambiguous
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = qurl_sandbox::Sandbox::builder().start().await?;
    /// # let client = qurl::Client::builder().api_key("lv_live_docs_0001").base_url(sandbox.base_url()).build()?;
    /// # client.post_resources().body_map(|b| b.type_("tunnel").slug("grafana-prod")).send().await?;
    /// match client.connector_resource("grafana-prod").await {
    ///     Ok(resource) => println!("{:?}", resource.resource_id),
    ///     Err(e) if e.kind() == qurl::ErrorKind::NotFound => println!("no connector yet"),
    ///     Err(e) => return Err(e.into()),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn connector_resource(&self, slug: &str) -> Result<ResourceData, Error> {
        const OPERATION: &str = "connector_resource";
        let matching = self
            .get_resources()
            .slug(slug)
            .limit(100)
            .by_item()
            .try_filter(|r| std::future::ready(r.slug.as_deref() == Some(slug)));
        let mut matching = std::pin::pin!(matching);
        let Some(first) = matching.try_next().await? else {
            return Err(Error::not_found(
                OPERATION,
                format!("no resource has slug `{slug}`"),
            ));
        };
        let mut count = 1;
        while matching.try_next().await?.is_some() {
            count += 1;
        }
        if count > 1 {
            return Err(Error::ambiguous(
                OPERATION,
                count,
                format!("{count} resources have slug `{slug}`; expected exactly one"),
            ));
        }
        Ok(first)
    }
}
