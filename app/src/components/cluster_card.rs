//! One cluster on the dashboard: reachability, Flink version, TaskManagers, slot usage, jobs.

use leptos::prelude::*;

use crate::model::ClusterStatus;

#[component]
pub fn ClusterCard(cluster: ClusterStatus) -> impl IntoView {
    let envs = if cluster.environments.is_empty() {
        "none".to_string()
    } else {
        cluster.environments.join(", ")
    };
    let body = match (&cluster.overview, &cluster.error) {
        (Some(o), _) => {
            let used = o.slots_used();
            let pct = if o.slots_total == 0 { 0 } else { used * 100 / o.slots_total };
            view! {
                <dl class="facts">
                    <dt>"Flink"</dt>
                    <dd data-test="flink-version">{o.flink_version.clone()}</dd>
                    <dt>"TaskManagers"</dt>
                    <dd data-test="taskmanagers">{o.taskmanagers}</dd>
                    <dt>"Slots"</dt>
                    <dd data-test="slots">{format!("{used} used of {}", o.slots_total)}</dd>
                    <dt>"Jobs running"</dt>
                    <dd>{o.jobs_running}</dd>
                    <dt>"Jobs failed"</dt>
                    <dd>{o.jobs_failed}</dd>
                </dl>
                <div class="bar" title=format!("{pct}% of slots in use")>
                    <div class="bar-fill" style=format!("width: {pct}%")></div>
                </div>
            }
                .into_any()
        }
        (None, error) => view! {
            <p class="error-text">{error.clone().unwrap_or_else(|| "No answer".into())}</p>
        }
            .into_any(),
    };
    let (badge_class, badge_text) = if cluster.reachable {
        ("badge ok", "reachable")
    } else {
        ("badge bad", "unreachable")
    };
    view! {
        <article class="card cluster" data-test="cluster" data-cluster=cluster.name.clone()>
            <header class="card-head">
                <h2>{cluster.name.clone()}</h2>
                <span class=badge_class data-test="reachability">{badge_text}</span>
            </header>
            <p class="muted small">{cluster.kind.clone()} " · " <code>{cluster.rest_url.clone()}</code></p>
            {body}
            <p class="muted small">"Environments: " {envs}</p>
        </article>
    }
}
