//! The `kubernetes-operator` backend's lifecycle through the `ClusterBackend` trait alone, against a SIMULATED
//! Kubernetes API server and Flink Kubernetes Operator (`support/simulated_kube_api.rs`; no Kubernetes can run
//! here): start (a schema-valid FlinkDeployment with the job id fixed), RUNNING seen through the watch (not by
//! polling the API server), a savepoint now (one FlinkStateSnapshot per trigger id), stop with a savepoint
//! (suspended, its location read back), restore a new job from it, a duplicate start, cancel; and an API
//! server that does not answer. Every object written is checked against the operator's CRDs.

mod common;
#[path = "support/simulated_kube_api.rs"]
mod simulated_kube_api;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use simulated_kube_api::{SimulatedKubeApi, DEPLOYMENTS, SNAPSHOTS};
use weir_engine::backends::{self, BackendContext, BackendError, ClusterBackend, JobStart, Program, SavepointStatus};
use weir_model::clusters::KubernetesOperatorSettings;
use weir_engine::clusters::NewCluster;
use weir_engine::{Caller, Engine, EngineError, EngineSettings};
use weir_model::{ClusterKind, ClusterSettings, FlinkJobState};

const NAMESPACE: &str = "weir-jobs";
const SAVEPOINTS: &str = "s3://sim/savepoints";

fn crds() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/fko-crds");
    assert!(dir.join("flinkdeployments.flink.apache.org-v1.yml").exists(), "the CRDs are at {}", dir.display());
    dir
}

fn backend(kubeconfig: &std::path::Path, timeout: Duration) -> Arc<dyn ClusterBackend> {
    let settings = ClusterSettings::KubernetesOperator(KubernetesOperatorSettings {
        namespace: NAMESPACE.into(),
        flink_version: "2.3".into(),
        image: "registry.example/weir-flink:2.3".into(),
        service_account: "flink".into(),
        kubeconfig: Some(kubeconfig.display().to_string()),
        runner_jar_uri: "local:///opt/flink/usrlib/weir-sql-runner.jar".into(),
        rest_url_template: None,
    });
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
        tokio::time::sleep(Duration::from_millis(50)).await;
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

#[tokio::test]
async fn kubernetes_operator_registration_is_validated() {
    use serde_json::json;
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

        let c = engine.register_cluster(&sys, new(ok.clone())).await.expect("registered");
        assert_eq!(c.kind, ClusterKind::KubernetesOperator);
        assert_eq!(c.settings["service_account"], "flink", "defaults are stored: {}", c.settings);
        assert_eq!(c.settings["runner_jar_uri"], "local:///opt/flink/usrlib/weir-sql-runner.jar");
    }
}
