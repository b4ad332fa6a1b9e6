//! Resource recommendations on the real Flink, with test-short windows (seconds, set per environment): a job
//! kept busy by its input gets "increase parallelism", explained with its busy vertex; over the quota, applying
//! is refused with nothing written; applied, it is one recorded deploy that stopped with a savepoint and
//! restored it, and Flink runs the new parallelism. An idle job at parallelism 4 gets "decrease"; dismissed,
//! it is not shown again. Memory advice follows the observed heap. Bad settings are refused.

mod common;

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use common::Api;

const JOBS: &str = "/api/v1/namespaces/default/jobs";

fn dep(job: &str) -> String {
    format!("{JOBS}/{job}/deployments/dev")
}

fn step<'a>(op: &'a Value, name: &str) -> &'a Value {
    op["steps"].as_array().and_then(|s| s.iter().find(|s| s["name"] == name)).map(|s| &s["data"]).unwrap_or(&Value::Null)
}

/// Test-short windows: figures after `stabilization_s`, over 15 s; a decrease after 20 s of figures. (Flink
/// reports an idle task as busy for its first seconds: the stabilization leaves that out.)
async fn short_windows(api: &Api, stabilization_s: u32) {
    let settings = json!({"stabilization_s": stabilization_s, "window_s": 15, "scale_down_after_s": 20, "catch_up_s": 60});
    let (st, env) = api.call(Method::PATCH, "/api/v1/environments/dev", Some(json!({"recommendations": settings}))).await;
    assert_eq!(st, 200, "{env}");
    assert_eq!(env["recommendations"]["window_s"], 15, "{env}");
    assert_eq!(env["recommendations"]["target_utilization"], 0.7, "a field left out takes its default: {env}");
}

async fn job(api: &Api, name: &str, sql: &str, parallelism: u32) {
    api.post_ok(JOBS, json!({"name": name, "kind": "sql"}), 201).await;
    api.post_ok(&format!("{JOBS}/{name}/versions"), json!({"sql": sql, "parallelism": parallelism, "message": "v1"}), 201).await;
}

/// Polls the recommendation until `status`, within `secs`.
async fn wait_status(api: &Api, job: &str, status: &str, secs: u64) -> Value {
    let start = Instant::now();
    loop {
        let (st, rec) = api.call(Method::GET, &format!("{}/recommendation", dep(job)), None).await;
        if st == 200 && rec["status"] == status {
            return rec;
        }
        assert!(start.elapsed().as_secs() < secs, "no '{status}' recommendation within {secs}s: {st} {rec}");
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Flink's parallelism of each vertex of a job.
async fn flink_parallelism(job_id: &str) -> Vec<u64> {
    let j: Value = reqwest::get(format!("{}/jobs/{job_id}", common::flink_url())).await.expect("Flink").json().await.expect("JSON");
    j["vertices"].as_array().into_iter().flatten().filter_map(|v| v["parallelism"].as_u64()).collect()
}

async fn count(api: &Api, path: &str) -> usize {
    api.get(path).await.as_array().map_or(0, Vec::len)
}

/// Cancels the job (waiting out an operation in flight), so the shared cluster's slots are free again.
async fn stop(api: &Api, job: &str) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(90) {
        let (st, body) = api.post(&format!("{}/stop", dep(job)), json!({"savepoint": false})).await;
        match st {
            202 => {
                api.wait_operation(body["operation"].as_i64().expect("operation"), 60).await;
                return;
            }
            409 if body["error"]["code"] == "operation_in_progress" => tokio::time::sleep(Duration::from_secs(1)).await,
            _ => return,
        }
    }
}

/// Runs a scenario, then stops its job whether it passed or not (a failed test must not hold the slots).
async fn run<F: std::future::Future<Output = ()>>(api: &Api, job: &str, scenario: F) {
    use futures::FutureExt;
    let outcome = std::panic::AssertUnwindSafe(scenario).catch_unwind().await;
    stop(api, job).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

#[tokio::test]
async fn a_busy_job_gets_more_parallelism_applied_with_its_state_within_the_quota() {
    let s = common::server(|c| c.engine.metrics_interval_s = 1).await;
    let api = s.api();
    run(&api, "busy", busy(&api)).await;
}

async fn busy(api: &Api) {

    // Bad settings are refused and nothing is written.
    for bad in [json!({"target_utilization": 1.5}), json!({"headroom": 0.5}), json!({"window_s": 0}), json!({"windows": 3})] {
        let (st, body) = api.call(Method::PATCH, "/api/v1/environments/dev", Some(json!({"recommendations": bad}))).await;
        // Values out of range are the engine's 400; an unknown field is refused when the body is read (422).
        assert!(st == 400 || st == 422, "{bad}: {st} {body}");
        assert_eq!(body["error"]["code"], "invalid_request", "{bad}: {body}");
    }
    let envs = api.get("/api/v1/environments").await;
    assert_eq!(envs[0]["recommendations"], Value::Null, "still the defaults: {envs}");
    short_windows(api, 15).await;

    // A datagen source far faster than one slot can aggregate, parallelism 1.
    // A cheap source (two numbers a row) and an aggregation that updates its state and emits a retraction
    // and an update for every row: the aggregation is the bottleneck.
    let sql = "CREATE TABLE src (k INT, v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '1000000', \
               'fields.k.min' = '1', 'fields.k.max' = '100000');\n\
               CREATE TABLE snk (k INT, c BIGINT, s BIGINT, lo BIGINT, hi BIGINT, a BIGINT) WITH ('connector' = 'blackhole');\n\
               INSERT INTO snk SELECT k, COUNT(*), SUM(v), MIN(v), MAX(v), AVG(v) FROM src GROUP BY k;\n";
    job(api, "busy", sql, 1).await;
    let (st, rec) = api.call(Method::GET, &format!("{}/recommendation", dep("busy")), None).await;
    assert_eq!((st, rec["status"].as_str()), (200, Some("collecting")), "never deployed: {rec}");
    api.act(&format!("{}/deploy", dep("busy")), json!({})).await;
    let rec = api.get(&format!("{}/recommendation", dep("busy"))).await;
    assert_eq!(rec["status"], "collecting", "right after the deploy: {rec}");
    assert!(rec["reason"].as_str().unwrap_or_default().len() > 10, "with its reason: {rec}");

    let rec = wait_status(api, "busy", "ready", 90).await;
    let (current, recommended) = (rec["parallelism"]["current"].as_u64().unwrap(), rec["parallelism"]["recommended"].as_u64().unwrap());
    assert_eq!(current, 1, "{rec}");
    assert!(recommended > 1, "increase: {rec}");
    let explanation = rec["explanation"].as_str().unwrap_or_default();
    assert!(explanation.starts_with(&format!("p=1 -> {recommended}: vertex '")), "{explanation}");
    assert!(explanation.contains("GroupAggregate") && explanation.contains("busy at"), "names the busy vertex: {explanation}");
    assert!(rec["reason"].as_str().unwrap_or_default().starts_with("increase parallelism"), "{rec}");
    let busy = rec["parallelism"]["vertices"]
        .as_array()
        .and_then(|v| v.iter().find(|v| v["name"].as_str().unwrap_or_default().contains("GroupAggregate")))
        .cloned()
        .expect("the aggregate vertex");
    assert!(busy["busy_ratio"].as_f64().unwrap_or(0.0) > 0.9, "{busy}");
    assert!(busy["input_rate"].as_f64().unwrap_or(0.0) > 0.0, "{busy}");
    assert!(busy["processing_rate"].as_f64().unwrap_or(0.0) > 0.0, "{busy}");
    assert_eq!(busy["recommended"], recommended, "the job's parallelism is the largest vertex advice: {rec}");
    assert!(rec["based_on"]["samples"].as_u64().unwrap_or(0) >= 3, "{rec}");
    let (from, to) = (rec["based_on"]["from"].as_i64().unwrap(), rec["based_on"]["to"].as_i64().unwrap());
    assert!(to - from <= 15_000 && to - from > 5_000, "the window: {rec}");
    assert_eq!(rec["cost"]["slots_delta"], recommended as i64 - 1, "{rec}");

    // Memory advice follows the observed heap: the peak of the TaskManager's heap in the window, x 1.2.
    let heap = rec["memory"]["components"].as_array().and_then(|c| c.iter().find(|c| c["component"] == "taskmanager_heap")).cloned().expect("heap");
    let peak = heap["observed_peak_bytes"].as_u64().expect("a heap peak");
    assert!(peak > 0, "{heap}");
    let mib = 1024.0 * 1024.0;
    let want = ((peak as f64 * 1.2 / mib).ceil() * mib) as u64;
    assert!(heap["recommended_bytes"].as_u64().unwrap().abs_diff(want) <= 1024 * 1024, "{heap}");
    let m = api.get(&format!("{}/metrics?names=tm_heap_used_bytes&from={from}&to={to}", dep("busy"))).await;
    let observed = m["series"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| !s["task_manager"].is_null())
        .flat_map(|s| s["points"].as_array().cloned().unwrap_or_default())
        .filter(|p| p[0].as_i64().is_some_and(|t| t >= from && t <= to))
        .filter_map(|p| p[1].as_f64())
        .fold(0.0_f64, f64::max);
    assert!((observed as u64).abs_diff(peak) <= 1, "the peak is the metrics history's: {observed} vs {heap}");
    // Metaspace and the JobManager's heap are advised from their observed peaks too (real Flink figures).
    for component in ["taskmanager_metaspace", "jobmanager_heap"] {
        let c = rec["memory"]["components"].as_array().and_then(|c| c.iter().find(|c| c["component"] == component)).cloned();
        let c = c.unwrap_or_else(|| panic!("{component} advised: {rec}"));
        let peak = c["observed_peak_bytes"].as_u64().unwrap_or(0);
        assert!(peak > 0, "{component} has an observed peak: {c}");
        let want = ((peak as f64 * 1.2 / mib).ceil() * mib) as u64;
        assert!(c["recommended_bytes"].as_u64().is_some_and(|r| r.abs_diff(want) <= 1024 * 1024), "{c}");
    }
    let jm = rec["memory"]["components"].as_array().and_then(|c| c.iter().find(|c| c["component"] == "jobmanager_heap")).cloned().unwrap_or_default();
    assert!(jm["current_bytes"].as_u64().is_some_and(|m| m > 0), "the JobManager's heap there is: {jm}");
    assert_eq!(rec["memory"]["applies"], false, "a session cluster: shown, not applied: {rec}");
    let history = api.get(&format!("{}/recommendation/history", dep("busy"))).await;
    assert_eq!(history[0]["action"], "shown", "{history}");

    // Over the namespace's quota: refused with the numbers, nothing written.
    api.post_ok("/api/v1/pools", json!({"name": "rec-pool", "cluster": "local", "capacity": {"slots": 8}}), 201).await;
    api.call(Method::PATCH, "/api/v1/environments/dev", Some(json!({"pool": "rec-pool"}))).await;
    api.call(Method::PUT, "/api/v1/pools/rec-pool/quotas/default", Some(json!({"slots": 1}))).await;
    let versions = count(api, &format!("{JOBS}/busy/versions")).await;
    let operations = count(api, &format!("{JOBS}/busy/operations")).await;
    let entries = count(api, &format!("{}/recommendation/history", dep("busy"))).await;
    let (st, body) = api.post(&format!("{}/recommendation/apply", dep("busy")), json!({})).await;
    assert_eq!((st, body["error"]["code"].as_str()), (409, Some("quota_exceeded")), "{body}");
    assert_eq!(body["error"]["quota"], 1, "{body}");
    assert_eq!(count(api, &format!("{JOBS}/busy/versions")).await, versions, "no version written");
    assert_eq!(count(api, &format!("{JOBS}/busy/operations")).await, operations, "no operation written");
    assert_eq!(count(api, &format!("{}/recommendation/history", dep("busy"))).await, entries, "no history written");

    // Within the quota: one deploy operation, stopped with a savepoint and restored from it.
    api.call(Method::PUT, "/api/v1/pools/rec-pool/quotas/default", Some(json!({"slots": 8}))).await;
    let before = api.get(&dep("busy")).await["flink_job_id"].as_str().unwrap().to_owned();
    let applied = api.post_ok(&format!("{}/recommendation/apply", dep("busy")), json!({}), 202).await;
    let now_recommended = applied["recommendation"]["parallelism"]["recommended"].as_u64().unwrap();
    assert!(now_recommended > 1, "{applied}");
    assert_eq!(applied["version"], 2, "{applied}");
    let op = api.wait_operation(applied["operation"].as_i64().unwrap(), 180).await;
    assert_eq!(op["status"], "succeeded", "{op}");
    assert_eq!(op["kind"], "deploy", "{op}");
    assert_eq!(op["params"]["version"], 2, "{op}");
    assert_eq!(op["params"]["restore"], "latest-savepoint", "{op}");
    assert!(op["params"]["recommendation"].as_i64().is_some(), "the recommendation is recorded in the operation: {op}");
    let savepoint = step(&op, "stop-with-savepoint")["location"].as_str().expect("stopped with a savepoint").to_owned();
    assert!(step(&op, "choose-restore")["path"].as_str().unwrap_or_default().contains(savepoint.trim_start_matches("file:")), "{op}");
    assert_eq!(count(api, &format!("{JOBS}/busy/operations")).await, operations + 1, "one recorded operation");
    let v2 = api.get(&format!("{JOBS}/busy/versions/2")).await;
    assert_eq!(v2["parallelism"], now_recommended, "{v2}");
    assert_eq!(v2["message"], format!("Apply recommendation: parallelism 1 -> {now_recommended}"), "{v2}");
    assert_eq!(v2["sql"], api.get(&format!("{JOBS}/busy/versions/1")).await["sql"], "the same program");
    let d = api.get(&dep("busy")).await;
    let after = d["flink_job_id"].as_str().unwrap().to_owned();
    assert_ne!(after, before, "{d}");
    let on_flink = flink_parallelism(&after).await;
    assert!(!on_flink.is_empty() && on_flink.iter().all(|p| *p == now_recommended), "Flink runs p={now_recommended}: {on_flink:?}");
    let history = api.get(&format!("{}/recommendation/history", dep("busy"))).await;
    assert_eq!(history[0]["action"], "applied", "{history}");
    assert_eq!(history[0]["operation"], op["id"], "{history}");
    let rec = api.get(&format!("{}/recommendation", dep("busy"))).await;
    assert_eq!(rec["status"], "collecting", "a new start waits again: {rec}");
}

#[tokio::test]
async fn an_idle_job_gets_a_decrease_which_once_dismissed_is_not_shown_again() {
    let s = common::server(|c| c.engine.metrics_interval_s = 1).await;
    let api = s.api();
    run(&api, "idle", idle(&api)).await;
}

async fn idle(api: &Api) {
    short_windows(api, 15).await;
    let sql = "CREATE TABLE src (k INT) WITH ('connector' = 'datagen', 'rows-per-second' = '1');\n\
               CREATE TABLE snk (k INT) WITH ('connector' = 'blackhole');\n\
               INSERT INTO snk SELECT k FROM src;\n";
    job(api, "idle", sql, 4).await;
    api.act(&format!("{}/deploy", dep("idle")), json!({})).await;

    // Nothing to dismiss or apply while collecting.
    let (st, body) = api.post(&format!("{}/recommendation/dismiss", dep("idle")), json!({})).await;
    assert_eq!(st, 409, "{body}");
    let rec = wait_status(api, "idle", "ready", 100).await;
    assert_eq!(rec["parallelism"]["current"], 4, "{rec}");
    assert_eq!(rec["parallelism"]["recommended"], 1, "{rec}");
    assert!(rec["reason"].as_str().unwrap_or_default().starts_with("decrease parallelism p=4 -> 1"), "{rec}");
    assert_eq!(rec["cost"]["slots_delta"], -3, "frees 3 slots: {rec}");
    assert!(rec["explanation"].as_str().unwrap_or_default().contains("Frees 3 slot(s)"), "{rec}");

    // Dismissed with a reason: not shown again while the numbers stay.
    let (st, body) = api.call(Method::POST, &format!("{}/recommendation/dismiss", dep("idle")), Some(json!({"bogus": 1}))).await;
    assert_eq!(st, 400, "{body}");
    let dismissed = api.post_ok(&format!("{}/recommendation/dismiss", dep("idle")), json!({"reason": "peak season soon"}), 200).await;
    assert_eq!(dismissed["status"], "no_change", "{dismissed}");
    assert_eq!(dismissed["dismissed"]["reason"], "peak season soon", "{dismissed}");
    let again = api.get(&format!("{}/recommendation", dep("idle"))).await;
    assert_eq!(again["status"], "no_change", "{again}");
    assert!(again["reason"].as_str().unwrap_or_default().contains("was dismissed by admin"), "{again}");
    let (st, body) = api.post(&format!("{}/recommendation/apply", dep("idle")), json!({})).await;
    assert_eq!(st, 409, "nothing to apply: {body}");
    let history = api.get(&format!("{}/recommendation/history", dep("idle"))).await;
    let actions: Vec<&str> = history.as_array().unwrap().iter().filter_map(|h| h["action"].as_str()).collect();
    assert_eq!(actions, vec!["dismissed", "shown"], "{history}");
    assert_eq!(history[0]["reason"], "peak season soon");
    assert_eq!(history[0]["recommendation"]["parallelism"]["recommended"], 1);
}
