//! A fleet's worth of calls through one client (issue 19): 100,000 mutating
//! calls against a sandbox that faults 30% of API requests, every fault kind.
//!
//! Run with `cargo bench --bench soak` (a release build; `cargo test` never
//! runs it). For each in-flight level a fresh sandbox runs in its own process
//! (this binary, started again as a child), so the client's RSS and CPU are
//! the client's alone. One client (one API key, the default retry budget)
//! makes every call: 4 in 5 create a qURL, 1 in 5 creates two in a batch;
//! the spec declares `Idempotency-Key` on both operations.
//!
//! Per level it reports calls/s; the sandbox's duplicates (must be 0); the
//! calls that failed after their retries, each error's key, and those calls
//! resent with their keys by a second, patient client until every call has
//! run exactly once; RSS at 10%, 50% and 100% of the calls; the retry
//! budget's lowest point; p50/p99 attempts per call (counted by the sandbox
//! per key); CPU seconds of client and sandbox.
//!
//! | variable                     | default | meaning                                        |
//! |------------------------------|---------|------------------------------------------------|
//! | `QURL_SOAK_CALLS`            | 100000  | calls per level                                |
//! | `QURL_SOAK_IN_FLIGHT`        | 64,256  | in-flight levels, comma-separated              |
//! | `QURL_SOAK_FAULT_PCT`        | 30      | % of API requests the sandbox faults           |
//! | `QURL_SOAK_TIMEOUT_MS`       | 500     | the client's per-attempt timeout               |
//! | `QURL_SOAK_SLOW_DELAY_MS`    | 600     | the delay fault (longer than the timeout)      |
//! | `QURL_SOAK_RETRY_AFTER_SECS` | 0       | `Retry-After` on injected 429/503              |
//! | `QURL_SOAK_BUDGET`           | 500     | retry budget tokens (500 is the client default)|
//! | `QURL_SOAK_CLIENT_THREADS`   | 2       | worker threads of the client runtime           |
//! | `QURL_SOAK_DEADLINE_SECS`    | 900     | per level: no call starts after this           |

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use qurl::types::CreateQurlRequest;
use qurl_sandbox::{Counters, FaultKind, Sandbox};
use uuid::Uuid;

/// Set in the child's environment: serve the sandbox instead of soaking.
const SANDBOX_CHILD: &str = "QURL_SOAK_SANDBOX_CHILD";
const API_KEY: &str = "lv_live_soak_fleet_0001_key";
/// Distinct target URLs: creates reuse their resources, so the one key stays
/// under the sandbox plan's 1,000 active qURLs however many calls run.
const TARGETS: usize = 200;
/// Resend passes over the failed calls, each with a patient client.
const RESUME_PASSES: usize = 3;

struct Config {
    calls: usize,
    levels: Vec<usize>,
    fault_rate: f64,
    timeout: Duration,
    slow_delay: Duration,
    retry_after_secs: u64,
    budget: u32,
    client_threads: usize,
    deadline: Duration,
}

impl Config {
    fn from_env() -> Self {
        let levels = std::env::var("QURL_SOAK_IN_FLIGHT")
            .unwrap_or_else(|_| "64,256".into())
            .split(',')
            .filter_map(|v| v.trim().parse().ok())
            .filter(|&n| n > 0)
            .collect();
        let ms = |name, default| Duration::from_millis(support::env_usize(name, default) as u64);
        Config {
            calls: support::env_usize("QURL_SOAK_CALLS", 100_000).max(10),
            levels,
            fault_rate: support::env_usize("QURL_SOAK_FAULT_PCT", 30).min(100) as f64 / 100.0,
            timeout: ms("QURL_SOAK_TIMEOUT_MS", 500),
            slow_delay: ms("QURL_SOAK_SLOW_DELAY_MS", 600),
            retry_after_secs: support::env_usize("QURL_SOAK_RETRY_AFTER_SECS", 0) as u64,
            budget: support::env_usize("QURL_SOAK_BUDGET", qurl::DEFAULT_RETRY_BUDGET as usize)
                as u32,
            client_threads: support::env_usize("QURL_SOAK_CLIENT_THREADS", 2).max(1),
            deadline: Duration::from_secs(support::env_usize("QURL_SOAK_DEADLINE_SECS", 900) as u64),
        }
    }
}

// ---------------------------------------------------------------- sandbox

/// The child: serve the sandbox until the parent closes our stdin.
fn serve_sandbox(cfg: &Config) {
    // A worker per core, as the `qurl-sandbox` binary's `#[tokio::main]` has.
    let rt = tokio::runtime::Runtime::new().expect("sandbox runtime");
    rt.block_on(async {
        let sandbox = Sandbox::builder()
            .fault_rate(cfg.fault_rate)
            .fault_kinds(FaultKind::ALL.to_vec())
            .seed(19)
            .slow_delay(cfg.slow_delay)
            .retry_after_secs(cfg.retry_after_secs)
            .start()
            .await
            .expect("start the sandbox");
        println!("{}", sandbox.base_url());
        let _ = tokio::io::copy(&mut tokio::io::stdin(), &mut tokio::io::sink()).await;
    });
}

/// The sandbox in its own process; stopped when dropped (and when we exit,
/// since its stdin closes).
struct SandboxProcess {
    child: Child,
    base_url: String,
}

impl SandboxProcess {
    fn start() -> Self {
        let mut child = Command::new(std::env::current_exe().expect("this bench's path"))
            .env(SANDBOX_CHILD, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the sandbox process");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("sandbox stdout"))
            .read_line(&mut line)
            .expect("the sandbox prints its URL");
        Self {
            child,
            base_url: line.trim().to_owned(),
        }
    }

    fn cpu_secs(&self) -> f64 {
        support::cpu_secs(&self.child.id().to_string())
    }

    async fn counters(&self) -> Counters {
        let url = format!("{}/_sandbox/counters", self.base_url);
        reqwest::get(url)
            .await
            .expect("GET /_sandbox/counters")
            .json()
            .await
            .expect("counters JSON")
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- calls

fn target(n: usize) -> String {
    format!("https://example.com/soak/{}", n % TARGETS)
}

/// Call `n` of the run; `key` set means "resend it with this key".
async fn call(client: &qurl::Client, n: usize, key: Option<String>) -> Result<(), qurl::Error> {
    if n.is_multiple_of(5) {
        let items = [n, n + 1].map(|i| {
            CreateQurlRequest::builder()
                .target_url(target(i))
                .expires_in("1h")
        });
        let mut b = client.post_qurls_batch().body_map(|b| b.items(items));
        if let Some(k) = key {
            b = b.idempotency_key(k);
        }
        b.send().await.map(drop)
    } else {
        let mut b = client
            .post_qurls()
            .body_map(|b| b.target_url(target(n)).expires_in("1h"));
        if let Some(k) = key {
            b = b.idempotency_key(k);
        }
        b.send().await.map(drop)
    }
}

fn client(base: &str, cfg: &Config, policy: qurl::RetryPolicy, budget: u32) -> qurl::Client {
    qurl::Client::builder()
        .api_key(API_KEY)
        .base_url(base)
        .timeout(cfg.timeout)
        .retry_policy(
            policy
                .initial_delay(Duration::from_millis(20))
                .max_delay(Duration::from_millis(200))
                .deadline(Duration::from_secs(30)),
        )
        .retry_budget(budget)
        .build()
        .expect("soak client")
}

// ---------------------------------------------------------------- the run

/// What the run observed as calls completed.
struct Progress {
    started: Instant,
    done: usize,
    checkpoints: Vec<usize>,
    rss_mib: Vec<(usize, f64)>,
    budget_low: u32,
    budget_low_at: usize,
    /// Indexed by call; touched in full before the run so it adds no RSS.
    failed_keys: Vec<Option<Uuid>>,
    failed: usize,
    /// Failed calls whose error held no key (or not the UUID the shim makes):
    /// they could not be resumed.
    keyless_failures: usize,
    outcome_unknown: usize,
    failure_kinds: BTreeMap<String, usize>,
}

impl Progress {
    fn new(calls: usize, budget: u32) -> Self {
        let mut failed_keys = Vec::with_capacity(calls);
        failed_keys.resize(calls, None);
        Progress {
            started: Instant::now(),
            done: 0,
            checkpoints: vec![calls / 10, calls / 2, calls],
            rss_mib: Vec::new(),
            budget_low: budget,
            budget_low_at: 0,
            failed_keys,
            failed: 0,
            keyless_failures: 0,
            outcome_unknown: 0,
            failure_kinds: BTreeMap::new(),
        }
    }

    fn record(&mut self, n: usize, result: Result<(), qurl::Error>, budget: u32) {
        self.done += 1;
        if budget < self.budget_low {
            (self.budget_low, self.budget_low_at) = (budget, self.done);
        }
        if self.checkpoints.contains(&self.done) {
            self.rss_mib
                .push((self.done, support::mib(support::rss_kib().0)));
        }
        let Err(e) = result else { return };
        self.failed += 1;
        self.outcome_unknown += usize::from(e.outcome_unknown());
        *self
            .failure_kinds
            .entry(format!("{:?}", e.kind()))
            .or_default() += 1;
        match e.idempotency_key().and_then(|k| Uuid::parse_str(k).ok()) {
            Some(key) => self.failed_keys[n] = Some(key),
            None => self.keyless_failures += 1,
        }
    }

    fn failed_calls(&self) -> Vec<(usize, Uuid)> {
        self.failed_keys
            .iter()
            .enumerate()
            .filter_map(|(n, k)| k.map(|k| (n, k)))
            .collect()
    }
}

/// Resend each failed call with its key until it succeeds (bounded passes);
/// returns the calls still failing.
async fn resume(base: &str, cfg: &Config, mut failed: Vec<(usize, Uuid)>) -> Vec<(usize, Uuid)> {
    let patient = client(
        base,
        cfg,
        qurl::RetryPolicy::default().max_retries(10),
        1_000_000,
    );
    for _ in 0..RESUME_PASSES {
        if failed.is_empty() {
            break;
        }
        failed = stream::iter(failed)
            .map(|(n, key)| {
                let patient = &patient;
                async move { (n, key, call(patient, n, Some(key.to_string())).await) }
            })
            .buffer_unordered(64)
            .filter_map(|(n, key, r)| async move { r.is_err().then_some((n, key)) })
            .collect()
            .await;
    }
    failed
}

/// Attempts per call, ascending: the sandbox counts each request per key.
fn attempts_per_call(counters: &Counters) -> Vec<u64> {
    let mut attempts: Vec<u64> = counters.attempts_by_key.values().copied().collect();
    attempts.sort_unstable();
    attempts
}

/// Make the calls, `in_flight` at a time, until all are done or the deadline
/// stops new ones.
async fn run_calls(client: &qurl::Client, cfg: &Config, in_flight: usize) -> Progress {
    let mut progress = Progress::new(cfg.calls, cfg.budget);
    let deadline = progress.started + cfg.deadline;
    let mut calls = stream::iter(0..cfg.calls)
        .take_while(|_| std::future::ready(Instant::now() < deadline))
        .map(|n| async move { (n, call(client, n, None).await) })
        .buffer_unordered(in_flight);
    while let Some((n, result)) = calls.next().await {
        progress.record(n, result, client.retry_budget_available());
    }
    progress
}

/// One level's figures.
struct Level {
    in_flight: usize,
    secs: f64,
    progress: Progress,
    rss_before_mib: f64,
    budget_end: u32,
    /// User + system CPU seconds of the client and of the sandbox.
    cpu: (f64, f64),
    /// Share of the machine's cores busy during the run, every process counted.
    machine_busy: f64,
    requests: u64,
    faults: BTreeMap<String, u64>,
    replays: u64,
    in_flight_conflicts: u64,
    duplicates_during: u64,
    /// p50, p99 and max attempts per call, and how many keys they cover.
    attempts: (u64, u64, u64, usize),
    resent: usize,
    unresolved: usize,
    resent_once: usize,
    executed_keys: usize,
    not_once: usize,
    duplicates_end: u64,
    unkeyed: u64,
}

async fn soak(cfg: &Config, in_flight: usize) -> Level {
    let sandbox = SandboxProcess::start();
    let client = client(
        &sandbox.base_url,
        cfg,
        qurl::RetryPolicy::default(),
        cfg.budget,
    );
    let (cpu_before, rss_before) = (support::cpu_secs("self"), support::rss_kib().0);
    let machine_before = support::machine_ticks();
    let progress = run_calls(&client, cfg, in_flight).await;
    let secs = progress.started.elapsed().as_secs_f64();
    let cpu = (support::cpu_secs("self") - cpu_before, sandbox.cpu_secs());
    let machine_after = support::machine_ticks();
    let machine_busy = (machine_after.0 - machine_before.0) as f64
        / (machine_after.1 - machine_before.1).max(1) as f64;

    let seen = sandbox.counters().await;
    let attempts = attempts_per_call(&seen);
    let failed = progress.failed_calls();
    // Let delayed originals finish, so a resend meets their stored answer.
    tokio::time::sleep(cfg.slow_delay + Duration::from_millis(200)).await;
    let unresolved = resume(&sandbox.base_url, cfg, failed.clone()).await;
    let end = sandbox.counters().await;

    let once = |key: &Uuid| end.creations_by_key.get(&key.to_string()) == Some(&1);
    // Keys executed other than once, and calls whose key never executed.
    let not_once = end.creations_by_key.values().filter(|&&v| v != 1).count()
        + progress.done.saturating_sub(end.creations_by_key.len());
    Level {
        in_flight,
        secs,
        rss_before_mib: support::mib(rss_before),
        budget_end: client.retry_budget_available(),
        cpu,
        machine_busy,
        requests: seen.requests,
        faults: seen.faults.clone(),
        replays: seen.replays,
        in_flight_conflicts: seen.in_flight_conflicts,
        duplicates_during: seen.duplicates(),
        attempts: (
            support::percentile(&attempts, 0.5),
            support::percentile(&attempts, 0.99),
            attempts.last().copied().unwrap_or(0),
            attempts.len(),
        ),
        resent: failed.len(),
        unresolved: unresolved.len(),
        resent_once: failed.iter().filter(|(_, k)| once(k)).count(),
        executed_keys: end.creations_by_key.len(),
        not_once,
        duplicates_end: end.duplicates(),
        unkeyed: end.unkeyed_creations,
        progress,
    }
}

impl Level {
    fn calls_per_sec(&self) -> f64 {
        self.progress.done as f64 / self.secs
    }

    /// Calls that succeeded within their retries, a second.
    fn succeeded_per_sec(&self) -> f64 {
        (self.progress.done - self.progress.failed) as f64 / self.secs
    }

    fn print(&self) {
        let p = &self.progress;
        println!(
            "\n== {} in flight: {} calls in {:.1} s = {:.0} calls/s ({:.0}/s succeeded within their retries) ==",
            self.in_flight,
            p.done,
            self.secs,
            self.calls_per_sec(),
            self.succeeded_per_sec()
        );
        println!(
            "sandbox: {} requests, {} faults {:?}, {} replays, {} in-flight 409s",
            self.requests,
            self.faults.values().sum::<u64>(),
            self.faults,
            self.replays,
            self.in_flight_conflicts
        );
        println!(
            "failed after retries: {} ({} outcome unknown) by kind {:?}; without a key: {}",
            p.failed, p.outcome_unknown, p.failure_kinds, p.keyless_failures
        );
        println!(
            "resent with their keys: {} of {} completed ({} still failing after {RESUME_PASSES} passes); \
             resent keys executed exactly once: {}",
            self.resent - self.unresolved,
            self.resent,
            self.unresolved,
            self.resent_once
        );
        println!(
            "in the end: {} keys executed for {} calls, {} calls not executed exactly once; \
             duplicates {} during the run, {} after the resends; unkeyed executions {}",
            self.executed_keys,
            p.done,
            self.not_once,
            self.duplicates_during,
            self.duplicates_end,
            self.unkeyed
        );
        let (p50, p99, max, keys) = self.attempts;
        println!(
            "attempts per call (sandbox, per key, {keys} keys): p50 {p50}, p99 {p99}, max {max}"
        );
        println!(
            "retry budget: lowest {} (first at call {}), {} at the end",
            p.budget_low, p.budget_low_at, self.budget_end
        );
        let rss: Vec<String> = p
            .rss_mib
            .iter()
            .map(|(at, mib)| format!("{mib:.1} MiB after {at}"))
            .collect();
        println!(
            "client RSS: {:.1} MiB before, {}",
            self.rss_before_mib,
            rss.join(", ")
        );
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        println!(
            "CPU: client {:.1} s ({:.0} µs a call), sandbox {:.1} s over {:.1} s wall = {:.2} of {cores} cores; \
             the machine's cores were {:.0}% busy (every process)",
            self.cpu.0,
            self.cpu.0 * 1e6 / p.done.max(1) as f64,
            self.cpu.1,
            self.secs,
            (self.cpu.0 + self.cpu.1) / self.secs,
            self.machine_busy * 100.0
        );
    }

    fn table_row(&self) -> String {
        let p = &self.progress;
        let rss: Vec<String> = p.rss_mib.iter().map(|(_, m)| format!("{m:.1}")).collect();
        let (p50, p99, max, _) = self.attempts;
        format!(
            "| {} | {} | {:.0} ({:.0}) | {} | {} ({}) | {} | {} | {} | {p50} / {p99} / {max} | {:.1} / {:.1} | {:.0}% |",
            self.in_flight,
            p.done,
            self.calls_per_sec(),
            self.succeeded_per_sec(),
            self.duplicates_end,
            p.failed,
            p.keyless_failures,
            self.not_once,
            rss.join(" / "),
            p.budget_low,
            self.cpu.0,
            self.cpu.1,
            self.machine_busy * 100.0
        )
    }
}

fn print_table(levels: &[Level]) {
    println!(
        "\n| in flight | calls | calls/s (succeeded/s) | duplicates | failed after retries (no key) | not exactly once after resends | client RSS MiB at 10% / 50% / 100% | budget low | attempts p50 / p99 / max | CPU s client / sandbox | machine busy |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for level in levels {
        println!("{}", level.table_row());
    }
}

fn main() {
    let cfg = Config::from_env();
    if std::env::var_os(SANDBOX_CHILD).is_some() {
        return serve_sandbox(&cfg);
    }
    println!(
        "qurl soak (issue 19): {} calls per level, in flight {:?}",
        cfg.calls, cfg.levels
    );
    println!(
        "faults {:.0}% of every kind; timeout {:?}, delay fault {:?}, Retry-After {} s; budget {}; client runtime {} worker(s); tracing: no subscriber",
        cfg.fault_rate * 100.0,
        cfg.timeout,
        cfg.slow_delay,
        cfg.retry_after_secs,
        cfg.budget,
        cfg.client_threads
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cfg.client_threads)
        .enable_all()
        .build()
        .expect("client runtime");
    let levels: Vec<Level> = cfg
        .levels
        .iter()
        .map(|&in_flight| {
            let level = rt.block_on(soak(&cfg, in_flight));
            level.print();
            level
        })
        .collect();
    print_table(&levels);
}
