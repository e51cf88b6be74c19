//! The default [`DeliveryStore`]: one process, bounded, with expiry.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use super::store::{Claim, ClaimToken, DeliveryStore, StoreError, bounded_ttl};

/// Capacity of [`MemoryStore::default`].
const DEFAULT_CAPACITY: usize = 100_000;

/// An in-memory [`DeliveryStore`] for a receiver running as one process.
/// Clones share the same records. Safe to use from many tasks at once.
///
/// Bounded: at `capacity` records it first forgets expired ones, then the
/// "done" record closest to expiry (a very late duplicate of that delivery
/// would run again), and refuses new claims with [`StoreError::Full`] only
/// when every record is a claim in progress. Records vanish on restart: for
/// several processes or machines, use `RedisStore` (feature `redis`).
///
/// ```
/// use std::time::Duration;
/// use qurl::webhooks::{Claim, DeliveryStore, MemoryStore};
///
/// # async fn demo() -> Result<(), qurl::webhooks::StoreError> {
/// let store = MemoryStore::with_capacity(10_000);
/// let first = store.claim("wd_1", Duration::from_secs(60)).await?;
/// assert!(matches!(first, Claim::Acquired(_)));
/// assert_eq!(store.claim("wd_1", Duration::from_secs(60)).await?, Claim::InProgress);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct MemoryStore {
    records: Arc<Mutex<Records>>,
}

impl fmt::Debug for MemoryStore {
    // The records themselves are left out: there may be 100,000 of them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let records = self.lock();
        f.debug_struct("MemoryStore")
            .field("capacity", &records.capacity)
            .field("len", &records.by_id.len())
            .finish()
    }
}

impl Default for MemoryStore {
    /// A store of 100,000 records.
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

impl MemoryStore {
    /// A store that holds at most `capacity` records (at least 1).
    ///
    /// ```
    /// let store = qurl::webhooks::MemoryStore::with_capacity(1_000);
    /// assert_eq!(store.len(), 0);
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            records: Arc::new(Mutex::new(Records {
                capacity: capacity.max(1),
                by_id: HashMap::new(),
                by_expiry: BTreeMap::new(),
                next_seq: 0,
            })),
        }
    }

    /// How many records (claims and done) are held, expired ones included
    /// until the next call forgets them.
    ///
    /// ```
    /// assert!(qurl::webhooks::MemoryStore::default().is_empty());
    /// ```
    pub fn len(&self) -> usize {
        self.lock().by_id.len()
    }

    /// Whether no record is held.
    ///
    /// ```
    /// assert!(qurl::webhooks::MemoryStore::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Records> {
        // No code panics while holding the lock, so a poisoned one is intact.
        self.records
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl DeliveryStore for MemoryStore {
    async fn claim(&self, delivery_id: &str, lease: Duration) -> Result<Claim, StoreError> {
        let now = Instant::now();
        let mut records = self.lock();
        records.forget_expired(now);
        if let Some(record) = records.by_id.get(delivery_id) {
            return Ok(match record.state {
                State::Claimed { .. } => Claim::InProgress,
                State::Done => Claim::Done,
            });
        }
        records.make_room()?;
        let token = ClaimToken::new(delivery_id);
        let state = State::Claimed {
            token: token.token().to_owned(),
        };
        records.insert(delivery_id, state, now + bounded_ttl(lease));
        Ok(Claim::Acquired(token))
    }

    async fn mark_done(
        &self,
        claim: &ClaimToken,
        remember_for: Duration,
    ) -> Result<(), StoreError> {
        let now = Instant::now();
        let mut records = self.lock();
        records.forget_expired(now);
        records.take_owned(claim)?;
        records.insert(
            claim.delivery_id(),
            State::Done,
            now + bounded_ttl(remember_for),
        );
        Ok(())
    }

    async fn release(&self, claim: &ClaimToken) -> Result<(), StoreError> {
        let mut records = self.lock();
        records.forget_expired(Instant::now());
        records.take_owned(claim)
    }
}

#[derive(Debug)]
struct Records {
    capacity: usize,
    by_id: HashMap<String, Record>,
    // Expiry order, for forgetting expired records and evicting the oldest
    // "done" one without scanning everything. Mirrors `by_id` exactly.
    by_expiry: BTreeMap<(Instant, u64), String>,
    next_seq: u64,
}

#[derive(Debug)]
struct Record {
    state: State,
    expires: Instant,
    seq: u64,
}

#[derive(Debug, PartialEq, Eq)]
enum State {
    Claimed { token: String },
    Done,
}

impl Records {
    fn insert(&mut self, delivery_id: &str, state: State, expires: Instant) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_expiry
            .insert((expires, seq), delivery_id.to_owned());
        let record = Record {
            state,
            expires,
            seq,
        };
        if let Some(old) = self.by_id.insert(delivery_id.to_owned(), record) {
            self.by_expiry.remove(&(old.expires, old.seq));
        }
    }

    fn remove(&mut self, delivery_id: &str) -> Option<Record> {
        let record = self.by_id.remove(delivery_id)?;
        self.by_expiry.remove(&(record.expires, record.seq));
        Some(record)
    }

    fn forget_expired(&mut self, now: Instant) {
        while let Some(entry) = self.by_expiry.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let delivery_id = entry.remove();
            self.by_id.remove(&delivery_id);
        }
    }

    /// Removes the claim if `claim` still owns it.
    fn take_owned(&mut self, claim: &ClaimToken) -> Result<(), StoreError> {
        let owned = matches!(
            self.by_id.get(claim.delivery_id()),
            Some(Record { state: State::Claimed { token }, .. }) if token == claim.token()
        );
        if !owned {
            return Err(StoreError::ClaimLost {
                delivery_id: claim.delivery_id().to_owned(),
            });
        }
        self.remove(claim.delivery_id());
        Ok(())
    }

    /// Frees one slot if the store is full by forgetting the "done" record
    /// closest to expiry; claims in progress are never dropped.
    fn make_room(&mut self) -> Result<(), StoreError> {
        if self.by_id.len() < self.capacity {
            return Ok(());
        }
        let oldest_done = self
            .by_expiry
            .values()
            .find(|id| matches!(self.by_id.get(*id), Some(r) if r.state == State::Done))
            .cloned();
        match oldest_done {
            Some(delivery_id) => {
                self.remove(&delivery_id);
                Ok(())
            }
            None => Err(StoreError::Full {
                capacity: self.capacity,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);
    const DAY: Duration = Duration::from_secs(24 * 60 * 60);

    async fn acquire(store: &MemoryStore, id: &str, lease: Duration) -> ClaimToken {
        match store.claim(id, lease).await.expect("claim") {
            Claim::Acquired(token) => token,
            other => panic!("expected to acquire {id}, got {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_claim_blocks_until_released_or_its_lease_expires() {
        let store = MemoryStore::default();
        let token = acquire(&store, "wd_1", MINUTE).await;
        assert_eq!(
            store.claim("wd_1", MINUTE).await.unwrap(),
            Claim::InProgress
        );
        store.release(&token).await.unwrap();
        let token = acquire(&store, "wd_1", MINUTE).await;

        tokio::time::advance(MINUTE + Duration::from_millis(1)).await;
        // The holder is presumed dead: the redelivery is processed, and the
        // late holder can no longer finish or drop the new claim.
        let second = acquire(&store, "wd_1", MINUTE).await;
        assert!(matches!(
            store.mark_done(&token, DAY).await,
            Err(StoreError::ClaimLost { .. })
        ));
        assert!(matches!(
            store.release(&token).await,
            Err(StoreError::ClaimLost { .. })
        ));
        store.mark_done(&second, DAY).await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn done_is_remembered_for_its_retention_then_forgotten() {
        let store = MemoryStore::default();
        let token = acquire(&store, "wd_1", MINUTE).await;
        store.mark_done(&token, DAY).await.unwrap();
        assert_eq!(store.claim("wd_1", MINUTE).await.unwrap(), Claim::Done);
        assert!(matches!(
            store.release(&token).await,
            Err(StoreError::ClaimLost { .. })
        ));
        assert_eq!(store.claim("wd_1", MINUTE).await.unwrap(), Claim::Done);

        tokio::time::advance(DAY).await;
        acquire(&store, "wd_1", MINUTE).await;
        assert_eq!(store.len(), 1, "the expired record was forgotten");
    }

    #[tokio::test(start_paused = true)]
    async fn when_full_the_oldest_done_record_goes_and_claims_never_do() {
        let store = MemoryStore::with_capacity(3);
        let a = acquire(&store, "wd_a", MINUTE).await;
        store.mark_done(&a, DAY).await.unwrap();
        let b = acquire(&store, "wd_b", MINUTE).await;
        store.mark_done(&b, 2 * DAY).await.unwrap();
        let _c = acquire(&store, "wd_c", MINUTE).await;

        // Full: the done record closest to expiry (wd_a) makes room.
        let _d = acquire(&store, "wd_d", MINUTE).await;
        assert_eq!(store.len(), 3);
        assert_eq!(store.claim("wd_b", MINUTE).await.unwrap(), Claim::Done);
        // wd_a was forgotten, so it runs again; wd_b makes room this time.
        let _a = acquire(&store, "wd_a", MINUTE).await;
        // Only claims in progress are left, and none is ever dropped.
        assert!(matches!(
            store.claim("wd_e", MINUTE).await,
            Err(StoreError::Full { capacity: 3 })
        ));
        assert_eq!(
            store.claim("wd_c", MINUTE).await.unwrap(),
            Claim::InProgress
        );
    }

    #[tokio::test]
    async fn empty_until_a_delivery_is_claimed() {
        let store = MemoryStore::default();
        assert!(store.is_empty());
        let token = acquire(&store, "wd_1", MINUTE).await;
        assert!(!store.is_empty());
        store.release(&token).await.unwrap();
        assert!(store.is_empty());
    }

    /// Two deliveries claimed at the same instant with the same lease (a
    /// paused clock makes the instants equal) both expire: if the second
    /// record hid the first, the first claim would block its delivery
    /// forever after its holder crashed.
    #[tokio::test(start_paused = true)]
    async fn claims_made_at_the_same_instant_all_expire() {
        let store = MemoryStore::default();
        let _a = acquire(&store, "wd_a", MINUTE).await;
        let _b = acquire(&store, "wd_b", MINUTE).await;
        let _c = acquire(&store, "wd_c", MINUTE).await;
        tokio::time::advance(MINUTE).await;
        for id in ["wd_a", "wd_b", "wd_c"] {
            acquire(&store, id, MINUTE).await;
        }
        assert_eq!(store.len(), 3, "only the three new claims are held");
    }

    #[tokio::test]
    async fn debug_shows_the_size_not_the_records() {
        let store = MemoryStore::with_capacity(5);
        let _ = acquire(&store, "wd_visible_only_as_a_count", MINUTE).await;
        let shown = format!("{store:?}");
        assert_eq!(shown, "MemoryStore { capacity: 5, len: 1 }");
    }

    #[tokio::test(start_paused = true)]
    async fn huge_and_zero_durations_do_not_panic() {
        let store = MemoryStore::default();
        let token = acquire(&store, "wd_1", Duration::MAX).await;
        store.mark_done(&token, Duration::ZERO).await.unwrap();
        tokio::time::advance(Duration::from_millis(1)).await;
        acquire(&store, "wd_1", Duration::ZERO).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_claims_on_one_id_acquire_exactly_once() {
        let store = MemoryStore::default();
        let racers: Vec<_> = (0..32)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.claim("wd_race", MINUTE).await })
            })
            .collect();
        let mut acquired = 0;
        for racer in racers {
            if let Claim::Acquired(_) = racer.await.unwrap().unwrap() {
                acquired += 1;
            }
        }
        assert_eq!(acquired, 1);
    }
}
