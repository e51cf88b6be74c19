//! Sends the webhook deliveries an API call produced. `events::emit` queues
//! them in the store's outbox under the store lock; once the call is
//! committed and the lock released, each one gets a task that runs
//! `delivery::deliver` and writes every step back into its record.

use std::sync::Arc;

use crate::app::App;
use crate::delivery::{self, Record};

/// Takes the outbox and starts one delivery task per entry. Call it after
/// the commit, without holding the lock.
pub(crate) fn send_pending(app: &Arc<App>) {
    let outgoing = std::mem::take(&mut app.lock().store.outbox);
    for item in outgoing {
        let app = app.clone();
        tokio::spawn(async move {
            let settings = &app.config.delivery;
            let record_step = |record: &Record| {
                let mut inner = app.lock();
                let stored = inner
                    .store
                    .deliveries
                    .iter_mut()
                    .find(|d| d.id == record.delivery_id);
                // Gone when its webhook was deleted meanwhile: nothing to update.
                if let Some(stored) = stored {
                    stored.progress = Some(record.clone());
                }
            };
            delivery::deliver(&item, &settings.policy, &settings.faults, &record_step).await;
        });
    }
}
