//! The deploy / stop with savepoint / redeploy restoring state / rollback story through the REST API on each
//! kind of cluster besides the shared 2.3 session (which `operations.rs` covers): a `flink-session` cluster
//! running Flink 1.20.5 (registered through the API, its version read from the cluster, its SQL run by the runner
//! built for 1.20) and a `local-application` cluster (each deployment its own JobManager and TaskManager
//! processes, their logs readable from the API, nothing left running once stopped).

mod common;

use std::time::{Duration, Instant};

use common::{processes_under, server, stateful_sql, Api, Reaper};
use serde_json::{json, Value};

fn step<'a>(op: &'a Value, name: &str) -> &'a Value {
    op["steps"].as_array().and_then(|s| s.iter().find(|s| s["name"] == name)).map(|s| &s["data"]).unwrap_or(&Value::Null)
}

async fn wait_observed(api: &Api, job: &str, env: &str, state: &str, secs: u64) -> Value {
    let start = Instant::now();
    loop {
        let d = api.get(&format!("/api/v1/namespaces/default/jobs/{job}/deployments/{env}")).await;
        if d["observed_state"] == state {
            return d;
        }
        assert!(start.elapsed().as_secs() < secs, "deployment never observed {state}: {d}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The story on environment `env`: returns the Flink job ids it ran (v1, v2, the rollback).
async fn story(api: &Api, job: &str, env: &str) -> Vec<String> {
    let base = format!("/api/v1/namespaces/default/jobs/{job}");
    api.post_ok("/api/v1/namespaces/default/jobs", json!({"name": job, "kind": "sql"}), 201).await;
    api.post_ok(&format!("{base}/versions"), json!({"sql": stateful_sql("one"), "message": "v1"}), 201).await;
    api.post_ok(&format!("{base}/versions"), json!({"sql": stateful_sql("two"), "message": "v2"}), 201).await;
    let dep = format!("{base}/deployments/{env}");

    // v1 runs.
    api.act(&format!("{dep}/deploy"), json!({"version": 1})).await;
    let d = wait_observed(api, job, env, "RUNNING", 120).await;
    let first = d["flink_job_id"].as_str().expect("job id").to_owned();
    // A checkpoint completes before the upgrade (so a savepoint can be taken).
    tokio::time::sleep(Duration::from_secs(8)).await;

    // v2 replaces it: a stop with savepoint, then a new job restoring it.
    let op = api.act(&format!("{dep}/deploy"), json!({"version": 2})).await;
    let saved = step(&op, "stop-with-savepoint")["location"].as_str().expect("savepoint location").to_owned();
    assert_eq!(step(&op, "choose-restore")["path"].as_str(), Some(saved.as_str()), "restores what the stop saved: {op}");
    let d = wait_observed(api, job, env, "RUNNING", 120).await;
    let second = d["flink_job_id"].as_str().expect("job id").to_owned();
    assert_ne!(first, second);
    assert_eq!(d["version"], 2);
    tokio::time::sleep(Duration::from_secs(8)).await;

    // Roll back to v1 with state.
    let op = api.act(&format!("{dep}/rollback"), json!({"version": 1})).await;
    assert!(step(&op, "stop-with-savepoint")["location"].is_string(), "the rollback saved v2's state: {op}");
    let d = wait_observed(api, job, env, "RUNNING", 120).await;
    assert_eq!(d["version"], 1);
    let third = d["flink_job_id"].as_str().expect("job id").to_owned();

    // Stop with a savepoint.
    let op = api.act(&format!("{dep}/stop"), json!({})).await;
    assert!(step(&op, "stop-with-savepoint")["location"].is_string(), "{op}");
    let d = wait_observed(api, job, env, "FINISHED", 60).await;
    assert_eq!(d["desired_state"], "suspended");
    vec![first, second, third]
}

#[tokio::test]
async fn story_on_a_flink_1_20_session_cluster() {
    let url = std::env::var("WEIR_TEST_FLINK120_URL").expect("WEIR_TEST_FLINK120_URL (make test starts Flink 1.20.5)");
    let s = server(|_| {}).await;
    let api = s.api();
    let c = api.post_ok("/api/v1/clusters", json!({"name": "old", "kind": "flink-session", "settings": {"rest_url": url}}), 201).await;
    assert_eq!(c["kind"], "flink-session");
    api.post_ok("/api/v1/environments", json!({"name": "old", "cluster": "old"}), 201).await;
    // The version is read from the cluster by the reconciler's look.
    let start = Instant::now();
    loop {
        let c = api.get("/api/v1/clusters/old").await;
        if c["flink_version"] == "1.20.5" {
            break;
        }
        assert!(start.elapsed().as_secs() < 30, "the cluster's version was never read: {c}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    story(&api, "on-old", "old").await;

    // SQL the default planner (2.3) accepts but 1.20's does not (URL_DECODE is new in 2.x): saved, then refused
    // at deploy to the 1.20 cluster with 1.20's planner's words, nothing started.
    let base = "/api/v1/namespaces/default/jobs/newer-sql";
    api.post_ok("/api/v1/namespaces/default/jobs", json!({"name": "newer-sql", "kind": "sql"}), 201).await;
    let sql = "CREATE TABLE src (k INT) WITH ('connector' = 'datagen');\n\
               CREATE TABLE snk (s STRING) WITH ('connector' = 'blackhole');\n\
               INSERT INTO snk SELECT URL_DECODE(CAST(k AS STRING)) FROM src;\n";
    api.post_ok(&format!("{base}/versions"), json!({"sql": sql, "message": "2.x only"}), 201).await;
    let (status, body) = api.post(&format!("{base}/deployments/old/deploy"), json!({})).await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("Flink 1.20.5") && message.contains("URL_DECODE"), "{message}");
    let ops = api.get(&format!("{base}/operations")).await;
    assert_eq!(ops.as_array().map(Vec::len), Some(0), "nothing started: {ops}");
}

#[tokio::test]
async fn story_on_a_local_application_cluster() {
    let s = server(|_| {}).await;
    let api = s.api();
    let cluster_dir = s.dir.path().join("clusters").join("apps");
    let _reaper = Reaper(cluster_dir.clone());
    let c = api
        .post_ok("/api/v1/clusters", json!({"name": "apps", "kind": "local-application", "settings": {"flink_version": "2.3.0"}}), 201)
        .await;
    assert_eq!(c["settings"], json!({"flink_version": "2.3.0", "taskmanagers": 1}));
    api.post_ok("/api/v1/environments", json!({"name": "apps", "cluster": "apps"}), 201).await;

    // While v1 runs, it has a process tree of its own and its logs are readable.
    let job = "per-job";
    let base = format!("/api/v1/namespaces/default/jobs/{job}");
    let watcher = {
        let api = api.clone_with_header("x-test", "watcher");
        let cluster_dir = cluster_dir.clone();
        let base = base.clone();
        tokio::spawn(async move {
            let start = Instant::now();
            loop {
                // The job may not exist yet (the story creates it).
                let (_, d) = api.call(reqwest::Method::GET, &format!("{base}/deployments/apps"), None).await;
                if d["observed_state"] == "RUNNING" {
                    let id = d["flink_job_id"].as_str().unwrap_or_default().to_owned();
                    let processes = processes_under(&cluster_dir.join("jobs").join(&id)).len();
                    let logs = api.get(&format!("{base}/deployments/apps/logs?tail_bytes=2048")).await;
                    return (processes, logs);
                }
                assert!(start.elapsed().as_secs() < 240, "never RUNNING: {d}");
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        })
    };
    let ids = story(&api, job, "apps").await;
    let (processes, logs) = watcher.await.expect("watcher");
    assert!(processes >= 2, "a JobManager and a TaskManager of its own, saw {processes}");
    assert_eq!(logs["per_job"], true, "{logs}");
    let names: Vec<&str> = logs["files"].as_array().expect("files").iter().filter_map(|f| f["name"].as_str()).collect();
    assert!(names.contains(&"jobmanager.log") && names.iter().any(|n| n.starts_with("taskmanager-0")), "{names:?}");

    // Each deployment had its own folder; once stopped, nothing of any of them runs.
    for id in &ids {
        assert!(cluster_dir.join("jobs").join(id).join("job.json").exists(), "job {id} was started by the backend");
    }
    let start = Instant::now();
    while !processes_under(&cluster_dir).is_empty() {
        assert!(start.elapsed().as_secs() < 60, "processes left after the stop");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let cluster = api.get("/api/v1/clusters/apps").await;
    assert_eq!(cluster["kind"], "local-application");
    assert_eq!(cluster["flink_version"], "2.3.0");
}

/// JobManager high availability on a local-application cluster: a JobManager killed with SIGKILL is started
/// again by the backend, takes the job over from ZooKeeper and restores its latest checkpoint by itself (same job
/// id, no operation); Weir records the failover and checks the restored checkpoint against the newest it knew.
#[tokio::test]
async fn a_killed_jobmanager_resumes_by_itself_with_ha() {
    let quorum = std::env::var("WEIR_TEST_ZOOKEEPER").expect("WEIR_TEST_ZOOKEEPER (make test starts a ZooKeeper)");
    let s = server(|_| {}).await;
    let api = s.api();
    let cluster_dir = s.dir.path().join("clusters").join("ha");
    let _reaper = Reaper(cluster_dir.clone());
    api.post_ok(
        "/api/v1/clusters",
        json!({"name": "ha", "kind": "local-application", "settings": {"flink_version": "2.3.0", "zookeeper_quorum": quorum}}),
        201,
    )
    .await;
    api.post_ok("/api/v1/environments", json!({"name": "ha", "cluster": "ha", "flink_config": {"execution.checkpointing.interval": "2s"}}), 201).await;
    let job = "survivor";
    let base = format!("/api/v1/namespaces/default/jobs/{job}");
    api.post_ok("/api/v1/namespaces/default/jobs", json!({"name": job, "kind": "sql"}), 201).await;
    api.post_ok(&format!("{base}/versions"), json!({"sql": stateful_sql("ha"), "message": "v1"}), 201).await;
    api.act(&format!("{base}/deployments/ha/deploy"), json!({})).await;
    wait_observed(&api, job, "ha", "RUNNING", 120).await;
    // Weir has recorded a checkpoint of the running job.
    let start = Instant::now();
    let before = loop {
        let d = api.get(&format!("{base}/deployments/ha")).await;
        if d["latest_checkpoint"].is_string() {
            break d;
        }
        assert!(start.elapsed().as_secs() < 90, "no checkpoint recorded: {d}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let flink_job = before["flink_job_id"].as_str().expect("job id").to_owned();
    assert!(before["last_failover"].is_null(), "no failover yet: {before}");

    // Kill the JobManager.
    let record: Value = serde_json::from_slice(
        &std::fs::read(cluster_dir.join("jobs").join(&flink_job).join("job.json")).expect("the job's record"),
    )
    .expect("JSON");
    let pid = record["jobmanager_pid"].as_u64().expect("JobManager PID");
    let killed = std::process::Command::new("kill").arg("-9").arg(pid.to_string()).status().expect("kill");
    assert!(killed.success());

    // It comes back by itself: the same Flink job, RUNNING, with the failover recorded (not stale).
    let start = Instant::now();
    let after = loop {
        let d = api.get(&format!("{base}/deployments/ha")).await;
        if d["observed_state"] == "RUNNING" && d["last_failover"].is_object() {
            break d;
        }
        assert!(start.elapsed().as_secs() < 150, "the job did not resume by itself: {d}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(after["flink_job_id"], flink_job.as_str(), "the same job, not a new one");
    let failover = &after["last_failover"];
    assert_eq!(failover["stale"], false, "{failover}");
    assert!(failover["restored_from"].as_str().is_some_and(|p| p.contains("chk-")), "restored a checkpoint: {failover}");
    let ops = api.get(&format!("{base}/operations")).await;
    let kinds: Vec<&str> = ops.as_array().into_iter().flatten().filter_map(|o| o["kind"].as_str()).collect();
    assert_eq!(kinds, vec!["deploy"], "Weir submitted nothing: {ops}");
    let record: Value = serde_json::from_slice(
        &std::fs::read(cluster_dir.join("jobs").join(&flink_job).join("job.json")).expect("the job's record"),
    )
    .expect("JSON");
    assert_eq!(record["jobmanager_restarts"], 1);

    api.act(&format!("{base}/deployments/ha/stop"), json!({})).await;
    let start = Instant::now();
    while !processes_under(&cluster_dir).is_empty() {
        assert!(start.elapsed().as_secs() < 60, "processes left after the stop");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
