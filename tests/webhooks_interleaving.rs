//! The interleaving that would lose an event: copies of a delivery arrive
//! while the first copy's handler still runs, then that handler fails. The
//! copies must be answered 409 (not 200, which qURL would record as done),
//! and qURL's retry after the failure is processed exactly once. Run over
//! `MemoryStore` and over `RedisStore` against a real `redis-server`.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use http::StatusCode;
use qurl::webhooks::{DeliveryStore, MemoryStore, OncePerDelivery, Processed, RunError};
use tokio::sync::oneshot;

const DELIVERY: &str = "wd_0123456789abcdef";

/// `first` runs the handler of the first copy; `other` (another receiver,
/// or the same one) gets the copies and qURL's retry.
async fn copies_during_a_failing_run_then_the_retry<S>(
    first: OncePerDelivery<S>,
    other: OncePerDelivery<S>,
) where
    S: DeliveryStore + Send + Sync + 'static,
{
    let processed = Arc::new(AtomicUsize::new(0));
    let (started_tx, started_rx) = oneshot::channel();
    let (fail_tx, fail_rx) = oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        first
            .run(DELIVERY, || async move {
                let _ = started_tx.send(());
                let _ = fail_rx.await;
                Err::<&str, _>("database down")
            })
            .await
    });
    started_rx.await.expect("the first handler started");

    // A handler that succeeds, counting its runs.
    let deliver = || {
        let processed = processed.clone();
        other.run(DELIVERY, || async move {
            processed.fetch_add(1, Ordering::SeqCst);
            Ok::<_, &str>("processed")
        })
    };
    for copy in 1..=2 {
        let answer = deliver().await.expect("the store answered");
        assert_eq!(answer, Processed::InProgress, "copy {copy}");
        assert_eq!(
            answer.status(),
            StatusCode::CONFLICT,
            "copy {copy}: a 2xx would tell qURL the delivery is done"
        );
    }

    fail_tx.send(()).expect("the first handler waits");
    let failed = running.await.unwrap().unwrap_err();
    assert!(matches!(failed, RunError::Handler("database down")));
    assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);

    // qURL retries the delivery: processed now, and only now.
    for (retry, expected) in [
        (1, Processed::Ran("processed")),
        (2, Processed::AlreadyDone),
    ] {
        let answer = deliver().await.expect("the store answered");
        assert_eq!(answer, expected, "retry {retry}");
        assert_eq!(answer.status(), StatusCode::OK, "retry {retry}");
    }
    assert_eq!(processed.load(Ordering::SeqCst), 1, "exactly once");
}

#[tokio::test]
async fn memory_store_answers_copies_409_and_processes_the_retry_once() {
    let once = OncePerDelivery::new(MemoryStore::default());
    copies_during_a_failing_run_then_the_retry(once.clone(), once).await;
}

#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_answers_copies_409_and_processes_the_retry_once() {
    use support::redis::{redis_server, store};
    let Some(server) = redis_server().await else {
        return;
    };
    // Two receivers on separate connections, as on two machines.
    copies_during_a_failing_run_then_the_retry(
        OncePerDelivery::new(store(&server).await),
        OncePerDelivery::new(store(&server).await),
    )
    .await;
}
