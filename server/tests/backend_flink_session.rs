//! The flink-session backend against the real local Flink: upload the SQL runner, submit a stateful SQL job,
//! stop it with a savepoint, restore from it, take a savepoint while running, see a failed savepoint leave the
//! job running, and cancel.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use weir_engine::backends::flink_session::FlinkSession;
use weir_engine::backends::{BackendError, ClusterBackend, SavepointStatus, Submission};

const SQL: &str = "
-- a stateful job: keyed aggregation; the ';' in the literal and this comment must not split statements
SET 'pipeline.name' = 'weir-backend-test';
CREATE TABLE src (k INT, v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '50',
  'fields.k.min' = '1', 'fields.k.max' = '10');
CREATE TABLE snk (k INT, c BIGINT, tag STRING) WITH ('connector' = 'blackhole');
INSERT INTO snk SELECT k, COUNT(*), 'a;b' FROM src GROUP BY k;
";

fn runner_jar() -> PathBuf {
    let jar = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../runner/build/weir-sql-runner.jar");
    assert!(jar.exists(), "{} is missing: run scripts/setup (make test does)", jar.display());
    jar
}

fn sql_args(sql: &str) -> Vec<String> {
    use base64::Engine as _;
    vec!["--mode".into(), "streaming".into(), "--script".into(), base64::engine::general_purpose::STANDARD.encode(sql)]
}

fn trigger_id() -> String {
    weir_engine::new_flink_id()
}

async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(start.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn state(b: &FlinkSession, job: &str) -> Option<String> {
    b.jobs().await.expect("jobs overview").into_iter().find(|j| j.id == job).map(|j| j.state.to_string())
}

async fn savepoint(b: &FlinkSession, job: &str, trigger: &str) -> SavepointStatus {
    wait_for("the savepoint", Duration::from_secs(90), || async {
        match b.savepoint_status(job, trigger).await.expect("savepoint status") {
            SavepointStatus::InProgress => None,
            done => Some(done),
        }
    })
    .await
}

/// Waits for a completed checkpoint: then every task runs and a savepoint can be taken.
async fn checkpointed(b: &FlinkSession, job: &str) -> String {
    wait_for("a completed checkpoint", Duration::from_secs(90), || async {
        b.checkpoints(job).await.ok().and_then(|c| c.latest_completed)
    })
    .await
}

#[tokio::test]
async fn sql_job_lifecycle_with_savepoints() {
    let b = FlinkSession::new(reqwest::Client::new(), &common::flink_url(), Duration::from_secs(10));
    let jar = b.upload_jar(&runner_jar()).await.expect("upload the runner");
    let sp_dir = tempfile::tempdir().expect("savepoint folder");
    let target = format!("file://{}", sp_dir.path().display());

    // 1. Submit and see it RUNNING, named by the script's SET.
    let job = b.submit(&jar, &Submission { args: sql_args(SQL), ..Default::default() }).await.expect("submit");
    let listed = b.jobs().await.expect("jobs").into_iter().find(|j| j.id == job).expect("job listed");
    assert_eq!(listed.name, "weir-backend-test", "SET 'pipeline.name' applied");
    checkpointed(&b, &job).await;
    assert_eq!(state(&b, &job).await.as_deref(), Some("RUNNING"));

    // 2. A savepoint into a folder that cannot be written fails, and the job keeps running.
    let bad = trigger_id();
    b.stop_with_savepoint(&job, &bad, Some("file:///proc/weir-cannot-write-here"), false).await.expect("trigger");
    match savepoint(&b, &job, &bad).await {
        SavepointStatus::Failed { cause } => assert!(!cause.is_empty()),
        other => panic!("expected a failed savepoint, got {other:?}"),
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(state(&b, &job).await.as_deref(), Some("RUNNING"), "a failed stop leaves the job running");

    // 3. A savepoint while running.
    let t = trigger_id();
    b.trigger_savepoint(&job, &t, Some(&target)).await.expect("trigger savepoint");
    // The same trigger id again is recognised, not a second savepoint.
    b.trigger_savepoint(&job, &t, Some(&target)).await.expect("repeated trigger is idempotent");
    let SavepointStatus::Completed { location: live } = savepoint(&b, &job, &t).await else {
        panic!("savepoint while running failed")
    };
    assert!(live.contains("savepoint-"), "{live}");
    assert_eq!(state(&b, &job).await.as_deref(), Some("RUNNING"));

    // 4. Stop with savepoint: the job ends FINISHED and the savepoint is on disk.
    let t = trigger_id();
    b.stop_with_savepoint(&job, &t, Some(&target), false).await.expect("stop");
    let SavepointStatus::Completed { location } = savepoint(&b, &job, &t).await else { panic!("stop failed") };
    let on_disk = PathBuf::from(location.trim_start_matches("file:"));
    assert!(on_disk.join("_metadata").exists(), "savepoint metadata at {}", on_disk.display());
    wait_for("FINISHED", Duration::from_secs(30), || async {
        (state(&b, &job).await.as_deref() == Some("FINISHED")).then_some(())
    })
    .await;

    // 5. Restore a new job, with an id chosen here, from that savepoint; Flink says it restored from it.
    let chosen = trigger_id();
    let submission = Submission {
        args: sql_args(SQL),
        restore_path: Some(location.clone()),
        job_id: Some(chosen.clone()),
        ..Default::default()
    };
    let restored = b.submit(&jar, &submission).await.expect("submit restoring");
    assert_eq!(restored, chosen, "the chosen job id is used");
    let again = b.submit(&jar, &submission).await;
    assert!(matches!(again, Err(BackendError::DuplicateJob { .. })), "a second submission is a typed duplicate: {again:?}");
    let info = wait_for("restore info", Duration::from_secs(60), || async {
        b.checkpoints(&restored).await.ok().filter(|c| c.restored_from.is_some())
    })
    .await;
    assert!(info.restored_is_savepoint);
    assert_eq!(info.restored_from.as_deref().map(|p| p.trim_end_matches('/')), Some(location.trim_end_matches('/')));

    // 6. Cancel.
    b.cancel(&restored).await.expect("cancel");
    wait_for("CANCELED", Duration::from_secs(30), || async {
        (state(&b, &restored).await.as_deref() == Some("CANCELED")).then_some(())
    })
    .await;
}

#[tokio::test]
async fn errors_from_flink_are_reported() {
    let b = FlinkSession::new(reqwest::Client::new(), &common::flink_url(), Duration::from_secs(10));
    let err = b.submit("no-such-jar.jar", &Submission::default()).await.expect_err("unknown jar");
    assert!(matches!(err, BackendError::ProgramMissing { .. }), "a missing jar is typed: {err}");
    assert!(err.to_string().contains("does not exist"), "Flink's words are carried to be shown: {err}");
    let err = b.savepoint_status("00000000000000000000000000000000", "11111111111111111111111111111111").await;
    assert!(matches!(err, Err(BackendError::UnknownTrigger { .. })), "an unknown trigger is typed: {err:?}");
    let err = b.cancel("00000000000000000000000000000000").await.expect_err("unknown job");
    assert!(err.to_string().contains("HTTP 404"), "{err}");
}
