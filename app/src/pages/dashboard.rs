//! The dashboard at `/`: what needs attention, every cluster with its TaskManagers' CPU, heap and slots and its
//! jobs by state, and each environment's deployments by state. Refreshed live by the engine's event stream
//! (state changes, and a heartbeat for the figures that move on their own).

use leptos::prelude::*;

use crate::components::live::live_ticks;
use crate::components::{ClusterCard, ErrorBox};
use weir_model::{Attention, Dashboard as DashboardData, EnvironmentPanel};
use crate::server_fns::{get_dashboard, list_alerts, list_pending_recommendations};
use weir_model::alerts::{Alert, AlertState};

#[component]
pub fn Dashboard() -> impl IntoView {
    let (refreshes, set_refreshes) = signal(0u32);
    let ticks = live_ticks(None);
    let data = Resource::new(move || (refreshes.get(), ticks.get()), |_| get_dashboard());
    // The alerts firing now join the attention list (an answer that fails leaves them out).
    let alerts = Resource::new(move || (refreshes.get(), ticks.get()), |_| list_alerts());

    view! {
        <header class="page-head">
            <h1>"Dashboard"</h1>
            <button class="button" data-test="refresh" on:click=move |_| set_refreshes.update(|n| *n += 1)>
                "Refresh"
            </button>
        </header>
        <Transition fallback=|| view! { <p class="muted">"Reading what Weir last saw of the clusters…"</p> }>
            {move || {
                data.get()
                    .map(|result| match result {
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                        Ok(d) => {
                            let firing = alerts
                                .get()
                                .and_then(|r| r.ok())
                                .unwrap_or_default()
                                .into_iter()
                                .filter(|a| a.state == AlertState::Firing)
                                .collect::<Vec<_>>();
                            view! { <DashboardView data=d firing=firing/> }.into_any()
                        }
                    })
            }}
        </Transition>
        <PendingRecommendations refreshes=refreshes/>
        // Sparklines of each deployment's throughput and lag, and each cluster's use over the last hour.
        <super::dashboard_trends::TrendsPanel/>
    }
}

/// Deployments with a resource recommendation waiting, and the slots each would free or need. Read on its own
/// (each looks at its job on the cluster): the rest of the dashboard does not wait for it.
#[component]
fn PendingRecommendations(refreshes: ReadSignal<u32>) -> impl IntoView {
    let pending = Resource::new(move || refreshes.get(), |_| list_pending_recommendations());
    view! {
        <h2 class="section-title">"Resource recommendations"</h2>
        <Transition fallback=|| view! { <p class="muted">"Reading the recommendations…"</p> }>
            {move || pending.get().map(|r| match r {
                Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                Ok(list) if list.is_empty() => {
                    view! { <p class="muted" data-test="no-recommendations">"No recommendation waiting."</p> }.into_any()
                }
                Ok(list) => {
                    let rows = list
                        .into_iter()
                        .map(|p| {
                            let href = format!("/jobs/{}/{}?tab=resources", p.namespace, p.job);
                            let slots = match p.slots_delta {
                                d if d > 0 => format!("needs {d} more slot(s)"),
                                d if d < 0 => format!("frees {} slot(s)", -d),
                                _ => "same slots".to_owned(),
                            };
                            view! {
                                <tr data-job=p.job.clone()>
                                    <td><a href=href>{format!("{}/{}", p.namespace, p.job)}</a></td>
                                    <td>{p.environment.clone()}</td>
                                    <td class="num">{format!("{} -> {}", p.current_parallelism, p.recommended_parallelism)}</td>
                                    <td>{slots}</td>
                                    <td class="small">{p.reason.clone()}</td>
                                </tr>
                            }
                        })
                        .collect_view();
                    view! {
                        <table class="table" data-test="pending-recommendations">
                            <thead><tr><th>"Job"</th><th>"Environment"</th><th>"Parallelism"</th><th>"Capacity"</th><th>"Why"</th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

#[component]
fn DashboardView(data: DashboardData, firing: Vec<Alert>) -> impl IntoView {
    let checked = data
        .clusters
        .first()
        .map(|c| c.status.checked_at.format("%H:%M:%S UTC").to_string())
        .unwrap_or_default();
    let clusters = if data.clusters.is_empty() {
        view! {
            <p class="muted">
                "No cluster is registered yet. Register one on the " <a href="/clusters">"Clusters"</a>
                " page, with " <code>"POST /api/v1/clusters"</code> " or in weir.toml."
            </p>
        }
            .into_any()
    } else {
        data.clusters.into_iter().map(|c| view! { <ClusterCard panel=c/> }).collect_view().into_any()
    };
    view! {
        <p class="muted" data-test="checked-at">"Checked at " {checked}</p>
        <AttentionList items=data.attention firing=firing/>
        <h2 class="section-title">"Clusters"</h2>
        <div class="cluster-grid">{clusters}</div>
        <h2 class="section-title">"Environments"</h2>
        <EnvironmentTable envs=data.environments/>
    }
}

#[component]
fn AttentionList(items: Vec<Attention>, firing: Vec<Alert>) -> impl IntoView {
    if items.is_empty() && firing.is_empty() {
        return view! { <section class="card attention ok" data-test="attention">"Nothing needs attention."</section> }
            .into_any();
    }
    let rows = items
        .into_iter()
        .map(|a| {
            let href = format!("/jobs/{}/{}", a.namespace, a.job);
            view! {
                <li>
                    <span class="badge bad">{a.what.as_str()}</span> " " <a href=href>{a.job}</a> " in " {a.environment}
                    <span class="muted small">" — " {a.detail}</span>
                </li>
            }
        })
        .collect_view();
    let alerts = firing
        .into_iter()
        .map(|a| {
            view! {
                <li data-test="firing-alert">
                    <span class="badge bad">"alert firing"</span> " " <a href="/alerts">{a.rule}</a> " on " {a.job}
                    " in " {a.environment}
                    <span class="muted small">" — " {a.summary} " (" {a.value} ")"</span>
                    {a.silenced.then(|| view! { " " <span class="badge">"silenced"</span> })}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card attention" data-test="attention">
            <h2>"Needs attention"</h2>
            <ul>{alerts}{rows}</ul>
        </section>
    }
        .into_any()
}

#[component]
fn EnvironmentTable(envs: Vec<EnvironmentPanel>) -> impl IntoView {
    let rows = envs
        .into_iter()
        .map(|e| {
            let total = (e.running + e.failed + e.restarting + e.other).max(1);
            let width = |n: u32| format!("width: {}%", n * 100 / total);
            view! {
                <tr data-env-row=e.name.clone()>
                    <td>{e.name.clone()}</td>
                    <td>{e.cluster.clone()}</td>
                    <td data-test="running">{e.running}</td>
                    <td>{e.failed}</td>
                    <td>{e.restarting}</td>
                    <td>{e.other}</td>
                    <td class="stack-cell">
                        <div class="stack-bar">
                            <span class="seg ok" style=width(e.running)></span>
                            <span class="seg bad" style=width(e.failed)></span>
                            <span class="seg warn" style=width(e.restarting)></span>
                        </div>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table" data-test="environments">
            <thead>
                <tr><th>"Environment"</th><th>"Cluster"</th><th>"Running"</th><th>"Failed"</th><th>"Restarting"</th><th>"Other"</th><th></th></tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
