//! Live updates: the browser listens to the engine's server-sent events (`/api/v1/events`) and bumps a
//! counter when something about the watched job changes; pages refetch their data on it. No polling loop.
//! On the server (and before hydration) the counter simply never moves.

use leptos::prelude::*;

/// A counter that increases whenever an operation or deployment of `job` changes — or, with no job, on every
/// event including the engine's heartbeat (for pages showing figures that change continuously).
pub fn live_ticks(job: Option<Signal<String>>) -> ReadSignal<u32> {
    let (ticks, set_ticks) = signal(0u32);
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::{closure::Closure, JsCast};
        Effect::new(move |_| {
            let Ok(source) = web_sys::EventSource::new("/api/v1/events") else { return };
            let on_event = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                let Some(data) = ev.data().as_string() else { return };
                let wanted = match job {
                    Some(job) => serde_json::from_str::<weir_model::Event>(&data)
                        .ok()
                        .is_some_and(|event| event.job().is_some_and(|(_, j)| j == job.get_untracked())),
                    None => true,
                };
                if wanted {
                    set_ticks.update(|n| *n += 1);
                }
            });
            for name in weir_model::Event::NAMES {
                let _ = source.add_event_listener_with_callback(name, on_event.as_ref().unchecked_ref());
            }
            let held = send_wrapper::SendWrapper::new((source, on_event));
            on_cleanup(move || held.0.close());
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (job, set_ticks);
    ticks
}
