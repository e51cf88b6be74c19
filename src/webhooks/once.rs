//! Runs a handler at most once per delivery id, over any [`DeliveryStore`].

use std::fmt;
use std::future::Future;
use std::time::Duration;

use http::StatusCode;

use super::store::{Claim, DeliveryStore, StoreError};

/// Default lease: how long a claim blocks other receivers while a handler
/// runs. It must outlast the handler's longest run.
const DEFAULT_LEASE: Duration = Duration::from_secs(5 * 60);

/// Default retention of "done" records: longer than qURL keeps retrying.
const DEFAULT_REMEMBER_FOR: Duration = Duration::from_secs(3 * 24 * 60 * 60);

/// Runs a handler at most once per webhook delivery id.
///
/// [`run`](Self::run) claims the id in the store, runs the handler only if
/// the claim was acquired, then marks the delivery done (on `Ok`) or releases
/// it (on `Err`, so qURL's redelivery is processed). A receiver that crashes
/// mid-handler, or a `run` future dropped mid-handler (some servers drop a
/// request's future when the client disconnects), leaves a claim that
/// expires after the lease (default 5 min): until then copies get
/// [`Processed::InProgress`], and qURL's next retry after it is processed.
/// Cheap to clone when the store is (both stores here are).
///
/// ```
/// use qurl::webhooks::{MemoryStore, OncePerDelivery, Processed};
///
/// # async fn demo() {
/// let once = OncePerDelivery::new(MemoryStore::default());
/// let first = once.run("wd_1", || async { Ok::<_, String>("sent the email") }).await;
/// let again = once.run("wd_1", || async { Ok::<_, String>("sent it twice!") }).await;
/// assert_eq!(first.unwrap(), Processed::Ran("sent the email"));
/// assert_eq!(again.unwrap(), Processed::AlreadyDone);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct OncePerDelivery<S> {
    store: S,
    lease: Duration,
    remember_for: Duration,
}

impl<S: DeliveryStore> OncePerDelivery<S> {
    /// Over `store`, with a 5-minute lease and 3-day retention.
    ///
    /// ```
    /// let once = qurl::webhooks::OncePerDelivery::new(qurl::webhooks::MemoryStore::default());
    /// ```
    pub fn new(store: S) -> Self {
        Self {
            store,
            lease: DEFAULT_LEASE,
            remember_for: DEFAULT_REMEMBER_FOR,
        }
    }

    /// How long a claim holds while the handler runs. Make it longer than
    /// the handler's longest run: once it expires another receiver may start.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let once = qurl::webhooks::OncePerDelivery::new(qurl::webhooks::MemoryStore::default())
    ///     .lease(Duration::from_secs(30));
    /// ```
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// How long a processed delivery is remembered. Make it longer than
    /// qURL's retry window, or a very late retry runs again.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let once = qurl::webhooks::OncePerDelivery::new(qurl::webhooks::MemoryStore::default())
    ///     .remember_for(Duration::from_secs(7 * 24 * 3600));
    /// ```
    pub fn remember_for(mut self, remember_for: Duration) -> Self {
        self.remember_for = remember_for;
        self
    }

    /// The store, e.g. to inspect it in tests.
    ///
    /// ```
    /// let once = qurl::webhooks::OncePerDelivery::new(qurl::webhooks::MemoryStore::default());
    /// assert!(once.store().is_empty());
    /// ```
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Runs `handler` unless `delivery_id` was processed or is being
    /// processed. See the type's docs for what happens on each outcome.
    ///
    /// ```
    /// # async fn demo(once: qurl::webhooks::OncePerDelivery<qurl::webhooks::MemoryStore>) {
    /// let outcome = once.run("wd_1", || async { Err::<(), _>("database down") }).await;
    /// // The claim was released: qURL's retry of wd_1 will run the handler.
    /// assert_eq!(outcome.unwrap_err().status(), http::StatusCode::INTERNAL_SERVER_ERROR);
    /// # }
    /// ```
    pub async fn run<F, Fut, T, E>(
        &self,
        delivery_id: &str,
        handler: F,
    ) -> Result<Processed<T>, RunError<E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let token = match self.store.claim(delivery_id, self.lease).await {
            Ok(Claim::Acquired(token)) => token,
            Ok(Claim::InProgress) => return Ok(Processed::InProgress),
            Ok(Claim::Done) => return Ok(Processed::AlreadyDone),
            Err(err) => return Err(RunError::Store(err)),
        };
        match handler().await {
            Ok(value) => {
                if let Err(err) = self.store.mark_done(&token, self.remember_for).await {
                    // The work is done, so the delivery still succeeded; but a
                    // retry after the lease would run it again.
                    tracing::warn!(delivery_id, error = %err, "processed, but not recorded as done");
                }
                Ok(Processed::Ran(value))
            }
            Err(err) => {
                if let Err(release) = self.store.release(&token).await {
                    tracing::warn!(delivery_id, error = %release, "handler failed and its claim could not be released; a retry waits for the lease to expire");
                }
                Err(RunError::Handler(err))
            }
        }
    }
}

/// What [`OncePerDelivery::run`] did with a delivery.
///
/// ```
/// use qurl::webhooks::Processed;
/// assert_eq!(Processed::Ran(()).status(), http::StatusCode::OK);
/// assert_eq!(Processed::<()>::AlreadyDone.status(), http::StatusCode::OK);
/// assert_eq!(Processed::<()>::InProgress.status(), http::StatusCode::CONFLICT);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Processed<T> {
    /// The handler ran, now, and returned this.
    Ran(T),
    /// Processed before; the handler did not run.
    AlreadyDone,
    /// Another receiver is processing it; the handler did not run.
    InProgress,
}

impl<T> Processed<T> {
    /// The status to answer qURL with: 200 when processed (now or before);
    /// 409 while another receiver is on it, so qURL retries later and the
    /// delivery is not lost if that receiver fails.
    ///
    /// ```
    /// assert!(qurl::webhooks::Processed::Ran(1).status().is_success());
    /// ```
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Ran(_) | Self::AlreadyDone => StatusCode::OK,
            Self::InProgress => StatusCode::CONFLICT,
        }
    }
}

/// Why [`OncePerDelivery::run`] did not process a delivery. Either way the
/// delivery is not recorded as done, so qURL's retry is processed.
///
/// ```
/// use qurl::webhooks::{RunError, StoreError};
/// let err: RunError<String> = RunError::Store(StoreError::Full { capacity: 1 });
/// assert_eq!(err.status(), http::StatusCode::SERVICE_UNAVAILABLE);
/// ```
#[derive(Debug)]
pub enum RunError<E> {
    /// Your handler failed; its claim was released.
    Handler(E),
    /// The store could not claim the delivery; the handler did not run.
    Store(StoreError),
}

impl<E> RunError<E> {
    /// The status to answer qURL with (a 5xx, so it retries): 500 for a
    /// handler error, 503 for a store error.
    ///
    /// ```
    /// let err = qurl::webhooks::RunError::Handler("boom");
    /// assert_eq!(err.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
    /// ```
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Handler(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl<E: fmt::Display> fmt::Display for RunError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Handler(err) => write!(f, "webhook handler failed (claim released): {err}"),
            Self::Store(err) => write!(f, "{err}"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for RunError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Handler(err) => Some(err),
            Self::Store(err) => Some(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::webhooks::MemoryStore;

    #[tokio::test]
    async fn a_failed_handler_releases_so_the_redelivery_runs() {
        let once = OncePerDelivery::new(MemoryStore::default());
        let runs = AtomicUsize::new(0);
        let attempt = |fail: bool| {
            let runs = &runs;
            once.run("wd_1", move || async move {
                runs.fetch_add(1, Ordering::SeqCst);
                if fail { Err("flaky") } else { Ok(()) }
            })
        };
        assert!(matches!(
            attempt(true).await,
            Err(RunError::Handler("flaky"))
        ));
        assert_eq!(attempt(false).await.unwrap(), Processed::Ran(()));
        assert_eq!(attempt(false).await.unwrap(), Processed::AlreadyDone);
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_duplicate_during_the_run_is_in_progress_and_not_run() {
        let once = OncePerDelivery::new(MemoryStore::default());
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let (finish_tx, finish_rx) = tokio::sync::oneshot::channel::<()>();
        let first = {
            let once = once.clone();
            tokio::spawn(async move {
                once.run("wd_1", || async move {
                    let _ = started_tx.send(());
                    let _ = finish_rx.await;
                    Ok::<_, String>(())
                })
                .await
            })
        };
        started_rx.await.unwrap();
        let duplicate = once.run("wd_1", || async { Ok::<_, String>(()) }).await;
        assert_eq!(duplicate.unwrap(), Processed::InProgress);
        finish_tx.send(()).unwrap();
        assert_eq!(first.await.unwrap().unwrap(), Processed::Ran(()));
    }

    #[tokio::test]
    async fn a_full_store_is_a_store_error_and_the_handler_does_not_run() {
        let once = OncePerDelivery::new(MemoryStore::with_capacity(1));
        let _held = once.store().claim("wd_held", DEFAULT_LEASE).await.unwrap();
        let outcome = once
            .run("wd_2", || async {
                panic!("must not run") as Result<(), String>
            })
            .await;
        assert!(matches!(
            outcome,
            Err(RunError::Store(StoreError::Full { .. }))
        ));
    }
}
