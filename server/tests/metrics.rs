//! The metrics history on the real Flink: a deployed job has points within a minute; the API refuses unknown
//! names and a backwards range; roll-ups and retention keep what they should.

mod common;

use std::time::{Duration, Instant};

use serde_json::{json, Value};

#[tokio::test]
async fn a_running_job_has_a_metrics_history() {
    let s = common::server(|c| c.engine.metrics_interval_s = 1).await;
    let api = s.api();
    let jobs = "/api/v1/namespaces/default/jobs";
    api.post_ok(jobs, json!({"name": "measured", "kind": "sql"}), 201).await;
    api.post_ok(&format!("{jobs}/measured/versions"), json!({"sql": common::stateful_sql("m"), "message": "v1"}), 201).await;
    let dep = format!("{jobs}/measured/deployments/dev");
    api.act(&format!("{dep}/deploy"), json!({})).await;

    // Flink reports a vertex's figures only after it was asked once (it fetches metrics lazily).
    let started = Instant::now();
    let answer = loop {
        let m = api.get(&format!("{dep}/metrics?names=records_in_per_s,busy_ratio,restarts")).await;
        let flowing = m["series"].as_array().into_iter().flatten().any(|s| {
            s["name"] == "records_in_per_s"
                && s["vertex"].is_null()
                && s["points"].as_array().into_iter().flatten().any(|p| p[1].as_f64().unwrap_or(0.0) > 0.0)
        });
        if flowing {
            break m;
        }
        assert!(started.elapsed() < Duration::from_secs(90), "no throughput in the history after 90 s: {m}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(answer["resolution"], "raw", "the last hour is answered with raw samples: {answer}");
    let series = answer["series"].as_array().expect("series");
    assert!(series.iter().all(|s| ["records_in_per_s", "busy_ratio", "restarts"].contains(&s["name"].as_str().unwrap_or_default())));
    let restarts = series.iter().find(|s| s["name"] == "restarts").expect("restarts sampled");
    assert_eq!(restarts["unit"], "count");
    assert_eq!(restarts["points"][0][1], 0.0, "{restarts}");
    assert!(series.iter().any(|s| s["name"] == "busy_ratio" && s["vertex"].is_string()), "per-vertex busy ratio: {answer}");
    let every = api.get(&format!("{dep}/metrics")).await;
    assert!(every["series"].as_array().is_some_and(|s| s.iter().any(|s| s["name"] == "checkpoints_failed")), "{every}");
    // The TaskManagers' garbage collection and managed memory, from Flink's own TaskManager metrics.
    for name in ["tm_gc_time_ms_per_s", "tm_managed_memory_used_bytes", "tm_cpu_load"] {
        assert!(every["series"].as_array().is_some_and(|s| s.iter().any(|s| s["name"] == name)), "{name}: {every}");
    }

    // Bad input: 400 with the valid names; a backwards range.
    let (st, body) = api.call(reqwest::Method::GET, &format!("{dep}/metrics?names=records_in_per_s,cpu"), None).await;
    assert_eq!(st, 400, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("'cpu'") && message.contains("tm_heap_max_bytes"), "lists the valid names: {message}");
    let (st, _) = api.call(reqwest::Method::GET, &format!("{dep}/metrics?from=20&to=10"), None).await;
    assert_eq!(st, 400);
    let (st, _) = api.call(reqwest::Method::GET, &format!("{dep}/metrics?from=yesterday"), None).await;
    assert_eq!(st, 400);

    // Roll-ups and retention, run as if later: two minutes on, the samples are averaged into minutes; a day
    // and an hour on, the raw samples are gone and the minutes remain.
    let now = chrono::Utc::now().timestamp_millis();
    s.engine.maintain_metrics(now + 120_000).await.expect("roll up");
    let day = |m: &Value| m["series"].as_array().map(Vec::len).unwrap_or(0);
    let minutes = api.get(&format!("{dep}/metrics?names=records_in_per_s&from={}&to={}", now - 24 * 3_600_000, now + 60_000)).await;
    assert_eq!(minutes["resolution"], "1m", "{minutes}");
    assert!(day(&minutes) >= 1, "minute averages: {minutes}");
    s.engine.maintain_metrics(now + 25 * 3_600_000).await.expect("retention");
    let raw = api.get(&format!("{dep}/metrics?names=records_in_per_s&from={}&to={now}", now - 600_000)).await;
    assert_eq!((raw["resolution"].as_str(), day(&raw)), (Some("raw"), 0), "raw samples deleted by retention: {raw}");
    let minutes = api.get(&format!("{dep}/metrics?names=records_in_per_s&from={}&to={}", now - 24 * 3_600_000, now + 60_000)).await;
    assert!(day(&minutes) >= 1, "minute averages kept: {minutes}");

    api.act(&format!("{dep}/stop"), json!({"savepoint": false})).await;
}
