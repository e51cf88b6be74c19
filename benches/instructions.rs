//! Client-side instructions per call (issue 19): counted by callgrind, they
//! do not swing with the machine's load the way wall time does.
//!
//! Run with `cargo bench --bench instructions` (needs `valgrind`). The
//! fixed-answer server of the overhead bench runs in this process; this same
//! binary, started again with `--client`, is the client, in its own process
//! under `valgrind --tool=callgrind` (which does not follow the server). Each
//! kind of client runs twice, N₁ and N₂ sequential creates after the same
//! warm-up; (I₂ − I₁) / (N₂ − N₁) is what one call costs, with start-up,
//! warm-up, connection set-up and exit cancelled out. The client runs on a
//! current-thread runtime, so no count includes another thread's polling.
//!
//! | variable              | default    | meaning                               |
//! |-----------------------|------------|---------------------------------------|
//! | `QURL_BENCH_WARMUP`   | 50         | calls before the counted ones         |
//! | `QURL_BENCH_N1`       | 500        | sequential calls of the shorter run   |
//! | `QURL_BENCH_N2`       | 1500       | sequential calls of the longer run    |
//! | `QURL_BENCH_VALGRIND` | `valgrind` | the valgrind to run                   |
//!
//! To see where a call's instructions go: `instructions --serve` prints the
//! server's base URL and serves until killed; run
//! `valgrind --tool=callgrind instructions --client <kind> <warmup> <calls> <url>`
//! at two sizes and compare `callgrind_annotate` of the two.

#[path = "support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::create::{Clients, KINDS, Kind, N_KINDS, handle};
use support::env_usize;

/// `instructions --client <kind> <warmup> <calls> <base url>`: the counted process.
fn client(args: &[String]) -> Result<(), String> {
    let [kind, warmup, calls, base] = args else {
        return Err("usage: --client <kind> <warmup> <calls> <base url>".into());
    };
    let kind = kind
        .parse::<usize>()
        .ok()
        .and_then(|i| KINDS.get(i).copied())
        .ok_or_else(|| format!("no client kind {kind}"))?;
    let warmup: usize = warmup.parse().map_err(|e| format!("warmup: {e}"))?;
    let calls: usize = calls.parse().map_err(|e| format!("calls: {e}"))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let clients = Clients::new(base);
    rt.block_on(async {
        for _ in 0..warmup + calls {
            clients.call(kind).await;
        }
    });
    Ok(())
}

/// Instructions of one client run under callgrind.
fn count(valgrind: &str, kind: Kind, warmup: usize, calls: usize, base: &str) -> u64 {
    let exe = std::env::current_exe().expect("this bench's path");
    let out: PathBuf = std::env::temp_dir().join(format!(
        "qurl-instructions-{}-{}-{calls}.out",
        std::process::id(),
        kind.idx()
    ));
    let status = Command::new(valgrind)
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg("--quiet")
        .arg(&exe)
        .arg("--client")
        .args([
            kind.idx().to_string(),
            warmup.to_string(),
            calls.to_string(),
            base.to_owned(),
        ])
        .status()
        .unwrap_or_else(|e| panic!("cannot run {valgrind} (install valgrind): {e}"));
    assert!(
        status.success(),
        "the client under callgrind failed: {status}"
    );
    let total = totals(&out);
    let _ = std::fs::remove_file(&out);
    total
}

/// The `totals:` (or `summary:`) line of a callgrind output file.
fn totals(path: &Path) -> u64 {
    let text = std::fs::read_to_string(path).expect("callgrind output");
    text.lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
        })
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("a totals line in the callgrind output")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--serve") {
        let addr = support::start_server(1, handle);
        println!("http://{addr}");
        loop {
            std::thread::park();
        }
    }
    if let Some(at) = args.iter().position(|a| a == "--client") {
        if let Err(e) = client(&args[at + 1..]) {
            eprintln!("instructions --client: {e}");
            std::process::exit(2);
        }
        return;
    }
    let warmup = env_usize("QURL_BENCH_WARMUP", 50);
    let n1 = env_usize("QURL_BENCH_N1", 500);
    let n2 = env_usize("QURL_BENCH_N2", 1500).max(n1 + 1);
    let valgrind = std::env::var("QURL_BENCH_VALGRIND").unwrap_or_else(|_| "valgrind".into());

    let addr = support::start_server(1, handle);
    let base = format!("http://{addr}");
    println!("qurl instruction count (issue 19): callgrind, client in its own process");
    println!("sizes: warm-up {warmup}, then {n1} and {n2} sequential creates per client");

    let mut per_call = [0f64; N_KINDS];
    for kind in KINDS {
        let i1 = count(&valgrind, kind, warmup, n1, &base);
        let i2 = count(&valgrind, kind, warmup, n2, &base);
        per_call[kind.idx()] = i2.saturating_sub(i1) as f64 / (n2 - n1) as f64;
    }

    let raw = per_call[Kind::Raw.idx()];
    let raw_timeout = per_call[Kind::RawTimeout.idx()];
    println!();
    println!(
        "{:<18} {:>14} {:>13} {:>23}",
        "client", "instr/call", "ratio to raw", "ratio to raw + timeout"
    );
    for kind in KINDS {
        let n = per_call[kind.idx()];
        println!(
            "{:<18} {:>14.0} {:>13.3} {:>23.3}",
            kind.name(),
            n,
            n / raw,
            n / raw_timeout
        );
    }
    let ratio = per_call[Kind::Default.idx()] / raw_timeout;
    println!();
    println!(
        "qurl defaults / raw + timeout: {ratio:.3}  target <= 1.10   {}",
        if ratio <= 1.10 { "MET" } else { "MISSED" }
    );
}
