//! `RedisStore` against a real `redis-server`, started on 127.0.0.1 on a
//! free port (`support::redis`). Without `redis-server` these tests are
//! skipped, except when `CI` is set: then they fail (`.ci/run` installs it).
#![cfg(feature = "redis")]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use qurl::webhooks::{Claim, DeliveryStore, OncePerDelivery, Processed, RedisStore, StoreError};
use support::redis::{RedisServer, redis_server, store};

const MINUTE: Duration = Duration::from_secs(60);
const DAY: Duration = Duration::from_secs(24 * 60 * 60);

async fn acquire(store: &RedisStore, id: &str, lease: Duration) -> qurl::webhooks::ClaimToken {
    match store.claim(id, lease).await.expect("claim") {
        Claim::Acquired(token) => token,
        other => panic!("expected to acquire {id}, got {other:?}"),
    }
}

async fn pttl(server: &RedisServer, key: &str) -> i64 {
    let client = redis::Client::open(server.url.as_str()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("PTTL")
        .arg(key)
        .query_async(&mut connection)
        .await
        .unwrap()
}

#[tokio::test]
async fn claim_done_and_release_follow_the_store_contract() {
    let Some(server) = redis_server().await else {
        return;
    };
    let store = store(&server).await;

    let token = acquire(&store, "wd_1", MINUTE).await;
    assert_eq!(
        store.claim("wd_1", MINUTE).await.unwrap(),
        Claim::InProgress
    );
    let lease_left = pttl(&server, "qurl:webhook-delivery:wd_1").await;
    assert!(
        (1..=60_000).contains(&lease_left),
        "the claim expires with its lease: {lease_left}"
    );

    store.release(&token).await.unwrap();
    let token = acquire(&store, "wd_1", MINUTE).await;
    store.mark_done(&token, DAY).await.unwrap();
    assert_eq!(store.claim("wd_1", MINUTE).await.unwrap(), Claim::Done);
    let kept = pttl(&server, "qurl:webhook-delivery:wd_1").await;
    assert!(
        kept > 60_000 && kept <= 86_400_000,
        "done is kept for its retention: {kept}"
    );
    // A finished claim can be neither released nor finished again.
    assert!(matches!(
        store.release(&token).await,
        Err(StoreError::ClaimLost { .. })
    ));
    assert_eq!(store.claim("wd_1", MINUTE).await.unwrap(), Claim::Done);
}

#[tokio::test]
async fn a_holder_whose_lease_expired_cannot_touch_the_next_claim() {
    let Some(server) = redis_server().await else {
        return;
    };
    let store = store(&server).await;

    let stale = acquire(&store, "wd_2", Duration::from_millis(20)).await;
    // Bounded wait until Redis expires the lease: 100 × 10 ms.
    let mut fresh = None;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        if let Claim::Acquired(token) = store.claim("wd_2", MINUTE).await.unwrap() {
            fresh = Some(token);
            break;
        }
    }
    let fresh = fresh.expect("the expired lease frees the delivery");
    assert!(matches!(
        store.mark_done(&stale, DAY).await,
        Err(StoreError::ClaimLost { .. })
    ));
    assert!(matches!(
        store.release(&stale).await,
        Err(StoreError::ClaimLost { .. })
    ));
    assert_eq!(
        store.claim("wd_2", MINUTE).await.unwrap(),
        Claim::InProgress
    );
    store.mark_done(&fresh, DAY).await.unwrap();
    assert_eq!(store.claim("wd_2", MINUTE).await.unwrap(), Claim::Done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_receivers_racing_for_one_delivery_run_it_once() {
    let Some(server) = redis_server().await else {
        return;
    };
    // Two receivers: separate connections, as on two machines.
    let receivers = [
        OncePerDelivery::new(store(&server).await),
        OncePerDelivery::new(store(&server).await),
    ];
    let runs = Arc::new(AtomicUsize::new(0));
    let mut racers = Vec::new();
    for round in 0..16 {
        let once = receivers[round % 2].clone();
        let runs = runs.clone();
        racers.push(tokio::spawn(async move {
            once.run("wd_race", || async {
                runs.fetch_add(1, Ordering::SeqCst);
                // Still running while the others arrive.
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok::<_, String>(())
            })
            .await
        }));
    }
    let mut ran = 0;
    for racer in racers {
        match racer.await.unwrap().unwrap() {
            Processed::Ran(()) => ran += 1,
            Processed::InProgress | Processed::AlreadyDone => {}
        }
    }
    assert_eq!((ran, runs.load(Ordering::SeqCst)), (1, 1));
    // Later duplicates, on either receiver, see it done.
    for once in &receivers {
        let again = once.run("wd_race", || async { Ok::<_, String>(()) }).await;
        assert_eq!(again.unwrap(), Processed::AlreadyDone);
    }
}

#[tokio::test]
async fn a_failed_handler_releases_the_claim_for_the_other_receiver() {
    let Some(server) = redis_server().await else {
        return;
    };
    let first = OncePerDelivery::new(store(&server).await);
    let second = OncePerDelivery::new(store(&server).await);
    let failed = first
        .run("wd_3", || async { Err::<(), _>("db down") })
        .await;
    assert!(failed.is_err());
    let retried = second
        .run("wd_3", || async { Ok::<_, String>("processed") })
        .await;
    assert_eq!(retried.unwrap(), Processed::Ran("processed"));
}

#[tokio::test]
async fn key_prefixes_keep_applications_apart_and_errors_hide_the_password() {
    let Some(server) = redis_server().await else {
        return;
    };
    let billing = store(&server).await.key_prefix("billing:");
    let audit = store(&server).await.key_prefix("audit:");
    let _ = acquire(&billing, "wd_4", MINUTE).await;
    let _ = acquire(&audit, "wd_4", MINUTE).await;
    // The connection (whose address may carry a password) is left out.
    assert_eq!(
        format!("{billing:?}"),
        r#"RedisStore { key_prefix: "billing:", .. }"#
    );

    // A URL that does not parse (database "nope"): a backend error, and the
    // password in the URL is not repeated.
    let refused = RedisStore::connect("redis://:hunter2secret@127.0.0.1:6379/nope").await;
    let err = refused.expect_err("an invalid database number");
    assert!(matches!(err, StoreError::Backend(_)));
    assert!(!err.to_string().contains("hunter2secret"), "{err}");
    assert!(!format!("{err:?}").contains("hunter2secret"), "{err:?}");
}
