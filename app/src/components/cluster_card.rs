//! One cluster on the dashboard: reachability, Flink version, slot usage, each TaskManager's CPU and heap, and
//! the cluster's jobs by state.

use leptos::prelude::*;

use weir_model::{ClusterPanel, TaskManagerMetrics};

fn pct(used: f64, total: f64) -> u32 {
    if total <= 0.0 {
        0
    } else {
        ((used / total) * 100.0).clamp(0.0, 100.0).round() as u32
    }
}

#[component]
fn Meter(label: String, percent: u32, text: String) -> impl IntoView {
    let title = format!("{label}: {text}");
    view! {
        <div class="meter" title=title>
            <span class="meter-label">{label}</span>
            <div class="bar"><div class="bar-fill" style=format!("width: {percent}%")></div></div>
            <span class="meter-text">{text}</span>
        </div>
    }
}

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes / (1024 * 1024))
}

#[component]
fn TaskManagerRow(tm: TaskManagerMetrics) -> impl IntoView {
    let cpu = tm.cpu_load.map(|c| (c * 100.0).round() as u32);
    let heap = match (tm.heap_used_bytes, tm.heap_max_bytes) {
        (Some(u), Some(m)) => (pct(u as f64, m as f64), format!("{} of {}", mib(u), mib(m))),
        _ => (0, "not reported yet".into()),
    };
    let used = tm.slots_total.saturating_sub(tm.slots_free);
    view! {
        <div class="tm" data-test="taskmanager">
            <div class="muted small tm-id">{tm.id.clone()}</div>
            <Meter label="CPU".into() percent=cpu.unwrap_or(0) text=cpu.map(|c| format!("{c}%")).unwrap_or_else(|| "not reported yet".into())/>
            <Meter label="Heap".into() percent=heap.0 text=heap.1/>
            <Meter label="Slots".into() percent=pct(used as f64, tm.slots_total as f64) text=format!("{used} of {}", tm.slots_total)/>
        </div>
    }
}

/// How old what the card shows is: the reconciler's last look, and (while unreachable) its last answer.
fn observed_text(c: &weir_model::ClusterStatus) -> String {
    let seen = match c.age_s {
        Some(age) => format!("Observed {age} s ago ({})", c.checked_at.format("%H:%M:%S UTC")),
        None => "Not observed yet".to_owned(),
    };
    match (c.reachable, c.last_answer_at) {
        (true, _) => seen,
        (false, Some(at)) => format!("{seen}; last answered at {}", at.format("%H:%M:%S UTC")),
        (false, None) => format!("{seen}; it has not answered since Weir started"),
    }
}

#[component]
pub fn ClusterCard(panel: ClusterPanel) -> impl IntoView {
    let cluster = panel.status;
    let envs = if cluster.environments.is_empty() { "none".to_string() } else { cluster.environments.join(", ") };
    let body = match (&cluster.overview, &cluster.error) {
        (Some(o), _) => {
            let used = o.slots_used();
            let percent = pct(used as f64, o.slots_total as f64);
            let states = panel
                .jobs_by_state
                .iter()
                .map(|(s, n)| view! { <span class="chip">{format!("{s} {n}")}</span> })
                .collect_view();
            let tms = panel.taskmanagers.into_iter().map(|tm| view! { <TaskManagerRow tm=tm/> }).collect_view();
            view! {
                <dl class="facts">
                    <dt>"Flink"</dt>
                    <dd data-test="flink-version">{o.flink_version.clone()}</dd>
                    <dt>"TaskManagers"</dt>
                    <dd data-test="taskmanagers">{o.taskmanagers}</dd>
                    <dt>"Slots"</dt>
                    <dd data-test="slots">{format!("{used} used of {}", o.slots_total)}</dd>
                </dl>
                <div class="bar" title=format!("{percent}% of slots in use")>
                    <div class="bar-fill" style=format!("width: {percent}%")></div>
                </div>
                <div class="chips" data-test="jobs-by-state">{states}</div>
                <div class="tms">{tms}</div>
            }
                .into_any()
        }
        (None, error) => view! {
            <p class="error-text">{error.clone().unwrap_or_else(|| "No answer".into())}</p>
        }
            .into_any(),
    };
    let (badge_class, badge_text) = if cluster.reachable { ("badge ok", "reachable") } else { ("badge bad", "unreachable") };
    view! {
        <article class="card cluster" data-test="cluster" data-cluster=cluster.name.clone()>
            <header class="card-head">
                <h2>{cluster.name.clone()}</h2>
                <span class=badge_class data-test="reachability">{badge_text}</span>
            </header>
            <p class="muted small">
                <span data-test="cluster-kind">{cluster.kind.to_string()}</span>
                {cluster.flink_version.clone().map(|v| view! { " · Flink " <span data-test="cluster-version">{v}</span> })}
                {(!cluster.rest_url.is_empty()).then(|| view! { " · " <code>{cluster.rest_url.clone()}</code> })}
            </p>
            {body}
            <p class="muted small" data-test="observed">{observed_text(&cluster)}</p>
            <p class="muted small">"Environments: " {envs}</p>
        </article>
    }
}
