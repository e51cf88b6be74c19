//! A [`DeliveryStore`] in Redis, for receivers spread over several machines.

use std::fmt;
use std::sync::LazyLock;
use std::time::Duration;

use redis::aio::ConnectionManager;

use super::store::{Claim, ClaimToken, DeliveryStore, StoreError, bounded_ttl};

/// Default prefix of the keys this store writes.
const DEFAULT_KEY_PREFIX: &str = "qurl:webhook-delivery:";

/// Value of a processed delivery's key.
const DONE: &str = "done";

// Finishing and releasing act only while the key still holds the caller's
// token: a holder whose lease expired must not touch a newer claim. The
// check and the write are one script, so nothing can slip in between.
static MARK_DONE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"if redis.call('GET', KEYS[1]) == ARGV[1] then
            redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
            return 1
          end
          return 0",
    )
});
static RELEASE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"if redis.call('GET', KEYS[1]) == ARGV[1] then
            return redis.call('DEL', KEYS[1])
          end
          return 0",
    )
});

/// A [`DeliveryStore`] in Redis (feature `redis`): every receiver that
/// shares the Redis server sees the same claims, so a delivery retried to
/// another machine still runs once.
///
/// A claim is `SET key token NX PX lease` (atomic: one caller wins); "done"
/// replaces it with an expiry of its own; finishing and releasing go through
/// small Lua scripts that check the token first. Keys are
/// `qurl:webhook-delivery:<delivery id>` unless [`key_prefix`](Self::key_prefix)
/// says otherwise. Cheap to clone (one multiplexed, reconnecting connection).
///
/// ```no_run
/// // Not run as a doc test: it needs a Redis server at this address.
/// use qurl::webhooks::{OncePerDelivery, RedisStore};
///
/// # async fn demo() -> Result<(), qurl::webhooks::StoreError> {
/// let store = RedisStore::connect("redis://127.0.0.1:6379/").await?;
/// let once = OncePerDelivery::new(store);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    key_prefix: String,
}

impl fmt::Debug for RedisStore {
    // The connection is left out: its address may carry a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("key_prefix", &self.key_prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to `url` (`redis://[:password@]host:port/db`).
    ///
    /// ```no_run
    /// // Not run as a doc test: it needs a Redis server at this address.
    /// # async fn demo() -> Result<(), qurl::webhooks::StoreError> {
    /// let store = qurl::webhooks::RedisStore::connect("redis://127.0.0.1:6379/").await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(backend)?;
        let connection = client.get_connection_manager().await.map_err(backend)?;
        Ok(Self::from_connection(connection))
    }

    /// Uses a connection you configured yourself (timeouts, TLS, retries).
    ///
    /// ```no_run
    /// // Not run as a doc test: it needs a Redis server at this address.
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = redis::Client::open("redis://127.0.0.1:6379/")?;
    /// let store = qurl::webhooks::RedisStore::from_connection(client.get_connection_manager().await?);
    /// # Ok(()) }
    /// ```
    pub fn from_connection(connection: ConnectionManager) -> Self {
        Self {
            connection,
            key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
        }
    }

    /// Prefix of the keys written, e.g. one per application sharing a server.
    ///
    /// ```no_run
    /// // Not run as a doc test: it needs a Redis server at this address.
    /// # async fn demo() -> Result<(), qurl::webhooks::StoreError> {
    /// let store = qurl::webhooks::RedisStore::connect("redis://127.0.0.1:6379/")
    ///     .await?
    ///     .key_prefix("billing:qurl-delivery:");
    /// # Ok(()) }
    /// ```
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    fn key(&self, delivery_id: &str) -> String {
        format!("{}{delivery_id}", self.key_prefix)
    }

    /// Runs a token-checking script; `ClaimLost` when the claim is not ours.
    async fn owned_write(
        &self,
        script: &redis::Script,
        claim: &ClaimToken,
        extra_args: &[&str],
    ) -> Result<(), StoreError> {
        let mut invocation = script.key(self.key(claim.delivery_id()));
        invocation.arg(claim.token());
        for arg in extra_args {
            invocation.arg(*arg);
        }
        let written: i64 = invocation
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(backend)?;
        if written == 1 {
            Ok(())
        } else {
            Err(StoreError::ClaimLost {
                delivery_id: claim.delivery_id().to_owned(),
            })
        }
    }
}

impl DeliveryStore for RedisStore {
    async fn claim(&self, delivery_id: &str, lease: Duration) -> Result<Claim, StoreError> {
        let key = self.key(delivery_id);
        let token = ClaimToken::new(delivery_id);
        let mut connection = self.connection.clone();
        let set: Option<String> = redis::cmd("SET")
            .arg(&key)
            .arg(token.token())
            .arg("NX")
            .arg("PX")
            .arg(millis(lease))
            .query_async(&mut connection)
            .await
            .map_err(backend)?;
        if set.is_some() {
            return Ok(Claim::Acquired(token));
        }
        let current: Option<String> = redis::cmd("GET")
            .arg(&key)
            .query_async(&mut connection)
            .await
            .map_err(backend)?;
        // A key that expired between the two calls reads as in progress: the
        // sender retries, and the retry can claim it.
        Ok(match current.as_deref() {
            Some(DONE) => Claim::Done,
            _ => Claim::InProgress,
        })
    }

    async fn mark_done(
        &self,
        claim: &ClaimToken,
        remember_for: Duration,
    ) -> Result<(), StoreError> {
        let ttl = millis(remember_for).to_string();
        self.owned_write(&MARK_DONE, claim, &[DONE, &ttl]).await
    }

    async fn release(&self, claim: &ClaimToken) -> Result<(), StoreError> {
        self.owned_write(&RELEASE, claim, &[]).await
    }
}

fn millis(ttl: Duration) -> u64 {
    u64::try_from(bounded_ttl(ttl).as_millis()).unwrap_or(u64::MAX)
}

fn backend(err: redis::RedisError) -> StoreError {
    StoreError::Backend(Box::new(err))
}
