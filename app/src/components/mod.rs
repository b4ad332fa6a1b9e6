//! UI pieces shared by several pages.

pub mod chart_svg;
pub mod charts;
mod cluster_card;
pub mod lineage_graph;
pub mod live;
mod top_bar;

pub use cluster_card::ClusterCard;
pub use top_bar::TopBar;

/// How a state looks on a badge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Ok,
    Bad,
    Warn,
    Plain,
}

/// A lifecycle word shown as a badge: its wire name and its tone.
pub trait Badge {
    fn word(&self) -> &'static str;
    fn tone(&self) -> Tone;
}

impl Badge for ObservedState {
    fn word(&self) -> &'static str {
        self.as_str()
    }

    fn tone(&self) -> Tone {
        match self {
            ObservedState::Running | ObservedState::Finished => Tone::Ok,
            s if s.is_trouble() => Tone::Bad,
            ObservedState::Cancelling | ObservedState::Created | ObservedState::Initializing => Tone::Warn,
            _ => Tone::Plain,
        }
    }
}

impl Badge for OperationStatus {
    fn word(&self) -> &'static str {
        self.as_str()
    }

    fn tone(&self) -> Tone {
        match self {
            OperationStatus::Succeeded => Tone::Ok,
            OperationStatus::Failed => Tone::Bad,
            OperationStatus::Running | OperationStatus::Queued => Tone::Warn,
        }
    }
}

impl Badge for StepStatus {
    fn word(&self) -> &'static str {
        self.as_str()
    }

    fn tone(&self) -> Tone {
        match self {
            StepStatus::Succeeded => Tone::Ok,
            StepStatus::Failed => Tone::Bad,
            StepStatus::Running => Tone::Warn,
        }
    }
}

/// A state as a coloured badge.
#[component]
pub fn StateBadge<B: Badge + 'static>(state: B) -> impl IntoView {
    let class = match state.tone() {
        Tone::Ok => "badge ok",
        Tone::Bad => "badge bad",
        Tone::Warn => "badge warn",
        Tone::Plain => "badge",
    };
    view! { <span class=class data-test="state">{state.word()}</span> }
}

/// A time as `YYYY-MM-DD HH:MM:SS` (UTC), the same on the server and in the browser.
pub fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

use leptos::prelude::*;
use weir_model::{ObservedState, OperationStatus, StepStatus};

/// A failure shown where it happened, in words (a server function's error without the framework's prefix).
/// The namespace picker of a page listed per namespace: a GET form to `action` with `?ns=`, sent on change
/// (a Show button without JavaScript).
#[component]
pub fn NamespacePicker(
    action: &'static str,
    names: Vec<String>,
    current: String,
    #[prop(optional)] label: Option<&'static str>,
) -> impl IntoView {
    let options = names
        .into_iter()
        .map(|n| {
            let selected = n == current;
            let value = n.clone();
            view! { <option value=value selected=selected>{n}</option> }
        })
        .collect_view();
    let select = view! { <select name="ns" onchange="this.form.submit()">{options}</select> };
    let field = match label {
        Some(text) => view! { <label>{text} {select}</label> }.into_any(),
        None => select.into_any(),
    };
    view! {
        <form method="get" action=action class="filters" data-test="namespace-picker">
            {field}
            <noscript><button class="button" type="submit">"Show"</button></noscript>
        </form>
    }
}

#[component]
pub fn ErrorBox(message: String) -> impl IntoView {
    let message = error_text(&message);
    view! { <div class="error-box" role="alert">{message}</div> }
}

/// A server function's error in words: without the framework's prefix.
pub fn error_text(message: &str) -> String {
    message
        .strip_prefix("error running server function: ")
        .or_else(|| message.strip_prefix("ServerFnError: "))
        .unwrap_or(message)
        .to_owned()
}

/// The `role` field of a form: viewer, editor or owner.
#[component]
pub fn RoleSelect() -> impl IntoView {
    view! {
        <label>
            "Role"
            <select name="role">
                {weir_model::Role::ALL
                    .iter()
                    .map(|r| view! { <option value=r.as_str()>{r.as_str()}</option> })
                    .collect_view()}
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
