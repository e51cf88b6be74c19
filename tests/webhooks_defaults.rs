//! `OncePerDelivery`'s defaults (a 5-minute lease, 3 days of memory), read
//! on a paused clock, and what a `RunError` says and points to.

use std::error::Error as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use qurl::webhooks::{
    Claim, DeliveryStore, MemoryStore, OncePerDelivery, Processed, RunError, StoreError,
};
use tokio::sync::oneshot;

const SECOND: Duration = Duration::from_secs(1);
const LEASE: Duration = Duration::from_secs(5 * 60);
const MEMORY: Duration = Duration::from_secs(3 * 24 * 60 * 60);
/// The longest lease or memory a store keeps.
const MAX_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// Runs a handler that counts its runs and succeeds.
async fn deliver(once: &OncePerDelivery<MemoryStore>, runs: &AtomicUsize) -> Processed<()> {
    once.run("wd_1", || async {
        runs.fetch_add(1, Ordering::SeqCst);
        Ok::<_, String>(())
    })
    .await
    .expect("the memory store answers")
}

#[tokio::test(start_paused = true)]
async fn a_running_claim_blocks_copies_for_5_minutes_by_default() {
    let once = OncePerDelivery::new(MemoryStore::default());
    let (started_tx, started_rx) = oneshot::channel();
    let hung = {
        let once = once.clone();
        // A handler that never returns, as in a receiver that hung.
        tokio::spawn(async move {
            once.run("wd_1", || async move {
                let _ = started_tx.send(());
                std::future::pending::<Result<(), String>>().await
            })
            .await
        })
    };
    started_rx.await.unwrap();
    let runs = AtomicUsize::new(0);
    tokio::time::advance(LEASE - SECOND).await;
    assert_eq!(deliver(&once, &runs).await, Processed::InProgress);
    tokio::time::advance(2 * SECOND).await;
    assert_eq!(
        deliver(&once, &runs).await,
        Processed::Ran(()),
        "the lease expired"
    );
    hung.abort();
}

#[tokio::test(start_paused = true)]
async fn a_processed_delivery_is_remembered_for_3_days_by_default() {
    let once = OncePerDelivery::new(MemoryStore::default());
    let runs = AtomicUsize::new(0);
    assert_eq!(deliver(&once, &runs).await, Processed::Ran(()));
    tokio::time::advance(MEMORY - SECOND).await;
    assert_eq!(deliver(&once, &runs).await, Processed::AlreadyDone);
    tokio::time::advance(2 * SECOND).await;
    assert_eq!(deliver(&once, &runs).await, Processed::Ran(()), "forgotten");
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

/// A lease or a memory longer than 30 days is cut to 30 days (so no clock
/// can overflow): a claim taken "for a year" blocks copies for 30 days, then
/// the delivery can be claimed again; "done" for a year is forgotten after
/// 30 days too.
#[tokio::test(start_paused = true)]
async fn leases_and_memories_longer_than_30_days_are_cut_to_30_days() {
    let store = MemoryStore::default();
    let year = Duration::from_secs(365 * 24 * 60 * 60);
    let acquire = |id: &'static str| {
        let store = store.clone();
        async move {
            match store.claim(id, year).await.unwrap() {
                Claim::Acquired(token) => token,
                other => panic!("expected to acquire {id}, got {other:?}"),
            }
        }
    };
    let _hung = acquire("wd_lease").await;
    let done = acquire("wd_done").await;
    store.mark_done(&done, year).await.unwrap();

    tokio::time::advance(MAX_TTL - SECOND).await;
    assert_eq!(
        store.claim("wd_lease", year).await.unwrap(),
        Claim::InProgress
    );
    assert_eq!(store.claim("wd_done", year).await.unwrap(), Claim::Done);

    tokio::time::advance(2 * SECOND).await;
    acquire("wd_lease").await;
    acquire("wd_done").await;
}

#[derive(Debug)]
struct DbDown;

impl std::fmt::Display for DbDown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("database down")
    }
}

impl std::error::Error for DbDown {}

#[test]
fn a_run_error_says_what_failed_and_points_to_its_cause() {
    let handler: RunError<DbDown> = RunError::Handler(DbDown);
    assert_eq!(
        handler.to_string(),
        "webhook handler failed (claim released): database down"
    );
    let cause = handler.source().expect("the handler's error");
    assert!(cause.downcast_ref::<DbDown>().is_some(), "{cause:?}");

    let full = StoreError::Full { capacity: 7 };
    let expected = full.to_string();
    let store: RunError<DbDown> = RunError::Store(full);
    assert_eq!(store.to_string(), expected, "the store's own message");
    let cause = store.source().expect("the store's error");
    assert!(
        matches!(
            cause.downcast_ref::<StoreError>(),
            Some(StoreError::Full { capacity: 7 })
        ),
        "{cause:?}"
    );
}

/// What a store error tells the receiver to do, and, for a backend failure,
/// the backend's own error as its source.
#[test]
fn a_store_error_says_what_to_do_and_points_to_the_backend_cause() {
    let full = StoreError::Full { capacity: 7 };
    assert_eq!(
        full.to_string(),
        "delivery store is full (7 deliveries in progress); answer 503 so qURL retries, or raise the capacity"
    );
    assert!(full.source().is_none());
    let lost = StoreError::ClaimLost {
        delivery_id: "wd_9".into(),
    };
    assert_eq!(
        lost.to_string(),
        r#"the claim on delivery "wd_9" expired or passed to another receiver; make the lease longer than your handler's longest run"#
    );
    assert!(lost.source().is_none());
    let backend = StoreError::Backend(Box::new(DbDown));
    assert_eq!(
        backend.to_string(),
        "delivery store backend failed: database down"
    );
    let cause = backend.source().expect("the backend's error");
    assert!(cause.downcast_ref::<DbDown>().is_some(), "{cause:?}");
}
