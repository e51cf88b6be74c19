//! The `webhook_receiver` example, started on 127.0.0.1 for the webhook
//! tests, recording which deliveries its handler processed.
#![allow(dead_code)]

#[path = "../../examples/webhook_receiver.rs"]
mod example;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use qurl::webhooks::Event;

/// A running example receiver.
pub struct Running {
    /// Where qURL (or a test) posts deliveries.
    pub url: String,
    processed: Arc<Mutex<Vec<String>>>,
}

impl Running {
    /// Delivery ids the handler processed successfully, in order.
    pub fn processed(&self) -> Vec<String> {
        self.processed.lock().unwrap().clone()
    }
}

/// Starts the example's router with `secrets`. The handler fails (so the
/// receiver answers 500) on its first `fail_first` runs, and each run takes
/// `slow`.
pub async fn start(secrets: &[&str], fail_first: usize, slow: Duration) -> Running {
    let processed = Arc::new(Mutex::new(Vec::new()));
    let failures_left = Mutex::new(fail_first);
    let seen = processed.clone();
    let on_event: example::OnEvent = Arc::new(move |event: &Event| {
        std::thread::sleep(slow);
        let mut left = failures_left.lock().unwrap();
        if *left > 0 {
            *left -= 1;
            return Err("downstream unavailable".into());
        }
        seen.lock().unwrap().push(event.delivery_id().to_owned());
        Ok(())
    });
    let app = example::router(secrets.iter().map(|s| s.to_string()).collect(), on_event);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}{}", listener.local_addr().unwrap(), example::PATH);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Running { url, processed }
}
