//! The dashboard's trends over the last hour: a sparkline of each deployment's throughput and lag, and each
//! cluster's slot, CPU and heap use over time (server-rendered SVG pictures; they need no JavaScript).
//! Refreshed with the dashboard's live events.

use leptos::prelude::*;

use crate::components::charts::{spark, Sparkline};
use crate::components::live::live_ticks;
use crate::components::ErrorBox;
use crate::server_fns::get_trends;
use weir_model::metrics::{ClusterHistory, ClusterMetricName, Trends};

/// The points of one measure of a cluster's history (none when it has none).
pub fn cluster_series(history: &ClusterHistory, name: ClusterMetricName) -> Vec<(i64, f64)> {
    history.series.iter().find(|s| s.name == name).map(|s| s.points.clone()).unwrap_or_default()
}

#[component]
pub fn TrendsPanel() -> impl IntoView {
    let ticks = live_ticks(None);
    // The heartbeat comes every few seconds; the trends move by the sample, so every fourth event is enough.
    let data = Resource::new(move || ticks.get() / 4, |_| get_trends());
    view! {
        <Transition fallback=|| view! { <p class="muted">"Reading the trends…"</p> }>
            {move || {
                data.get()
                    .map(|result| match result {
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                        Ok(t) => view! { <TrendsView trends=t/> }.into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn TrendsView(trends: Trends) -> impl IntoView {
    let (from, to) = (trends.from, trends.to);
    let clusters = trends
        .clusters
        .iter()
        .map(|c| {
            let line = |id: &str, title: &str, unit: &str, name: ClusterMetricName| {
                view! { <td><Sparkline spec=spark(id, title, unit, from, to, &cluster_series(c, name))/></td> }.into_any()
            };
            view! {
                <tr data-cluster-trend=c.cluster.clone()>
                    <td>{c.cluster.clone()}</td>
                    {line("slots-used", "slots used", "slots", ClusterMetricName::SlotsUsed)}
                    {line("cpu", "CPU (busiest TaskManager)", "ratio", ClusterMetricName::CpuLoad)}
                    {line("heap", "heap used", "bytes", ClusterMetricName::HeapUsedBytes)}
                </tr>
            }
            .into_any()
        })
        .collect_view();
    let deployments = if trends.deployments.is_empty() {
        view! { <tr><td colspan="4" class="muted">"No deployment yet."</td></tr> }.into_any()
    } else {
        trends
            .deployments
            .iter()
            .map(|d| {
                let href = format!("/jobs/{}/{}?tab=metrics", d.namespace, d.job);
                view! {
                    <tr data-deployment-trend=format!("{}/{}/{}", d.namespace, d.job, d.environment)>
                        <td><a href=href>{format!("{}/{}", d.namespace, d.job)}</a></td>
                        <td>{d.environment.clone()}</td>
                        <td><Sparkline spec=spark("throughput", "records in/s", "records/s", from, to, &d.records_in_per_s)/></td>
                        <td><Sparkline spec=spark("lag", "lag", "records", from, to, &d.lag_records)/></td>
                    </tr>
                }
                .into_any()
            })
            .collect_view()
            .into_any()
    };
    view! {
        <h2 class="section-title">"Last hour"</h2>
        <div class="trend-grid">
            <table class="table trends" data-test="cluster-trends">
                <thead><tr><th>"Cluster"</th><th>"Slots used"</th><th>"CPU"</th><th>"Heap used"</th></tr></thead>
                <tbody>{clusters}</tbody>
            </table>
            <table class="table trends" data-test="deployment-trends">
                <thead><tr><th>"Job"</th><th>"Environment"</th><th>"Throughput"</th><th>"Lag"</th></tr></thead>
                <tbody>{deployments}</tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_model::metrics::{ClusterSeries, Resolution};

    #[test]
    fn a_cluster_series_by_name() {
        let h = ClusterHistory {
            cluster: "local".into(),
            resolution: Resolution::Raw,
            from: 0,
            to: 10,
            series: vec![ClusterSeries { name: ClusterMetricName::CpuLoad, unit: "ratio".into(), task_manager: None, points: vec![(1, 0.5)] }],
        };
        assert_eq!(cluster_series(&h, ClusterMetricName::CpuLoad), vec![(1, 0.5)]);
        assert!(cluster_series(&h, ClusterMetricName::SlotsUsed).is_empty());
    }
}
