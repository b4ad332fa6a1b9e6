//! The `kubernetes-operator` backend's lifecycle through the `ClusterBackend` trait alone, against a SIMULATED
//! Kubernetes API server and Flink Kubernetes Operator (`support/simulated_kube_api.rs`; no Kubernetes can run
//! here): start (a schema-valid FlinkDeployment with the job id fixed), RUNNING seen through the watch (not by
//! polling the API server), a savepoint now (one FlinkStateSnapshot per trigger id), stop with a savepoint
//! (suspended, its location read back), restore a new job from it, a duplicate start, cancel; and an API
//! server that does not answer. Every object written is checked against the operator's CRDs. The same story on
//! an operator-managed session cluster (`session_deployment`: one FlinkSessionJob per job), and a session job
//! whose session does not exist (not running, the cause said, running once an administrator creates it).

mod common;

use common::wait_for;
#[path = "support/simulated_kube_api.rs"]
mod simulated_kube_api;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use simulated_kube_api::{SimulatedKubeApi, DEPLOYMENTS, SESSION_JOBS, SNAPSHOTS};
use weir_engine::backends::{self, BackendContext, BackendError, ClusterBackend, JobStart, Program, SavepointStatus};
use weir_model::clusters::KubernetesOperatorSettings;
use weir_engine::clusters::NewCluster;
use weir_engine::{Caller, Engine, EngineError, EngineSettings};
use weir_model::{ClusterKind, ClusterSettings, FlinkJobState};

const NAMESPACE: &str = "weir-jobs";
const SAVEPOINTS: &str = "s3://sim/savepoints";

fn crds() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fko-crds");
    assert!(dir.join("flinkdeployments.flink.apache.org-v1.yml").exists(), "the CRDs are at {}", dir.display());
    dir
}

fn settings(kubeconfig: &std::path::Path) -> KubernetesOperatorSettings {
    KubernetesOperatorSettings {
        namespace: NAMESPACE.into(),
        flink_version: "2.3".into(),
        image: "registry.example/weir-flink:2.3".into(),
        service_account: "flink".into(),
        kubeconfig: Some(kubeconfig.display().to_string()),
        runner_jar_uri: "local:///opt/flink/usrlib/weir-sql-runner.jar".into(),
        rest_url_template: None,
        session_deployment: None,
    }
}

fn backend(kubeconfig: &std::path::Path, timeout: Duration) -> Arc<dyn ClusterBackend> {
    backend_with(settings(kubeconfig), timeout)
}

/// A backend whose jobs are FlinkSessionJobs on the session FlinkDeployment `session`, the runner fetched by the
/// operator over https.
fn session_backend(kubeconfig: &std::path::Path, session: &str) -> Arc<dyn ClusterBackend> {
    backend_with(
        KubernetesOperatorSettings {
            session_deployment: Some(session.into()),
            runner_jar_uri: RUNNER_OVER_HTTPS.into(),
            ..settings(kubeconfig)
        },
        Duration::from_secs(5),
    )
}

const RUNNER_OVER_HTTPS: &str = "https://artifacts.example/weir/2.3.0/weir-sql-runner.jar";

fn backend_with(settings: KubernetesOperatorSettings, timeout: Duration) -> Arc<dyn ClusterBackend> {
    let settings = ClusterSettings::KubernetesOperator(settings);
    let ctx = BackendContext {
        http: reqwest::Client::new(),
        timeout,
        runtimes: Arc::new(Vec::new()),
        work_dir: PathBuf::from("/nonexistent"),
    };
    backends::build("k8s", &settings, &ctx).expect("backend")
}

fn program() -> Program {
    use base64::Engine as _;
    let sql = "INSERT INTO snk SELECT k, COUNT(*) FROM src GROUP BY k;";
    Program {
        jar: PathBuf::from("/weir/runner/2.3.0/weir-sql-runner.jar"),
        uploaded_id: None,
        entry_class: Some("dev.weir.runner.SqlRunner".into()),
        args: vec![
            "--mode".into(),
            "streaming".into(),
            "--script".into(),
            base64::engine::general_purpose::STANDARD.encode(sql),
        ],
    }
}

fn job_start(job_id: &str, restore: Option<&str>) -> JobStart {
    JobStart {
        job_id: job_id.into(),
        parallelism: Some(2),
        restore_path: restore.map(str::to_owned),
        allow_non_restored_state: false,
        flink_config: [
            ("execution.checkpointing.savepoint-dir", SAVEPOINTS),
            ("pipeline.name", "weir-backend-test"),
            ("taskmanager.memory.process.size", "2g"),
            ("taskmanager.numberOfTaskSlots", "2"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
    }
}

async fn wait_state(b: &dyn ClusterBackend, job: &str, wanted: FlinkJobState) {
    wait_for(&format!("{job} {wanted}"), Duration::from_secs(20), || async {
        (b.job(job).await.ok().flatten().map(|j| j.state) == Some(wanted)).then_some(())
    })
    .await
}

async fn savepoint(b: &dyn ClusterBackend, job: &str, trigger: &str) -> SavepointStatus {
    wait_for("the savepoint", Duration::from_secs(20), || async {
        match b.savepoint_status(job, trigger).await.expect("savepoint status") {
            SavepointStatus::InProgress => None,
            done => Some(done),
        }
    })
    .await
}

fn name_of(job: &str) -> String {
    format!("weir-{job}")
}

#[tokio::test]
async fn kubernetes_operator_lifecycle_against_a_simulation() {
    let sim = SimulatedKubeApi::start(NAMESPACE, &crds()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, sim.kubeconfig()).expect("kubeconfig");
    let b = backend(&kubeconfig, Duration::from_secs(5));
    let caps = b.capabilities();
    assert!(caps.heals_jobs, "the operator heals jobs: Weir's reconciler must not recover them");
    assert!(caps.cluster_per_job && !caps.needs_upload && !caps.high_availability, "{caps:?}");
    assert!(b.jobs().await.expect("an empty namespace").jobs.is_empty());

    // 1. Start: one FlinkDeployment, schema-valid, the job id fixed, labelled as Weir's.
    let job = weir_engine::new_flink_id();
    b.start(&program(), &job_start(&job, None)).await.expect("start");
    let fd = sim.object(DEPLOYMENTS, &name_of(&job)).expect("the FlinkDeployment");
    assert_eq!(fd["spec"]["flinkConfiguration"]["$internal.pipeline.job-id"], job.as_str());
    assert_eq!(fd["metadata"]["labels"]["app.kubernetes.io/managed-by"], "weir");
    assert_eq!(fd["spec"]["flinkVersion"], "v2_3");
    assert_eq!(fd["spec"]["mode"], "native");
    assert_eq!(fd["spec"]["job"]["jarURI"], "local:///opt/flink/usrlib/weir-sql-runner.jar");
    assert_eq!(fd["spec"]["job"]["entryClass"], "dev.weir.runner.SqlRunner");
    assert_eq!(fd["spec"]["job"]["args"][0], "--mode");
    assert_eq!(fd["spec"]["job"]["parallelism"], 2);
    assert_eq!(fd["spec"]["taskManager"]["resource"]["memory"], "2g");
    assert_eq!(fd["spec"]["flinkConfiguration"]["taskmanager.numberOfTaskSlots"], "2");
    assert!(fd["spec"]["job"].get("initialSavepointPath").is_none(), "a fresh start restores nothing");

    // 2. RUNNING, seen through the watch: many looks, no new list request.
    wait_state(b.as_ref(), &job, FlinkJobState::Running).await;
    let listed = b.jobs().await.expect("jobs").jobs.into_iter().find(|j| j.id == job).expect("listed");
    assert_eq!(listed.name, "weir-backend-test");
    let lists = sim.list_requests();
    for _ in 0..20 {
        assert_eq!(b.job(&job).await.expect("look").map(|j| j.state), Some(FlinkJobState::Running));
    }
    assert_eq!(sim.list_requests(), lists, "looks read the watch, not the API server");
    assert!(sim.watch_requests() >= 1, "a watch is open");
    assert_eq!(b.overview().await.expect("overview").jobs_running, 1);

    // 3. A savepoint now: one FlinkStateSnapshot per trigger id, asked twice.
    let t = weir_engine::new_flink_id();
    b.trigger_savepoint(&job, &t, Some("s3://sim/manual")).await.expect("trigger");
    b.trigger_savepoint(&job, &t, Some("s3://sim/manual")).await.expect("the same trigger again is idempotent");
    assert_eq!(sim.names(SNAPSHOTS), vec![format!("weir-sp-{t}")], "one snapshot for the trigger");
    let SavepointStatus::Completed { location } = savepoint(b.as_ref(), &job, &t).await else { panic!("savepoint failed") };
    assert!(location.starts_with("s3://sim/manual/savepoint-"), "{location}");
    assert_eq!(b.job(&job).await.expect("look").map(|j| j.state), Some(FlinkJobState::Running), "still running");
    let unknown = b.savepoint_status(&job, &weir_engine::new_flink_id()).await;
    assert!(matches!(unknown, Err(BackendError::UnknownTrigger { .. })), "{unknown:?}");

    // 4. Stop with a savepoint: suspended with upgradeMode savepoint; the location read back; FINISHED.
    // While the operator has not observed the new spec, the job is still what it was.
    let stop = weir_engine::new_flink_id();
    sim.pause_operator(true);
    b.stop_with_savepoint(&job, &stop, None, false).await.expect("stop");
    b.stop_with_savepoint(&job, &stop, None, false).await.expect("the same stop again is idempotent");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(b.job(&job).await.expect("look").map(|j| j.state), Some(FlinkJobState::Running), "not yet observed");
    assert_eq!(b.savepoint_status(&job, &stop).await.expect("status"), SavepointStatus::InProgress);
    sim.pause_operator(false);
    let fd = sim.object(DEPLOYMENTS, &name_of(&job)).expect("kept, suspended");
    assert_eq!((fd["spec"]["job"]["state"].as_str(), fd["spec"]["job"]["upgradeMode"].as_str()), (Some("suspended"), Some("savepoint")));
    let SavepointStatus::Completed { location } = savepoint(b.as_ref(), &job, &stop).await else { panic!("stop failed") };
    assert!(location.starts_with(&format!("{SAVEPOINTS}/savepoint-")), "{location}");
    wait_state(b.as_ref(), &job, FlinkJobState::Finished).await;
    assert_eq!(sim.object(DEPLOYMENTS, &name_of(&job)).unwrap()["status"]["jobStatus"]["upgradeSavepointPath"], location.as_str());

    // 5. Restore a new job from it; a second start of that id is a typed duplicate.
    let restored = weir_engine::new_flink_id();
    b.start(&program(), &job_start(&restored, Some(&location))).await.expect("start restoring");
    let again = b.start(&program(), &job_start(&restored, Some(&location))).await;
    assert!(matches!(again, Err(BackendError::DuplicateJob { .. })), "a second start is a typed duplicate: {again:?}");
    let fd = sim.object(DEPLOYMENTS, &name_of(&restored)).expect("the new FlinkDeployment");
    assert_eq!(fd["spec"]["job"]["initialSavepointPath"], location.as_str());
    wait_state(b.as_ref(), &restored, FlinkJobState::Running).await;
    assert_eq!(sim.restored_from(&name_of(&restored)), Some(Some(location.clone())), "the operator restored it");
    let info = b.checkpoints(&restored).await.expect("checkpoints");
    assert_eq!(info.restored_from.as_deref(), Some(location.as_str()));
    assert!(info.restored_is_savepoint);

    // 6. Cancel: suspended, stateless: CANCELED.
    b.cancel(&restored).await.expect("cancel");
    let fd = sim.object(DEPLOYMENTS, &name_of(&restored)).unwrap();
    assert_eq!((fd["spec"]["job"]["state"].as_str(), fd["spec"]["job"]["upgradeMode"].as_str()), (Some("suspended"), Some("stateless")));
    wait_state(b.as_ref(), &restored, FlinkJobState::Canceled).await;

    // 7. A job that fails is FAILED, with the operator's error as its cause; the operator (asked to by the
    // FlinkDeployment) resubmits it under the same id: it heals, Weir does nothing.
    let third = weir_engine::new_flink_id();
    b.start(&program(), &job_start(&third, None)).await.expect("start a third");
    wait_state(b.as_ref(), &third, FlinkJobState::Running).await;
    let fd = sim.object(DEPLOYMENTS, &name_of(&third)).unwrap();
    assert_eq!(fd["spec"]["flinkConfiguration"]["kubernetes.operator.job.restart.failed"], "true");
    sim.pause_operator(true);
    sim.fail_job(&name_of(&third), "java.lang.RuntimeException: boom");
    wait_state(b.as_ref(), &third, FlinkJobState::Failed).await;
    assert_eq!(b.failure_cause(&third).await.expect("cause").as_deref(), Some("java.lang.RuntimeException: boom"));
    sim.pause_operator(false);
    wait_state(b.as_ref(), &third, FlinkJobState::Running).await;
    assert_eq!(sim.restarts(&name_of(&third)), 1, "the operator resubmitted it once");

    // 8. The API server stops answering: the watch fails and looks are Unreachable (not a stale list); once it
    // answers again, the jobs are seen again.
    sim.cut();
    wait_for("an unreachable API server", Duration::from_secs(20), || async {
        matches!(b.jobs().await, Err(BackendError::Unreachable(_))).then_some(())
    })
    .await;
    let err = b.cancel(&third).await.expect_err("no API server");
    assert!(matches!(err, BackendError::Unreachable(_)), "{err}");
    sim.restore().await;
    wait_for("the API server again", Duration::from_secs(30), || async {
        b.job(&third).await.ok().flatten().filter(|j| j.state == FlinkJobState::Running).map(|_| ())
    })
    .await;

    // Unknown jobs and what the kind does not do are typed.
    let err = b.cancel(&weir_engine::new_flink_id()).await.expect_err("unknown job");
    assert!(matches!(err, BackendError::Http { status: 404, .. }), "{err}");
    let err = b.job_metrics(&third).await.expect_err("no REST template");
    assert!(matches!(err, BackendError::Unreachable(_)), "{err}");
    let jar = Program { jar: PathBuf::from("/jars/user-job.jar"), ..program() };
    let err = b.start(&jar, &job_start(&weir_engine::new_flink_id(), None)).await.expect_err("not in the image");
    assert!(matches!(err, BackendError::ProgramMissing { .. }), "{err}");

    // Nothing Weir (or the simulated operator) wrote was invalid against the CRDs.
    assert_eq!(sim.invalid_writes(), Vec::<String>::new());
    // ... and the check is real: an invalid FlinkDeployment is refused with 422.
    let url = format!("http://{}/apis/flink.apache.org/v1beta1/namespaces/{NAMESPACE}/flinkdeployments", sim.addr);
    let bad = serde_json::json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
        "metadata": {"name": "bad"}, "spec": {"job": {"state": "paused", "jarUri": "local:///x.jar"}}});
    let answer = reqwest::Client::new().post(&url).json(&bad).send().await.expect("post");
    assert_eq!(answer.status().as_u16(), 422);
    let invalid = sim.invalid_writes();
    assert_eq!(invalid.len(), 1, "{invalid:?}");
    assert!(invalid[0].contains("paused") && invalid[0].contains("jarUri"), "the enum and the unknown (pruned) field: {invalid:?}");
}

#[tokio::test]
async fn an_api_server_that_does_not_answer_is_unreachable() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster:\n    server: http://127.0.0.1:{port}\n\
             contexts:\n- name: gone\n  context:\n    cluster: gone\n    user: gone\ncurrent-context: gone\n\
             users:\n- name: gone\n  user:\n    token: none\n"
        ),
    )
    .expect("kubeconfig");
    let b = backend(&kubeconfig, Duration::from_secs(2));
    let started = Instant::now();
    let err = b.jobs().await.expect_err("no API server");
    assert!(matches!(err, BackendError::Unreachable(_)), "{err}");
    let err = b.start(&program(), &job_start(&weir_engine::new_flink_id(), None)).await.expect_err("no API server");
    assert!(matches!(err, BackendError::Unreachable(_)), "{err}");
    let err = b.savepoint_status(&weir_engine::new_flink_id(), &weir_engine::new_flink_id()).await.expect_err("no API server");
    assert!(matches!(err, BackendError::Unreachable(_)), "{err}");
    assert!(started.elapsed() < Duration::from_secs(15), "bounded by the timeout: {:?}", started.elapsed());

    // A kubeconfig that cannot be read is unreachable too, and says which file.
    let b = backend(&dir.path().join("missing"), Duration::from_secs(2));
    let err = b.jobs().await.expect_err("no kubeconfig");
    assert!(matches!(err, BackendError::Unreachable(ref m) if m.contains("missing")), "{err}");
}

/// What an administrator applies (`kubectl apply`): a session-mode FlinkDeployment (no `spec.job`), through the
/// simulated API server, schema-checked like every write.
async fn create_session(sim: &SimulatedKubeApi, name: &str) {
    let session = json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
        "metadata": {"name": name, "labels": {"team": "platform"}},
        "spec": {"image": "registry.example/flink:2.3", "flinkVersion": "v2_3", "serviceAccount": "flink",
            "mode": "native",
            "flinkConfiguration": {"taskmanager.numberOfTaskSlots": "4",
                "execution.checkpointing.savepoint-dir": "s3://sim/session-savepoints"},
            "jobManager": {"resource": {"memory": "2048m", "cpu": 1}},
            "taskManager": {"replicas": 2, "resource": {"memory": "4096m", "cpu": 2}}}});
    let url = format!("http://{}/apis/flink.apache.org/v1beta1/namespaces/{NAMESPACE}/{DEPLOYMENTS}", sim.addr);
    let answer = reqwest::Client::new().post(&url).json(&session).send().await.expect("post the session");
    assert_eq!(answer.status().as_u16(), 201, "{}", answer.text().await.unwrap_or_default());
}

async fn session_ready(sim: &SimulatedKubeApi, name: &str) {
    wait_for("the session's JobManager READY", Duration::from_secs(20), || async {
        let fd = sim.object(DEPLOYMENTS, name)?;
        (fd["status"]["jobManagerDeploymentStatus"] == "READY").then_some(())
    })
    .await
}

#[tokio::test]
async fn kubernetes_operator_session_jobs_against_a_simulation() {
    let sim = SimulatedKubeApi::start(NAMESPACE, &crds()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, sim.kubeconfig()).expect("kubeconfig");
    create_session(&sim, "shared-session").await;
    let session_spec = sim.object(DEPLOYMENTS, "shared-session").expect("the session")["spec"].clone();
    let b = session_backend(&kubeconfig, "shared-session");
    let caps = b.capabilities();
    assert!(caps.heals_jobs, "the operator heals session jobs too");
    assert!(!caps.cluster_per_job && !caps.needs_upload, "a session job has no pods of its own: {caps:?}");
    assert!(b.jobs().await.expect("no job yet").jobs.is_empty(), "the session is not one of Weir's jobs");
    session_ready(&sim, "shared-session").await;

    // 1. Start: one FlinkSessionJob on the session, schema-valid, labelled as Weir's; no FlinkDeployment.
    let job = weir_engine::new_flink_id();
    b.start(&program(), &job_start(&job, None)).await.expect("start");
    let sj = sim.object(SESSION_JOBS, &name_of(&job)).expect("the FlinkSessionJob");
    assert_eq!(sj["kind"], "FlinkSessionJob");
    assert_eq!(sj["metadata"]["labels"]["app.kubernetes.io/managed-by"], "weir");
    assert_eq!(sj["metadata"]["labels"]["weir.dev/job-id"], job.as_str());
    assert_eq!(sj["spec"]["deploymentName"], "shared-session");
    assert_eq!(sj["spec"]["job"]["jarURI"], RUNNER_OVER_HTTPS);
    assert_eq!(sj["spec"]["job"]["entryClass"], "dev.weir.runner.SqlRunner");
    assert_eq!(sj["spec"]["job"]["args"][2], "--script");
    assert_eq!((sj["spec"]["job"]["parallelism"].as_i64(), sj["spec"]["job"]["state"].as_str()), (Some(2), Some("running")));
    assert_eq!(sj["spec"]["job"]["upgradeMode"], "savepoint");
    assert!(sj["spec"]["job"].get("initialSavepointPath").is_none());
    assert_eq!(sj["spec"]["flinkConfiguration"]["$internal.pipeline.job-id"], job.as_str());
    assert_eq!(sj["spec"]["flinkConfiguration"]["kubernetes.operator.job.restart.failed"], "true");
    assert_eq!(sim.names(DEPLOYMENTS), vec!["shared-session".to_owned()], "no FlinkDeployment of Weir's");

    // 2. RUNNING through the watch; the operator submitted it under a Flink job id of its own.
    wait_state(b.as_ref(), &job, FlinkJobState::Running).await;
    let listed = b.jobs().await.expect("jobs").jobs.into_iter().find(|j| j.id == job).expect("listed by Weir's id");
    assert_eq!(listed.name, "weir-backend-test");
    let flink_id = sim.object(SESSION_JOBS, &name_of(&job)).unwrap()["status"]["jobStatus"]["jobId"].as_str().unwrap().to_owned();
    assert_eq!(flink_id.len(), 32);
    assert_ne!(flink_id, job, "SessionJobReconciler.deploy picks the Flink job id");
    let lists = sim.list_requests();
    for _ in 0..20 {
        assert_eq!(b.job(&job).await.expect("look").map(|j| j.state), Some(FlinkJobState::Running));
    }
    assert_eq!(sim.list_requests(), lists, "looks read the watch, not the API server");
    let o = b.overview().await.expect("overview");
    assert_eq!((o.jobs_running, o.flink_version.as_str()), (1, "2.3"));

    // 3. A savepoint now: a FlinkStateSnapshot referring to the FlinkSessionJob.
    let t = weir_engine::new_flink_id();
    b.trigger_savepoint(&job, &t, Some("s3://sim/manual")).await.expect("trigger");
    b.trigger_savepoint(&job, &t, Some("s3://sim/manual")).await.expect("idempotent");
    let snap = sim.object(SNAPSHOTS, &format!("weir-sp-{t}")).expect("the snapshot");
    assert_eq!(snap["spec"]["jobReference"], json!({"kind": "FlinkSessionJob", "name": name_of(&job)}));
    let SavepointStatus::Completed { location } = savepoint(b.as_ref(), &job, &t).await else { panic!("savepoint failed") };
    assert!(location.starts_with("s3://sim/manual/savepoint-"), "{location}");

    // 4. Stop with a savepoint: suspended (savepoint); the savepoint in the job's folder (its configuration is
    // laid over the session's); FINISHED.
    let stop = weir_engine::new_flink_id();
    b.stop_with_savepoint(&job, &stop, None, false).await.expect("stop");
    let sj = sim.object(SESSION_JOBS, &name_of(&job)).expect("kept, suspended");
    assert_eq!((sj["spec"]["job"]["state"].as_str(), sj["spec"]["job"]["upgradeMode"].as_str()), (Some("suspended"), Some("savepoint")));
    let SavepointStatus::Completed { location } = savepoint(b.as_ref(), &job, &stop).await else { panic!("stop failed") };
    assert!(location.starts_with(&format!("{SAVEPOINTS}/savepoint-")), "{location}");
    wait_state(b.as_ref(), &job, FlinkJobState::Finished).await;
    let upgrade = sim.names(SNAPSHOTS).into_iter().find(|n| n.contains("-upgrade-")).expect("the upgrade snapshot");
    assert_eq!(sim.object(SNAPSHOTS, &upgrade).unwrap()["spec"]["jobReference"]["kind"], "FlinkSessionJob");

    // 5. Restore a new job from it; a second start is a typed duplicate.
    let restored = weir_engine::new_flink_id();
    b.start(&program(), &job_start(&restored, Some(&location))).await.expect("start restoring");
    let again = b.start(&program(), &job_start(&restored, Some(&location))).await;
    assert!(matches!(again, Err(BackendError::DuplicateJob { .. })), "{again:?}");
    assert_eq!(sim.object(SESSION_JOBS, &name_of(&restored)).unwrap()["spec"]["job"]["initialSavepointPath"], location.as_str());
    wait_state(b.as_ref(), &restored, FlinkJobState::Running).await;
    assert_eq!(sim.restored_from(&name_of(&restored)), Some(Some(location.clone())), "the operator restored it");
    let info = b.checkpoints(&restored).await.expect("checkpoints");
    assert_eq!((info.restored_from.as_deref(), info.restored_is_savepoint), (Some(location.as_str()), true));

    // 6. Cancel: suspended, stateless; the operator's cancel is pending, then CANCELED.
    b.cancel(&restored).await.expect("cancel");
    let sj = sim.object(SESSION_JOBS, &name_of(&restored)).unwrap();
    assert_eq!((sj["spec"]["job"]["state"].as_str(), sj["spec"]["job"]["upgradeMode"].as_str()), (Some("suspended"), Some("stateless")));
    wait_state(b.as_ref(), &restored, FlinkJobState::Canceled).await;
    assert!(sim.object(SESSION_JOBS, &name_of(&restored)).unwrap()["status"]["jobStatus"].get("jobId").is_none(), "cleared once suspended");

    // 7. A failed job: FAILED with the operator's error; resubmitted by the operator (under a new Flink job id).
    let third = weir_engine::new_flink_id();
    b.start(&program(), &job_start(&third, None)).await.expect("start a third");
    wait_state(b.as_ref(), &third, FlinkJobState::Running).await;
    let first_flink_id = sim.object(SESSION_JOBS, &name_of(&third)).unwrap()["status"]["jobStatus"]["jobId"].clone();
    sim.pause_operator(true);
    sim.fail(SESSION_JOBS, &name_of(&third), "java.lang.RuntimeException: boom");
    wait_state(b.as_ref(), &third, FlinkJobState::Failed).await;
    assert_eq!(b.failure_cause(&third).await.expect("cause").as_deref(), Some("java.lang.RuntimeException: boom"));
    sim.pause_operator(false);
    wait_state(b.as_ref(), &third, FlinkJobState::Running).await;
    assert_eq!(sim.restarts(&name_of(&third)), 1);
    assert_ne!(sim.object(SESSION_JOBS, &name_of(&third)).unwrap()["status"]["jobStatus"]["jobId"], first_flink_id);
    let err = b.job_metrics(&third).await.expect_err("no REST template");
    assert!(matches!(err, BackendError::Unreachable(_)), "{err}");

    // The session is the administrator's: Weir never wrote to it.
    assert_eq!(sim.object(DEPLOYMENTS, "shared-session").unwrap()["spec"], session_spec);
    assert_eq!(sim.names(DEPLOYMENTS), vec!["shared-session".to_owned()]);
    assert_eq!(b.jobs().await.expect("jobs").jobs.len(), 3, "Weir's three session jobs, not the session");

    // Nothing written was invalid against the CRDs; and the FlinkSessionJob check is real.
    assert_eq!(sim.invalid_writes(), Vec::<String>::new());
    let url = format!("http://{}/apis/flink.apache.org/v1beta1/namespaces/{NAMESPACE}/{SESSION_JOBS}", sim.addr);
    let bad = json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkSessionJob", "metadata": {"name": "bad"},
        "spec": {"deploymentName": "shared-session", "image": "x", "job": {"upgradeMode": "sometimes", "jarURI": "https://x/y.jar"}}});
    let answer = reqwest::Client::new().post(&url).json(&bad).send().await.expect("post");
    assert_eq!(answer.status().as_u16(), 422);
    let invalid = sim.invalid_writes();
    assert!(invalid.len() == 1 && invalid[0].contains("sometimes") && invalid[0].contains("image"), "{invalid:?}");
}

/// A fake JobManager REST API of the session `shared-session` in `weir-jobs` (at `/{namespace}/{name}/...`; other
/// names answer 404): the jobs it lists, and the checkpoints of those.
async fn fake_session_rest(jobs: Arc<std::sync::Mutex<Vec<(String, u32, u32)>>>) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    use axum::extract::{Path as UrlPath, State};
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};
    type Jobs = Arc<std::sync::Mutex<Vec<(String, u32, u32)>>>;
    fn ours(ns: &str, name: &str) -> bool {
        ns == NAMESPACE && name == "shared-session"
    }
    async fn overview(UrlPath((ns, name)): UrlPath<(String, String)>) -> Response {
        if !ours(&ns, &name) {
            return StatusCode::NOT_FOUND.into_response();
        }
        axum::Json(json!({"taskmanagers": 2, "slots-total": 8, "slots-available": 5, "jobs-running": 3,
            "jobs-finished": 0, "jobs-cancelled": 0, "jobs-failed": 0, "flink-version": "2.3.0"}))
        .into_response()
    }
    async fn jobs_overview(State(jobs): State<Jobs>, UrlPath((ns, name)): UrlPath<(String, String)>) -> Response {
        if !ours(&ns, &name) {
            return StatusCode::NOT_FOUND.into_response();
        }
        let list: Vec<_> = jobs.lock().unwrap().iter().map(|(jid, running, total)| {
            json!({"jid": jid, "name": "weir-backend-test", "state": "RUNNING", "tasks": {"running": running, "total": total}})
        }).collect();
        axum::Json(json!({"jobs": list})).into_response()
    }
    async fn checkpoints(State(jobs): State<Jobs>, UrlPath((ns, name, jid)): UrlPath<(String, String, String)>) -> Response {
        if !ours(&ns, &name) || !jobs.lock().unwrap().iter().any(|(j, _, _)| *j == jid) {
            return StatusCode::NOT_FOUND.into_response();
        }
        axum::Json(json!({"latest": {"completed": {"external_path": format!("s3://sim/checkpoints/{jid}/chk-7")}}})).into_response()
    }
    let app = axum::Router::new()
        .route("/{ns}/{name}/overview", axum::routing::get(overview))
        .route("/{ns}/{name}/jobs/overview", axum::routing::get(jobs_overview))
        .route("/{ns}/{name}/jobs/{jid}/checkpoints", axum::routing::get(checkpoints))
        .with_state(jobs);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    (addr, tokio::spawn(async move { axum::serve(listener, app).await.expect("fake JobManager") }))
}

#[tokio::test]
async fn a_session_jobs_jobmanager_is_the_sessions() {
    let sim = SimulatedKubeApi::start(NAMESPACE, &crds()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, sim.kubeconfig()).expect("kubeconfig");
    create_session(&sim, "shared-session").await;
    let listed = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (addr, server) = fake_session_rest(listed.clone()).await;
    let b = backend_with(
        KubernetesOperatorSettings {
            session_deployment: Some("shared-session".into()),
            runner_jar_uri: RUNNER_OVER_HTTPS.into(),
            rest_url_template: Some(format!("http://{addr}/{{namespace}}/{{name}}")),
            ..settings(&kubeconfig)
        },
        Duration::from_secs(5),
    );
    let job = weir_engine::new_flink_id();
    b.start(&program(), &job_start(&job, None)).await.expect("start");
    wait_state(b.as_ref(), &job, FlinkJobState::Running).await;
    let flink_id = sim.object(SESSION_JOBS, &name_of(&job)).unwrap()["status"]["jobStatus"]["jobId"].as_str().unwrap().to_owned();

    // The session's JobManager knows the job by the operator's job id: its tasks and checkpoints come from there.
    let running = b.job(&job).await.expect("look").expect("listed");
    assert_eq!((running.tasks_running, running.tasks_total), (1, 1), "not listed there yet: the operator's RUNNING");
    listed.lock().unwrap().push((flink_id.clone(), 2, 4));
    let deploying = b.job(&job).await.expect("look").expect("listed");
    assert_eq!((deploying.state, deploying.tasks_running, deploying.tasks_total), (FlinkJobState::Running, 2, 4));
    let info = b.checkpoints(&job).await.expect("checkpoints from the session");
    assert_eq!(info.latest_completed, Some(format!("s3://sim/checkpoints/{flink_id}/chk-7")));
    let o = b.overview().await.expect("overview");
    assert_eq!((o.taskmanagers, o.slots_total, o.slots_available, o.jobs_running), (2, 8, 5, 1), "the session's slots, Weir's jobs");
    server.abort();
}

#[tokio::test]
async fn a_session_job_without_its_session_is_not_running() {
    let sim = SimulatedKubeApi::start(NAMESPACE, &crds()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, sim.kubeconfig()).expect("kubeconfig");
    let b = session_backend(&kubeconfig, "late-session");

    // The API server takes the FlinkSessionJob; the operator waits for a session that does not exist.
    let job = weir_engine::new_flink_id();
    b.start(&program(), &job_start(&job, None)).await.expect("start");
    let started = Instant::now();
    tokio::time::sleep(Duration::from_millis(800)).await; // 20 rounds of the simulated operator
    let state = b.job(&job).await.expect("an answer").map(|j| j.state);
    assert_eq!(state, Some(FlinkJobState::Initializing), "listed, not running");
    assert!(sim.object(SESSION_JOBS, &name_of(&job)).unwrap().get("status").is_none(), "the operator wrote nothing");
    let cause = b.failure_cause(&job).await.expect("cause").expect("a cause");
    assert!(cause.contains("late-session") && cause.contains("does not exist"), "{cause}");
    assert!(b.checkpoints(&job).await.expect("checkpoints").restored_from.is_none());
    assert_eq!(b.overview().await.expect("overview").jobs_running, 0);
    assert!(started.elapsed() < Duration::from_secs(5), "answers, does not hang: {:?}", started.elapsed());

    // Once an administrator creates the session, the operator submits the job.
    create_session(&sim, "late-session").await;
    wait_state(b.as_ref(), &job, FlinkJobState::Running).await;
    assert_eq!(b.failure_cause(&job).await.expect("cause"), None);

    // A runner the operator may not fetch (a local:// URI, refused at registration) is a validation error of
    // the operator's: FAILED, with its message as the cause.
    let local = backend_with(
        KubernetesOperatorSettings { session_deployment: Some("late-session".into()), ..settings(&kubeconfig) },
        Duration::from_secs(5),
    );
    let other = weir_engine::new_flink_id();
    local.start(&program(), &job_start(&other, None)).await.expect("written");
    wait_state(local.as_ref(), &other, FlinkJobState::Failed).await;
    let cause = local.failure_cause(&other).await.expect("cause").unwrap_or_default();
    assert!(cause.contains("jarURI scheme 'local'"), "{cause}");
    assert_eq!(sim.invalid_writes(), Vec::<String>::new());
}

#[tokio::test]
async fn kubernetes_operator_registration_is_validated() {
    for db in common::databases().await {
        let engine = Engine::new(db.store().await, EngineSettings::default()).expect("engine");
        let sys = Caller::system();
        let new = |settings: serde_json::Value| NewCluster {
            name: "k8s".into(),
            kind: "kubernetes-operator".into(),
            settings: Some(settings),
            ..Default::default()
        };
        let ok = json!({"namespace": "weir-jobs", "flink_version": "1.20", "image": "weir-flink:1.20"});
        let with = |field: &str, value: serde_json::Value| {
            let mut v = ok.clone();
            v[field] = value;
            v
        };
        let bad = [
            with("namespace", json!("Weir_Jobs")),
            with("namespace", json!("-jobs")),
            with("namespace", json!("")),
            with("image", json!(" ")),
            with("flink_version", json!("1.12")),
            with("flink_version", json!("3.0")),
            with("flink_version", json!("two")),
            with("taskmanagers", json!(1)),
            json!({"namespace": "weir-jobs", "flink_version": "1.20"}),
        ];
        for settings in bad {
            let err = engine.register_cluster(&sys, new(settings.clone())).await.expect_err("must be refused");
            assert!(matches!(err, EngineError::Invalid(_)), "[{}] {settings}: {err}", db.label);
        }
        let mut given_url = new(ok.clone());
        given_url.rest_url = Some("http://localhost:8081".into());
        assert!(matches!(engine.register_cluster(&sys, given_url).await, Err(EngineError::Invalid(_))));
        assert!(engine.list_clusters(&sys).await.expect("list").is_empty(), "[{}] nothing written", db.label);

        // A session: the name of a FlinkDeployment (as the operator takes them), and a runner it can fetch.
        let session = |name: serde_json::Value, runner: Option<&str>| {
            let mut v = with("session_deployment", name);
            if let Some(r) = runner {
                v["runner_jar_uri"] = json!(r);
            }
            v
        };
        const RUNNER: &str = "https://artifacts.example/weir-sql-runner.jar";
        let https = Some(RUNNER);
        for settings in [
            session(json!("Shared_Session"), https),
            session(json!("-session"), https),
            session(json!("session-"), https),
            session(json!("1session"), https),
            session(json!(""), https),
            session(json!("a.b"), https),
            session(json!(format!("s{}", "x".repeat(45))), https),
            session(json!(7), https),
            session(json!("shared-session"), None),
            session(json!("shared-session"), Some("/opt/flink/usrlib/weir-sql-runner.jar")),
            session(json!("shared-session"), Some("local:///opt/flink/usrlib/weir-sql-runner.jar")),
        ] {
            let err = engine.register_cluster(&sys, new(settings.clone())).await.expect_err("must be refused");
            assert!(matches!(err, EngineError::Invalid(_)), "[{}] {settings}: {err}", db.label);
        }
        assert!(engine.list_clusters(&sys).await.expect("list").is_empty(), "[{}] nothing written", db.label);

        let c = engine.register_cluster(&sys, new(ok.clone())).await.expect("registered");
        assert_eq!(c.kind, ClusterKind::KubernetesOperator);
        assert_eq!(c.settings["service_account"], "flink", "defaults are stored: {}", c.settings);
        assert_eq!(c.settings["runner_jar_uri"], "local:///opt/flink/usrlib/weir-sql-runner.jar");
        assert!(c.settings.get("session_deployment").is_none(), "{}", c.settings);
        let mut on_session = new(session(json!("shared-session"), https));
        on_session.name = "k8s-session".into();
        let c = engine.register_cluster(&sys, on_session).await.expect("a session cluster");
        assert_eq!(c.settings["session_deployment"], "shared-session");
        assert_eq!(c.settings["runner_jar_uri"], RUNNER);
    }
}
