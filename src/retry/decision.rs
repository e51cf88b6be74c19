//! The retry decision: one pure function from what happened to what to do.
//! The loop in the hooks only carries its answers out.

use std::time::Duration;

use super::{Reason, RetryPolicy};
use crate::manifest::Replay;

/// Everything the decision depends on, gathered by the loop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Situation {
    /// Why the attempt failed (it was retryable in kind).
    pub reason: Reason,
    /// The operation's replay class, from the spec.
    pub replay: Replay,
    /// The next backoff delay; `None` once `max_retries` retries were made.
    pub backoff: Option<Duration>,
    /// What the server asked for (`Retry-After`, `RateLimit-Reset`).
    pub server_wait: Option<Duration>,
    /// Time left before the call's deadline, if it has one.
    pub time_left: Option<Duration>,
    /// Tokens in the client's retry budget now.
    pub budget: u32,
}

/// Where a retry's delay came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DelaySource {
    Backoff,
    Server,
}

/// Why the loop stops and returns the last outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The request may have reached the handler and the spec does not say
    /// that repeating it is safe.
    NotReplayable,
    RetriesExhausted,
    ServerWaitTooLong,
    DeadlinePassed,
    BudgetEmpty,
}

impl Stop {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Stop::NotReplayable => {
                "not safe to replay: the request may have reached the server and the spec declares no Idempotency-Key for it"
            }
            Stop::RetriesExhausted => "retries exhausted",
            Stop::ServerWaitTooLong => "server asked to wait longer than max_server_delay",
            Stop::DeadlinePassed => "the wait would pass the call's deadline",
            Stop::BudgetEmpty => "retry budget empty",
        }
    }
}

/// What to do after a retryable failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    Retry {
        delay: Duration,
        source: DelaySource,
        cost: u32,
    },
    Stop(Stop),
}

/// Whether a request that failed for `reason` may be sent again, given
/// what the spec says about the operation.
pub(crate) fn may_replay(reason: Reason, replay: Replay, policy: &RetryPolicy) -> bool {
    let never_reached_handler = matches!(reason, Reason::Connect | Reason::Status(429));
    match replay {
        Replay::Safe | Replay::Keyed | Replay::Idempotent => true,
        Replay::Unkeyed => never_reached_handler || policy.assume_idempotent,
    }
}

/// Retry (with which delay, at which cost) or stop (why).
pub(crate) fn decide(s: &Situation, policy: &RetryPolicy) -> Decision {
    if !may_replay(s.reason, s.replay, policy) {
        return Decision::Stop(Stop::NotReplayable);
    }
    let Some(backoff) = s.backoff else {
        return Decision::Stop(Stop::RetriesExhausted);
    };
    let (delay, source) = match s.server_wait {
        Some(wait) if wait > policy.max_server_delay => {
            return Decision::Stop(Stop::ServerWaitTooLong);
        }
        Some(wait) => (wait, DelaySource::Server),
        None => (backoff, DelaySource::Backoff),
    };
    if s.time_left.is_some_and(|left| delay >= left) {
        return Decision::Stop(Stop::DeadlinePassed);
    }
    let cost = if s.reason == Reason::Timeout {
        policy.timeout_retry_cost
    } else {
        policy.retry_cost
    };
    if s.budget < cost {
        return Decision::Stop(Stop::BudgetEmpty);
    }
    Decision::Retry {
        delay,
        source,
        cost,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    fn situation(reason: Reason, replay: Replay) -> Situation {
        Situation {
            reason,
            replay,
            backoff: Some(MS(100)),
            server_wait: None,
            time_left: None,
            budget: 500,
        }
    }

    const REASONS: [Reason; 8] = [
        Reason::Connect,
        Reason::Timeout,
        Reason::Transport,
        Reason::BodyCut,
        Reason::Status(429),
        Reason::Status(502),
        Reason::Status(503),
        Reason::InFlight,
    ];

    /// Every reason × every class × `assume_idempotent`.
    #[test]
    fn replay_table() {
        for assume in [false, true] {
            let policy = RetryPolicy::default().assume_idempotent(assume);
            for reason in REASONS {
                for replay in [
                    Replay::Safe,
                    Replay::Keyed,
                    Replay::Idempotent,
                    Replay::Unkeyed,
                ] {
                    let reached_handler = !matches!(reason, Reason::Connect | Reason::Status(429));
                    let expect_retry = replay != Replay::Unkeyed || !reached_handler || assume;
                    let got = decide(&situation(reason, replay), &policy);
                    assert_eq!(
                        matches!(got, Decision::Retry { .. }),
                        expect_retry,
                        "{reason:?} {replay:?} assume_idempotent={assume}: {got:?}"
                    );
                    if !expect_retry {
                        assert_eq!(got, Decision::Stop(Stop::NotReplayable));
                    }
                }
            }
        }
    }

    #[test]
    fn delay_comes_from_the_server_when_it_asks_and_from_backoff_otherwise() {
        let policy = RetryPolicy::default();
        let mut s = situation(Reason::Status(503), Replay::Keyed);
        assert_eq!(
            decide(&s, &policy),
            Decision::Retry {
                delay: MS(100),
                source: DelaySource::Backoff,
                cost: 5
            }
        );
        s.server_wait = Some(MS(2_000));
        assert_eq!(
            decide(&s, &policy),
            Decision::Retry {
                delay: MS(2_000),
                source: DelaySource::Server,
                cost: 5
            }
        );
        // Exactly the ceiling is honoured; one past it stops.
        s.server_wait = Some(policy.max_server_delay);
        assert!(matches!(decide(&s, &policy), Decision::Retry { .. }));
        s.server_wait = Some(policy.max_server_delay + MS(1));
        assert_eq!(decide(&s, &policy), Decision::Stop(Stop::ServerWaitTooLong));
    }

    #[test]
    fn timeouts_cost_more_and_the_budget_must_cover_the_cost() {
        let policy = RetryPolicy::default().retry_cost(5).timeout_retry_cost(10);
        let mut s = situation(Reason::Timeout, Replay::Safe);
        s.budget = 10;
        assert!(matches!(
            decide(&s, &policy),
            Decision::Retry { cost: 10, .. }
        ));
        s.budget = 9;
        assert_eq!(decide(&s, &policy), Decision::Stop(Stop::BudgetEmpty));
        s.reason = Reason::Transport;
        assert!(matches!(
            decide(&s, &policy),
            Decision::Retry { cost: 5, .. }
        ));
        s.budget = 4;
        assert_eq!(decide(&s, &policy), Decision::Stop(Stop::BudgetEmpty));
    }

    #[test]
    fn exhausted_and_deadline_stop() {
        let policy = RetryPolicy::default();
        let base = situation(Reason::Status(502), Replay::Safe);
        let exhausted = Situation {
            backoff: None,
            ..base
        };
        assert_eq!(
            decide(&exhausted, &policy),
            Decision::Stop(Stop::RetriesExhausted)
        );
        let tight = Situation {
            time_left: Some(MS(100)),
            ..base
        };
        assert_eq!(
            decide(&tight, &policy),
            Decision::Stop(Stop::DeadlinePassed)
        );
        let roomy = Situation {
            time_left: Some(MS(101)),
            ..base
        };
        assert!(matches!(decide(&roomy, &policy), Decision::Retry { .. }));
    }

    #[test]
    fn not_replayable_wins_over_every_other_reason_to_stop() {
        let policy = RetryPolicy::default();
        let s = Situation {
            backoff: None,
            budget: 0,
            ..situation(Reason::Status(503), Replay::Unkeyed)
        };
        assert_eq!(decide(&s, &policy), Decision::Stop(Stop::NotReplayable));
    }

    #[test]
    fn stop_reasons_read_as_text() {
        assert!(Stop::NotReplayable.as_str().contains("Idempotency-Key"));
        assert_eq!(Stop::BudgetEmpty.as_str(), "retry budget empty");
    }
}
