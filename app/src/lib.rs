//! Weir's web UI: the Leptos application rendered on the server and hydrated in the browser.
//!
//! - [`server_fns`]: the Leptos server functions, thin doors onto the engine (`weir-engine`, server only), as
//!   the request's caller. The data they exchange are `weir-model`'s types.
//! - [`pages`]: one module per page; [`components`]: pieces shared by pages.
#![recursion_limit = "256"]

pub mod components;
pub mod pages;
pub mod server_fns;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    ParamSegment, SsrMode, StaticSegment,
};

/// The HTML document around the application; used by the server to render every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                // The SQL editor (CodeMirror, bundled by scripts/build-editor); it enhances textareas after hydration.
                <script type="module" src="/editor.js"></script>
                // The charts (uPlot, bundled by scripts/build-charts); they replace the server-rendered SVG pictures after hydration.
                <script type="module" src="/charts.js"></script>
                <link rel="stylesheet" href="/charts.css"/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The application: layout and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    components::mark_hydrated();
    view! {
        <Stylesheet id="leptos" href="/pkg/weir.css"/>
        <Title text="Weir"/>
        <Router>
            <components::TopBar/>
            <main class="page">
                <Routes fallback=pages::not_found::NotFound>
                    <Route path=StaticSegment("") view=pages::dashboard::Dashboard ssr=SsrMode::Async/>
                    <Route path=StaticSegment("jobs") view=pages::jobs::Jobs ssr=SsrMode::Async/>
                    <Route path=StaticSegment("clusters") view=pages::admin::Clusters ssr=SsrMode::Async/>
                    <Route path=StaticSegment("environments") view=pages::admin::Environments ssr=SsrMode::Async/>
                    <Route path=StaticSegment("pools") view=pages::pools::Pools ssr=SsrMode::Async/>
                    <Route path=StaticSegment("login") view=pages::login::Login ssr=SsrMode::Async/>
                    <Route path=StaticSegment("account") view=pages::account::Account ssr=SsrMode::Async/>
                    <Route path=StaticSegment("users") view=pages::users::Users ssr=SsrMode::Async/>
                    <Route path=StaticSegment("alerts") view=pages::alerts::Alerts ssr=SsrMode::Async/>
                    <Route path=StaticSegment("audit") view=pages::audit::Audit ssr=SsrMode::Async/>
                    <Route path=StaticSegment("lineage") view=pages::lineage::Lineage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("namespaces") view=pages::namespaces::Namespaces ssr=SsrMode::Async/>
                    <Route
                        path=(StaticSegment("namespaces"), ParamSegment("ns"))
                        view=pages::namespaces::NamespacePage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("jobs"), ParamSegment("ns"), ParamSegment("job"))
                        view=pages::job::JobPage
                        ssr=SsrMode::Async
                    />
                </Routes>
            </main>
        </Router>
    }
}
