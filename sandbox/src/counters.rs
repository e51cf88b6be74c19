//! What the sandbox observed, for assertions in tests.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::faults::FaultKind;

/// A snapshot of the sandbox's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// API requests received, faulted ones included (admin `/_sandbox/*` requests are not counted).
    pub requests: u64,
    /// `Idempotency-Key` value -> number of requests that carried it.
    pub attempts_by_key: BTreeMap<String, u64>,
    /// Objects created, as committed: qURL tokens, API keys, access codes, webhooks,
    /// domains, and resources made by `POST /v1/resources` (a resource auto-created
    /// together with its first qURL is not counted separately).
    pub resources_created: u64,
    /// `Idempotency-Key` value -> number of committed executions. A correct client
    /// never makes this exceed 1.
    pub creations_by_key: BTreeMap<String, u64>,
    /// POST/PUT/PATCH executions that committed without an `Idempotency-Key`.
    pub unkeyed_creations: u64,
    /// Unkeyed POST/PUT/PATCH executions that repeated an earlier one exactly (same
    /// owner, method, path and body): the duplicates a client without keys causes
    /// when it retries. Not part of [`Counters::duplicates`], which counts keys.
    #[serde(default)]
    pub unkeyed_duplicates: u64,
    /// Responses replayed from the idempotency store.
    pub replays: u64,
    /// `409 duplicate_request` answers (same key while the original was still running).
    pub in_flight_conflicts: u64,
    /// Fault kind name -> number of times it was injected.
    pub faults: BTreeMap<String, u64>,
}

impl Counters {
    /// Executions beyond the first for every key: non-zero means a request was
    /// carried out twice despite carrying the same `Idempotency-Key`.
    pub fn duplicates(&self) -> u64 {
        self.creations_by_key
            .values()
            .map(|n| n.saturating_sub(1))
            .sum()
    }

    /// How often `kind` was injected.
    pub fn fault_count(&self, kind: FaultKind) -> u64 {
        self.faults.get(kind.name()).copied().unwrap_or(0)
    }

    pub(crate) fn record_request(&mut self, key: Option<&str>) {
        self.requests += 1;
        if let Some(key) = key {
            *self.attempts_by_key.entry(key.to_owned()).or_default() += 1;
        }
    }

    pub(crate) fn record_fault(&mut self, kind: FaultKind) {
        *self.faults.entry(kind.name().to_owned()).or_default() += 1;
    }

    /// `repeat`: an unkeyed execution identical to an earlier one.
    pub(crate) fn record_commit(&mut self, key: Option<&str>, created: u64, repeat: bool) {
        self.resources_created += created;
        match key {
            Some(key) => *self.creations_by_key.entry(key.to_owned()).or_default() += 1,
            None => self.unkeyed_creations += 1,
        }
        if repeat {
            self.unkeyed_duplicates += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_sum_extra_executions() {
        let mut c = Counters::default();
        c.record_commit(Some("a"), 1, false);
        c.record_commit(Some("b"), 1, false);
        c.record_commit(Some("b"), 1, false);
        c.record_commit(Some("b"), 1, false);
        c.record_commit(None, 1, false);
        c.record_commit(None, 1, true);
        assert_eq!(c.duplicates(), 2);
        assert_eq!(c.resources_created, 6);
        assert_eq!(c.unkeyed_creations, 2);
        assert_eq!(c.unkeyed_duplicates, 1);
    }
}
