//! Faults injected into webhook deliveries: a copy sent twice, a late
//! send, or an attempt lost on the way. Scripted faults come first; then a
//! seeded draw, so a run can be repeated exactly.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::faults::clamp_rate;

/// What can happen to one delivery attempt.
///
/// ```
/// use qurl_sandbox::delivery::DeliveryFault;
/// assert!(DeliveryFault::ALL.contains(&DeliveryFault::Drop));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeliveryFault {
    /// The attempt is sent twice at once: same bytes, same `QURL-Delivery`.
    Duplicate,
    /// The attempt waits [`DeliveryFaults::delay`] before it is sent.
    Delay,
    /// The attempt is lost before reaching the receiver; it is retried.
    Drop,
}

impl DeliveryFault {
    /// Every kind, for random draws.
    ///
    /// ```
    /// assert_eq!(qurl_sandbox::delivery::DeliveryFault::ALL.len(), 3);
    /// ```
    pub const ALL: [DeliveryFault; 3] = [Self::Duplicate, Self::Delay, Self::Drop];
}

/// Decides, per attempt, which [`DeliveryFault`] (if any) to inject.
///
/// ```
/// use qurl_sandbox::delivery::{DeliveryFault, DeliveryFaults};
///
/// let faults = DeliveryFaults::seeded(0.0, 7);
/// faults.script(DeliveryFault::Drop, 2);
/// assert_eq!(faults.next(), Some(DeliveryFault::Drop));
/// assert_eq!(faults.next(), Some(DeliveryFault::Drop));
/// assert_eq!(faults.next(), None);
/// ```
#[derive(Debug)]
pub struct DeliveryFaults {
    state: Mutex<State>,
    delay: Duration,
}

#[derive(Debug)]
struct State {
    scripted: VecDeque<DeliveryFault>,
    rate: f64,
    rng: StdRng,
}

impl Default for DeliveryFaults {
    /// No faults.
    fn default() -> Self {
        Self::seeded(0.0, 0)
    }
}

impl DeliveryFaults {
    /// Faults on a share `rate` (clamped to 0..=1) of attempts, drawn from `seed`.
    ///
    /// ```
    /// let always = qurl_sandbox::delivery::DeliveryFaults::seeded(1.0, 7);
    /// assert!(always.next().is_some());
    /// ```
    pub fn seeded(rate: f64, seed: u64) -> Self {
        Self {
            state: Mutex::new(State {
                scripted: VecDeque::new(),
                rate: clamp_rate(rate),
                rng: StdRng::seed_from_u64(seed),
            }),
            delay: Duration::from_millis(200),
        }
    }

    /// How long [`DeliveryFault::Delay`] holds an attempt (default 200 ms).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let faults = qurl_sandbox::delivery::DeliveryFaults::default().with_delay(Duration::from_secs(1));
    /// assert_eq!(faults.delay(), Duration::from_secs(1));
    /// ```
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// The configured delay.
    ///
    /// ```
    /// # use std::time::Duration;
    /// assert_eq!(qurl_sandbox::delivery::DeliveryFaults::default().delay(), Duration::from_millis(200));
    /// ```
    pub fn delay(&self) -> Duration {
        self.delay
    }

    /// Injects `fault` into the next `times` attempts (before any random draw).
    ///
    /// ```
    /// use qurl_sandbox::delivery::{DeliveryFault, DeliveryFaults};
    /// let faults = DeliveryFaults::default();
    /// faults.script(DeliveryFault::Delay, 1);
    /// assert_eq!(faults.next(), Some(DeliveryFault::Delay));
    /// ```
    pub fn script(&self, fault: DeliveryFault, times: u32) {
        let mut state = self.lock();
        state
            .scripted
            .extend(std::iter::repeat_n(fault, times as usize));
    }

    /// The fault for the next attempt, if any.
    ///
    /// ```
    /// assert_eq!(qurl_sandbox::delivery::DeliveryFaults::default().next(), None);
    /// ```
    pub fn next(&self) -> Option<DeliveryFault> {
        let mut state = self.lock();
        if let Some(fault) = state.scripted.pop_front() {
            return Some(fault);
        }
        let rate = state.rate;
        if rate > 0.0 && state.rng.random_bool(rate) {
            let pick = state.rng.random_range(0..DeliveryFault::ALL.len());
            return Some(DeliveryFault::ALL[pick]);
        }
        None
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not switch fault injection off.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_faults_and_the_rate_is_respected() {
        let draw = |seed| {
            let faults = DeliveryFaults::seeded(0.5, seed);
            (0..200).map(|_| faults.next()).collect::<Vec<_>>()
        };
        assert_eq!(draw(3), draw(3));
        let hits = draw(3).iter().filter(|f| f.is_some()).count();
        assert!((60..=140).contains(&hits), "{hits} of 200 at rate 0.5");
        for kind in DeliveryFault::ALL {
            assert!(draw(3).contains(&Some(kind)), "{kind:?} never drawn");
        }
        let none = DeliveryFaults::seeded(f64::NAN, 1);
        assert!((0..100).all(|_| none.next().is_none()));
    }
}
