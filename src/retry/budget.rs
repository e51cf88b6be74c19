//! A per-client token bucket: retries spend tokens, successes refill them,
//! so an outage does not multiply the load on the server.

use std::sync::atomic::{AtomicU32, Ordering};

/// Shared by every clone of a client (and by `with_retry_policy` views).
#[derive(Debug)]
pub struct RetryBudget {
    tokens: AtomicU32,
    capacity: u32,
}

impl RetryBudget {
    /// A full bucket of `capacity` tokens.
    pub fn new(capacity: u32) -> Self {
        Self {
            tokens: AtomicU32::new(capacity),
            capacity,
        }
    }

    /// Take `cost` tokens if there are that many; `false` means "don't retry".
    pub fn try_spend(&self, cost: u32) -> bool {
        self.tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(cost))
            .is_ok()
    }

    /// Put `n` tokens back, up to the capacity.
    pub fn refund(&self, n: u32) {
        if n == 0 {
            return;
        }
        let _ = self
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                (t < self.capacity).then(|| t.saturating_add(n).min(self.capacity))
            });
    }

    /// Tokens left now.
    pub fn available(&self) -> u32 {
        self.tokens.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::RetryBudget;

    #[test]
    fn spends_refunds_and_caps() {
        let b = RetryBudget::new(12);
        assert!(b.try_spend(5));
        assert!(b.try_spend(5));
        assert!(!b.try_spend(5));
        assert_eq!(b.available(), 2);
        b.refund(100);
        assert_eq!(b.available(), 12);
    }
}
