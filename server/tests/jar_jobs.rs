//! JAR jobs: upload checks, then a tiny DataStream job built here from Java source, deployed, stopped with a
//! savepoint and deployed again from it, on the real local Flink.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{flink_checkpoints, server};
use serde_json::json;

/// A tiny DataStream job (also used by the browser tests).
const TINY_JOB: &str = include_str!("fixtures/TinyJob.java");

/// Compiles TinyJob against Flink's jars and packs it (no Main-Class: the version names the entry class).
fn build_tiny_jar(dir: &Path) -> PathBuf {
    let mut config = weir::config::Config::default();
    config.finish();
    let lib = config.engine.flink_home.join("lib");
    assert!(lib.exists(), "Flink's lib/ is missing at {}: run scripts/setup", lib.display());
    std::fs::write(dir.join("TinyJob.java"), TINY_JOB).expect("write source");
    let classes = dir.join("classes");
    std::fs::create_dir_all(&classes).expect("classes folder");
    let javac = Command::new("javac")
        .args(["--release", "11", "-d"])
        .arg(&classes)
        .arg("-cp")
        .arg(format!("{}/*", lib.display()))
        .arg(dir.join("TinyJob.java"))
        .output()
        .expect("run javac");
    assert!(javac.status.success(), "javac: {}", String::from_utf8_lossy(&javac.stderr));
    let jar = dir.join("tiny-job.jar");
    let packed = Command::new("jar").arg("cf").arg(&jar).arg("-C").arg(&classes).arg(".").output().expect("run jar");
    assert!(packed.status.success(), "jar: {}", String::from_utf8_lossy(&packed.stderr));
    jar
}

async fn upload(s: &common::TestServer, name: &str, bytes: Vec<u8>) -> (u16, serde_json::Value) {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    let form = reqwest::multipart::Form::new().part("file", part);
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/artifacts", s.base))
        .bearer_auth(&s.admin_token)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("JSON answer"))
}

#[tokio::test]
async fn jar_job_round_trip() {
    let s = server(|c| c.engine.max_artifact_mb = 8).await;
    let api = s.api();
    let work = tempfile::tempdir().expect("temporary folder");

    // Uploads that are not JARs are refused, and nothing is stored.
    let (st, b) = upload(&s, "notes.jar", b"just text".to_vec()).await;
    assert_eq!(st, 400, "{b}");
    assert!(b["error"]["message"].as_str().unwrap_or_default().contains("not a JAR"), "{b}");
    let (st, b) = upload(&s, "huge.jar", vec![0u8; 9 * 1024 * 1024 + 10]).await;
    assert_eq!(st, 413, "{b}");
    assert!(!s.dir.path().join("artifacts").exists() || std::fs::read_dir(s.dir.path().join("artifacts")).map(|d| d.count()).unwrap_or(0) == 0);

    let jar = build_tiny_jar(work.path());
    let bytes = std::fs::read(&jar).expect("read jar");
    let (st, artifact) = upload(&s, "tiny-job.jar", bytes.clone()).await;
    assert_eq!(st, 201, "{artifact}");
    let sha = artifact["sha256"].as_str().expect("sha256").to_owned();
    assert_eq!(artifact["size"], bytes.len());
    let (_, again) = upload(&s, "renamed.jar", bytes).await;
    assert_eq!(again["sha256"], sha.as_str(), "the same bytes are stored once");
    assert!(s.dir.path().join("artifacts").join(format!("{sha}.jar")).exists());

    let jobs = "/api/v1/namespaces/default/jobs";
    api.post_ok(jobs, json!({"name": "tiny", "kind": "jar", "description": "a DataStream job"}), 201).await;
    let (st, b) = api.post(&format!("{jobs}/tiny/versions"), json!({"artifact": "0".repeat(64)})).await;
    assert_eq!(st, 400, "unknown artifact: {b}");
    let (st, b) = api.post(&format!("{jobs}/tiny/versions"), json!({"sql": "SELECT 1"})).await;
    assert_eq!(st, 400, "SQL in a JAR job: {b}");
    let v = api
        .post_ok(
            &format!("{jobs}/tiny/versions"),
            json!({"artifact": sha, "entry_class": "TinyJob", "args": ["20"], "parallelism": 1, "message": "first"}),
            201,
        )
        .await;
    assert_eq!(v["artifact"], sha.as_str());

    let dep = format!("{jobs}/tiny/deployments/dev");
    api.act(&format!("{dep}/deploy"), json!({})).await;
    let d = api.get(&dep).await;
    assert_eq!(d["observed_state"], "RUNNING", "{d}");
    let op = api.act(&format!("{dep}/stop"), json!({})).await;
    let sp = op["steps"][0]["data"]["location"].as_str().expect("savepoint").to_owned();
    let op = api.act(&format!("{dep}/deploy"), json!({})).await;
    let upload_step = op["steps"].as_array().and_then(|s| s.iter().find(|s| s["name"] == "upload-jar")).expect("upload step");
    assert_eq!(upload_step["data"]["sha256"], sha.as_str());
    let job_id = api.get(&dep).await["flink_job_id"].as_str().expect("job id").to_owned();
    let start = Instant::now();
    loop {
        let c = flink_checkpoints(&job_id).await;
        if let Some(p) = c["latest"]["restored"]["external_path"].as_str() {
            assert_eq!(p.trim_end_matches('/'), sp.trim_end_matches('/'), "restored from the stop savepoint");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "no restore: {c}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    api.act(&format!("{dep}/stop"), json!({"savepoint": false})).await;
}
