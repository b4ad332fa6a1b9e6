//! The bar at the top of every page: product name and navigation.

use leptos::prelude::*;

#[component]
pub fn TopBar() -> impl IntoView {
    view! {
        <nav class="top-bar">
            <a class="brand" href="/">"Weir"</a>
            <span class="tagline">"Flink jobs, versioned and stateful"</span>
            <span class="spacer"></span>
            <a href="/">"Dashboard"</a>
            <a href="/jobs">"Jobs"</a>
            <a href="/clusters">"Clusters"</a>
            <a href="/environments">"Environments"</a>
            <a href="/api/v1/health">"Health"</a>
        </nav>
    }
}
