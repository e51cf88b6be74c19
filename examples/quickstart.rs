//! The client's main job in one command: create qURLs, batch-create, protect
//! a URL, share a link on it and enter the link, register a webhook, mint an
//! API key and walk the account's lists, through a server that fails 30% of
//! requests, and show that retries carried one key per call and created
//! nothing twice.
//!
//! `cargo run --example quickstart` starts the local sandbox in-process.
//! With `QURL_API_KEY` set (and optionally `QURL_BASE_URL`) the same flow runs
//! against that server instead.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use qurl::prelude::*;
use qurl::tasks::PortalOptions;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(AttemptPrinter))?;

    let (client, sandbox) = match std::env::var("QURL_API_KEY") {
        Ok(_) => {
            let builder = qurl::Client::builder_from_env()?;
            println!(
                "Running against {} (QURL_API_KEY is set)\n",
                std::env::var("QURL_BASE_URL").unwrap_or_else(|_| qurl::DEFAULT_BASE_URL.into())
            );
            (builder.user_agent("quickstart").build()?, None)
        }
        Err(_) => {
            let sandbox = qurl_sandbox::Sandbox::builder()
                .fault_rate(0.3)
                .seed(7)
                .slow_delay(Duration::from_millis(1500))
                .retry_after_secs(1)
                .start()
                .await?;
            println!(
                "Started the qURL sandbox at {} with 30% of requests faulted (seed 7).\n",
                sandbox.base_url()
            );
            let client = qurl::Client::builder()
                .api_key("lv_live_quickstart_owner_0001")
                .base_url(sandbox.base_url())
                .timeout(Duration::from_secs(1))
                .retry_policy(
                    qurl::RetryPolicy::default()
                        .max_retries(4)
                        .initial_delay(Duration::from_millis(100)),
                )
                .build()?;
            (client, Some(sandbox))
        }
    };

    let mut tally = Tally::default();
    let mut first_resource = None;
    for n in 1..=3 {
        let outcome = call(&mut tally, &format!("create qURL #{n}"), |key| {
            let client = client.clone();
            async move {
                let r = client
                    .post_qurls()
                    .idempotency_key(key)
                    .body_map(|b| {
                        b.target_url(format!("https://example.com/reports/{n}"))
                            .expires_in("24h")
                    })
                    .send()
                    .await?;
                let replayed = r.was_replayed();
                let created = r.into_data()?;
                Ok((replayed, created.resource_id.unwrap_or_default()))
            }
        })
        .await;
        if first_resource.is_none() {
            first_resource = outcome;
        }
    }

    call(&mut tally, "batch-create 3 qURLs", |key| {
        let client = client.clone();
        async move {
            let items = ["a", "b", "c"].map(|page| {
                qurl::types::CreateQurlRequest::builder()
                    .target_url(format!("https://example.com/{page}"))
                    .expires_in("1h")
            });
            let r = client
                .post_qurls_batch()
                .idempotency_key(key)
                .body_map(|b| b.items(items))
                .send()
                .await?;
            let replayed = r.was_replayed();
            let outcome = r.into_data()?;
            Ok((
                replayed,
                format!("{} succeeded", outcome.succeeded.unwrap_or(0)),
            ))
        }
    })
    .await;

    // Protect a URL, share a link on it and enter the link the way a
    // visitor's browser would.
    let protected = protect(&mut tally, &client, "https://example.com/dashboards/ops").await;
    // The link is a secret: kept aside, never printed.
    let shared: Arc<Mutex<Option<String>>> = Arc::default();
    if let Some(resource) = protected.or(first_resource).filter(|r| !r.is_empty()) {
        call(
            &mut tally,
            &format!("share a one-hour link on {resource}"),
            |key| {
                let (client, resource, shared) = (client.clone(), resource.clone(), shared.clone());
                async move {
                    let options = PortalOptions::new().expires_in("1h").idempotency_key(key);
                    let portal = client.create_portal(&resource, options).await?;
                    let id = portal.qurl_id.clone();
                    *shared.lock().unwrap_or_else(|e| e.into_inner()) = Some(portal.link);
                    Ok((false, format!("{id} (link not shown)")))
                }
            },
        )
        .await;
    }
    let link = shared.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(link) = link {
        // Resolving is keyed too; the client makes the key (see the attempts).
        tally.calls += 1;
        println!("▶ enter the link (a visitor opens it)");
        match client.enter_portal(&link).await {
            Ok(entered) => {
                tally.ok += 1;
                println!("  ✓ opens {}", entered.target_url.unwrap_or_default());
            }
            Err(e) => println!("  ✗ failed: {e}"),
        }
    }

    call(&mut tally, "register a webhook for access events", |key| {
        let client = client.clone();
        async move {
            let r = client
                .post_webhooks()
                .idempotency_key(key)
                .body_map(|b| {
                    b.url("https://hooks.example.com/qurl")
                        .events(["qurl.accessed", "qurl.access_denied"])
                        .description("quickstart")
                })
                .send()
                .await?;
            let replayed = r.was_replayed();
            let id = r.into_data()?.webhook_id.unwrap_or_default();
            Ok((replayed, format!("{id} (signing secret not shown)")))
        }
    })
    .await;

    call(&mut tally, "mint an API key", |key| {
        let client = client.clone();
        async move {
            let r = client
                .post_api_keys()
                .idempotency_key(key)
                .body_map(|b| b.name("quickstart").scopes(["qurl:read"]))
                .send()
                .await?;
            let replayed = r.was_replayed();
            let id = r.into_data()?.key_id.unwrap_or_default();
            Ok((replayed, format!("{id} (secret not shown)")))
        }
    })
    .await;

    tally.calls += 1;
    println!("▶ walk every resource of the account, 2 to a page");
    match walk_resources(&client).await {
        Ok((items, pages)) => {
            tally.ok += 1;
            println!("  ✓ {items} resources in {pages} pages");
        }
        Err(e) => println!("  ✗ failed: {e}"),
    }

    println!("\n== Tally ==");
    println!(
        "{} calls: {} succeeded, {} replayed by the server, {} resumed with their stored key",
        tally.calls, tally.ok, tally.replayed, tally.resumed
    );
    if let Some(sandbox) = sandbox {
        let c = sandbox.counters();
        let faults: Vec<String> = c.faults.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!(
            "server: {} requests, {} resources created, {} replays, {} in-flight conflicts, faults: {}",
            c.requests,
            c.resources_created,
            c.replays,
            c.in_flight_conflicts,
            if faults.is_empty() {
                "none".into()
            } else {
                faults.join(", ")
            }
        );
        let duplicates = c.duplicates() + c.unkeyed_duplicates;
        println!(
            "{} calls, {} resources created, {} duplicates",
            tally.calls, c.resources_created, duplicates
        );
        if duplicates != 0 {
            return Err("a retry created a duplicate".into());
        }
    }
    Ok(())
}

/// `protect_url` is safe to repeat (the API keeps one resource per URL), so
/// the client replays it after any retryable failure: no lookup needed.
async fn protect(tally: &mut Tally, client: &qurl::Client, url: &str) -> Option<String> {
    tally.calls += 1;
    println!("▶ protect {url} (one resource per URL: replayed safely)");
    match client.protect_url(url).await {
        Ok(resource) => {
            tally.ok += 1;
            let id = resource.resource_id.unwrap_or_default();
            println!("  ✓ {id}");
            Some(id)
        }
        Err(e) => {
            println!("  ✗ failed: {e}");
            None
        }
    }
}

/// Every resource of the account, page by page (each page retried like
/// any read), with the number of pages it took.
async fn walk_resources(client: &qurl::Client) -> Result<(usize, usize), qurl::Error> {
    let mut pages = client.get_resources().limit(2).by_page();
    let (mut items, mut count) = (0, 0);
    while let Some(page) = pages.try_next().await? {
        count += 1;
        items += page.data.len();
    }
    Ok((items, count))
}

#[derive(Default)]
struct Tally {
    calls: u32,
    ok: u32,
    replayed: u32,
    resumed: u32,
}

type CallResult = Result<(bool, String), Box<dyn std::error::Error>>;

/// One logical call with a key made up front (as a job would store it). If
/// the call still fails after its retries, repeat it once with the same key:
/// the server finishes or replays it, never doubles it.
async fn call<F, Fut>(tally: &mut Tally, what: &str, mut op: F) -> Option<String>
where
    F: FnMut(IdempotencyKey) -> Fut,
    Fut: std::future::Future<Output = CallResult>,
{
    tally.calls += 1;
    let key = IdempotencyKey::new();
    println!("▶ {what}  (key {key})");
    let mut result = op(key.clone()).await;
    if let Err(e) = &result {
        println!("  ✗ gave up after retries: {e}; resuming with the same key");
        tally.resumed += 1;
        result = op(key).await;
    }
    match result {
        Ok((replayed, detail)) => {
            tally.ok += 1;
            if replayed {
                tally.replayed += 1;
            }
            println!(
                "  ✓ {detail}{}",
                if replayed {
                    "  [replayed: an earlier attempt had already done it]"
                } else {
                    ""
                }
            );
            Some(detail)
        }
        Err(e) => {
            println!("  ✗ failed: {e}");
            None
        }
    }
}

/// Prints the shim's per-attempt events as one readable line each.
struct AttemptPrinter;

#[derive(Default)]
struct Fields(Vec<(String, String)>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push((
            field.name().to_owned(),
            format!("{value:?}").trim_matches('"').to_owned(),
        ));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
}

impl Fields {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S>
    for AttemptPrinter
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let mut f = Fields::default();
        event.record(&mut f);
        let Some(attempt) = f.get("attempt") else {
            return;
        };
        let key = ctx
            .event_span(event)
            .and_then(|s| {
                s.extensions()
                    .get::<Fields>()
                    .and_then(|sf| sf.get("key").map(str::to_owned))
            })
            .unwrap_or_default();
        let mut line = format!(
            "  attempt {attempt} (key …{}): {}",
            &key[key.len().saturating_sub(8)..],
            f.get("outcome").unwrap_or("?")
        );
        match f.get("decision") {
            Some("retry") => {
                let _ = write!(
                    line,
                    " → retry in {} ms ({})",
                    f.get("delay_ms").unwrap_or("?"),
                    f.get("delay_source").unwrap_or("backoff")
                );
            }
            Some("give-up") => {
                let _ = write!(line, " → give up: {}", f.get("why").unwrap_or("?"));
            }
            _ => {}
        }
        println!("{line}");
    }
}
