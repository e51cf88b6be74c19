//! The tracing events the client emits, recorded as field maps, so a test
//! can assert what a user reading the logs would see.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::subscriber::DefaultGuard;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// One event: its fields by name (strings unquoted, others in `Debug`).
pub type Fields = BTreeMap<String, String>;

/// Events from the `qurl` crate, recorded while the guard of
/// [`Events::record`] lives (on this thread).
#[derive(Clone, Default)]
pub struct Events(Arc<Mutex<Vec<Fields>>>);

impl Events {
    /// Records on this thread until the guard is dropped.
    pub fn record(&self) -> DefaultGuard {
        let subscriber = tracing_subscriber::registry().with(self.clone());
        tracing::subscriber::set_default(subscriber)
    }

    pub fn all(&self) -> Vec<Fields> {
        self.0.lock().unwrap().clone()
    }

    /// The retry loop's decisions: `(attempt, reason, decision)`, one per
    /// failed attempt (`reason` is empty for a final outcome).
    pub fn decisions(&self) -> Vec<(u32, String, String)> {
        self.all()
            .into_iter()
            .filter_map(|e| {
                let decision = e.get("decision")?.clone();
                let attempt = e.get("attempt")?.parse().ok()?;
                let reason = e.get("reason").cloned().unwrap_or_default();
                Some((attempt, reason, decision))
            })
            .collect()
    }

    /// The `why` of the loop's give-up event, if it gave up.
    pub fn why_given_up(&self) -> Option<String> {
        self.all()
            .into_iter()
            .find(|e| e.get("decision").map(String::as_str) == Some("give-up"))
            .and_then(|e| e.get("why").cloned())
    }
}

impl<S: tracing::Subscriber> Layer<S> for Events {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        if !event.metadata().target().starts_with("qurl") {
            return;
        }
        let mut fields = FieldMap::default();
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
}

#[derive(Default)]
struct FieldMap(Fields);

impl Visit for FieldMap {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}
