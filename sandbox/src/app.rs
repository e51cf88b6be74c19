//! Shared application state and the single critical section that commits a
//! mutation together with its idempotent answer.

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::http::Method;
use chrono::{DateTime, Utc};

use crate::counters::Counters;
use crate::faults::FaultPlan;
use crate::handlers::{Outcome, render};
use crate::idempotency::{IdemKey, IdemStore};
use crate::problem::Problem;
use crate::reply::Reply;
use crate::spec::Operation;
use crate::store::Store;

pub(crate) struct Config {
    pub base_url: String,
    pub slow_delay: Duration,
    pub retry_after_secs: u64,
    pub delivery: crate::delivery::DeliverySettings,
}

/// Everything guarded by the one lock: records, stored answers and counters.
pub(crate) struct Inner {
    pub store: Store,
    pub idem: IdemStore,
    pub counters: Counters,
    /// Fingerprints of (owner, method, path, body) of unkeyed mutations already run.
    unkeyed_seen: HashSet<u64>,
}

pub(crate) struct App {
    inner: Mutex<Inner>,
    pub faults: FaultPlan,
    pub config: Config,
}

/// Per-request facts the dispatcher hands to the commit.
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    pub op: &'static Operation,
    pub owner: String,
    pub request_id: String,
    pub method: Method,
    pub path: String,
    pub idem: Option<IdemSlot>,
    /// The key the request carried, honoured or not (counted either way).
    pub key: Option<String>,
    /// Fingerprint of the request body.
    pub body_hash: u64,
}

/// The idempotency entry this request holds while it runs.
#[derive(Clone, Debug)]
pub(crate) struct IdemSlot {
    pub key: IdemKey,
    pub token: u64,
}

impl Ctx {
    pub(crate) fn problem(&self, p: Problem) -> Reply {
        render(self.op, p, &self.path, &self.request_id)
    }

    fn unkeyed_fingerprint(&self) -> u64 {
        let text = format!(
            "{}\n{}\n{}\n{:016x}",
            self.owner, self.method, self.path, self.body_hash
        );
        crate::ids::fingerprint(text.as_bytes())
    }
}

impl App {
    pub(crate) fn new(config: Config, faults: FaultPlan, idempotency_ttl: Duration) -> Self {
        App {
            inner: Mutex::new(Inner {
                store: Store::default(),
                idem: IdemStore::new(idempotency_ttl),
                counters: Counters::default(),
                unkeyed_seen: HashSet::new(),
            }),
            faults,
            config,
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        // Keep serving after a panic in some task rather than poisoning every request.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn counters(&self) -> Counters {
        self.lock().counters.clone()
    }

    /// Runs `work` and, under the same lock, counts the commit and stores the answer
    /// under the request's idempotency key. A connection that dies afterwards
    /// therefore finds the answer stored: the retry is replayed, never redone.
    pub(crate) fn commit<F>(&self, ctx: &Ctx, work: F) -> Reply
    where
        F: FnOnce(&mut Store, DateTime<Utc>) -> Result<Outcome, Problem>,
    {
        let mut inner = self.lock();
        let outcome = work(&mut inner.store, Utc::now())
            .unwrap_or_else(|p| Outcome::Rejected(ctx.problem(p)));
        let reply = match outcome {
            Outcome::Committed {
                reply,
                created,
                changed,
            } => {
                if !changed {
                    // It found what it asked for (a create that found the
                    // existing object): nothing was carried out, so nothing
                    // counts, and a repeat of it is no duplicate.
                } else if matches!(ctx.method, Method::POST | Method::PUT | Method::PATCH) {
                    // A key protects only where the spec declares it; elsewhere
                    // the server ignores it, so a repeat counts whatever was sent.
                    let protected = ctx.key.is_some() && ctx.op.declares_key;
                    let repeat =
                        !protected && !inner.unkeyed_seen.insert(ctx.unkeyed_fingerprint());
                    inner
                        .counters
                        .record_commit(ctx.key.as_deref(), created, repeat);
                } else {
                    inner.counters.resources_created += created;
                }
                reply
            }
            Outcome::Rejected(reply) => reply,
        };
        if let Some(slot) = &ctx.idem {
            inner
                .idem
                .complete(&slot.key, slot.token, &reply, Instant::now());
        }
        reply
    }
}
