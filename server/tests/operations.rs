//! Deploy, stop with savepoint, redeploy restoring state, rollback both ways, restore from the latest
//! checkpoint, a failing savepoint, and concurrent requests — through the REST API, on the real local Flink.

mod common;

use std::time::{Duration, Instant};

use common::{flink_checkpoints, flink_job, server, stateful_sql, Api};
use serde_json::{json, Value};

async fn new_sql_job(api: &Api, name: &str) {
    api.post_ok("/api/v1/namespaces/default/jobs", json!({"name": name, "kind": "sql"}), 201).await;
}

async fn save(api: &Api, job: &str, sql: &str, message: &str) -> i64 {
    let v = api
        .post_ok(&format!("/api/v1/namespaces/default/jobs/{job}/versions"), json!({"sql": sql, "message": message}), 201)
        .await;
    v["number"].as_i64().expect("version number")
}

async fn deployment(api: &Api, job: &str, env: &str) -> Value {
    api.get(&format!("/api/v1/namespaces/default/jobs/{job}/deployments/{env}")).await
}

fn step<'a>(op: &'a Value, name: &str) -> &'a Value {
    op["steps"].as_array().and_then(|s| s.iter().find(|s| s["name"] == name)).map(|s| &s["data"]).unwrap_or(&Value::Null)
}

/// Waits until Weir's reconciler reports `state` for the deployment.
async fn wait_observed(api: &Api, job: &str, env: &str, state: &str, secs: u64) -> Value {
    let start = Instant::now();
    loop {
        let d = deployment(api, job, env).await;
        if d["observed_state"] == state {
            return d;
        }
        assert!(start.elapsed().as_secs() < secs, "deployment never observed {state}: {d}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn restored_from(job_id: &str) -> (String, bool) {
    let start = Instant::now();
    loop {
        let c = flink_checkpoints(job_id).await;
        if let Some(p) = c["latest"]["restored"]["external_path"].as_str() {
            return (p.to_owned(), c["latest"]["restored"]["is_savepoint"].as_bool().unwrap_or(false));
        }
        assert!(start.elapsed().as_secs() < 60, "job {job_id} shows no restore: {c}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

fn same_path(a: &str, b: &str) -> bool {
    let norm = |p: &str| p.trim_start_matches("file:").trim_start_matches("//").trim_end_matches('/').to_owned();
    norm(a) == norm(b)
}

#[tokio::test]
async fn deploy_stop_redeploy_and_rollback_keep_state() {
    let s = server(|_| {}).await;
    let api = s.api();
    let job = "orders-agg";
    let dep = format!("/api/v1/namespaces/default/jobs/{job}/deployments/dev");
    new_sql_job(&api, job).await;
    assert_eq!(save(&api, job, &stateful_sql("v1"), "first").await, 1);

    // Deploy v1: RUNNING in Flink and in Weir.
    let op = api.act(&format!("{dep}/deploy"), json!({})).await;
    assert_eq!(op["requested_by"], common::ADMIN, "the signed-in user is recorded");
    let d = wait_observed(&api, job, "dev", "RUNNING", 60).await;
    let v1_job = d["flink_job_id"].as_str().expect("job id").to_owned();
    assert_eq!(flink_job(&v1_job).await["state"], "RUNNING");
    assert_eq!(d["version"], 1);

    // Stop with savepoint: the savepoint is on disk, the job FINISHED, the deployment suspended.
    let op = api.act(&format!("{dep}/stop"), json!({})).await;
    let savepoint = step(&op, "stop-with-savepoint")["location"].as_str().expect("savepoint location").to_owned();
    assert!(std::path::Path::new(savepoint.trim_start_matches("file:")).join("_metadata").exists(), "{savepoint}");
    assert_eq!(flink_job(&v1_job).await["state"], "FINISHED");
    let d = deployment(&api, job, "dev").await;
    assert_eq!(d["desired_state"], "suspended");
    assert_eq!(d["observed_state"], "FINISHED");
    let snaps = api.get(&format!("/api/v1/namespaces/default/jobs/{job}/snapshots")).await;
    assert_eq!(snaps[0]["origin"], "stop");
    assert_eq!(snaps[0]["version"], 1);
    assert!(same_path(snaps[0]["path"].as_str().unwrap_or_default(), &savepoint));

    // Stopping again is refused: nothing runs.
    let (status, body) = api.post(&format!("{dep}/stop"), json!({})).await;
    assert_eq!(status, 409, "{body}");

    // v2 restores from that savepoint.
    assert_eq!(save(&api, job, &stateful_sql("v2"), "second").await, 2);
    let op = api.act(&format!("{dep}/deploy"), json!({})).await;
    assert!(same_path(step(&op, "choose-restore")["path"].as_str().unwrap_or_default(), &savepoint), "{op}");
    let d = wait_observed(&api, job, "dev", "RUNNING", 60).await;
    let v2_job = d["flink_job_id"].as_str().expect("job id").to_owned();
    assert_ne!(v2_job, v1_job);
    assert_eq!(d["version"], 2);
    let (path, is_savepoint) = restored_from(&v2_job).await;
    assert!(is_savepoint && same_path(&path, &savepoint), "v2 restored from {path}, expected {savepoint}");

    // Rollback to v1 keeping current state: v2 is stopped with a savepoint and v1 starts from it.
    let op = api.act(&format!("{dep}/rollback"), json!({"version": 1})).await;
    assert_eq!(op["kind"], "rollback");
    let upgrade_sp = step(&op, "stop-with-savepoint")["location"].as_str().expect("upgrade savepoint").to_owned();
    let d = wait_observed(&api, job, "dev", "RUNNING", 60).await;
    assert_eq!(d["version"], 1);
    let v1_again = d["flink_job_id"].as_str().expect("job id").to_owned();
    let (path, _) = restored_from(&v1_again).await;
    assert!(same_path(&path, &upgrade_sp), "rollback kept current state: {path} vs {upgrade_sp}");

    // Deploy v2 again, then roll back to v1 restoring v1's own newest snapshot.
    api.act(&format!("{dep}/deploy"), json!({"version": 2})).await;
    let snaps = api.get(&format!("/api/v1/namespaces/default/jobs/{job}/snapshots")).await;
    let newest_v1 = snaps
        .as_array()
        .and_then(|s| s.iter().find(|s| s["version"] == 1))
        .and_then(|s| s["path"].as_str())
        .expect("a snapshot of v1")
        .to_owned();
    let op = api.act(&format!("{dep}/rollback"), json!({"version": 1, "restore": "version-snapshot"})).await;
    assert!(same_path(step(&op, "choose-restore")["path"].as_str().unwrap_or_default(), &newest_v1), "{op}");
    let d = wait_observed(&api, job, "dev", "RUNNING", 60).await;
    let (path, _) = restored_from(d["flink_job_id"].as_str().expect("job id")).await;
    assert!(same_path(&path, &newest_v1), "restored {path}, expected v1's snapshot {newest_v1}");

    // History: every operation recorded with its steps; the diff shows the change.
    let ops = api.get(&format!("/api/v1/namespaces/default/jobs/{job}/operations")).await;
    let kinds: Vec<&str> = ops.as_array().into_iter().flatten().filter_map(|o| o["kind"].as_str()).collect();
    assert_eq!(kinds, vec!["rollback", "deploy", "rollback", "deploy", "stop", "deploy"]);
    let diff = api.get(&format!("/api/v1/namespaces/default/jobs/{job}/versions/1/diff/2")).await;
    assert_eq!(diff["changed"], json!(["sql", "message"]));
    assert!(diff["sql_diff"].as_array().into_iter().flatten().any(|l| l.as_str().unwrap_or_default().starts_with("+")));

    api.act(&format!("{dep}/stop"), json!({"savepoint": false})).await;
    assert_eq!(deployment(&api, job, "dev").await["desired_state"], "cancelled");
}

#[tokio::test]
async fn restore_from_the_latest_checkpoint() {
    let s = server(|_| {}).await;
    let api = s.api();
    let job = "clicks-ckpt";
    let dep = format!("/api/v1/namespaces/default/jobs/{job}/deployments/dev");
    new_sql_job(&api, job).await;
    save(&api, job, &stateful_sql("c"), "v1").await;
    let (status, body) = api.post(&format!("{dep}/deploy"), json!({"restore": "latest-checkpoint"})).await;
    assert_eq!(status, 409, "no checkpoint known yet: {body}");
    api.act(&format!("{dep}/deploy"), json!({})).await;
    // The reconciler records the running job's completed checkpoints.
    let start = Instant::now();
    let recorded = loop {
        let d = deployment(&api, job, "dev").await;
        if let Some(p) = d["latest_checkpoint"].as_str() {
            break p.to_owned();
        }
        assert!(start.elapsed().as_secs() < 60, "no checkpoint recorded: {d}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(recorded.contains("chk-"), "{recorded}");
    let op = api.act(&format!("{dep}/deploy"), json!({"restore": "latest-checkpoint"})).await;
    let cancel = step(&op, "cancel-running-job");
    let checkpoint = cancel["checkpoint"].as_str().unwrap_or_else(|| panic!("checkpoint of the cancelled job: {op}")).to_owned();
    let d = wait_observed(&api, job, "dev", "RUNNING", 60).await;
    // (Flink 2.3 reports is_savepoint: true for any restore given as a path; the path tells.)
    let (path, _) = restored_from(d["flink_job_id"].as_str().expect("job id")).await;
    assert!(path.contains("/chk-") && same_path(&path, &checkpoint), "restored {path}, expected checkpoint {checkpoint}");
    let snaps = api.get(&format!("/api/v1/namespaces/default/jobs/{job}/snapshots")).await;
    assert!(snaps.as_array().into_iter().flatten().any(|s| s["kind"] == "checkpoint" && s["origin"] == "retained"));
    api.act(&format!("{dep}/stop"), json!({"savepoint": false})).await;
}

#[tokio::test]
async fn a_failed_savepoint_fails_the_deploy_and_keeps_the_old_job() {
    let s = server(|c| {
        let mut env = c.environments[0].clone();
        env.name = "broken".into();
        env.flink_config.insert("state.savepoints.dir".into(), json!("file:///proc/weir-cannot-write"));
        c.environments.push(env);
    })
    .await;
    let api = s.api();
    let job = "unsavable";
    let dep = format!("/api/v1/namespaces/default/jobs/{job}/deployments/broken");
    new_sql_job(&api, job).await;
    save(&api, job, &stateful_sql("a"), "v1").await;
    api.act(&format!("{dep}/deploy"), json!({})).await;
    let before = wait_observed(&api, job, "broken", "RUNNING", 60).await;
    let old = before["flink_job_id"].as_str().expect("job id").to_owned();

    let accepted = api.post_ok(&format!("{dep}/deploy"), json!({}), 202).await;
    let op = api.wait_operation(accepted["operation"].as_i64().expect("id"), 180).await;
    assert_eq!(op["status"], "failed", "{op}");
    let error = op["error"].as_str().unwrap_or_default();
    assert!(error.contains("savepoint") && error.contains("keeps running"), "{error}");
    assert!(step(&op, "submit").is_null(), "nothing was submitted: {op}");
    assert_eq!(flink_job(&old).await["state"], "RUNNING", "the old job still runs");
    let after = deployment(&api, job, "broken").await;
    assert_eq!(after["flink_job_id"], before["flink_job_id"]);
    assert_eq!(after["active_operation"], Value::Null, "the deployment is free again");
    api.act(&format!("{dep}/stop"), json!({"savepoint": false})).await;
}

#[tokio::test]
async fn concurrent_requests_get_one_operation_and_409s() {
    let s = server(|_| {}).await;
    let api = std::sync::Arc::new(s.api());
    let job = "busy";
    new_sql_job(&api, job).await;
    save(&api, job, &stateful_sql("b"), "v1").await;
    let path = format!("/api/v1/namespaces/default/jobs/{job}/deployments/dev/deploy");
    let calls = (0..20).map(|_| {
        let api = api.clone();
        let path = path.clone();
        tokio::spawn(async move { api.post(&path, json!({})).await })
    });
    let answers: Vec<(u16, Value)> = futures::future::join_all(calls).await.into_iter().map(|r| r.expect("task")).collect();
    let admitted: Vec<i64> = answers.iter().filter(|(s, _)| *s == 202).filter_map(|(_, b)| b["operation"].as_i64()).collect();
    assert_eq!(admitted.len(), 1, "exactly one admitted: {answers:?}");
    for (status, body) in answers.iter().filter(|(s, _)| *s != 202) {
        assert_eq!(*status, 409, "{body}");
        assert_eq!(body["error"]["code"], "operation_in_progress");
        assert_eq!(body["error"]["operation"].as_i64(), Some(admitted[0]), "the running operation's id: {body}");
    }
    let ops = api.get(&format!("/api/v1/namespaces/default/jobs/{job}/operations")).await;
    assert_eq!(ops.as_array().map(Vec::len), Some(1), "refused requests wrote no operation");
    let op = api.wait_operation(admitted[0], 180).await;
    assert_eq!(op["status"], "succeeded", "{op}");
    api.act(&format!("/api/v1/namespaces/default/jobs/{job}/deployments/dev/stop"), json!({"savepoint": false})).await;
}

#[tokio::test]
async fn bad_requests_are_refused_and_write_nothing() {
    let s = server(|_| {}).await;
    let api = s.api();
    let jobs = "/api/v1/namespaces/default/jobs";
    let (st, b) = api.post(jobs, json!({"name": "Bad Name", "kind": "sql"})).await;
    assert_eq!((st, b["error"]["code"].as_str()), (400, Some("invalid_request")), "{b}");
    let (st, b) = api.post(jobs, json!({"name": "x", "kind": "python"})).await;
    assert_eq!(st, 400, "{b}");
    let (st, _) = api.post("/api/v1/namespaces/nope/jobs", json!({"name": "x", "kind": "sql"})).await;
    assert_eq!(st, 404);
    new_sql_job(&api, "checked").await;
    let (st, _) = api.post(jobs, json!({"name": "checked", "kind": "sql"})).await;
    assert_eq!(st, 409, "duplicate job name");

    // Invalid SQL: the planner's error with its position; no version written.
    let broken = "CREATE TABLE src (k INT) WITH ('connector' = 'datagen');\nCREATE TABLE snk (k INT) WITH ('connector' = 'blackhole');\nINSERT INTO snk SELECT kk FROM src;";
    let (st, b) = api.post(&format!("{jobs}/checked/versions"), json!({"sql": broken})).await;
    assert_eq!(st, 400, "{b}");
    assert_eq!(b["error"]["code"], "invalid_sql");
    assert_eq!(b["error"]["line"], 3, "{b}");
    assert!(b["error"]["message"].as_str().unwrap_or_default().contains("kk"), "{b}");
    let (st, b) = api.post(&format!("{jobs}/checked/versions"), json!({"sql": "CREATE TABLE t (a INT) WITH ('connector'='datagen')"})).await;
    assert_eq!(st, 400, "a script without INSERT: {b}");
    assert_eq!(api.get(&format!("{jobs}/checked/versions")).await, json!([]), "nothing written");

    // Unknown things.
    let (st, _) = api.post(&format!("{jobs}/ghost/deployments/dev/deploy"), json!({})).await;
    assert_eq!(st, 404);
    let (st, b) = api.post(&format!("{jobs}/checked/deployments/dev/deploy"), json!({})).await;
    assert_eq!(st, 409, "no version yet: {b}");
    let (st, _) = api.post(&format!("{jobs}/checked/deployments/nowhere/deploy"), json!({})).await;
    assert_eq!(st, 404);
    save(&api, "checked", &stateful_sql("z"), "ok").await;
    let (st, b) = api.post(&format!("{jobs}/checked/deployments/dev/deploy"), json!({"version": 9})).await;
    assert_eq!(st, 404, "{b}");
    let (st, b) = api.post(&format!("{jobs}/checked/deployments/dev/deploy"), json!({"restore": "path"})).await;
    assert_eq!(st, 400, "{b}");
    let (st, b) = api.post(&format!("{jobs}/checked/deployments/dev/deploy"), json!({"restore": "sideways"})).await;
    assert_eq!(st, 400, "{b}");
    let (st, b) = api.post(&format!("{jobs}/checked/deployments/dev/deploy"), json!({"config_overrides": {"a": [1]}})).await;
    assert_eq!(st, 400, "{b}");
    let (st, b) = api.post(&format!("{jobs}/checked/deployments/dev/rollback"), json!({"version": 1, "restore": "version-snapshot"})).await;
    assert_eq!(st, 409, "no snapshot of v1 yet: {b}");
    assert_eq!(api.get(&format!("{jobs}/checked/operations")).await, json!([]), "no operation written");

    // Oversized body.
    let big = "x".repeat(3 * 1024 * 1024);
    let (st, b) = api.post(&format!("{jobs}/checked/versions"), json!({"sql": big})).await;
    assert_eq!(st, 413, "{b}");

    // SQL validation endpoint: errors positioned, plans for INSERT.
    let check = api.post_ok("/api/v1/sql/validate", json!({"sql": broken}), 200).await;
    assert_eq!(check["valid"], false);
    assert_eq!(check["errors"][0]["line"], 3);
    assert_eq!(check["errors"][0]["column"], 24, "{check}");
    let check = api.post_ok("/api/v1/sql/validate", json!({"sql": stateful_sql("p")}), 200).await;
    assert_eq!(check["valid"], true, "{check}");
    assert!(check["plans"][0]["plan"].as_str().unwrap_or_default().contains("GroupAggregate"), "{check}");
}

#[tokio::test]
async fn events_stream_publishes_operation_progress() {
    use futures::StreamExt;
    let s = server(|_| {}).await;
    let api = s.api();
    let job = "evented";
    new_sql_job(&api, job).await;
    save(&api, job, &stateful_sql("e"), "v1").await;
    let resp = reqwest::Client::new()
        .get(format!("{}/api/v1/events", s.base))
        .bearer_auth(&s.admin_token)
        .send()
        .await
        .expect("events");
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut body = resp.bytes_stream();
    let op = api.post_ok(&format!("/api/v1/namespaces/default/jobs/{job}/deployments/dev/deploy"), json!({}), 202).await;
    let id = op["operation"].as_i64().expect("id");
    let mut text = String::new();
    let (mut progress, mut succeeded, mut running) = (0, false, false);
    let deadline = Instant::now() + Duration::from_secs(120);
    while !(succeeded && running) {
        assert!(Instant::now() < deadline, "no succeeded operation and RUNNING deployment events: {text}");
        let chunk = tokio::time::timeout(Duration::from_secs(60), body.next()).await.expect("an event").expect("open").expect("bytes");
        text.push_str(&String::from_utf8_lossy(&chunk));
        // Complete messages end with a blank line; each has one `data:` line of JSON.
        while let Some(end) = text.find("\n\n") {
            let message: String = text.drain(..end + 2).collect();
            let Some(data) = message.lines().find_map(|l| l.strip_prefix("data:")) else { continue };
            let event: Value = serde_json::from_str(data.trim()).expect("event JSON");
            if event["type"] == "operation" && event["operation"]["id"] == id {
                progress += 1;
                succeeded |= event["operation"]["status"] == "succeeded";
            }
            if event["type"] == "deployment" && event["deployment"]["job"] == job {
                running |= event["deployment"]["observed_state"] == "RUNNING";
            }
        }
    }
    assert!(progress >= 5, "the operation's steps were published as they happened ({progress} events)");
    api.act(&format!("/api/v1/namespaces/default/jobs/{job}/deployments/dev/stop"), json!({"savepoint": false})).await;
}

#[tokio::test]
async fn hotfix_savepoint_now_and_restart() {
    let s = server(|_| {}).await;
    let api = s.api();
    let job = "hotfixed";
    let dep = format!("/api/v1/namespaces/default/jobs/{job}/deployments/dev");
    new_sql_job(&api, job).await;
    save(&api, job, &stateful_sql("h"), "v1").await;

    // A config hotfix at deploy time, without a new version: recorded on the operation and the deployment, and
    // applied by Flink (the job's name comes from pipeline.name).
    let overrides = json!({"pipeline.name": "hotfix-visible-in-flink"});
    let op = api.act(&format!("{dep}/deploy"), json!({"config_overrides": overrides})).await;
    assert_eq!(op["params"]["config_overrides"], overrides);
    let d = wait_observed(&api, job, "dev", "RUNNING", 60).await;
    assert_eq!(d["config_overrides"], overrides);
    let first = d["flink_job_id"].as_str().expect("job id").to_owned();
    assert_eq!(flink_job(&first).await["name"], "hotfix-visible-in-flink");
    assert_eq!(api.get(&format!("/api/v1/namespaces/default/jobs/{job}/versions")).await.as_array().map(Vec::len), Some(1));

    // Savepoint now: the job keeps running.
    let op = api.act(&format!("{dep}/savepoint"), json!({})).await;
    let manual = step(&op, "savepoint")["location"].as_str().expect("location").to_owned();
    assert_eq!(flink_job(&first).await["state"], "RUNNING");
    let snaps = api.get(&format!("/api/v1/namespaces/default/jobs/{job}/snapshots")).await;
    assert_eq!(snaps[0]["origin"], "manual");
    assert!(same_path(snaps[0]["path"].as_str().unwrap_or_default(), &manual));

    // Restart: same version, state kept through a savepoint, overrides kept.
    let op = api.act(&format!("{dep}/restart"), json!({})).await;
    assert_eq!(op["kind"], "restart");
    let upgrade = step(&op, "stop-with-savepoint")["location"].as_str().expect("savepoint").to_owned();
    let d = wait_observed(&api, job, "dev", "RUNNING", 60).await;
    let second = d["flink_job_id"].as_str().expect("job id").to_owned();
    assert_ne!(first, second);
    let (path, _) = restored_from(&second).await;
    assert!(same_path(&path, &upgrade));
    assert_eq!(flink_job(&second).await["name"], "hotfix-visible-in-flink", "overrides persist until changed");

    // `{}` clears the hotfix.
    api.act(&format!("{dep}/deploy"), json!({"config_overrides": {}})).await;
    let d = wait_observed(&api, job, "dev", "RUNNING", 60).await;
    assert_eq!(d["config_overrides"], json!({}));
    assert_eq!(flink_job(d["flink_job_id"].as_str().expect("id")).await["name"], format!("default/{job}"));
    api.act(&format!("{dep}/stop"), json!({"savepoint": false})).await;
}

#[tokio::test]
async fn a_batch_version_runs_to_finished() {
    let s = server(|_| {}).await;
    let api = s.api();
    let job = "nightly-batch";
    new_sql_job(&api, job).await;
    let sql = "CREATE TABLE src (k INT, v BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '500');\n\
               CREATE TABLE snk (k INT, c BIGINT) WITH ('connector' = 'blackhole');\n\
               INSERT INTO snk SELECT k, COUNT(*) FROM src GROUP BY k;";
    let v = api
        .post_ok(&format!("/api/v1/namespaces/default/jobs/{job}/versions"), json!({"sql": sql, "mode": "batch"}), 201)
        .await;
    assert_eq!(v["mode"], "batch");
    api.act(&format!("/api/v1/namespaces/default/jobs/{job}/deployments/dev/deploy"), json!({})).await;
    let d = wait_observed(&api, job, "dev", "FINISHED", 120).await;
    let summary = flink_job(d["flink_job_id"].as_str().expect("job id")).await;
    assert_eq!(summary["state"], "FINISHED");
    assert_eq!(summary["jobType"], "BATCH", "{summary}");
}
