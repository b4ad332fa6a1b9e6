//! The event bus: every change of a deployment or an operation is published here and fanned out to the
//! server-sent event stream (`GET /api/v1/events`). Publishing never blocks; a slow subscriber skips events.

use tokio::sync::broadcast;
use weir_model::Event;

use crate::Engine;

/// How many events a subscriber may fall behind before it skips some.
pub const EVENT_BUFFER: usize = 1024;

impl Engine {
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Building an event costs queries: skip it when nobody listens.
    pub(crate) fn has_subscribers(&self) -> bool {
        self.events.receiver_count() > 0
    }

    pub(crate) fn publish(&self, event: Event) {
        // No subscriber is not an error.
        let _ = self.events.send(event);
    }
}
