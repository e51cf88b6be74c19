//! Sharing a link (a "portal") and entering one.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::data::IntoData;
use crate::types::{ResolveQurlData, builder};
use crate::{Client, Error};

/// Options of a new link: lifetime, label, one-time use, session limits.
/// Unset options take the API's defaults. Values are checked against the
/// spec when the call is made, naming the field, before anything is sent.
///
/// ```
/// let options = qurl::tasks::PortalOptions::new()
///     .expires_in("24h")
///     .label("Q3 report")
///     .one_time_use(true)
///     .max_sessions(3)
///     .session_duration("1h");
/// # let _ = options;
/// ```
#[derive(Clone, Debug, Default)]
#[must_use = "options do nothing until passed to create_portal"]
pub struct PortalOptions {
    expires_in: Option<String>,
    label: Option<String>,
    one_time_use: Option<bool>,
    max_sessions: Option<u32>,
    session_duration: Option<String>,
    idempotency_key: Option<String>,
}

impl PortalOptions {
    /// The API's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// How long the link works, as the API's duration syntax (`"30m"`, `"24h"`, `"7d"`).
    pub fn expires_in(mut self, lifetime: impl Into<String>) -> Self {
        self.expires_in = Some(lifetime.into());
        self
    }

    /// A label for your own records.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Whether the link stops working after its first use.
    pub fn one_time_use(mut self, on: bool) -> Self {
        self.one_time_use = Some(on);
        self
    }

    /// How many sessions the link may open (0: no limit).
    pub fn max_sessions(mut self, n: u32) -> Self {
        self.max_sessions = Some(n);
        self
    }

    /// How long each session lasts (`"15m"`, `"1h"`).
    pub fn session_duration(mut self, duration: impl Into<String>) -> Self {
        self.session_duration = Some(duration.into());
        self
    }

    /// The `Idempotency-Key` of the create call, instead of a new one: a
    /// job that stored it (or derived it with [`crate::IdempotencyKey::derive`])
    /// resends it after a restart and gets the same link back.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }
}

/// Set every option that is set on a body builder (both create bodies have
/// these fields under the same names).
macro_rules! apply_options {
    ($o:expr, $body:expr) => {{
        let o = $o;
        let mut b = $body;
        if let Some(v) = o.expires_in {
            b = b.expires_in(v);
        }
        if let Some(v) = o.label {
            b = b.label(v);
        }
        if let Some(v) = o.one_time_use {
            b = b.one_time_use(v);
        }
        if let Some(v) = o.max_sessions {
            b = b.max_sessions(v);
        }
        if let Some(v) = o.session_duration {
            b = b.session_duration(v);
        }
        b
    }};
}

/// A new access link. The link is a bearer secret: hand it to the person
/// who should get in; it is shown masked in `Debug`.
#[derive(Clone)]
pub struct Portal {
    /// The qURL (access token record) behind the link.
    pub qurl_id: String,
    /// The resource the link opens.
    pub resource_id: Option<String>,
    /// The access link (`https://qurl.link/#at_…`); returned only once.
    pub link: String,
    /// When the link stops working.
    pub expires_at: Option<DateTime<Utc>>,
}

impl fmt::Debug for Portal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Portal")
            .field("qurl_id", &self.qurl_id)
            .field("resource_id", &self.resource_id)
            .field("link", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A portal from the created qURL's payload; both the id and the link are
/// required (the key is kept so the call can be resumed if they are not).
fn portal(
    operation: &'static str,
    qurl_id: Option<String>,
    resource_id: Option<String>,
    link: Option<String>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<Portal, Error> {
    match (qurl_id, link) {
        (Some(qurl_id), Some(link)) if !qurl_id.is_empty() && !link.is_empty() => Ok(Portal {
            qurl_id,
            resource_id,
            link,
            expires_at,
        }),
        _ => Err(Error::unexpected(
            operation,
            "the created qURL came back without its id or link",
        )),
    }
}

/// The access token in a link: its fragment (`https://qurl.link/#at_…`),
/// or the last path segment of an older link (`https://qurl.link/at_…`).
/// Never echoes the link in the error: it is a secret.
pub(crate) fn access_token(link: &str) -> Result<&str, Error> {
    let refuse = || {
        Error::invalid_request(
            "enter_portal",
            "the link holds no access token (expected `https://qurl.link/#at_…`); the link is not shown because it is a secret",
            None,
        )
    };
    let link = link.trim();
    let token = match link.split_once('#') {
        Some((_, fragment)) => fragment,
        None => link
            .split(['?'])
            .next()
            .and_then(|l| l.rsplit('/').next())
            .unwrap_or_default(),
    };
    if token.starts_with("at_") {
        Ok(token)
    } else {
        Err(refuse())
    }
}

impl Client {
    /// A new link to an existing resource: one call,
    /// `POST /v1/resources/{id}/qurls`. The spec declares an
    /// `Idempotency-Key` there, so retries carry one key and never mint two
    /// links; on an unknown outcome, [`Error::idempotency_key`] resumes it.
    ///
    /// ```
    /// use qurl::tasks::PortalOptions;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = qurl_sandbox::Sandbox::builder().start().await?;
    /// # let client = qurl::Client::builder().api_key("lv_live_docs_0001").base_url(sandbox.base_url()).build()?;
    /// let resource = client.protect_url("https://example.com/dashboards/ops").await?;
    /// let id = resource.resource_id.unwrap_or_default();
    /// let portal = client
    ///     .create_portal(&id, PortalOptions::new().expires_in("1h").one_time_use(true))
    ///     .await?;
    /// println!("{} expires {:?}", portal.qurl_id, portal.expires_at);
    /// # Ok(()) }
    /// ```
    pub async fn create_portal(
        &self,
        resource_id: &str,
        options: PortalOptions,
    ) -> Result<Portal, Error> {
        let mut call = self.post_resources_id_qurls().id(resource_id);
        if let Some(key) = options.idempotency_key.clone() {
            call = call.idempotency_key(key);
        }
        let data = call
            .body_map(|b: builder::CreateQurlForResourceRequest| apply_options!(options, b))
            .send()
            .await?
            .into_data()?;
        portal(
            "create_portal",
            data.qurl_id,
            data.resource_id,
            data.qurl_link,
            data.expires_at,
        )
    }

    /// A new link to `url`: one call, `POST /v1/qurls` (the API protects the
    /// URL as a resource on the way). The spec declares an `Idempotency-Key`
    /// there, so retries never make two.
    ///
    /// ```
    /// use qurl::tasks::PortalOptions;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = qurl_sandbox::Sandbox::builder().start().await?;
    /// # let client = qurl::Client::builder().api_key("lv_live_docs_0001").base_url(sandbox.base_url()).build()?;
    /// let portal = client
    ///     .create_portal_for_url("https://example.com/report", PortalOptions::new().expires_in("24h"))
    ///     .await?;
    /// let entered = client.enter_portal(&portal.link).await?;
    /// assert_eq!(entered.target_url.as_deref(), Some("https://example.com/report"));
    /// # Ok(()) }
    /// ```
    pub async fn create_portal_for_url(
        &self,
        url: &str,
        options: PortalOptions,
    ) -> Result<Portal, Error> {
        let mut call = self.post_qurls();
        if let Some(key) = options.idempotency_key.clone() {
            call = call.idempotency_key(key);
        }
        let data = call
            .body_map(|b: builder::CreateQurlRequest| apply_options!(options, b.target_url(url)))
            .send()
            .await?
            .into_data()?;
        portal(
            "create_portal_for_url",
            data.qurl_id,
            data.resource_id,
            data.qurl_link,
            data.expires_at,
        )
    }

    /// Enter a link as a visitor would: take the access token from its
    /// fragment and resolve it, one call, `POST /v1/resolve` (keyed, so a
    /// retry never counts as a second use of a one-time link).
    ///
    /// A link without a well-formed token is refused locally with
    /// [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest) and
    /// nothing is sent. Neither the link nor its token appears in any
    /// error, log or `Debug` output.
    pub async fn enter_portal(&self, link: &str) -> Result<ResolveQurlData, Error> {
        let token = access_token(link)?;
        self.post_resolve()
            .body_map(|b| b.access_token(token))
            .send()
            .await?
            .into_data()
    }
}
