//! Overhead of the qurl shim against raw reqwest (issue 6).
//!
//! Run with `cargo bench --bench overhead`. One run prints a table of
//! sequential latency, throughput at 64 and 256 in flight, RSS after 10k and
//! 100k calls, and the cost of making and validating an idempotency key.
//! Instructions per call, which do not swing with the machine's load, are
//! counted by `cargo bench --bench instructions`.
//!
//! Defaults are sized for a small shared machine; scale with env vars:
//!
//! | variable                    | default | meaning                                   |
//! |-----------------------------|---------|-------------------------------------------|
//! | `QURL_BENCH_WARMUP`         | 200     | warm-up calls per client                  |
//! | `QURL_BENCH_CALLS`          | 2000    | sequential calls per client               |
//! | `QURL_BENCH_ROUNDS`         | 5       | rounds the sequential calls are split in  |
//! | `QURL_BENCH_TPUT_CALLS`     | 10000   | calls per client per in-flight level      |
//! | `QURL_BENCH_TPUT_REPS`      | 2       | interleaved repetitions (calls split)     |
//! | `QURL_BENCH_MEM_CALLS`      | 100000  | calls of the memory phase (checkpoint 10%)|
//! | `QURL_BENCH_MEM_INFLIGHT`   | 64      | calls in flight during the memory phase   |
//! | `QURL_BENCH_KEY_OPS`        | 500000  | key make+validate ops per thread          |
//! | `QURL_BENCH_SERVER_THREADS` | 1       | worker threads of the server runtime      |
//! | `QURL_BENCH_CLIENT_THREADS` | 2       | worker threads of the client runtime      |

#[path = "support/mod.rs"]
mod support;

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use qurl::IdempotencyKey;
use support::create::{Clients, KINDS, Kind, N_KINDS, handle};
use support::env_usize;

// ---------------------------------------------------------------- helpers

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn verdict(ok: bool) -> &'static str {
    if ok { "MET" } else { "MISSED" }
}

fn key_op() {
    let key = IdempotencyKey::new();
    let s = String::from(key);
    let again = IdempotencyKey::try_from(s.as_str()).expect("valid key");
    black_box(again);
}

/// Runs `ops` key ops on each of `threads` threads at once; ns/op per thread (mean).
fn key_bench(threads: usize, ops: usize) -> f64 {
    let barrier = Barrier::new(threads);
    let per_thread: Vec<f64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    let start = Instant::now();
                    for _ in 0..ops {
                        key_op();
                    }
                    start.elapsed().as_nanos() as f64 / ops as f64
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("key thread"))
            .collect()
    });
    per_thread.iter().sum::<f64>() / per_thread.len() as f64
}

// ---------------------------------------------------------------- main

fn main() {
    let warmup = env_usize("QURL_BENCH_WARMUP", 200);
    let calls = env_usize("QURL_BENCH_CALLS", 2000).max(1);
    let rounds = env_usize("QURL_BENCH_ROUNDS", 5).max(1);
    let tput_calls = env_usize("QURL_BENCH_TPUT_CALLS", 10_000).max(1);
    let tput_reps = env_usize("QURL_BENCH_TPUT_REPS", 2).max(1);
    let mem_calls = env_usize("QURL_BENCH_MEM_CALLS", 100_000).max(10);
    let mem_inflight = env_usize("QURL_BENCH_MEM_INFLIGHT", 64).max(1);
    let key_ops = env_usize("QURL_BENCH_KEY_OPS", 500_000).max(1);
    let server_threads = env_usize("QURL_BENCH_SERVER_THREADS", 1);
    let client_threads = env_usize("QURL_BENCH_CLIENT_THREADS", 2);
    let mem_checkpoint = (mem_calls / 10).max(1);

    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("qurl overhead bench (issue 6)");
    println!(
        "machine: {cores} cores visible; server runtime {server_threads} worker(s), client runtime {client_threads} worker(s); tracing: no subscriber"
    );
    println!(
        "sizes: warmup {warmup}/client, sequential {calls}/client, throughput {tput_calls}/client/level in {tput_reps} reps, memory {mem_calls} calls @ {mem_inflight} in flight, key ops {key_ops}/thread"
    );

    let addr = support::start_server(server_threads, handle);
    let base = format!("http://{addr}");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(client_threads.max(1))
        .enable_all()
        .build()
        .expect("client runtime");
    let clients = Clients::new(&base);
    let bench_start = Instant::now();

    // ---- warm-up (opens connections, fills caches)
    rt.block_on(async {
        for _ in 0..warmup {
            for k in KINDS {
                clients.call(k).await;
            }
        }
    });

    // ---- memory: run first so VmHWM belongs to this phase, not to 256-in-flight.
    let (rss_start, hwm_start) = support::rss_kib();
    let (rss_10k, hwm_10k, rss_end, hwm_end) = rt.block_on(async {
        clients
            .run_concurrent(Kind::Default, mem_checkpoint, mem_inflight)
            .await;
        let (r1, h1) = support::rss_kib();
        clients
            .run_concurrent(Kind::Default, mem_calls - mem_checkpoint, mem_inflight)
            .await;
        let (r2, h2) = support::rss_kib();
        (r1, h1, r2, h2)
    });

    // ---- sequential latency: `rounds` rounds, each interleaving the clients
    // call by call (rotating order); a round's ratio compares its medians.
    let mut lat: [Vec<Duration>; N_KINDS] = std::array::from_fn(|_| Vec::with_capacity(calls));
    let per_round = (calls / rounds).max(1);
    let mut round_ratios = Vec::with_capacity(rounds);
    rt.block_on(async {
        for _ in 0..rounds {
            let mut this: [Vec<Duration>; N_KINDS] =
                std::array::from_fn(|_| Vec::with_capacity(per_round));
            for i in 0..per_round {
                for j in 0..N_KINDS {
                    let k = KINDS[(i + j) % N_KINDS];
                    let t = Instant::now();
                    clients.call(k).await;
                    this[k.idx()].push(t.elapsed());
                }
            }
            for v in &mut this {
                v.sort_unstable();
            }
            let median = |k: Kind| support::percentile(&this[k.idx()], 0.5).as_secs_f64();
            round_ratios.push(median(Kind::Default) / median(Kind::RawTimeout));
            for (all, v) in lat.iter_mut().zip(this) {
                all.extend(v);
            }
        }
    });
    for v in &mut lat {
        v.sort_unstable();
    }
    let med: Vec<Duration> = lat.iter().map(|v| support::percentile(v, 0.5)).collect();
    let p99: Vec<Duration> = lat.iter().map(|v| support::percentile(v, 0.99)).collect();
    let mut sorted_rounds = round_ratios.clone();
    sorted_rounds.sort_by(f64::total_cmp);
    let round_median = sorted_rounds[sorted_rounds.len() / 2];

    // ---- throughput at 64 and 256 in flight, interleaved in reps
    let levels = [64usize, 256];
    let mut tput = [[0f64; N_KINDS]; 2];
    for (li, &inflight) in levels.iter().enumerate() {
        let per_rep = (tput_calls / tput_reps).max(1);
        let mut elapsed = [Duration::ZERO; N_KINDS];
        rt.block_on(async {
            // a short warm-up at this level opens the extra connections
            for k in KINDS {
                clients.run_concurrent(k, inflight * 2, inflight).await;
            }
            for rep in 0..tput_reps {
                for j in 0..N_KINDS {
                    let k = KINDS[(rep + j) % N_KINDS];
                    elapsed[k.idx()] += clients.run_concurrent(k, per_rep, inflight).await;
                }
            }
        });
        for k in KINDS {
            tput[li][k.idx()] = (per_rep * tput_reps) as f64 / elapsed[k.idx()].as_secs_f64();
        }
    }
    let http_elapsed = bench_start.elapsed();

    // ---- key cost
    for _ in 0..key_ops / 10 {
        key_op();
    }
    let t = Instant::now();
    for _ in 0..key_ops {
        black_box(IdempotencyKey::new());
    }
    let new_only = t.elapsed().as_nanos() as f64 / key_ops as f64;
    let sample = IdempotencyKey::new().to_string();
    let t = Instant::now();
    for _ in 0..key_ops {
        black_box(IdempotencyKey::try_from(black_box(sample.as_str())).is_ok());
    }
    let validate_only = t.elapsed().as_nanos() as f64 / key_ops as f64;
    let key1 = key_bench(1, key_ops);
    let key2 = key_bench(2, key_ops);

    // ---- report
    let r = |k: Kind, v: &[f64]| v[k.idx()] / v[Kind::Raw.idx()];
    let med_us: Vec<f64> = med.iter().map(|d| us(*d)).collect();
    let p99_us: Vec<f64> = p99.iter().map(|d| us(*d)).collect();

    println!();
    println!("== sequential latency ({calls} calls per client, interleaved) ==");
    println!(
        "{:<18} {:>11} {:>11} {:>13} {:>11}",
        "client", "median µs", "p99 µs", "median ratio", "p99 ratio"
    );
    for k in KINDS {
        println!(
            "{:<18} {:>11.1} {:>11.1} {:>13.3} {:>11.3}",
            k.name(),
            med_us[k.idx()],
            p99_us[k.idx()],
            r(k, &med_us),
            r(k, &p99_us)
        );
    }

    println!(
        "qurl defaults / raw + timeout, median of each round: {}; median of the {rounds}: {round_median:.3}",
        round_ratios
            .iter()
            .map(|r| format!("{r:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    println!();
    println!("== throughput ({tput_calls} calls per client per level) ==");
    println!(
        "{:<18} {:>12} {:>9} {:>12} {:>9}",
        "client", "64: calls/s", "ratio", "256: calls/s", "ratio"
    );
    for k in KINDS {
        println!(
            "{:<18} {:>12.0} {:>9.3} {:>12.0} {:>9.3}",
            k.name(),
            tput[0][k.idx()],
            r(k, &tput[0]),
            tput[1][k.idx()],
            r(k, &tput[1])
        );
    }

    println!();
    println!("== memory (qurl defaults, {mem_inflight} in flight) ==");
    println!("{:<24} {:>10} {:>10}", "point", "VmRSS MiB", "VmHWM MiB");
    println!(
        "{:<24} {:>10.1} {:>10.1}",
        "after warm-up",
        support::mib(rss_start),
        support::mib(hwm_start)
    );
    println!(
        "{:<24} {:>10.1} {:>10.1}",
        format!("after {mem_checkpoint} calls"),
        support::mib(rss_10k),
        support::mib(hwm_10k)
    );
    println!(
        "{:<24} {:>10.1} {:>10.1}",
        format!("after {mem_calls} calls"),
        support::mib(rss_end),
        support::mib(hwm_end)
    );
    let rss_growth = support::mib(rss_end) - support::mib(rss_10k);
    let hwm_growth = support::mib(hwm_end) - support::mib(hwm_10k);
    println!(
        "growth {mem_checkpoint} -> {mem_calls}: VmRSS {rss_growth:+.2} MiB, VmHWM {hwm_growth:+.2} MiB"
    );

    println!();
    println!("== idempotency key: new() + try_from(&str) ==");
    println!("new() only, 1 thread          {new_only:>8.1} ns/op");
    println!("try_from() only, 1 thread     {validate_only:>8.1} ns/op");
    println!("new()+try_from(), 1 thread    {key1:>8.1} ns/op");
    println!(
        "new()+try_from(), 2 threads   {key2:>8.1} ns/op per thread ({:.2}x the 1-thread cost; ~1.0 = scales, ~2.0 = serialised)",
        key2 / key1
    );

    let seq_ratio = r(Kind::Default, &med_us);
    let t64 = r(Kind::Default, &tput[0]);
    let t256 = r(Kind::Default, &tput[1]);
    let rss_ok = rss_growth.abs() <= 5.0 && hwm_growth <= 5.0;
    println!();
    println!("== targets (qurl defaults vs raw) ==");
    println!("sequential median ratio  {seq_ratio:>6.3}  (against raw without a timeout)",);
    println!(
        "sequential, median of {rounds} rounds, against raw + the same timeout  {round_median:>6.3}  target <= 1.03   {}",
        verdict(round_median <= 1.03)
    );
    println!(
        "throughput ratio @64     {t64:>6.3}  target >= 0.97   {}",
        verdict(t64 >= 0.97)
    );
    println!(
        "throughput ratio @256    {t256:>6.3}  target >= 0.97   {}",
        verdict(t256 >= 0.97)
    );
    println!(
        "RSS growth {mem_checkpoint}->{mem_calls} {rss_growth:>+6.2} MiB  target within 5 MB   {}",
        verdict(rss_ok)
    );
    println!("(HTTP phases took {:.1} s)", http_elapsed.as_secs_f64());
}
