//! `qurl::blocking::Client`: the same operations, setters, types, errors and
//! retry rules as the async client, for code without an async runtime.
//!
//! It owns a small tokio runtime (one worker thread, like `reqwest::blocking`)
//! and runs each generated `send()` on it, so the shim is the same code.
//!
//! Where it works: any thread that is not an async task, including
//! `tokio::task::spawn_blocking` threads (where async services call blocking
//! code); it never deadlocks there. Inside an async task it works too, but
//! it holds that task's worker thread for the whole call, retries included:
//! use the async [`crate::Client`] there. If the server it calls runs on that
//! same thread (a current-thread runtime in a test), the server cannot answer
//! until the attempt times out.
//!
//! ```
//! use qurl::prelude::*;
//! # let runtime = tokio::runtime::Runtime::new()?;
//! # let sandbox = runtime.block_on(qurl_sandbox::Sandbox::builder().start())?;
//! let client = qurl::blocking::Client::builder()
//!     .api_key("lv_live_example_key_1234")
//! #   .base_url(sandbox.base_url())
//!     .build()?;
//! let quota = client.get_quota().send()?.into_data()?; // no .await
//! println!("{quota:?}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};

use crate::pages::ListPage;
use crate::{BuildError, Error, RetryPolicy};

/// The runtime blocking calls run on. Shut down without waiting on drop,
/// so dropping a client never blocks or panics (even inside async code).
pub(crate) struct Runtime {
    rt: Option<tokio::runtime::Runtime>,
}

impl Runtime {
    fn new() -> Result<Self, BuildError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("qurl-blocking")
            .enable_all()
            .build()
            .map_err(|e| {
                BuildError::Http(format!(
                    "could not start the blocking client's runtime: {e}"
                ))
            })?;
        Ok(Self { rt: Some(rt) })
    }

    /// Run one call to completion.
    ///
    /// On a thread with no tokio context the call runs right here. Where a
    /// runtime context exists (a `spawn_blocking` thread, or an async task)
    /// tokio refuses to start another runtime on the thread, so the call
    /// runs on a short-lived helper thread while this one waits for it.
    pub(crate) fn run<T: Send>(
        &self,
        call: impl Future<Output = Result<T, Error>> + Send,
    ) -> Result<T, Error> {
        let Some(rt) = &self.rt else {
            return Err(Error::invalid_request(
                "blocking",
                "the blocking client's runtime has shut down",
                None,
            ));
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return rt.block_on(call);
        }
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("qurl-blocking-call".into())
                .spawn_scoped(scope, || rt.block_on(call))
                .map_err(|e| {
                    Error::invalid_request(
                        "blocking",
                        format!("could not start a thread for the blocking call: {e}"),
                        None,
                    )
                })?
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Runtime")
    }
}

/// Blocking qURL client: cheap to clone, `Send + Sync`, one runtime shared by clones.
#[derive(Clone)]
pub struct Client {
    pub(crate) client: crate::Client,
    pub(crate) runtime: Arc<Runtime>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::Client")
            .field("client", &self.client)
            .finish()
    }
}

impl Client {
    /// Start configuring a blocking client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder(crate::Client::builder())
    }

    /// A client from `QURL_API_KEY` and, if set, `QURL_BASE_URL`.
    pub fn from_env() -> Result<Client, BuildError> {
        ClientBuilder(crate::Client::builder_from_env()?).build()
    }

    /// A view with another retry policy; shares the pool, budget and runtime.
    pub fn with_retry_policy(&self, policy: RetryPolicy) -> Client {
        Client {
            client: self.client.with_retry_policy(policy),
            runtime: Arc::clone(&self.runtime),
        }
    }

    /// The async client underneath (same pool, policy and budget).
    pub fn as_async(&self) -> &crate::Client {
        &self.client
    }
}

/// Builder for [`Client`], with the async builder's settings.
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ClientBuilder(crate::ClientBuilder);

/// Forward a setter to the async builder.
macro_rules! forward {
    ($($(#[$doc:meta])* $name:ident($arg:ident: $ty:ty);)*) => {
        impl ClientBuilder {
            $($(#[$doc])* pub fn $name(self, $arg: $ty) -> Self { Self(self.0.$name($arg)) })*
        }
    };
}

forward! {
    /// See [`crate::ClientBuilder::api_key`].
    api_key(key: impl Into<String>);
    /// See [`crate::ClientBuilder::base_url`].
    base_url(url: impl Into<String>);
    /// See [`crate::ClientBuilder::timeout`].
    timeout(timeout: Duration);
    /// See [`crate::ClientBuilder::user_agent`].
    user_agent(suffix: impl Into<String>);
    /// See [`crate::ClientBuilder::retry_policy`].
    retry_policy(policy: RetryPolicy);
    /// See [`crate::ClientBuilder::allow_insecure_http`].
    allow_insecure_http(allow: bool);
    /// See [`crate::ClientBuilder::max_body_bytes`].
    max_body_bytes(bytes: usize);
    /// See [`crate::ClientBuilder::retry_budget`].
    retry_budget(tokens: u32);
    /// See [`crate::ClientBuilder::key_generator`].
    key_generator(f: impl Fn() -> String + Send + Sync + 'static);
}

impl ClientBuilder {
    /// Check every setting, start the runtime and build the client.
    pub fn build(self) -> Result<Client, BuildError> {
        // The reqwest client is built outside any runtime; it binds lazily.
        let client = self.0.build()?;
        Ok(Client {
            client,
            runtime: Arc::new(Runtime::new()?),
        })
    }
}

/// A list walked page by page from blocking code: what a list builder's
/// `by_page()` returns. Each `next()` requests one page (with retries) on
/// the client's runtime; after an error it ends
/// ([`Error::page_cursor`] says where to resume).
#[must_use = "an iterator does nothing until it is iterated"]
pub struct PageIter<'a, P> {
    runtime: &'a Runtime,
    pages: Pin<Box<dyn Stream<Item = Result<P, Error>> + Send + 'a>>,
}

impl<'a, P> PageIter<'a, P> {
    pub(crate) fn new(
        runtime: &'a Runtime,
        pages: impl Stream<Item = Result<P, Error>> + Send + 'a,
    ) -> Self {
        Self {
            runtime,
            pages: Box::pin(pages),
        }
    }
}

impl<P: Send> Iterator for PageIter<'_, P> {
    type Item = Result<P, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let pages = &mut self.pages;
        self.runtime
            .run(async move { Ok(pages.next().await) })
            .unwrap_or_else(|e| Some(Err(e)))
    }
}

impl<P> fmt::Debug for PageIter<'_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PageIter")
    }
}

/// Every item of a list from blocking code, one page held at a time: what
/// a list builder's `by_item()` returns.
#[must_use = "an iterator does nothing until it is iterated"]
pub struct ItemIter<'a, P: ListPage> {
    pages: PageIter<'a, P>,
    items: std::vec::IntoIter<P::Item>,
}

impl<'a, P: ListPage> ItemIter<'a, P> {
    pub(crate) fn new(pages: PageIter<'a, P>) -> Self {
        Self {
            pages,
            items: Vec::new().into_iter(),
        }
    }
}

impl<P: ListPage> Iterator for ItemIter<'_, P> {
    type Item = Result<P::Item, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.items.next() {
                return Some(Ok(item));
            }
            match self.pages.next()? {
                Ok(page) => self.items = page.into_items().into_iter(),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

impl<P: ListPage> fmt::Debug for ItemIter<'_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemIter")
            .field("items_left_in_page", &self.items.len())
            .finish()
    }
}

/// Generated from the async builders: one blocking builder per operation.
#[allow(clippy::all, missing_docs)]
mod facade {
    include!(concat!(env!("OUT_DIR"), "/blocking.rs"));
}
#[doc(hidden)]
pub use facade::METHODS;

pub use facade::builder;
