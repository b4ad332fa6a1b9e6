//! The bar at the top of every page: product name, navigation for what the signed-in user may reach, who they
//! are, and the logout button (a plain form, so it works before the WASM loads).

use leptos::prelude::*;

use crate::server_fns::get_me;

#[component]
pub fn TopBar() -> impl IntoView {
    let me = Resource::new(|| (), |_| get_me());
    view! {
        <nav class="top-bar">
            <a class="brand" href="/">"Weir"</a>
            <span class="tagline">"Flink jobs, versioned and stateful"</span>
            <span class="spacer"></span>
            <Transition fallback=|| ()>
                {move || {
                    me.get().and_then(|r| r.ok()).flatten().map(|me| {
                        let owner = me.admin || me.namespaces.iter().any(|n| n.role == Some(weir_model::Role::Owner));
                        view! {
                            <a href="/">"Dashboard"</a>
                            <a href="/jobs">"Jobs"</a>
                            <a href="/lineage">"Lineage"</a>
                            <a href="/alerts">"Alerts"</a>
                            <a href="/namespaces">"Namespaces"</a>
                            <a href="/clusters">"Clusters"</a>
                            <a href="/environments">"Environments"</a>
                            <a href="/pools">"Pools"</a>
                            {me.admin.then(|| view! { <a href="/users">"Users"</a> })}
                            {owner.then(|| view! { <a href="/audit">"Audit"</a> })}
                            <a href="/account" class="me" data-test="me" title="Your account and API tokens">{me.name.clone()}</a>
                            <form method="post" action="/api/v1/session/logout" class="logout">
                                <button class="link-button" type="submit" data-test="logout">"Log out"</button>
                            </form>
                        }
                    })
                }}
            </Transition>
        </nav>
    }
}
