//! Nothing is lost on a crash: a `weir` killed in the middle of a deploy resumes it on restart without a second
//! job; a JobManager that dies marks the deployment UNREACHABLE, and once the cluster is back the reconciler
//! recovers the job from its latest checkpoint.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{flink_url, runner_jar, server, stateful_sql, Api, ADMIN, ADMIN_PASSWORD};
use serde_json::{json, Value};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn start_weir(config: &Path, log: &Path) -> Child {
    let out = std::fs::File::create(log).expect("log file");
    let err = out.try_clone().expect("log file");
    Command::new(env!("CARGO_BIN_EXE_weir"))
        .arg("--config")
        .arg(config)
        .env("WEIR_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .expect("start weir")
}

async fn wait_healthy(base: &str) {
    let start = Instant::now();
    while !reqwest::get(format!("{base}/api/v1/health")).await.map(|r| r.status().is_success()).unwrap_or(false) {
        assert!(start.elapsed() < Duration::from_secs(60), "weir did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every job the cluster knows whose name is `name` (Weir names jobs `<namespace>/<job>`).
async fn flink_jobs_named(name: &str) -> Vec<Value> {
    let all: Value = reqwest::get(format!("{}/jobs/overview", flink_url())).await.expect("Flink").json().await.expect("JSON");
    all["jobs"].as_array().into_iter().flatten().filter(|j| j["name"] == name).cloned().collect()
}

#[tokio::test]
async fn a_killed_weir_resumes_its_deploy_without_a_second_job() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let config = dir.path().join("weir.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\ndata_dir = {data:?}\nsite_root = {data:?}\n\
             [engine]\ntick_ms = 300\nrunner_jar = {jar:?}\n\
             [[clusters]]\nname = \"local\"\nrest_url = {flink:?}\n\
             [[environments]]\nname = \"dev\"\ncluster = \"local\"\n",
            data = dir.path().display().to_string(),
            jar = runner_jar().display().to_string(),
            flink = flink_url(),
        ),
    )
    .expect("config");
    let mut weir = start_weir(&config, &dir.path().join("weir-1.log"));
    wait_healthy(&base).await;
    // A password login: the session lives in the database, so it outlives the kill below.
    let (api, _) = Api::login(&base, ADMIN, ADMIN_PASSWORD, true).await;
    let job = &format!("crash-{}", std::process::id());
    api.post_ok("/api/v1/namespaces/default/jobs", json!({"name": job, "kind": "sql"}), 201).await;
    api.post_ok(&format!("/api/v1/namespaces/default/jobs/{job}/versions"), json!({"sql": stateful_sql("k")}), 201).await;
    let accepted = api.post_ok(&format!("/api/v1/namespaces/default/jobs/{job}/deployments/dev/deploy"), json!({}), 202).await;
    let id = accepted["operation"].as_i64().expect("operation id");

    // Kill -9 as soon as the submit step is on record (before or after Flink got the call).
    let start = Instant::now();
    loop {
        let op = api.get(&format!("/api/v1/operations/{id}")).await;
        if op["steps"].as_array().into_iter().flatten().any(|s| s["name"] == "submit") {
            break;
        }
        assert!(op["status"] != "failed", "{op}");
        assert!(start.elapsed() < Duration::from_secs(60), "no submit step: {op}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    weir.kill().expect("kill weir");
    let _ = weir.wait();

    // A new weir resumes the operation from its record.
    let mut weir = start_weir(&config, &dir.path().join("weir-2.log"));
    wait_healthy(&base).await;
    let op = api.wait_operation(id, 180).await;
    assert_eq!(op["status"], "succeeded", "{op}");
    let submitted = op["steps"].as_array().and_then(|s| s.iter().find(|s| s["name"] == "submit")).expect("submit step");
    let recorded_id = submitted["data"]["flink_job_id"].as_str().expect("recorded job id").to_owned();
    let jobs = flink_jobs_named(&format!("default/{job}")).await;
    assert_eq!(jobs.len(), 1, "exactly one job was submitted: {jobs:?}");
    assert_eq!(jobs[0]["jid"], recorded_id.as_str());
    let d = api.get(&format!("/api/v1/namespaces/default/jobs/{job}/deployments/dev")).await;
    assert_eq!(d["flink_job_id"], recorded_id.as_str());

    api.act(&format!("/api/v1/namespaces/default/jobs/{job}/deployments/dev/stop"), json!({"savepoint": false})).await;
    weir.kill().expect("stop weir");
    let _ = weir.wait();
}

fn flink_script(cluster_dir: &Path, rest: u16, rpc: u16, cmd: &str) {
    let out = Command::new(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/flink-local"))
        .arg(cmd)
        .env("FLINK_CLUSTER_DIR", cluster_dir)
        .env("FLINK_REST_PORT", rest.to_string())
        .env("FLINK_RPC_PORT", rpc.to_string())
        .env("FLINK_SLOTS", "2")
        .output()
        .expect("run scripts/flink-local");
    assert!(out.status.success(), "flink-local {cmd}: {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn a_lost_jobmanager_is_surfaced_and_the_job_recovered_when_it_returns() {
    let cluster_dir = tempfile::tempdir().expect("cluster folder");
    let (rest, rpc) = (18381u16, 16423u16);
    // Whatever happens below, stop this test's cluster (a failed assertion must not leave JVMs behind).
    struct StopOnDrop(PathBuf, u16, u16);
    impl Drop for StopOnDrop {
        fn drop(&mut self) {
            let _ = Command::new(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/flink-local"))
                .arg("stop")
                .env("FLINK_CLUSTER_DIR", &self.0)
                .env("FLINK_REST_PORT", self.1.to_string())
                .env("FLINK_RPC_PORT", self.2.to_string())
                .output();
        }
    }
    let _cleanup = StopOnDrop(cluster_dir.path().to_owned(), rest, rpc);
    flink_script(cluster_dir.path(), rest, rpc, "start");
    let chaos_url = format!("http://localhost:{rest}");
    let s = server(|c| {
        c.engine.cluster_timeout_ms = 1000;
        c.clusters.push(weir::config::ClusterDecl { name: "chaos".into(), kind: "flink-session".into(), rest_url: Some(chaos_url.clone()), settings: None });
        c.environments.push(weir::config::EnvironmentDecl { name: "chaos".into(), cluster: "chaos".into(), flink_config: Default::default(), prometheus_url: None });
    })
    .await;
    let api = s.api();
    let job = "survivor";
    let dep = format!("/api/v1/namespaces/default/jobs/{job}/deployments/chaos");
    api.post_ok("/api/v1/namespaces/default/jobs", json!({"name": job, "kind": "sql"}), 201).await;
    api.post_ok(&format!("/api/v1/namespaces/default/jobs/{job}/versions"), json!({"sql": stateful_sql("s")}), 201).await;
    api.act(&format!("{dep}/deploy"), json!({})).await;

    let wait_for = |what: &'static str, check: fn(&Value) -> bool| {
        let api = &api;
        let dep = dep.clone();
        async move {
            let start = Instant::now();
            loop {
                let d = api.get(&dep).await;
                if check(&d) {
                    return d;
                }
                assert!(start.elapsed() < Duration::from_secs(120), "never {what}: {d}");
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
    };
    let before = wait_for("a recorded checkpoint", |d| d["latest_checkpoint"].is_string()).await;
    let old_job = before["flink_job_id"].as_str().expect("job id").to_owned();

    // The JobManager dies.
    let jm_pid = std::fs::read_to_string(cluster_dir.path().join("jm.pid")).expect("JM PID");
    Command::new("kill").args(["-KILL", jm_pid.trim()]).status().expect("kill JM");
    let d = wait_for("UNREACHABLE", |d| d["observed_state"] == "UNREACHABLE").await;
    assert_eq!(d["desired_state"], "running", "the desired state is kept");
    let health = api.get("/api/v1/health").await;
    let chaos = health["clusters"].as_array().and_then(|c| c.iter().find(|c| c["name"] == "chaos")).expect("chaos in health");
    assert_eq!(chaos["reachable"], false);

    // The cluster comes back empty (no HA): the job is LOST, and Weir recovers it from its last checkpoint.
    let last_checkpoint = api.get(&dep).await["latest_checkpoint"].as_str().expect("checkpoint").to_owned();
    flink_script(cluster_dir.path(), rest, rpc, "stop");
    flink_script(cluster_dir.path(), rest, rpc, "start");
    let d = wait_for("recovered and RUNNING", |d| d["observed_state"] == "RUNNING" && d["active_operation"].is_null()).await;
    assert_ne!(d["flink_job_id"], old_job.as_str(), "a new job runs");
    let ops = api.get(&format!("/api/v1/namespaces/default/jobs/{job}/operations")).await;
    let recover = ops.as_array().and_then(|o| o.iter().find(|o| o["kind"] == "recover")).expect("a recover operation");
    assert_eq!(recover["requested_by"], "weir-reconciler");
    assert_eq!(recover["status"], "succeeded", "{recover}");
    let chosen = recover["steps"].as_array().and_then(|s| s.iter().find(|s| s["name"] == "choose-restore")).expect("choose");
    let restored = chosen["data"]["path"].as_str().unwrap_or_default();
    assert!(restored.contains("/chk-"), "recovered from a checkpoint: {recover}");
    // The checkpoint recorded last (or a later one seen before the crash) of the old job.
    assert!(restored.contains(&old_job) || restored == last_checkpoint, "{restored} vs {last_checkpoint}");

    api.act(&format!("{dep}/stop"), json!({"savepoint": false})).await;
    flink_script(cluster_dir.path(), rest, rpc, "stop");
}
