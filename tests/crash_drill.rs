//! The crash-resume drill: a job (`examples/crash_drill.rs`) that creates
//! 300 qURLs against the sandbox binary (its own process, 20% faults) is
//! killed with SIGKILL at 5 random points, some of them mid-request, then
//! restarted to the end. With keys derived from its own item ids, exactly
//! 300 qURLs exist afterwards; with a new key per call (and nothing stored)
//! the same drill leaves duplicates, which is why `IdempotencyKey::derive`
//! exists.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};

const ITEMS: u64 = 300;
const OWNER: &str = "lv_live_drill_owner_0001";

fn built(dir: &str, name: &str) -> PathBuf {
    let me = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/<this test> -> target/<profile>/
    let profile = me.parent().and_then(|d| d.parent()).expect("profile dir");
    let path = profile.join(dir).join(name);
    assert!(
        path.exists(),
        "{} is not built; run the tests with `cargo test --workspace`",
        path.display()
    );
    path
}

/// The sandbox binary on a free loopback port; killed when dropped.
struct SandboxProcess {
    child: Child,
    base_url: String,
}

impl SandboxProcess {
    fn start(seed: u64) -> Self {
        let mut child = Command::new(built("", "qurl-sandbox"))
            .args(["--port", "0", "--fault-rate", "0.2", "--seed"])
            .arg(seed.to_string())
            .args(["--slow-delay-ms", "200", "--retry-after", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the sandbox binary");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the sandbox prints its URL");
        Self {
            child,
            base_url: line.trim().to_owned(),
        }
    }

    fn counters(&self) -> serde_json::Value {
        let url = format!("{}/_sandbox/counters", self.base_url);
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async { reqwest::get(url).await.unwrap().json().await.unwrap() })
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn job(base_url: &str, keys: &str) -> Command {
    let mut cmd = Command::new(built("examples", "crash_drill"));
    cmd.env("QURL_BASE_URL", base_url)
        .env("QURL_API_KEY", OWNER)
        .env("DRILL_ITEMS", ITEMS.to_string())
        .env("DRILL_KEYS", keys)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// A small deterministic generator for the kill points (the seed is printed).
fn next(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *state >> 33
}

/// Kill the job 5 times at random points of its work list, then let it
/// finish; bounded to 60 s.
fn run_drill(sandbox: &SandboxProcess, keys: &str, seed: u64) {
    let started = Instant::now();
    let mut state = seed;
    for kill in 0..5 {
        let mut child = job(&sandbox.base_url, keys).spawn().expect("start the job");
        // The job prints each item it finished; stop it just after a random
        // one, so the kill lands while it works on the next (mid-request).
        let target = 1 + next(&mut state) % (ITEMS - 2);
        let mut progress = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut reached = None;
        for line in progress.by_ref() {
            let done: u64 = line
                .expect("progress")
                .trim()
                .parse()
                .expect("an item index");
            if done >= target {
                reached = Some(done);
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the drill took over 60 s"
            );
        }
        let pause = Duration::from_micros(next(&mut state) % 3000);
        std::thread::sleep(pause);
        // SIGKILL: no destructor, no flush.
        let _ = child.kill();
        let status = child.wait().expect("wait");
        assert!(
            reached.is_some() && !status.success(),
            "kill {kill}: the job ended before item {target}"
        );
        eprintln!("kill {kill}: after item {target} + {pause:?}");
    }
    let mut last = job(&sandbox.base_url, keys).spawn().expect("start the job");
    loop {
        if let Some(status) = last.try_wait().expect("wait") {
            let mut err = String::new();
            if let Some(mut e) = last.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            assert!(status.success(), "the job failed: {err}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the drill took over 60 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// qURLs of the drill's owner, counted through the API by walking the list.
fn qurls_in_the_api(base_url: &str) -> u64 {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = qurl::Client::builder()
            .api_key(OWNER)
            .base_url(base_url)
            .retry_policy(
                qurl::RetryPolicy::default()
                    .max_retries(10)
                    .initial_delay(Duration::from_millis(5)),
            )
            .build()
            .unwrap();
        let resources: Vec<_> = client
            .get_qurls()
            .limit(100)
            .by_item()
            .take(1000) // bounded, whatever the walk does
            .try_collect()
            .await
            .expect("walk the list");
        resources
            .iter()
            .map(|r| r.qurl_count.unwrap_or(0) as u64)
            .sum()
    })
}

fn seed() -> u64 {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(7, |d| d.as_nanos() as u64);
    eprintln!("kill points seed: {seed}");
    seed
}

#[test]
fn a_job_killed_five_times_with_derived_keys_creates_each_item_once() {
    let sandbox = SandboxProcess::start(17);
    run_drill(&sandbox, "derive", seed());
    assert_eq!(qurls_in_the_api(&sandbox.base_url), ITEMS);
    let c = sandbox.counters();
    let executed_twice: u64 = c["creations_by_key"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap().saturating_sub(1))
        .sum();
    assert_eq!(executed_twice, 0, "no key was carried out twice");
    assert_eq!(c["resources_created"].as_u64(), Some(ITEMS));
    assert!(
        c["replays"].as_u64().unwrap() > 0,
        "the restarts were answered from the idempotency store"
    );
}

#[test]
fn the_same_job_with_a_new_key_per_call_leaves_duplicates() {
    let sandbox = SandboxProcess::start(18);
    run_drill(&sandbox, "new", seed());
    let qurls = qurls_in_the_api(&sandbox.base_url);
    assert!(
        qurls > ITEMS,
        "restarts created {qurls} qURLs for {ITEMS} items: expected duplicates"
    );
}
