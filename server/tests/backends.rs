//! Every cluster backend's lifecycle against a real Flink, through the `ClusterBackend` trait alone: start the
//! SQL runner as a stateful job with a chosen id, see a failed savepoint leave it running, take a savepoint
//! while it runs (idempotent per trigger id), stop it with a savepoint, restore a new job from it (a second
//! start of the same id is a typed duplicate), and cancel. Run on:
//! - `flink-session` with Flink 2.3 (`WEIR_TEST_FLINK_URL`) and 1.20 (`WEIR_TEST_FLINK120_URL`), both started
//!   by `make test`;
//! - `local-application` with 2.3 and 1.20: each job gets its own JobManager and TaskManager processes, whose
//!   logs the backend shows, and after the stop and the cancel no process of the job is left.

mod common;

use common::{processes_under, wait_for, Reaper};

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use weir_engine::backends::{
    self, BackendContext, BackendError, ClusterBackend, FlinkRuntime, JobStart, Program, SavepointStatus,
};
use weir_model::clusters::{FlinkSessionSettings, LocalApplicationSettings};
use weir_model::ClusterSettings;

const SQL: &str = "
-- a stateful job: keyed aggregation; the ';' in the literal and this comment must not split statements
SET 'pipeline.name' = 'weir-backend-test';
CREATE TABLE src (k INT, v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '50',
  'fields.k.min' = '1', 'fields.k.max' = '10');
CREATE TABLE snk (k INT, c BIGINT, tag STRING) WITH ('connector' = 'blackhole');
INSERT INTO snk SELECT k, COUNT(*), 'a;b' FROM src GROUP BY k;
";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The SQL runner built against a Flink version (scripts/build-runner).
fn runner_jar(version: &str) -> PathBuf {
    let jar = root().join("runner/build").join(version).join("weir-sql-runner.jar");
    assert!(jar.exists(), "{} is missing: run scripts/setup (make test does)", jar.display());
    jar
}

/// An installed Flink distribution (scripts/flink-local install).
fn runtime(version: &str) -> FlinkRuntime {
    let cache = std::env::var_os("WEIR_CACHE_DIR").map(PathBuf::from).unwrap_or_else(|| {
        std::env::var_os("XDG_CACHE_HOME")
            .map(|x| PathBuf::from(x).join("weir"))
            .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/weir"))
    });
    let home = cache.join(format!("flink-{version}"));
    assert!(home.join(".complete").exists(), "Flink {version} is not installed in {}: run scripts/setup", home.display());
    assert_eq!(FlinkRuntime::version_of(&home).as_deref(), Some(version), "the version is read from flink-dist");
    FlinkRuntime { version: version.into(), home, runner_jar: Some(runner_jar(version)) }
}

fn flink120_url() -> String {
    std::env::var("WEIR_TEST_FLINK120_URL").unwrap_or_else(|_| {
        panic!("WEIR_TEST_FLINK120_URL is not set: run the tests with `make test` (it starts a Flink 1.20.5 too)")
    })
}

fn context(work_dir: &Path, runtimes: Vec<FlinkRuntime>) -> BackendContext {
    BackendContext {
        http: reqwest::Client::new(),
        timeout: Duration::from_secs(10),
        runtimes: Arc::new(runtimes),
        work_dir: work_dir.to_owned(),
    }
}

fn sql_args(sql: &str) -> Vec<String> {
    use base64::Engine as _;
    vec!["--mode".into(), "streaming".into(), "--script".into(), base64::engine::general_purpose::STANDARD.encode(sql)]
}

fn new_id() -> String {
    weir_engine::new_flink_id()
}

async fn state(b: &dyn ClusterBackend, job: &str) -> Option<String> {
    b.job(job).await.ok().flatten().map(|j| j.state.to_string())
}

async fn wait_state(b: &dyn ClusterBackend, job: &str, wanted: &str, limit: Duration) {
    wait_for(wanted, limit, || async { (state(b, job).await.as_deref() == Some(wanted)).then_some(()) }).await
}

async fn savepoint(b: &dyn ClusterBackend, job: &str, trigger: &str) -> SavepointStatus {
    wait_for("the savepoint", Duration::from_secs(90), || async {
        match b.savepoint_status(job, trigger).await.expect("savepoint status") {
            SavepointStatus::InProgress => None,
            done => Some(done),
        }
    })
    .await
}

/// Waits for a completed checkpoint: then every task runs and a savepoint can be taken.
async fn checkpointed(b: &dyn ClusterBackend, job: &str) -> String {
    wait_for("a completed checkpoint", Duration::from_secs(120), || async {
        b.checkpoints(job).await.ok().and_then(|c| c.latest_completed)
    })
    .await
}

/// The whole story on one backend. `job_dirs`: where a per-job backend keeps its jobs (none for session).
async fn lifecycle(b: &dyn ClusterBackend, jar: PathBuf, cluster_dir: Option<&Path>) {
    let caps = b.capabilities();
    let sp_dir = tempfile::tempdir().expect("savepoint folder");
    let target = format!("file://{}", sp_dir.path().display());
    let uploaded_id = match caps.needs_upload {
        true => Some(b.upload(&jar).await.expect("upload the runner")),
        false => None,
    };
    let program = Program { jar, uploaded_id, entry_class: Some("dev.weir.runner.SqlRunner".into()), args: sql_args(SQL) };

    // 1. Start with a chosen id; see it RUNNING, named by the script's SET.
    let job = new_id();
    b.start(&program, &JobStart { job_id: job.clone(), parallelism: Some(2), ..Default::default() }).await.expect("start");
    wait_state(b, &job, "RUNNING", Duration::from_secs(120)).await;
    let listed = b.jobs().await.expect("jobs").jobs.into_iter().find(|j| j.id == job).expect("job listed");
    assert_eq!(listed.name, "weir-backend-test", "SET 'pipeline.name' applied");
    checkpointed(b, &job).await;
    if let Some(dir) = cluster_dir {
        assert!(processes_under(&dir.join("jobs").join(&job)).len() >= 2, "a JobManager and a TaskManager of its own");
        let logs = b.job_logs(&job, 4096).await.expect("logs");
        let jm = logs.iter().find(|l| l.name == "jobmanager.log").expect("the JobManager's log");
        assert!(jm.size_bytes > 0 && !jm.tail.is_empty(), "the log has lines");
        assert!(logs.iter().any(|l| l.name.starts_with("taskmanager-0")), "the TaskManager's log: {logs:?}");
        let o = b.overview().await.expect("overview");
        assert!(o.taskmanagers >= 1 && o.jobs_running >= 1, "the machine's clusters summed: {o:?}");
    }

    // 2. A savepoint into a folder that cannot be written fails, and the job keeps running.
    let bad = new_id();
    b.stop_with_savepoint(&job, &bad, Some("file:///proc/weir-cannot-write-here"), false).await.expect("trigger");
    match savepoint(b, &job, &bad).await {
        SavepointStatus::Failed { cause } => assert!(!cause.is_empty()),
        other => panic!("expected a failed savepoint, got {other:?}"),
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(state(b, &job).await.as_deref(), Some("RUNNING"), "a failed stop leaves the job running");

    // 3. A savepoint while running; the same trigger id again is recognised, not a second savepoint.
    let t = new_id();
    b.trigger_savepoint(&job, &t, Some(&target)).await.expect("trigger savepoint");
    b.trigger_savepoint(&job, &t, Some(&target)).await.expect("repeated trigger is idempotent");
    let SavepointStatus::Completed { location: live } = savepoint(b, &job, &t).await else {
        panic!("savepoint while running failed")
    };
    assert!(live.contains("savepoint-"), "{live}");
    assert_eq!(state(b, &job).await.as_deref(), Some("RUNNING"));

    // 4. Stop with savepoint: the job ends FINISHED and the savepoint is on disk.
    let t = new_id();
    b.stop_with_savepoint(&job, &t, Some(&target), false).await.expect("stop");
    let SavepointStatus::Completed { location } = savepoint(b, &job, &t).await else { panic!("stop failed") };
    let on_disk = PathBuf::from(location.trim_start_matches("file:"));
    assert!(on_disk.join("_metadata").exists(), "savepoint metadata at {}", on_disk.display());
    wait_state(b, &job, "FINISHED", Duration::from_secs(60)).await;
    if let Some(dir) = cluster_dir {
        let job_dir = dir.join("jobs").join(&job);
        wait_for("the stopped job's processes to end", Duration::from_secs(60), || async {
            processes_under(&job_dir).is_empty().then_some(())
        })
        .await;
        // How it ended is kept after its cluster is gone.
        assert_eq!(b.savepoint_status(&job, &t).await.expect("kept"), SavepointStatus::Completed { location: location.clone() });
        assert_eq!(state(b, &job).await.as_deref(), Some("FINISHED"));
    }

    // 5. Restore a new job, with an id chosen here, from that savepoint; Flink says it restored from it.
    let restored = new_id();
    let start = JobStart { job_id: restored.clone(), restore_path: Some(location.clone()), ..Default::default() };
    b.start(&program, &start).await.expect("start restoring");
    let again = b.start(&program, &start).await;
    assert!(matches!(again, Err(BackendError::DuplicateJob { .. })), "a second start is a typed duplicate: {again:?}");
    wait_state(b, &restored, "RUNNING", Duration::from_secs(120)).await;
    let info = wait_for("restore info", Duration::from_secs(60), || async {
        b.checkpoints(&restored).await.ok().filter(|c| c.restored_from.is_some())
    })
    .await;
    assert!(info.restored_is_savepoint);
    assert_eq!(info.restored_from.as_deref().map(|p| p.trim_end_matches('/')), Some(location.trim_end_matches('/')));

    // 6. Cancel: CANCELED (and on a per-job cluster, nothing left running).
    b.cancel(&restored).await.expect("cancel");
    wait_state(b, &restored, "CANCELED", Duration::from_secs(60)).await;
    if let Some(dir) = cluster_dir {
        let job_dir = dir.join("jobs").join(&restored);
        wait_for("the cancelled job's processes to end", Duration::from_secs(60), || async {
            processes_under(&job_dir).is_empty().then_some(())
        })
        .await;
        assert!(processes_under(dir).is_empty(), "no process of the cluster is left");
    }
}

fn session(url: &str, version: &str) -> Arc<dyn ClusterBackend> {
    let settings = ClusterSettings::FlinkSession(FlinkSessionSettings { rest_url: url.into(), flink_version: None });
    let ctx = context(Path::new("/nonexistent"), vec![runtime(version)]);
    backends::build("session", &settings, &ctx).expect("backend")
}

async fn local_application(version: &str) {
    let work = tempfile::tempdir().expect("work dir");
    let _reaper = Reaper(work.path().to_owned());
    let settings = ClusterSettings::LocalApplication(LocalApplicationSettings {
        flink_version: version.into(),
        taskmanagers: 1,
        zookeeper_quorum: None,
    });
    let ctx = context(work.path(), vec![runtime(version)]);
    let b = backends::build("apps", &settings, &ctx).expect("backend");
    let caps = b.capabilities();
    assert!(caps.cluster_per_job && !caps.needs_upload && !caps.heals_jobs && !caps.high_availability);
    assert_eq!(b.overview().await.expect("overview").flink_version, version);
    lifecycle(b.as_ref(), runner_jar(version), Some(&work.path().join("apps"))).await;
}

#[tokio::test]
async fn flink_session_2_3_lifecycle() {
    let b = session(&common::flink_url(), "2.3.0");
    assert_eq!(b.overview().await.expect("overview").flink_version, "2.3.0");
    lifecycle(b.as_ref(), runner_jar("2.3.0"), None).await;
}

#[tokio::test]
async fn flink_session_1_20_lifecycle() {
    let b = session(&flink120_url(), "1.20.5");
    assert_eq!(b.overview().await.expect("overview").flink_version, "1.20.5");
    lifecycle(b.as_ref(), runner_jar("1.20.5"), None).await;
}

#[tokio::test]
async fn local_application_2_3_lifecycle() {
    local_application("2.3.0").await;
}

#[tokio::test]
async fn local_application_1_20_lifecycle() {
    local_application("1.20.5").await;
}

#[tokio::test]
async fn errors_from_flink_are_reported() {
    for url in [common::flink_url(), flink120_url()] {
        let b = session(&url, if url == flink120_url() { "1.20.5" } else { "2.3.0" });
        let program = Program { uploaded_id: Some("no-such-jar.jar".into()), ..Default::default() };
        let err = b.start(&program, &JobStart { job_id: new_id(), ..Default::default() }).await.expect_err("unknown jar");
        assert!(matches!(err, BackendError::ProgramMissing { .. }), "a missing jar is typed: {err}");
        assert!(err.to_string().contains("does not exist"), "Flink's words are carried to be shown: {err}");
        let err = b.savepoint_status("00000000000000000000000000000000", "11111111111111111111111111111111").await;
        assert!(matches!(err, Err(BackendError::UnknownTrigger { .. })), "an unknown trigger is typed: {err:?}");
        let err = b.cancel("00000000000000000000000000000000").await.expect_err("unknown job");
        assert!(err.to_string().contains("HTTP 404"), "{err}");
    }
}

#[tokio::test]
async fn local_application_refuses_what_it_cannot_run() {
    let work = tempfile::tempdir().expect("work dir");
    let settings = ClusterSettings::LocalApplication(LocalApplicationSettings {
        flink_version: "1.19.0".into(),
        taskmanagers: 1,
        zookeeper_quorum: None,
    });
    let err = backends::build("apps", &settings, &context(work.path(), vec![runtime("2.3.0")])).err().expect("not installed");
    assert!(err.contains("Flink 1.19.0 is not installed") && err.contains("2.3.0"), "{err}");

    let settings = ClusterSettings::LocalApplication(LocalApplicationSettings {
        flink_version: "2.3.0".into(),
        taskmanagers: 1,
        zookeeper_quorum: None,
    });
    let b = backends::build("apps", &settings, &context(work.path(), vec![runtime("2.3.0")])).expect("backend");
    let missing = Program { jar: work.path().join("missing.jar"), ..Default::default() };
    let err = b.start(&missing, &JobStart { job_id: new_id(), ..Default::default() }).await.expect_err("no jar");
    assert!(matches!(err, BackendError::ProgramMissing { .. }), "{err}");
    let err = b.start(&missing, &JobStart { job_id: "../../etc".into(), ..Default::default() }).await.expect_err("bad id");
    assert!(err.to_string().contains("not a Flink job id"), "{err}");
    assert!(b.job(&new_id()).await.expect("look").is_none(), "an unknown job is not listed");
    assert!(processes_under(work.path()).is_empty(), "nothing was started");
}

/// The record a local-application job keeps (`job.json`).
fn record(cluster_dir: &Path, job: &str) -> serde_json::Value {
    let bytes = std::fs::read(cluster_dir.join("jobs").join(job).join("job.json")).expect("the job's record");
    serde_json::from_slice(&bytes).expect("JSON")
}

fn kill9(pid: u64) {
    let status = std::process::Command::new("kill").arg("-9").arg(pid.to_string()).status().expect("kill");
    assert!(status.success(), "kill -9 {pid}");
}

/// Supervision on a local-application cluster without HA: a TaskManager killed with SIGKILL is started again by
/// the next look and the job runs on (same id, Flink's own restart); a JobManager killed takes its job with it
/// — the job is no longer listed (the reconciler then sees it LOST and recovers it by its normal rule) and the
/// rest of its cluster is ended.
#[tokio::test]
async fn local_application_supervises_its_processes() {
    let work = tempfile::tempdir().expect("work dir");
    let _reaper = Reaper(work.path().to_owned());
    let settings = ClusterSettings::LocalApplication(LocalApplicationSettings {
        flink_version: "2.3.0".into(),
        taskmanagers: 1,
        zookeeper_quorum: None,
    });
    let b = backends::build("apps", &settings, &context(work.path(), vec![runtime("2.3.0")])).expect("backend");
    let b = b.as_ref();
    let cluster_dir = work.path().join("apps");
    let program = Program {
        jar: runner_jar("2.3.0"),
        entry_class: Some("dev.weir.runner.SqlRunner".into()),
        args: sql_args(SQL),
        ..Default::default()
    };
    let job = new_id();
    b.start(&program, &JobStart { job_id: job.clone(), ..Default::default() }).await.expect("start");
    wait_state(b, &job, "RUNNING", Duration::from_secs(120)).await;
    checkpointed(b, &job).await;

    // A TaskManager dies: the next looks start it again and the job comes back to RUNNING under the same id.
    let tm = record(&cluster_dir, &job)["taskmanager_pids"][0].as_u64().expect("TaskManager PID");
    kill9(tm);
    wait_for("a new TaskManager", Duration::from_secs(60), || async {
        let _ = b.jobs().await;
        (record(&cluster_dir, &job)["taskmanager_restarts"] == 1).then_some(())
    })
    .await;
    let new_tm = record(&cluster_dir, &job)["taskmanager_pids"][0].as_u64().expect("new PID");
    assert_ne!(new_tm, tm);
    wait_for("the job running again on the new TaskManager", Duration::from_secs(120), || async {
        let j = b.job(&job).await.ok().flatten()?;
        (j.state.to_string() == "RUNNING" && j.tasks_total > 0 && j.tasks_running == j.tasks_total).then_some(())
    })
    .await;

    // The JobManager dies without HA: the job is gone with it, and nothing of its cluster keeps running.
    let jm = record(&cluster_dir, &job)["jobmanager_pid"].as_u64().expect("JobManager PID");
    kill9(jm);
    wait_for("the job to be gone", Duration::from_secs(60), || async { b.job(&job).await.ok().flatten().is_none().then_some(()) }).await;
    assert!(!b.jobs().await.expect("jobs").jobs.iter().any(|j| j.id == job), "not listed: the reconciler's LOST");
    wait_for("its TaskManager to be ended", Duration::from_secs(30), || async {
        processes_under(&cluster_dir).is_empty().then_some(())
    })
    .await;
    assert!(record(&cluster_dir, &job)["ended"]["state"].is_null(), "recorded as lost, not as an end state");
}
