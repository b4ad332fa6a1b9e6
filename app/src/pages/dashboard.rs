//! The dashboard at `/`: every registered cluster, whether it is reachable, and what it reports.

use leptos::prelude::*;

use crate::components::{ClusterCard, ErrorBox};
use crate::server_fns::cluster_statuses;

#[component]
pub fn Dashboard() -> impl IntoView {
    let (refreshes, set_refreshes) = signal(0u32);
    let clusters = Resource::new(move || refreshes.get(), |_| cluster_statuses());

    view! {
        <header class="page-head">
            <h1>"Clusters"</h1>
            <button
                class="button"
                data-test="refresh"
                on:click=move |_| set_refreshes.update(|n| *n += 1)
            >
                "Refresh"
            </button>
        </header>
        <Transition fallback=|| view! { <p class="muted">"Asking the clusters…"</p> }>
            {move || {
                clusters
                    .get()
                    .map(|result| match result {
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                        Ok(list) if list.is_empty() => {
                            view! {
                                <p class="muted">
                                    "No cluster is registered yet. Register one with "
                                    <code>"POST /api/v1/clusters"</code>
                                    " or in weir.toml."
                                </p>
                            }
                                .into_any()
                        }
                        Ok(list) => {
                            let checked = list
                                .first()
                                .map(|c| c.checked_at.format("%H:%M:%S UTC").to_string())
                                .unwrap_or_default();
                            view! {
                                <p class="muted" data-test="checked-at">"Checked at " {checked}</p>
                                <div class="cluster-grid">
                                    {list
                                        .into_iter()
                                        .map(|c| view! { <ClusterCard cluster=c/> })
                                        .collect_view()}
                                </div>
                            }
                                .into_any()
                        }
                    })
            }}
        </Transition>
    }
}
