//! The public handle: configure with [`SandboxBuilder`], run as [`Sandbox`].

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::{App, Config};
use crate::counters::Counters;
use crate::delivery::DeliverySettings;
use crate::delivery::{DeliveryFault, DeliveryFaults, Policy};
use crate::faults::{FaultKind, FaultPlan, ScriptedFault};
use crate::{dispatch, server};

/// Configuration for a [`Sandbox`]; every setter takes and returns `self`.
#[derive(Clone, Debug)]
pub struct SandboxBuilder {
    port: u16,
    fault_rate: f64,
    fault_kinds: Vec<FaultKind>,
    seed: u64,
    idempotency_ttl: Duration,
    slow_delay: Duration,
    retry_after_secs: u64,
    delivery_policy: Policy,
    delivery_fault_rate: f64,
    delivery_delay: Duration,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        SandboxBuilder {
            port: 0,
            fault_rate: 0.0,
            fault_kinds: FaultKind::ALL.to_vec(),
            seed: 0,
            idempotency_ttl: Duration::from_secs(24 * 3600),
            slow_delay: Duration::from_secs(3),
            retry_after_secs: 1,
            delivery_policy: Policy::default(),
            delivery_fault_rate: 0.0,
            delivery_delay: Duration::from_millis(200),
        }
    }
}

impl SandboxBuilder {
    /// Port on 127.0.0.1; 0 (the default) picks a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Probability (0.0..=1.0) that an API request gets a random fault. Default 0.
    pub fn fault_rate(mut self, rate: f64) -> Self {
        self.fault_rate = rate;
        self
    }

    /// The kinds random faults are drawn from. Default: [`FaultKind::ALL`].
    pub fn fault_kinds(mut self, kinds: Vec<FaultKind>) -> Self {
        self.fault_kinds = kinds;
        self
    }

    /// Seed of the fault RNG: the same seed and request sequence give the same faults. Default 0.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// How long idempotent answers are kept. Default 24 h.
    pub fn idempotency_ttl(mut self, ttl: Duration) -> Self {
        self.idempotency_ttl = ttl;
        self
    }

    /// How long [`FaultKind::Delay`] holds a request before handling it. Default 3 s.
    pub fn slow_delay(mut self, delay: Duration) -> Self {
        self.slow_delay = delay;
        self
    }

    /// `Retry-After` seconds on the injected 429 and 503. Default 1.
    pub fn retry_after_secs(mut self, secs: u64) -> Self {
        self.retry_after_secs = secs;
        self
    }

    /// How webhook deliveries are retried (attempts, per-attempt timeout,
    /// backoff). Default: 5 attempts of 5 s, waits of 200 ms doubling to 5 s.
    pub fn delivery_policy(mut self, policy: Policy) -> Self {
        self.delivery_policy = policy;
        self
    }

    /// Probability (clamped to 0.0..=1.0) that a webhook delivery attempt is
    /// duplicated, delayed or dropped; drawn from the same seed. Default 0.
    pub fn delivery_fault_rate(mut self, rate: f64) -> Self {
        self.delivery_fault_rate = rate;
        self
    }

    /// How long [`DeliveryFault::Delay`] holds a delivery attempt. Default 200 ms.
    pub fn delivery_delay(mut self, delay: Duration) -> Self {
        self.delivery_delay = delay;
        self
    }

    /// Binds 127.0.0.1 and starts serving on the current Tokio runtime.
    ///
    /// Fails with `InvalidInput` if the fault rate is outside 0.0..=1.0.
    pub async fn start(self) -> io::Result<Sandbox> {
        if !(0.0..=1.0).contains(&self.fault_rate) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "fault rate must be within 0.0..=1.0, got {}",
                    self.fault_rate
                ),
            ));
        }
        // Parse and compile the spec now, not on the first request.
        crate::spec::spec();
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, self.port)).await?;
        let addr = listener.local_addr()?;
        let config = Config {
            base_url: format!("http://{addr}"),
            slow_delay: self.slow_delay,
            retry_after_secs: self.retry_after_secs,
            delivery: DeliverySettings {
                policy: self.delivery_policy,
                faults: DeliveryFaults::seeded(self.delivery_fault_rate, self.seed)
                    .with_delay(self.delivery_delay),
            },
        };
        let faults = FaultPlan::new(self.fault_rate, self.fault_kinds, self.seed);
        let app = Arc::new(App::new(config, faults, self.idempotency_ttl));
        let router = dispatch::router(app.clone());
        let (shutdown, shutdown_rx) = watch::channel(false);
        let accept = tokio::spawn(server::accept_loop(
            listener,
            app.clone(),
            router,
            shutdown_rx,
        ));
        Ok(Sandbox {
            addr,
            app,
            accept,
            shutdown,
        })
    }
}

/// A running sandbox server on 127.0.0.1. Dropping it stops accepting connections
/// and asks open connections to finish their current request and close.
pub struct Sandbox {
    addr: SocketAddr,
    app: Arc<App>,
    accept: JoinHandle<()>,
    shutdown: watch::Sender<bool>,
}

impl Sandbox {
    /// A builder with the defaults.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// `http://127.0.0.1:<port>`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A snapshot of the counters.
    pub fn counters(&self) -> Counters {
        self.app.counters()
    }

    /// Queues a fault for the next matching requests (before any random fault).
    pub fn script(&self, fault: ScriptedFault) {
        self.app.faults.script(fault);
    }

    /// Injects `fault` into the next `times` webhook delivery attempts
    /// (before any random delivery fault).
    pub fn script_delivery(&self, fault: DeliveryFault, times: u32) {
        self.app.config.delivery.faults.script(fault, times);
    }

    /// Changes the random fault rate; values outside 0.0..=1.0 are clamped (NaN means 0).
    pub fn set_fault_rate(&self, rate: f64) {
        self.app.faults.set_rate(rate);
    }
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // Neither call needs a runtime, so dropping outside one is fine.
        let _ = self.shutdown.send(true);
        self.accept.abort();
    }
}
