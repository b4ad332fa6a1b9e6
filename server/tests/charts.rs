//! Charts: the cluster history's SQL on SQLite and PostgreSQL; and on the real Flink, a deployed job's
//! history reaches the job page's Metrics tab (server-rendered: latest values and an SVG chart of each
//! series), the cluster history API answers the cluster's slots, and the dashboard shows the trends.

mod common;

use std::time::{Duration, Instant};

use serde_json::json;
use weir_engine::store::Insert;

fn inserted<T: std::fmt::Debug>(result: Result<Insert<T>, sea_orm::DbErr>) -> T {
    match result.expect("insert") {
        Insert::Inserted(v) => v,
        Insert::Duplicate => panic!("unexpected duplicate"),
    }
}

/// `cluster_points` on both databases: raw points written once, rolled up into whole minutes, read by range
/// and name, deleted by retention; deleting the cluster deletes its points.
#[tokio::test]
async fn cluster_points_roll_up_and_expire_on_every_database() {
    use weir_engine::store::cluster_points::ClusterPoint;
    use weir_model::metrics::{ClusterMetricName as N, Resolution};
    for db in common::databases().await {
        let label = db.label;
        let store = db.store().await;
        let cluster = inserted(store.insert_cluster("c", &common::session_settings("http://c:8081")).await);
        let point = |name: N, ts: i64, value: f64| ClusterPoint { cluster_id: cluster.id, task_manager: String::new(), name, ts, value };
        let of_tm = |tm: &str, ts: i64, value: f64| ClusterPoint { task_manager: tm.to_owned(), ..point(N::CpuLoad, ts, value) };
        let points = vec![
            point(N::SlotsUsed, 1_000, 2.0),
            point(N::SlotsUsed, 30_000, 4.0),
            point(N::SlotsUsed, 61_000, 8.0),
            point(N::CpuLoad, 1_000, 0.5),
            of_tm("tm-1", 1_000, 0.25),
            of_tm("tm-1", 30_000, 0.75),
            of_tm("tm-2", 1_000, 0.5),
        ];
        store.insert_cluster_points(points.clone()).await.expect("insert");
        store.insert_cluster_points(points).await.expect("insert again: kept once");
        let raw = store.cluster_points(cluster.id, &[N::SlotsUsed], false, Resolution::Raw, 0, 120_000).await.expect("read");
        assert_eq!(raw.iter().map(|p| p.value).collect::<Vec<_>>(), vec![2.0, 4.0, 8.0], "[{label}]");
        let both = store.cluster_points(cluster.id, &[N::SlotsUsed, N::CpuLoad], false, Resolution::Raw, 0, 10_000).await.expect("read");
        assert_eq!(both.len(), 2, "[{label}] by name and range, the totals only: {both:?}");
        let cpu = store.cluster_points(cluster.id, &[N::CpuLoad], true, Resolution::Raw, 0, 120_000).await.expect("read");
        let got: Vec<(&str, f64)> = cpu.iter().map(|p| (p.task_manager.as_str(), p.value)).collect();
        assert_eq!(got, vec![("", 0.5), ("tm-1", 0.25), ("tm-1", 0.75), ("tm-2", 0.5)], "[{label}] the totals, then each TaskManager");
        store.roll_up_cluster_points(Resolution::Raw, Resolution::Minute, 0, 60_000).await.expect("roll up");
        store.roll_up_cluster_points(Resolution::Raw, Resolution::Minute, 0, 60_000).await.expect("roll up again");
        let minutes = store.cluster_points(cluster.id, &[N::SlotsUsed], false, Resolution::Minute, 0, 120_000).await.expect("read");
        assert_eq!(minutes.len(), 1, "[{label}] {minutes:?}");
        assert_eq!((minutes[0].ts, minutes[0].value), (0, 3.0), "[{label}] the minute's average");
        let tm_minutes = store.cluster_points(cluster.id, &[N::CpuLoad], true, Resolution::Minute, 0, 120_000).await.expect("read");
        let got: Vec<(&str, f64)> = tm_minutes.iter().map(|p| (p.task_manager.as_str(), p.value)).collect();
        assert_eq!(got, vec![("", 0.5), ("tm-1", 0.5), ("tm-2", 0.5)], "[{label}] each TaskManager rolled up on its own");
        assert_eq!(store.newest_cluster_point(Resolution::Minute).await.expect("newest"), Some(0), "[{label}]");
        assert_eq!(store.delete_cluster_points_before(Resolution::Raw, 60_000).await.expect("retention"), 6, "[{label}]");
        let left = store.cluster_points(cluster.id, &[N::SlotsUsed, N::CpuLoad], true, Resolution::Raw, 0, 120_000).await.expect("read");
        assert_eq!(left.len(), 1, "[{label}]");
        db.cleanup().await;
    }
}

/// Renders a page as the signed-in administrator; it must answer 200.
async fn page(base: &str, cookie: &str, path: &str) -> String {
    let (status, html, _) = common::render(base, cookie, path).await;
    assert_eq!(status, 200, "{path}");
    html
}

#[tokio::test]
async fn a_deployed_job_is_charted_within_a_minute() {
    let s = common::server(|c| c.engine.metrics_interval_s = 1).await;
    let api = s.api();
    let jobs = "/api/v1/namespaces/default/jobs";
    api.post_ok(jobs, json!({"name": "charted", "kind": "sql"}), 201).await;
    api.post_ok(&format!("{jobs}/charted/versions"), json!({"sql": common::stateful_sql("c"), "message": "v1"}), 201).await;
    let dep = format!("{jobs}/charted/deployments/dev");
    api.act(&format!("{dep}/deploy"), json!({})).await;

    // History points within a minute of the deploy.
    let started = Instant::now();
    loop {
        let m = api.get(&format!("{dep}/metrics?names=records_in_per_s")).await;
        let points = m["series"].as_array().into_iter().flatten().filter(|s| s["vertex"].is_null()).map(|s| s["points"].as_array().map_or(0, Vec::len)).sum::<usize>();
        if points >= 2 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no history after a minute: {m}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // The Metrics tab, rendered on the server: the latest values and an SVG chart per measure, with the deploy
    // marked on the time axis.
    let (_, cookie) = common::Api::login(&s.base, common::ADMIN, common::ADMIN_PASSWORD, false).await;
    let html = page(&s.base, &cookie, "/jobs/default/charted?tab=metrics&range=15m").await;
    assert!(html.contains("data-test=\"metrics\""), "the Metrics tab");
    assert!(html.contains("data-metric=\"records_in_per_s\""), "the latest values table has throughput");
    let figure = &html[html.find("data-chart-id=\"throughput\"").expect("a throughput chart")..];
    let figure = &figure[..figure.find("</figure>").expect("end of the figure")];
    assert!(figure.contains("<svg") && figure.contains("<polyline"), "the server drew the series: {figure}");
    assert!(html.contains("class=\"marker deploy\""), "the deploy is marked on the time axis");
    let chart = &html[html.find("data-chart=\"").expect("data-chart")..];
    assert!(chart.contains("&quot;x&quot;:[") || chart.contains("\"x\":["), "the chart's data for uPlot");
    assert!(html.contains("data-range=\"7d\""), "range links");
    assert!(!html.contains("data-chart-id=\"busy-vertices\""), "per vertex only on demand");
    let per_vertex = page(&s.base, &cookie, "/jobs/default/charted?tab=metrics&range=1h&vertices=1").await;
    assert!(per_vertex.contains("data-chart-id=\"busy-vertices\""), "per-vertex charts when asked for");

    // The cluster's history (sampled from the same looks) and the dashboard's trends.
    let h = api.get("/api/v1/clusters/local/history?names=slots_total,slots_used").await;
    let slots = h["series"].as_array().into_iter().flatten().find(|s| s["name"] == "slots_total").cloned().unwrap_or_default();
    assert!(slots["points"].as_array().is_some_and(|p| !p.is_empty()), "cluster slots over time: {h}");
    assert_eq!(slots["unit"], "slots");
    // Each TaskManager's own series beside the cluster's totals, in the cluster history and in the job's
    // TaskManager measures (read until the reconciler has read the TaskManagers' metrics, within a minute).
    let started = Instant::now();
    loop {
        let h = api.get("/api/v1/clusters/local/history?names=cpu_load,heap_used_bytes").await;
        let m = api.get(&format!("{dep}/metrics?names=tm_heap_used_bytes")).await;
        let per_tm = |v: &serde_json::Value| {
            v["series"].as_array().into_iter().flatten().filter(|s| s["task_manager"].as_str().is_some_and(|t| !t.is_empty())).count()
        };
        let totals = h["series"].as_array().into_iter().flatten().filter(|s| s["task_manager"].is_null()).count();
        if per_tm(&h) >= 2 && totals == 2 && per_tm(&m) >= 1 {
            let job_level = m["series"].as_array().into_iter().flatten().filter(|s| s["task_manager"].is_null()).count();
            assert_eq!(job_level, 1, "the job-level heap beside each TaskManager's: {m}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no per-TaskManager series after a minute: {h} {m}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (st, body) = api.call(reqwest::Method::GET, "/api/v1/clusters/local/history?names=cpu", None).await;
    assert_eq!(st, 400, "{body}");
    let (st, _) = api.call(reqwest::Method::GET, "/api/v1/clusters/nowhere/history", None).await;
    assert_eq!(st, 404);
    let dashboard = page(&s.base, &cookie, "/").await;
    assert!(dashboard.contains("data-deployment-trend=\"default/charted/dev\""), "a sparkline row for the deployment");
    assert!(dashboard.contains("data-cluster-trend=\"local\""), "the cluster's use over time");

    api.act(&format!("{dep}/stop"), json!({"savepoint": false})).await;
}
