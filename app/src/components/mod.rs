//! UI pieces shared by several pages.

mod cluster_card;
pub mod live;
mod top_bar;

pub use cluster_card::ClusterCard;
pub use top_bar::TopBar;

/// A Flink or Weir state as a coloured badge.
#[component]
pub fn StateBadge(state: String) -> impl IntoView {
    let class = match state.as_str() {
        "RUNNING" | "FINISHED" | "succeeded" => "badge ok",
        "FAILED" | "FAILING" | "LOST" | "UNREACHABLE" | "failed" => "badge bad",
        "RESTARTING" | "CANCELLING" | "CREATED" | "INITIALIZING" | "running" | "queued" => "badge warn",
        _ => "badge",
    };
    view! { <span class=class data-test="state">{state}</span> }
}

/// A time as `YYYY-MM-DD HH:MM:SS` (UTC), the same on the server and in the browser.
pub fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

use leptos::prelude::*;

/// A failure shown where it happened, in words (a server function's error without the framework's prefix).
#[component]
pub fn ErrorBox(message: String) -> impl IntoView {
    let message = message
        .strip_prefix("error running server function: ")
        .or_else(|| message.strip_prefix("ServerFnError: "))
        .unwrap_or(&message)
        .to_owned();
    view! { <div class="error-box" role="alert">{message}</div> }
}

/// The `role` field of a form: viewer, editor or owner.
#[component]
pub fn RoleSelect() -> impl IntoView {
    view! {
        <label>
            "Role"
            <select name="role">
                <option value="viewer">"viewer"</option>
                <option value="editor">"editor"</option>
                <option value="owner">"owner"</option>
            </select>
        </label>
    }
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
