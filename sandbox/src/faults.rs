//! Fault kinds, scripted faults, and the per-request fault decision.

use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// A failure the sandbox can inject into one API request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Close the connection before the request is handled; nothing is committed.
    DropBeforeHandling,
    /// Handle and commit the request, then close the connection without answering.
    DropAfterCommit,
    /// Answer 502 without handling the request.
    BadGateway,
    /// Answer 503 without handling the request.
    ServiceUnavailable,
    /// Answer 504 without handling the request.
    GatewayTimeout,
    /// Answer 429 `rate_limit_exceeded` with `Retry-After` without handling the request.
    RateLimited,
    /// Wait for the configured slow delay, then handle and commit (even if the client left).
    Delay,
    /// Handle and commit, then send the headers and only part of the body.
    TruncatedBody,
}

impl FaultKind {
    /// Every fault kind, in declaration order.
    pub const ALL: [FaultKind; 8] = [
        FaultKind::DropBeforeHandling,
        FaultKind::DropAfterCommit,
        FaultKind::BadGateway,
        FaultKind::ServiceUnavailable,
        FaultKind::GatewayTimeout,
        FaultKind::RateLimited,
        FaultKind::Delay,
        FaultKind::TruncatedBody,
    ];

    /// The snake_case name used in JSON, on the command line and in [`crate::Counters::faults`].
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::DropBeforeHandling => "drop_before_handling",
            FaultKind::DropAfterCommit => "drop_after_commit",
            FaultKind::BadGateway => "bad_gateway",
            FaultKind::ServiceUnavailable => "service_unavailable",
            FaultKind::GatewayTimeout => "gateway_timeout",
            FaultKind::RateLimited => "rate_limited",
            FaultKind::Delay => "delay",
            FaultKind::TruncatedBody => "truncated_body",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error returned when parsing an unknown fault kind name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownFaultKind(pub String);

impl fmt::Display for UnknownFaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = FaultKind::ALL.iter().map(FaultKind::name).collect();
        write!(
            f,
            "unknown fault kind `{}` (expected one of: {})",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownFaultKind {}

impl FromStr for FaultKind {
    type Err = UnknownFaultKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FaultKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| UnknownFaultKind(s.to_owned()))
    }
}

/// A fault queued for the next matching requests.
///
/// `method` matches case-insensitively; `path` matches exactly, or as a prefix when it
/// ends with `*`. `None` matches anything. The fault fires for the next `times` matching
/// requests and is then discarded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedFault {
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    pub kind: FaultKind,
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

impl ScriptedFault {
    /// A fault of `kind` that fires once on any API request.
    pub fn new(kind: FaultKind) -> Self {
        ScriptedFault {
            method: None,
            path: None,
            kind,
            times: 1,
        }
    }

    /// Only fire for this HTTP method.
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// Only fire for this path (exact, or a prefix when it ends with `*`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Fire for this many matching requests.
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = self
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method));
        let path_ok = self
            .path
            .as_deref()
            .is_none_or(|p| match p.strip_suffix('*') {
                Some(prefix) => path.starts_with(prefix),
                None => p == path,
            });
        method_ok && path_ok
    }
}

/// Decides, per request, which fault (if any) to inject.
pub(crate) struct FaultPlan {
    state: Mutex<PlanState>,
}

struct PlanState {
    scripted: Vec<ScriptedFault>,
    rate: f64,
    kinds: Vec<FaultKind>,
    rng: StdRng,
}

/// Keeps a rate inside 0..=1 so a bad value can never make the plan misbehave.
pub(crate) fn clamp_rate(rate: f64) -> f64 {
    if rate.is_nan() {
        0.0
    } else {
        rate.clamp(0.0, 1.0)
    }
}

impl FaultPlan {
    pub(crate) fn new(rate: f64, kinds: Vec<FaultKind>, seed: u64) -> Self {
        FaultPlan {
            state: Mutex::new(PlanState {
                scripted: Vec::new(),
                rate: clamp_rate(rate),
                kinds,
                rng: StdRng::seed_from_u64(seed),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, PlanState> {
        // A panic elsewhere must not disable fault injection for later requests.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn script(&self, fault: ScriptedFault) {
        if fault.times > 0 {
            self.lock().scripted.push(fault);
        }
    }

    pub(crate) fn set_rate(&self, rate: f64) {
        self.lock().rate = clamp_rate(rate);
    }

    /// Scripted faults win; otherwise one random draw decides, so a given seed and
    /// request sequence always yields the same faults.
    pub(crate) fn choose(&self, method: &str, path: &str) -> Option<FaultKind> {
        let mut st = self.lock();
        if let Some(i) = st.scripted.iter().position(|f| f.matches(method, path)) {
            let fault = &mut st.scripted[i];
            let kind = fault.kind;
            fault.times -= 1;
            if fault.times == 0 {
                st.scripted.remove(i);
            }
            return Some(kind);
        }
        let roll: f64 = st.rng.random();
        if st.kinds.is_empty() || roll >= st.rate {
            return None;
        }
        let n = st.kinds.len();
        let i = st.rng.random_range(0..n);
        Some(st.kinds[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in FaultKind::ALL {
            assert_eq!(k.name().parse::<FaultKind>(), Ok(k));
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.name()));
        }
        assert!("nope".parse::<FaultKind>().is_err());
    }

    #[test]
    fn scripted_fires_exactly_times() {
        let plan = FaultPlan::new(0.0, FaultKind::ALL.to_vec(), 0);
        plan.script(
            ScriptedFault::new(FaultKind::BadGateway)
                .method("post")
                .path("/v1/qurls")
                .times(2),
        );
        assert_eq!(plan.choose("GET", "/v1/qurls"), None);
        assert_eq!(
            plan.choose("POST", "/v1/qurls"),
            Some(FaultKind::BadGateway)
        );
        assert_eq!(
            plan.choose("POST", "/v1/qurls"),
            Some(FaultKind::BadGateway)
        );
        assert_eq!(plan.choose("POST", "/v1/qurls"), None);
    }

    #[test]
    fn prefix_paths_match() {
        let f = ScriptedFault::new(FaultKind::Delay).path("/v1/qurls*");
        assert!(f.matches("GET", "/v1/qurls/r_abc"));
        assert!(!f.matches("GET", "/v1/quota"));
    }

    #[test]
    fn seeded_choice_is_reproducible() {
        let draw = |seed| {
            let plan = FaultPlan::new(0.5, FaultKind::ALL.to_vec(), seed);
            (0..64)
                .map(|_| plan.choose("POST", "/v1/qurls"))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        assert!(draw(7).iter().any(Option::is_some));
        assert!(draw(7).iter().any(Option::is_none));
    }

    #[test]
    fn rates_are_clamped() {
        assert_eq!(clamp_rate(f64::NAN), 0.0);
        assert_eq!(clamp_rate(-1.0), 0.0);
        assert_eq!(clamp_rate(3.0), 1.0);
    }
}
