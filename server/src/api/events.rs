//! `GET /api/v1/events`: server-sent events, one JSON [`weir_model::Event`] per message, named by its type.
//! Each subscriber only gets the deployments and operations of namespaces it may see; its rights are read again
//! every few seconds, and the stream ends when its token is revoked or its user deleted.

use std::collections::HashSet;
use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::Stream;
use tokio::sync::broadcast::{self, error::RecvError};
use weir_model::Event;

use crate::auth::Authenticated;
use crate::error::ApiError;
use weir_engine::{Caller, Engine};

/// How long a subscriber's rights are trusted before they are read again.
const RECHECK: Duration = Duration::from_secs(5);

struct Subscriber {
    engine: Engine,
    caller: Caller,
    rx: broadcast::Receiver<Event>,
    /// The namespaces it may see (`None`: every one).
    namespaces: Option<HashSet<String>>,
    checked: Instant,
}

impl Subscriber {
    fn may_see(&self, event: &Event) -> bool {
        let ns = match event {
            Event::Deployment { deployment } => &deployment.namespace,
            Event::Operation { operation } => &operation.namespace,
            Event::Cluster { .. } | Event::Heartbeat => return true,
        };
        self.namespaces.as_ref().is_none_or(|set| set.contains(ns))
    }
}

pub async fn stream(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let namespaces = engine.visible_namespace_names(&caller).await?;
    let rx = engine.subscribe();
    let sub = Subscriber { engine, caller, rx, namespaces, checked: Instant::now() };
    let events = futures::stream::unfold(sub, |mut sub| async move {
        loop {
            let event = match sub.rx.recv().await {
                Ok(e) => e,
                // A subscriber that fell behind skips what it missed.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            };
            if sub.checked.elapsed() > RECHECK {
                if !sub.engine.caller_still_valid(&sub.caller).await {
                    return None;
                }
                sub.namespaces = sub.engine.visible_namespace_names(&sub.caller).await.ok()?;
                sub.checked = Instant::now();
            }
            if !sub.may_see(&event) {
                continue;
            }
            let Ok(data) = serde_json::to_string(&event) else { continue };
            return Some((Ok(SseEvent::default().event(event.name()).data(data)), sub));
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
