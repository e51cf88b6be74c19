//! A job that survives being killed: it creates `DRILL_ITEMS` qURLs (default
//! 300), one per item of its own work list, and keeps no state file. Killed
//! at any point and started again, it starts over from item 0, and nothing
//! is created twice, because each call's `Idempotency-Key` is derived from
//! the item's own id: the restarted job resends the same key, and the API
//! answers it with the stored answer instead of acting again.
//!
//! ```sh
//! cargo run -p layerv-qurl-sandbox -- --fault-rate 0.2     # prints its URL
//! QURL_BASE_URL=http://127.0.0.1:PORT QURL_API_KEY=lv_live_drill_owner_0001 \
//!     cargo run --example crash_drill
//! ```
//!
//! `DRILL_KEYS=new` makes a new key per call instead (`IdempotencyKey::new()`)
//! and stores nothing: the drill test shows that such a job, restarted,
//! leaves duplicates behind.

use std::time::Duration;

use qurl::IdempotencyKey;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let items: usize = std::env::var("DRILL_ITEMS").map_or(Ok(300), |v| v.parse())?;
    let derive = std::env::var("DRILL_KEYS").map_or(true, |v| v != "new");
    let client = qurl::Client::builder_from_env()?
        .timeout(Duration::from_secs(2))
        .retry_policy(
            qurl::RetryPolicy::default()
                .max_retries(10)
                .initial_delay(Duration::from_millis(5))
                .max_delay(Duration::from_millis(100)),
        )
        .retry_budget(1_000_000)
        .build()?;
    for i in 0..items {
        // The item's own id names the call, on this run and on any restart.
        let key = if derive {
            IdempotencyKey::derive("drill", &i.to_string())
        } else {
            IdempotencyKey::new()
        };
        let mut tries = 0;
        loop {
            tries += 1;
            let sent = client
                .post_qurls()
                .idempotency_key(&key)
                .body_map(|b| b.target_url(format!("https://example.com/drill/{i}")))
                .send()
                .await;
            match sent {
                Ok(_) => break,
                // Still unknown after the client's retries: same key again.
                Err(e) if e.outcome_unknown() && tries < 20 => continue,
                Err(e) => return Err(format!("item {i}: {e}").into()),
            }
        }
        println!("{i}");
    }
    Ok(())
}
