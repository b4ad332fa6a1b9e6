//! The job page's Metrics tab (`?tab=metrics&range=1h&vertices=1`): for each environment the job was deployed
//! to, the newest value of every measure and a chart of each (throughput, lag, busy and back-pressure — per
//! vertex on demand —, checkpoints, restarts, the TaskManagers' CPU and heap) over the chosen range, with the
//! deploy, stop and rollback operations marked on the time axis. The range buttons and the per-vertex toggle
//! are links (they work without JavaScript); the server renders each chart as an SVG picture, which uPlot
//! (`public/charts.js`) replaces in the browser. Live while open: the job's events re-render the page (and
//! refetch), and a timer refetches every 15 s.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::charts::{latest_values, markers_of, panels, Chart, ChartRange};
use crate::components::{ErrorBox, StateBadge};
use crate::server_fns::get_deployment_metrics;
use weir_model::metrics::Metrics;
use weir_model::{Deployment, JobDetail, Operation};

/// How often the open tab refetches its charts, besides the job's events.
const REFRESH_MS: u64 = 15_000;

#[component]
pub fn MetricsTab(detail: JobDetail) -> impl IntoView {
    let query = use_query_map();
    let range = Signal::derive(move || ChartRange::parse(query.read().get("range").as_deref()));
    let per_vertex = Signal::derive(move || query.read().get("vertices").as_deref() == Some("1"));
    // The job's events already re-render the page (and this tab with it); between them, a timer.
    let timer = refresh_timer();
    let link = move |r: ChartRange, vertices: bool| {
        let mut href = format!("?tab=metrics&range={}", r.as_str());
        if vertices {
            href.push_str("&vertices=1");
        }
        href
    };
    let ranges = ChartRange::ALL
        .into_iter()
        .map(|r| {
            view! {
                <a
                    href=move || link(r, per_vertex.get())
                    class=move || if range.get() == r { "button small active" } else { "button small" }
                    data-range=r.as_str()
                >
                    {r.label()}
                </a>
            }
        })
        .collect_view();
    let toggle = move || {
        let on = per_vertex.get();
        view! {
            <a href=link(range.get(), !on) class="button small" data-test="toggle-vertices">
                {if on { "Hide per-vertex charts" } else { "Show busy and back-pressure per vertex" }}
            </a>
        }
    };
    let deployed: Vec<Deployment> = detail.deployments.iter().filter(|d| d.version.is_some()).cloned().collect();
    let body = if deployed.is_empty() {
        view! { <p class="muted" data-test="metrics-none">"Not deployed yet: the charts start with the first deploy."</p> }
            .into_any()
    } else {
        deployed
            .into_iter()
            .map(|d| {
                view! {
                    <EnvironmentMetrics
                        deployment=d
                        operations=detail.operations.clone()
                        range=range
                        per_vertex=per_vertex
                        refresh=timer.into()
                    />
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <section class="metrics" data-test="metrics">
            <nav class="range-buttons" data-test="ranges">{ranges} <span class="grow"></span> {toggle}</nav>
            {body}
        </section>
    }
}

/// A counter bumped every [`REFRESH_MS`] while the tab is open (in the browser only; effects do not run on the
/// server).
fn refresh_timer() -> ReadSignal<u32> {
    let (count, set_count) = signal(0u32);
    Effect::new(move |_| {
        if let Ok(handle) =
            set_interval_with_handle(move || set_count.update(|n| *n += 1), std::time::Duration::from_millis(REFRESH_MS))
        {
            on_cleanup(move || handle.clear());
        }
    });
    count
}

#[component]
fn EnvironmentMetrics(
    deployment: Deployment,
    operations: Vec<Operation>,
    range: Signal<ChartRange>,
    per_vertex: Signal<bool>,
    refresh: Signal<u32>,
) -> impl IntoView {
    let (ns, job, env) = (deployment.namespace.clone(), deployment.job.clone(), deployment.environment.clone());
    let env_for_fetch = env.clone();
    let metrics = Resource::new(
        move || (ns.clone(), job.clone(), env_for_fetch.clone(), range.get(), refresh.get()),
        |(ns, job, env, range, _)| get_deployment_metrics(ns, job, env, range.as_str().to_owned()),
    );
    let operations = StoredValue::new(operations);
    let env_name = StoredValue::new(env.clone());
    view! {
        <article class="card metrics-env" data-env=env.clone()>
            <header class="card-head">
                <h2>{env.clone()}</h2>
                <StateBadge state=deployment.observed_state/>
            </header>
            <Transition fallback=|| view! { <p class="muted chart-loading">"Reading the metrics history…"</p> }>
                {move || {
                    metrics
                        .get()
                        .map(|result| match result {
                            Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                            Ok(m) => {
                                let markers = operations.with_value(|ops| env_name.with_value(|env| markers_of(ops, env, m.from, m.to)));
                                view! { <MetricsView metrics=m markers=markers per_vertex=per_vertex.get()/> }.into_any()
                            }
                        })
                }}
            </Transition>
        </article>
    }
}

#[component]
fn MetricsView(metrics: Metrics, markers: Vec<crate::components::chart_svg::Marker>, per_vertex: bool) -> impl IntoView {
    let latest = latest_values(&metrics);
    let rows = if latest.is_empty() {
        view! { <tr><td colspan="3" class="muted">"No sample yet: a running job is sampled every few seconds."</td></tr> }
            .into_any()
    } else {
        latest
            .into_iter()
            .map(|l| {
                view! {
                    <tr data-metric=l.name.as_str()>
                        <td>{l.name.as_str()}</td>
                        <td class="num">{l.value}</td>
                        <td class="muted small">{l.at}</td>
                    </tr>
                }
            })
            .collect_view()
            .into_any()
    };
    let charts = panels(&metrics, per_vertex, &markers).into_iter().map(|spec| view! { <Chart spec=spec/> }).collect_view();
    view! {
        <p class="muted small" data-test="resolution">
            {format!("{} points · {} marker(s) · UTC", metrics.resolution.as_str(), markers.len())}
        </p>
        <div class="metrics-body">
            <table class="table latest" data-test="latest-values">
                <thead><tr><th>"Measure"</th><th>"Latest"</th><th>"At"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <div class="chart-grid">{charts}</div>
        </div>
    }
    .into_any()
}
