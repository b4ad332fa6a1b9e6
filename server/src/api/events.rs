//! `GET /api/v1/events`: server-sent events, one JSON [`weir_app::model::Event`] per message, named by its type.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;
use weir_app::model::Event;

use crate::engine::Engine;

pub async fn stream(State(engine): State<Engine>) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let events = BroadcastStream::new(engine.subscribe()).filter_map(|item| async move {
        // A subscriber that fell behind skips what it missed.
        let event = item.ok()?;
        let name = match &event {
            Event::Deployment { .. } => "deployment",
            Event::Operation { .. } => "operation",
            Event::Cluster { .. } => "cluster",
            Event::Heartbeat => "heartbeat",
        };
        let data = serde_json::to_string(&event).ok()?;
        Some(Ok(SseEvent::default().event(name).data(data)))
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
