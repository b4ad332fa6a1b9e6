//! scripts/flink-local really starts and stops a Flink session cluster.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/flink-local")
}

async fn overview(url: &str) -> serde_json::Value {
    reqwest::get(format!("{url}/overview")).await.expect("Flink answers").json().await.expect("JSON overview")
}

#[tokio::test]
async fn the_shared_cluster_has_a_taskmanager_with_slots() {
    let o = overview(&common::flink_url()).await;
    assert!(o["taskmanagers"].as_u64().unwrap_or(0) >= 1, "{o}");
    assert!(o["slots-total"].as_u64().unwrap_or(0) >= 1, "{o}");
    assert!(o["flink-version"].as_str().unwrap_or_default().starts_with("2."), "{o}");
}

/// True while the process runs (a zombie waiting to be reaped has stopped).
fn running(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rsplit(')').next().map(|rest| rest.trim_start().starts_with('Z')) == Some(false),
        Err(_) => false,
    }
}

/// Starts a second cluster on its own ports, checks it, stops it, and checks its JVMs are gone.
#[tokio::test]
async fn the_script_starts_and_stops_a_cluster() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (rest, rpc) = ("18281", "16323");
    let run = |cmd: &str| {
        Command::new(script())
            .arg(cmd)
            .env("FLINK_CLUSTER_DIR", dir.path())
            .env("FLINK_REST_PORT", rest)
            .env("FLINK_RPC_PORT", rpc)
            .env("FLINK_SLOTS", "2")
            .output()
            .expect("run scripts/flink-local")
    };
    // Whatever happens below, stop what this test started (a failed assertion must not leave JVMs behind).
    struct StopOnDrop<F: Fn(&str) -> std::process::Output>(F);
    impl<F: Fn(&str) -> std::process::Output> Drop for StopOnDrop<F> {
        fn drop(&mut self) {
            let _ = (self.0)("stop");
        }
    }
    let _cleanup = StopOnDrop(&run);
    let started = run("start");
    assert!(started.status.success(), "start failed: {}", String::from_utf8_lossy(&started.stderr));
    let url = format!("http://localhost:{rest}");
    let o = overview(&url).await;
    assert_eq!(o["taskmanagers"], 1, "{o}");
    assert_eq!(o["slots-total"], 2, "{o}");

    let status = run("status");
    assert!(status.status.success());
    assert!(String::from_utf8_lossy(&status.stdout).contains("\"slots-total\":2"));

    let pids: Vec<i32> = ["jm.pid", "tm.pid"]
        .iter()
        .map(|f| std::fs::read_to_string(dir.path().join(f)).expect("PID file").trim().parse().expect("PID"))
        .collect();
    assert!(dir.path().join("log/jm.log").exists() && dir.path().join("log/tm.log").exists(), "logs are kept");

    let stopped = run("stop");
    assert!(stopped.status.success(), "stop failed: {}", String::from_utf8_lossy(&stopped.stderr));
    for pid in pids {
        assert!(!running(pid), "JVM {pid} still runs after stop");
    }
    let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().expect("client");
    assert!(client.get(format!("{url}/overview")).send().await.is_err(), "the REST port still answers");
    assert!(!run("status").status.success(), "status must fail once stopped");
}
