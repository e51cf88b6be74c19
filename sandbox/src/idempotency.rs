//! The idempotency store: one entry per (owner, key, method, path).
//!
//! An entry is `InFlight` while the original request runs and `Done` once its answer
//! is stored. The store itself is plain data; callers hold the application lock while
//! using it so that committing a mutation and storing its answer happen together.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::ids;
use crate::reply::Reply;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct IdemKey {
    pub owner: String,
    pub key: String,
    pub method: String,
    pub path: String,
}

enum Entry {
    InFlight {
        token: u64,
        fingerprint: u64,
    },
    Done {
        reply: Reply,
        fingerprint: u64,
        expires: Instant,
    },
}

/// What to do with an incoming keyed request.
pub(crate) enum Begin {
    /// First time (or expired): run it; `token` identifies this attempt.
    Proceed(u64),
    /// Answer with the stored reply.
    Replay(Reply),
    /// The original is still running.
    InFlight,
    /// Same key, different body, on an endpoint that checks bodies.
    BodyMismatch,
}

pub(crate) struct IdemStore {
    entries: HashMap<IdemKey, Entry>,
    ttl: Duration,
    next_token: u64,
    last_sweep: Instant,
}

impl IdemStore {
    pub(crate) fn new(ttl: Duration) -> Self {
        IdemStore {
            entries: HashMap::new(),
            ttl,
            next_token: 1,
            last_sweep: Instant::now(),
        }
    }

    pub(crate) fn begin(
        &mut self,
        key: &IdemKey,
        fingerprint: u64,
        check_body: bool,
        now: Instant,
    ) -> Begin {
        self.sweep(now);
        match self.entries.get(key) {
            Some(Entry::InFlight { fingerprint: f, .. }) => {
                if check_body && *f != fingerprint {
                    Begin::BodyMismatch
                } else {
                    Begin::InFlight
                }
            }
            Some(Entry::Done {
                reply,
                fingerprint: f,
                expires,
            }) if *expires > now => {
                if check_body && *f != fingerprint {
                    Begin::BodyMismatch
                } else {
                    Begin::Replay(reply.clone())
                }
            }
            _ => {
                let token = self.next_token;
                self.next_token += 1;
                self.entries
                    .insert(key.clone(), Entry::InFlight { token, fingerprint });
                Begin::Proceed(token)
            }
        }
    }

    /// Records the answer of attempt `token`: 2xx–4xx are kept for the TTL, 5xx are
    /// forgotten so that a retry runs again. No-op if the attempt already finished.
    pub(crate) fn complete(&mut self, key: &IdemKey, token: u64, reply: &Reply, now: Instant) {
        let fingerprint = match self.entries.get(key) {
            Some(Entry::InFlight {
                token: t,
                fingerprint,
            }) if *t == token => *fingerprint,
            _ => return,
        };
        if reply.status.is_server_error() {
            self.entries.remove(key);
        } else {
            self.entries.insert(
                key.clone(),
                Entry::Done {
                    reply: reply.clone(),
                    fingerprint,
                    expires: now + self.ttl,
                },
            );
        }
    }

    /// Releases attempt `token` if it never finished (e.g. its task was cancelled).
    pub(crate) fn abandon(&mut self, key: &IdemKey, token: u64) {
        if matches!(self.entries.get(key), Some(Entry::InFlight { token: t, .. }) if *t == token) {
            self.entries.remove(key);
        }
    }

    // Expired answers are dropped at most once a second to keep `begin` cheap.
    fn sweep(&mut self, now: Instant) {
        if now.saturating_duration_since(self.last_sweep) < Duration::from_secs(1) {
            return;
        }
        self.last_sweep = now;
        self.entries
            .retain(|_, e| !matches!(e, Entry::Done { expires, .. } if *expires <= now));
    }
}

/// Hash of the request body; JSON is canonicalised first so that key order and
/// whitespace do not count as a different body.
pub(crate) fn body_fingerprint(body: &[u8]) -> u64 {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => ids::fingerprint(canonical(&v).as_bytes()),
        Err(_) => ids::fingerprint(body),
    }
}

fn canonical(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical(&map[k])))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", parts.join(","))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    fn key() -> IdemKey {
        IdemKey {
            owner: "lv_a".into(),
            key: "k".into(),
            method: "POST".into(),
            path: "/v1/qurls".into(),
        }
    }

    fn reply(status: StatusCode) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: bytes::Bytes::from_static(b"{}"),
        }
    }

    #[test]
    fn lifecycle() {
        let mut s = IdemStore::new(Duration::from_secs(60));
        let now = Instant::now();
        let Begin::Proceed(t) = s.begin(&key(), 1, false, now) else {
            panic!("expected proceed")
        };
        assert!(matches!(s.begin(&key(), 1, false, now), Begin::InFlight));
        s.complete(&key(), t, &reply(StatusCode::CREATED), now);
        assert!(
            matches!(s.begin(&key(), 1, false, now), Begin::Replay(r) if r.status == StatusCode::CREATED)
        );
        assert!(matches!(s.begin(&key(), 2, true, now), Begin::BodyMismatch));
        // After the TTL the key is fresh again.
        let later = now + Duration::from_secs(61);
        assert!(matches!(
            s.begin(&key(), 1, false, later),
            Begin::Proceed(_)
        ));
    }

    #[test]
    fn server_errors_are_not_stored() {
        let mut s = IdemStore::new(Duration::from_secs(60));
        let now = Instant::now();
        let Begin::Proceed(t) = s.begin(&key(), 1, false, now) else {
            panic!("expected proceed")
        };
        s.complete(&key(), t, &reply(StatusCode::SERVICE_UNAVAILABLE), now);
        assert!(matches!(s.begin(&key(), 1, false, now), Begin::Proceed(_)));
    }

    #[test]
    fn stale_tokens_do_nothing() {
        let mut s = IdemStore::new(Duration::from_secs(60));
        let now = Instant::now();
        let Begin::Proceed(t) = s.begin(&key(), 1, false, now) else {
            panic!("expected proceed")
        };
        s.complete(&key(), t, &reply(StatusCode::OK), now);
        s.abandon(&key(), t);
        s.complete(&key(), t, &reply(StatusCode::BAD_REQUEST), now);
        assert!(
            matches!(s.begin(&key(), 1, false, now), Begin::Replay(r) if r.status == StatusCode::OK)
        );
    }

    #[test]
    fn canonical_bodies() {
        assert_eq!(
            body_fingerprint(br#"{"a":1,"b":[1,2]}"#),
            body_fingerprint(br#"{ "b": [1, 2], "a": 1 }"#)
        );
        assert_ne!(
            body_fingerprint(br#"{"a":1}"#),
            body_fingerprint(br#"{"a":2}"#)
        );
    }
}
