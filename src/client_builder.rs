//! `Client::builder()`: every setting checked at `build()`, so a bad base URL
//! or key is an error here, not a retried transport failure later.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::endpoint::Endpoint;
use crate::generated::Client;
use crate::idempotency::KeySource;
use crate::retry::{RetryBudget, RetryPolicy};
use crate::secret::ApiKey;
use crate::shim::ClientState;

/// Production base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.layerv.ai";
/// Per-attempt timeout unless set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Tokens in a client's retry budget unless set.
pub const DEFAULT_RETRY_BUDGET: u32 = 500;
/// Largest response body read unless set (8 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// What was wrong with the client's configuration.
///
/// ```
/// let err = qurl::Client::builder().base_url("http://example.com").build().unwrap_err();
/// assert!(matches!(err, qurl::BuildError::InvalidBaseUrl { .. }));
/// println!("{err}"); // says why plain http is refused and what to do
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// The API key cannot be sent (the key itself is never included).
    InvalidApiKey(&'static str),
    /// The base URL is unusable; holds the URL and why.
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The user-agent suffix cannot be sent.
    InvalidUserAgent(String),
    /// A setting is out of range.
    InvalidSetting(String),
    /// `from_env` found no `QURL_API_KEY`.
    MissingApiKey,
    /// reqwest could not build its client.
    Http(String),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::InvalidApiKey(why) => write!(f, "invalid API key: {why}"),
            BuildError::InvalidBaseUrl { url, reason } => {
                write!(f, "invalid base URL {url:?}: {reason}")
            }
            BuildError::InvalidUserAgent(why) => write!(f, "invalid user agent: {why}"),
            BuildError::InvalidSetting(why) => write!(f, "invalid setting: {why}"),
            BuildError::MissingApiKey => {
                write!(
                    f,
                    "QURL_API_KEY is not set; export it (an `lv_live_...` key) or use Client::builder().api_key(..)"
                )
            }
            BuildError::Http(why) => write!(f, "could not build the HTTP client: {why}"),
        }
    }
}

impl std::error::Error for BuildError {}

/// Builder for [`Client`]. Secrets in it never show in `Debug`.
///
/// ```
/// let client = qurl::Client::builder()
///     .api_key("lv_live_example_key_1234")
///     .timeout(std::time::Duration::from_secs(10))
///     .user_agent("my-app/1.2")
///     .build()?;
/// assert_eq!(client.baseurl(), "https://api.layerv.ai");
/// # use qurl::prelude::*;
/// # Ok::<(), qurl::BuildError>(())
/// ```
#[derive(Clone, Default)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ClientBuilder {
    retry_budget: Option<u32>,
    api_key: Option<String>,
    base_url: Option<String>,
    timeout: Option<Duration>,
    user_agent: Option<String>,
    reqwest_client: Option<reqwest::Client>,
    retry_policy: Option<RetryPolicy>,
    allow_insecure_http: bool,
    keys: Option<KeySource>,
    max_body_bytes: Option<usize>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field(
                "api_key",
                &self.api_key.as_deref().map(|k| {
                    ApiKey::parse(k)
                        .map(|k| format!("{k:?}"))
                        .unwrap_or_else(|_| "<invalid>".into())
                }),
            )
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("user_agent", &self.user_agent)
            .field(
                "reqwest_client",
                &self.reqwest_client.as_ref().map(|_| "custom"),
            )
            .field("retry_policy", &self.retry_policy)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("retry_budget", &self.retry_budget)
            .finish()
    }
}

impl ClientBuilder {
    /// The bearer token (`lv_live_...`), sent as `Authorization: Bearer`.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Base URL, default `https://api.layerv.ai`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Timeout of one attempt (default 30 s). See [`RetryPolicy::deadline`] for the whole call.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Appended to `qurl-rust/<version>` in `User-Agent`.
    pub fn user_agent(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent = Some(suffix.into());
        self
    }

    /// Use a client you built (proxies, TLS roots, ...). Credentials, user
    /// agent and timeouts are still added per request.
    pub fn reqwest_client(mut self, client: reqwest::Client) -> Self {
        self.reqwest_client = Some(client);
        self
    }

    /// Retry policy of every call (override per call with `with_retry_policy`).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = Some(policy);
        self
    }

    /// Allow plain `http://` to a host that is not loopback. Off by default:
    /// the bearer token would cross the network in clear text.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Make automatic keys with `f` instead of UUIDv7 (deterministic tests).
    pub fn key_generator(mut self, f: impl Fn() -> String + Send + Sync + 'static) -> Self {
        self.keys = Some(KeySource::from_fn(f));
        self
    }

    /// Largest response body read (default 8 MiB); larger ones are an error.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = Some(bytes);
        self
    }

    /// Tokens in the client's retry budget (default [`DEFAULT_RETRY_BUDGET`]).
    /// Every retry spends some (see [`RetryPolicy::retry_cost`]), every
    /// success puts some back, so an outage cannot multiply the load. The
    /// budget belongs to the client: clones and `with_retry_policy` views
    /// share it.
    pub fn retry_budget(mut self, tokens: u32) -> Self {
        self.retry_budget = Some(tokens);
        self
    }

    /// Check every setting and build the client.
    pub fn build(self) -> Result<Client, BuildError> {
        let base = self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
        let base = check_base_url(base, self.allow_insecure_http)?;
        let api_key = self.api_key.as_deref().map(ApiKey::parse).transpose()?;
        let user_agent = user_agent(self.user_agent.as_deref())?;
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        if timeout.is_zero() {
            return Err(BuildError::InvalidSetting(
                "timeout must be greater than zero".into(),
            ));
        }
        let http = match self.reqwest_client {
            Some(c) => c,
            None => {
                crate::tls::install_provider();
                reqwest::Client::builder()
                    // Never follow a redirect: it could carry the bearer token elsewhere.
                    .redirect(reqwest::redirect::Policy::none())
                    .connect_timeout(timeout.min(Duration::from_secs(10)))
                    .build()
                    .map_err(|e| BuildError::Http(e.to_string()))?
            }
        };
        let policy = self.retry_policy.unwrap_or_default();
        let state = ClientState {
            base: Arc::new(
                Endpoint::new(&base).map_err(|e| BuildError::InvalidBaseUrl {
                    url: base.clone(),
                    reason: e.to_string(),
                })?,
            ),
            budget: Arc::new(RetryBudget::new(
                self.retry_budget.unwrap_or(DEFAULT_RETRY_BUDGET),
            )),
            policy: Arc::new(policy),
            keys: self.keys.unwrap_or_else(KeySource::uuid_v7),
            api_key,
            user_agent,
            timeout,
            max_body_bytes: self.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES),
        };
        Ok(Client::new_with_client(&base, http, state))
    }
}

fn user_agent(suffix: Option<&str>) -> Result<HeaderValue, BuildError> {
    let base = concat!("qurl-rust/", env!("CARGO_PKG_VERSION"));
    let text = match suffix.map(str::trim) {
        None | Some("") => base.to_owned(),
        Some(s) if s.bytes().any(|b| b.is_ascii_control() || !b.is_ascii()) => {
            return Err(BuildError::InvalidUserAgent(
                "the suffix contains control characters or non-ASCII; use printable ASCII".into(),
            ));
        }
        Some(s) => format!("{base} {s}"),
    };
    HeaderValue::from_str(&text).map_err(|e| BuildError::InvalidUserAgent(e.to_string()))
}

/// Accept `http(s)://host[:port][/stem]`; refuse what would fail later.
fn check_base_url(raw: &str, allow_insecure_http: bool) -> Result<String, BuildError> {
    let bad = |reason: &str| BuildError::InvalidBaseUrl {
        url: raw.to_owned(),
        reason: reason.to_owned(),
    };
    let url = reqwest::Url::parse(raw.trim())
        .map_err(|e| bad(&format!("{e}; expected e.g. https://api.layerv.ai")))?;
    match url.scheme() {
        "https" => {}
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if !loopback && !allow_insecure_http {
                return Err(bad(
                    "plain http to a host that is not loopback would send the API key in clear text; \
                     use https, or opt in with allow_insecure_http(true)",
                ));
            }
        }
        other => {
            return Err(bad(&format!(
                "scheme {other:?} is not supported; use https"
            )));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("the URL has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            "the URL has a query or fragment; give only scheme, host, port and path",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "the URL carries credentials; pass the API key with .api_key(..)",
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

impl Client {
    /// Start configuring a client.
    ///
    /// ```
    /// use qurl::prelude::*;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = qurl_sandbox::Sandbox::builder().start().await?;
    /// let client = qurl::Client::builder()
    ///     .api_key("lv_live_example_key_1234")
    /// #   .base_url(sandbox.base_url())
    ///     .build()?;
    /// let quota = client.get_quota().send().await?.into_data()?;
    /// println!("{quota:?}");
    /// # Ok(()) }
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client from `QURL_API_KEY` and, if set, `QURL_BASE_URL`.
    pub fn from_env() -> Result<Client, BuildError> {
        Self::builder_from_env()?.build()
    }

    /// A builder preset from `QURL_API_KEY` and `QURL_BASE_URL`.
    pub fn builder_from_env() -> Result<ClientBuilder, BuildError> {
        let key = std::env::var("QURL_API_KEY").map_err(|_| BuildError::MissingApiKey)?;
        let mut b = Client::builder().api_key(key);
        if let Ok(url) = std::env::var("QURL_BASE_URL") {
            b = b.base_url(url);
        }
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(
            check_base_url("https://api.layerv.ai/", false).unwrap(),
            "https://api.layerv.ai"
        );
        assert_eq!(
            check_base_url("http://127.0.0.1:8080", false).unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(check_base_url("http://localhost:1/x", false).is_ok());
        assert!(check_base_url("http://[::1]:9", false).is_ok());
        for bad in [
            "not a url",
            "ftp://x.y",
            "https://x.y/?a=1",
            "https://x.y/#f",
            "http://example.com",
            "https://u:p@x.y",
            "mailto:a@b",
        ] {
            assert!(check_base_url(bad, false).is_err(), "{bad}");
        }
        assert!(check_base_url("http://example.com", true).is_ok());
    }

    #[test]
    fn user_agents() {
        assert!(user_agent(Some("app/1\r\nX: y")).is_err());
        assert_eq!(
            user_agent(Some("app/1")).unwrap().to_str().unwrap(),
            concat!("qurl-rust/", env!("CARGO_PKG_VERSION"), " app/1")
        );
    }
}
