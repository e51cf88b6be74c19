//! Walking a list with `by_item()` against the same pages fetched by hand
//! (issue 16), and the memory a long walk holds.
//!
//! Run with `cargo bench --bench lists`. A loopback server answers
//! `GET /v1/qurls` with pages of `limit` items chained by cursors. Both
//! walks make the same requests through the same client; rounds alternate
//! so machine noise hits both alike, and the medians are compared.
//!
//! | variable                | default | meaning                                  |
//! |-------------------------|---------|------------------------------------------|
//! | `QURL_BENCH_ITEMS`      | 1000    | items per walk (the ratio phase)         |
//! | `QURL_BENCH_PAGE`       | 10      | items per page (the ratio phase)         |
//! | `QURL_BENCH_ROUNDS`     | 31      | interleaved rounds                       |
//! | `QURL_BENCH_LONG_ITEMS` | 200000  | items of the memory phase (100 a page)   |

#[path = "support/mod.rs"]
mod support;

use std::convert::Infallible;
use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::TryStreamExt;
use http_body_util::Full;
use hyper::{Request, Response, body::Incoming};

const API_KEY: &str = "lv_live_bench_key_000000";

fn query<'a>(req: &'a Request<Incoming>, name: &str) -> Option<&'a str> {
    req.uri()
        .query()?
        .split('&')
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
}

/// A page of `limit` items from the cursor (an item index) on; `total` is
/// the `total` query parameter (the bench's own, so one server serves both
/// phases).
async fn pages(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let number = |name: &str, default: usize| {
        query(&req, name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (start, limit, total) = (number("cursor", 0), number("limit", 10), number("q", 1000));
    let end = (start + limit).min(total);
    let mut body = String::from("{\"data\":[");
    for i in start..end {
        if i > start {
            body.push(',');
        }
        body.push_str(&format!(
            "{{\"resource_id\":\"r_{i:010}\",\"target_url\":\"https://example.com/{i}\",\"status\":\"active\",\"qurl_count\":1}}"
        ));
    }
    let next = if end < total {
        end.to_string()
    } else {
        String::new()
    };
    body.push_str(&format!(
        "],\"meta\":{{\"request_id\":\"req_1\",\"page_size\":{},\"has_more\":{},\"next_cursor\":\"{next}\"}}}}",
        end - start,
        end < total
    ));
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .expect("page"))
}

/// The same walk written by hand: send, read the items, follow the cursor.
async fn by_hand(client: &qurl::Client, total: usize, limit: u64) -> usize {
    let mut seen = 0;
    let mut cursor: Option<String> = None;
    loop {
        let mut call = client.get_qurls().limit(limit).q(total.to_string());
        if let Some(c) = cursor.take() {
            call = call.cursor(c);
        }
        let page = call.send().await.expect("page").into_inner();
        for item in page.data {
            black_box(item);
            seen += 1;
        }
        match page
            .meta
            .and_then(|m| m.next_cursor)
            .filter(|c| !c.is_empty())
        {
            Some(c) => cursor = Some(c),
            None => return seen,
        }
    }
}

async fn streamed(client: &qurl::Client, total: usize, limit: u64) -> usize {
    let mut items = client
        .get_qurls()
        .limit(limit)
        .q(total.to_string())
        .by_item();
    let mut seen = 0;
    while let Some(item) = items.try_next().await.expect("item") {
        black_box(item);
        seen += 1;
    }
    seen
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let items = support::env_usize("QURL_BENCH_ITEMS", 1000);
    let page = support::env_usize("QURL_BENCH_PAGE", 10) as u64;
    let rounds = support::env_usize("QURL_BENCH_ROUNDS", 31);
    let long = support::env_usize("QURL_BENCH_LONG_ITEMS", 200_000);
    let addr = support::start_server(1, pages);
    let client = qurl::Client::builder()
        .api_key(API_KEY)
        .base_url(format!("http://{addr}"))
        .allow_insecure_http(true)
        .build()
        .expect("client");

    // Warm up the pool and the allocator.
    assert_eq!(by_hand(&client, items, page).await, items);
    assert_eq!(streamed(&client, items, page).await, items);
    let (mut hand, mut stream) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        // Alternate which goes first, so neither always runs warmer.
        for first in [round % 2 == 0, round % 2 != 0] {
            let t = Instant::now();
            if first {
                assert_eq!(by_hand(&client, items, page).await, items);
                hand.push(t.elapsed());
            } else {
                assert_eq!(streamed(&client, items, page).await, items);
                stream.push(t.elapsed());
            }
        }
    }
    let (h, s) = (median(hand), median(stream));
    let ratio = s.as_secs_f64() / h.as_secs_f64();
    println!(
        "walk of {items} items at {page} a page, median of {rounds} interleaved rounds:\n  \
         by hand   {h:>10.2?}\n  by_item() {s:>10.2?}\n  ratio     {ratio:.3}x (goal <= 1.02x: {})",
        if ratio <= 1.02 { "MET" } else { "MISSED" }
    );

    // Memory: RSS at the middle and the end of walks, one page held at a time.
    let mut walk = client.get_qurls().limit(10).q(items.to_string()).by_item();
    let mut at = Vec::new();
    let mut n = 0;
    while let Some(item) = walk.try_next().await.expect("item") {
        black_box(item);
        n += 1;
        if n == items / 2 || n == items {
            at.push(support::rss_kib().0);
        }
    }
    let grow = at[1] as i64 - at[0] as i64;
    println!(
        "RSS at item {} and {items}: {:.1} / {:.1} MiB (+{:.2} MiB; goal <= +1 MiB: {})",
        items / 2,
        support::mib(at[0]),
        support::mib(at[1]),
        grow as f64 / 1024.0,
        if grow <= 1024 { "MET" } else { "MISSED" }
    );
    let mut walk = client.get_qurls().limit(100).q(long.to_string()).by_item();
    let mut checkpoints = Vec::new();
    let mut n = 0;
    while let Some(item) = walk.try_next().await.expect("item") {
        black_box(item);
        n += 1;
        if n % (long / 4) == 0 {
            checkpoints.push((n, support::rss_kib().0));
        }
    }
    let shown: Vec<String> = checkpoints
        .iter()
        .map(|(n, kib)| format!("{n}: {:.1} MiB", support::mib(*kib)))
        .collect();
    println!(
        "long walk of {long} items at 100 a page, RSS: {}",
        shown.join(", ")
    );
}
