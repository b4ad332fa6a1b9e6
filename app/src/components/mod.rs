//! UI pieces shared by several pages.

mod cluster_card;
mod top_bar;

pub use cluster_card::ClusterCard;
pub use top_bar::TopBar;

use leptos::prelude::*;

/// A failure shown where it happened, in words.
#[component]
pub fn ErrorBox(message: String) -> impl IntoView {
    view! { <div class="error-box" role="alert">{message}</div> }
}

/// Marks `<body data-hydrated="true">` once the WASM application has taken over the page (effects run only in
/// the browser), so people and browser tests can tell a hydrated page from server-rendered HTML.
pub fn mark_hydrated() {
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
