//! `kubernetes-operator`: Flink jobs on Kubernetes, run by the Apache Flink Kubernetes Operator, in one of two
//! modes.
//! - Application (the default): one Flink cluster per job. Weir owns, per Flink job id it starts, one
//!   `FlinkDeployment` in application mode (`weir-<job id>`, labelled as Weir's, the job id fixed, the state to
//!   restore as `initialSavepointPath`).
//! - Session (`session_deployment` set): the jobs share an operator-managed session cluster (a session-mode
//!   `FlinkDeployment` that the operator runs and an administrator owns). Weir owns, per job, one
//!   `FlinkSessionJob` on it (same name, labels and job spec); the operator submits it under a Flink job id of
//!   its own, which Weir reads from the status for the JobManager's REST API.
//!
//! In both, per savepoint it asks, one `FlinkStateSnapshot` named by its trigger id. The operator does the rest —
//! submission, savepoints on suspend, restarts — so this kind heals its jobs itself and Weir's reconciler stands
//! aside. Jobs are known from a watch (a kube-runtime reflector over the namespace's resources of the mode with
//! Weir's label), started on first use and kept in the backend object, never from polling; a stop is a patch to
//! `job.state: suspended` (with `upgradeMode: savepoint`, or `stateless` to cancel). Checkpoints, failure causes
//! and metrics come from the JobManager through `rest_url_template` when it is set.
//!
//! Tested only against a simulation (`server/tests/kubernetes_operator.rs`: a fake API server with a fake
//! operator whose rules cite the operator's source), never against a real Kubernetes or operator.

pub mod resources;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, Client, Config};
use serde_json::Value;
use weir_model::clusters::KubernetesOperatorSettings;
use weir_model::{ClusterKind, ClusterOverview, FlinkJobState, TaskManagerMetrics};

use super::flink_rest::FlinkRest;
use super::{
    BackendError, Capabilities, CheckpointInfo, ClusterBackend, JobList, JobMetrics, JobStart, JobSummary, Program,
    SavepointStatus,
};
use resources::{FlinkDeployment, FlinkSessionJob, FlinkStateSnapshot, JobObject};

pub struct KubernetesOperator {
    settings: KubernetesOperatorSettings,
    http: reqwest::Client,
    /// How long one request to the API server (or a JobManager) may take.
    timeout: Duration,
    /// The client and the watch, made on first use (building a backend is synchronous and may happen outside
    /// a runtime; the kubeconfig is read asynchronously).
    conn: tokio::sync::OnceCell<Conn>,
}

struct Conn {
    /// The namespace's `FlinkDeployment`s (the jobs' in application mode; the session's in session mode).
    deployments: Api<FlinkDeployment>,
    jobs: Jobs,
    snapshots: Api<FlinkStateSnapshot>,
    health: Arc<Mutex<Health>>,
    _watch: AbortOnDrop,
}

/// Weir's job resources, by mode: their API and what the watch last saw of them.
enum Jobs {
    /// One `FlinkDeployment` in application mode per job.
    Application(Api<FlinkDeployment>, Store<FlinkDeployment>),
    /// One `FlinkSessionJob` per job, on the session `FlinkDeployment`.
    Session(Api<FlinkSessionJob>, Store<FlinkSessionJob>),
}

impl Jobs {
    fn seen(&self) -> Vec<JobObject> {
        match self {
            Jobs::Application(_, store) => store.state().iter().map(|r| JobObject::from(r.as_ref())).collect(),
            Jobs::Session(_, store) => store.state().iter().map(|r| JobObject::from(r.as_ref())).collect(),
        }
    }

    async fn get(&self, name: &str) -> Result<Option<JobObject>, kube::Error> {
        Ok(match self {
            Jobs::Application(api, _) => api.get_opt(name).await?.as_ref().map(JobObject::from),
            Jobs::Session(api, _) => api.get_opt(name).await?.as_ref().map(JobObject::from),
        })
    }

    async fn patch(&self, name: &str, patch: Value) -> Result<(), kube::Error> {
        let (params, patch) = (PatchParams::default(), Patch::Merge(patch));
        match self {
            Jobs::Application(api, _) => api.patch(name, &params, &patch).await.map(drop),
            Jobs::Session(api, _) => api.patch(name, &params, &patch).await.map(drop),
        }
    }

    /// One small list: whether the API server answers.
    async fn probe(&self) -> Result<(), kube::Error> {
        let probe = ListParams::default().labels(&label_selector()).limit(1);
        match self {
            Jobs::Application(api, _) => api.list(&probe).await.map(drop),
            Jobs::Session(api, _) => api.list(&probe).await.map(drop),
        }
    }
}

/// How the watch is doing.
#[derive(Default)]
struct Health {
    /// The first full list has been read.
    synced: bool,
    /// The watch's latest error, cleared by its next event (or a successful probe).
    error: Option<String>,
}

/// Ends the watch task with the backend object.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn label_selector() -> String {
    format!("{}={}", resources::MANAGED_BY.0, resources::MANAGED_BY.1)
}

/// A watch (a reflector) over Weir's resources of `api`, reporting how it does into `health`.
fn watch<K>(api: Api<K>, health: Arc<Mutex<Health>>, namespace: String) -> (Store<K>, AbortOnDrop)
where
    K: kube::Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
{
    let (store, writer) = reflector::store();
    let events = reflector::reflector(writer, watcher(api, watcher::Config::default().labels(&label_selector())).default_backoff());
    let kind = K::kind(&()).into_owned();
    let task = tokio::spawn(async move {
        let mut events = std::pin::pin!(events);
        while let Some(event) = events.next().await {
            let mut h = health.lock().unwrap_or_else(|e| e.into_inner());
            match event {
                Ok(event) => {
                    if matches!(event, watcher::Event::InitDone) {
                        h.synced = true;
                    }
                    h.error = None;
                }
                Err(e) => {
                    if h.error.is_none() {
                        tracing::warn!(namespace = %namespace, "the watch on {kind}s failed: {e}");
                    }
                    h.error = Some(e.to_string());
                }
            }
        }
    });
    (store, AbortOnDrop(task.abort_handle()))
}

/// A kube-rs error as Weir's: refused connections and timeouts are `Unreachable`, API answers keep their code.
fn typed(e: kube::Error) -> BackendError {
    match e {
        kube::Error::Api(status) => BackendError::Http { status: status.code, message: status.message.clone() },
        kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::HttpError(_) => {
            BackendError::Unreachable(format!("the Kubernetes API server: {e}"))
        }
        kube::Error::SerdeError(_) => BackendError::Decode(e.to_string()),
        other => BackendError::Unreachable(format!("the Kubernetes API server: {other}")),
    }
}

fn api_code(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(status) => Some(status.code),
        _ => None,
    }
}

impl KubernetesOperator {
    pub fn new(settings: KubernetesOperatorSettings, http: reqwest::Client, timeout: Duration) -> Self {
        Self { settings, http, timeout, conn: tokio::sync::OnceCell::new() }
    }

    /// The kind of resource a job is in this mode.
    fn job_kind(&self) -> &'static str {
        match self.settings.session_deployment {
            None => "FlinkDeployment",
            Some(_) => "FlinkSessionJob",
        }
    }

    fn not_known(&self, job_id: &str) -> BackendError {
        BackendError::Http { status: 404, message: format!("job {job_id} is not known (no {})", self.job_kind()) }
    }

    async fn conn(&self) -> Result<&Conn, BackendError> {
        self.conn.get_or_try_init(|| self.connect()).await
    }

    async fn connect(&self) -> Result<Conn, BackendError> {
        let unreachable = |what: String| BackendError::Unreachable(format!("Kubernetes configuration: {what}"));
        let mut config = match &self.settings.kubeconfig {
            Some(path) => {
                let file = kube::config::Kubeconfig::read_from(path).map_err(|e| unreachable(format!("{path}: {e}")))?;
                Config::from_custom_kubeconfig(file, &kube::config::KubeConfigOptions::default())
                    .await
                    .map_err(|e| unreachable(format!("{path}: {e}")))?
            }
            None => Config::infer().await.map_err(|e| unreachable(e.to_string()))?,
        };
        config.connect_timeout = Some(self.timeout);
        let client = Client::try_from(config).map_err(|e| unreachable(e.to_string()))?;
        let ns = &self.settings.namespace;
        let deployments: Api<FlinkDeployment> = Api::namespaced(client.clone(), ns);
        let snapshots: Api<FlinkStateSnapshot> = Api::namespaced(client.clone(), ns);
        let health = Arc::new(Mutex::new(Health::default()));
        let (jobs, task) = match self.settings.session_deployment {
            None => {
                let (store, task) = watch(deployments.clone(), health.clone(), ns.clone());
                (Jobs::Application(deployments.clone(), store), task)
            }
            Some(_) => {
                let api: Api<FlinkSessionJob> = Api::namespaced(client, ns);
                let (store, task) = watch(api.clone(), health.clone(), ns.clone());
                (Jobs::Session(api, store), task)
            }
        };
        Ok(Conn { deployments, jobs, snapshots, health, _watch: task })
    }

    /// One request to the API server, bounded by the timeout.
    async fn call<T>(&self, request: impl std::future::Future<Output = Result<T, kube::Error>>) -> Result<T, kube::Error> {
        match tokio::time::timeout(self.timeout, request).await {
            Ok(answer) => answer,
            Err(_) => Err(kube::Error::Service(format!("no answer within {:?}", self.timeout).into())),
        }
    }

    /// Weir's jobs from the watch: once it has listed them all, and while it is healthy (a failed watch is
    /// believed again once the API server answers a probe).
    async fn watched(&self) -> Result<Vec<JobObject>, BackendError> {
        let conn = self.conn().await?;
        let kind = self.job_kind();
        let deadline = tokio::time::Instant::now() + self.timeout;
        loop {
            let (synced, error) = {
                let h = conn.health.lock().unwrap_or_else(|e| e.into_inner());
                (h.synced, h.error.clone())
            };
            match (synced, error) {
                (true, None) => return Ok(conn.jobs.seen()),
                (true, Some(e)) => {
                    self.call(conn.jobs.probe())
                        .await
                        .map_err(|_| BackendError::Unreachable(format!("the watch on {kind}s failed: {e}")))?;
                    conn.health.lock().unwrap_or_else(|e| e.into_inner()).error = None;
                    return Ok(conn.jobs.seen());
                }
                (false, Some(e)) => return Err(BackendError::Unreachable(format!("the watch on {kind}s failed: {e}"))),
                (false, None) if tokio::time::Instant::now() >= deadline => {
                    return Err(BackendError::Unreachable(format!("the watch on {kind}s has not listed them yet")))
                }
                (false, None) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    /// The job's `FlinkDeployment` or `FlinkSessionJob`, read from the API server (not the watch: a decision
    /// after a write must see it); none when there is none.
    async fn job_object(&self, job_id: &str) -> Result<Option<JobObject>, BackendError> {
        let name = resources::resource_name(job_id)
            .ok_or_else(|| BackendError::Http { status: 400, message: format!("'{job_id}' is not a Flink job id") })?;
        let conn = self.conn().await?;
        self.call(conn.jobs.get(&name)).await.map_err(typed)
    }

    /// The REST API of the JobManager of the `FlinkDeployment` `name`, when the settings say where it is.
    fn rest_at(&self, name: &str) -> Option<FlinkRest> {
        let template = self.settings.rest_url_template.as_deref()?;
        let url = template.replace("{name}", name).replace("{namespace}", &self.settings.namespace);
        Some(FlinkRest::new(self.http.clone(), &url, self.timeout))
    }

    /// The job's JobManager REST API and the Flink job id it knows the job by: in application mode the job's
    /// own (its id fixed); on a session, the session's, with the id the operator submitted it under (none
    /// while it is not submitted: the operator clears it once the job is suspended).
    async fn rest(&self, job_id: &str) -> Result<Option<(FlinkRest, String)>, BackendError> {
        if self.settings.rest_url_template.is_none() {
            return Ok(None);
        }
        let seen = match self.settings.session_deployment {
            None => None,
            Some(_) => self.seen(job_id).await?,
        };
        Ok(self.rest_for(job_id, seen.as_ref()))
    }

    /// [`Self::rest`] with what the watch saw of the job (needed on a session only).
    fn rest_for(&self, job_id: &str, seen: Option<&JobObject>) -> Option<(FlinkRest, String)> {
        match &self.settings.session_deployment {
            None => resources::resource_name(job_id).and_then(|name| self.rest_at(&name)).map(|r| (r, job_id.to_owned())),
            Some(session) => {
                let rest = self.rest_at(session)?;
                Some((rest, seen?.flink_job_id()?.to_owned()))
            }
        }
    }

    /// The job as the watch saw it.
    async fn seen(&self, job_id: &str) -> Result<Option<JobObject>, BackendError> {
        let id = job_id.to_ascii_lowercase();
        Ok(self.watched().await?.into_iter().find(|j| j.job_id() == Some(id.as_str())))
    }

    fn no_rest(&self, what: &str) -> BackendError {
        BackendError::Unreachable(format!("{what}: the cluster has no rest_url_template to reach its JobManagers"))
    }

    /// Why the session cannot run jobs (the operator waits for a ready session: reconciler/sessionjob/
    /// SessionJobReconciler.java `sessionClusterReady`); none when it can, or in application mode.
    async fn session_problem(&self) -> Result<Option<String>, BackendError> {
        let Some(session) = &self.settings.session_deployment else { return Ok(None) };
        let conn = self.conn().await?;
        let ns = &self.settings.namespace;
        Ok(match self.call(conn.deployments.get_opt(session)).await.map_err(typed)? {
            None => Some(format!("the session FlinkDeployment '{session}' does not exist in namespace {ns}: the operator waits for it")),
            Some(fd) if fd.spec.job.is_some() => Some(format!("'{session}' is an application-mode FlinkDeployment, not a session")),
            Some(fd) => {
                let jm = fd.status.and_then(|s| s.job_manager_deployment_status);
                (jm.as_deref() != Some("READY")).then(|| {
                    format!("the session FlinkDeployment '{session}' is not ready (JobManager {})", jm.as_deref().unwrap_or("not deployed"))
                })
            }
        })
    }
}

/// The job as Weir lists it. The operator reports no task counts: a RUNNING job counts as one task of one
/// running (the engine waits for all tasks running), refined from the JobManager by `job()` when it is reachable.
fn summary(job: &JobObject) -> Option<JobSummary> {
    let id = job.job_id()?.to_owned();
    let name = job.status.as_ref().and_then(|s| s.job_status.as_ref()).and_then(|j| j.job_name.clone()).unwrap_or_default();
    let state = resources::job_state(job);
    let tasks = u32::from(state == FlinkJobState::Running);
    Some(JobSummary { id, name, state, tasks_running: tasks, tasks_total: tasks })
}

#[async_trait]
impl ClusterBackend for KubernetesOperator {
    fn kind(&self) -> ClusterKind {
        ClusterKind::KubernetesOperator
    }

    fn capabilities(&self) -> Capabilities {
        // The operator restarts failed jobs (Weir sets `kubernetes.operator.job.restart.failed`) and redeploys
        // lost JobManagers: Weir must not start a second job. JobManager HA is the image's and configuration's
        // business, not declared here. A session job has no pods of its own (only its parallelism on the
        // session's slots).
        let cluster_per_job = self.settings.session_deployment.is_none();
        Capabilities { needs_upload: false, cluster_per_job, heals_jobs: true, high_availability: false }
    }

    /// Job counts from the watch; in application mode no TaskManagers (they belong to each job's own cluster),
    /// on a session its TaskManagers and slots when its REST API can be reached.
    async fn overview(&self) -> Result<ClusterOverview, BackendError> {
        let mut o = ClusterOverview::empty(&self.settings.flink_version);
        for job in self.watched().await? {
            match resources::job_state(&job) {
                FlinkJobState::Running => o.jobs_running += 1,
                FlinkJobState::Finished => o.jobs_finished += 1,
                FlinkJobState::Canceled => o.jobs_cancelled += 1,
                FlinkJobState::Failed => o.jobs_failed += 1,
                _ => {}
            }
        }
        if let Some(rest) = self.settings.session_deployment.as_deref().and_then(|s| self.rest_at(s)) {
            if let Ok(session) = rest.overview().await {
                (o.taskmanagers, o.slots_total, o.slots_available) = (session.taskmanagers, session.slots_total, session.slots_available);
            }
        }
        Ok(o)
    }

    async fn taskmanager_metrics(&self) -> Result<Vec<TaskManagerMetrics>, BackendError> {
        if let Some(session) = &self.settings.session_deployment {
            return match self.rest_at(session) {
                Some(rest) => rest.taskmanager_metrics().await,
                None => Ok(Vec::new()),
            };
        }
        let running: Vec<String> = self
            .watched()
            .await?
            .iter()
            .filter_map(summary)
            .filter(|j| j.state == FlinkJobState::Running)
            .map(|j| j.id)
            .collect();
        let rests: Vec<FlinkRest> =
            running.iter().filter_map(|id| resources::resource_name(id).and_then(|n| self.rest_at(&n))).collect();
        let answers = futures::future::join_all(rests.iter().map(|r| r.taskmanager_metrics())).await;
        Ok(answers.into_iter().flatten().flatten().collect())
    }

    async fn jobs(&self) -> Result<JobList, BackendError> {
        let jobs = self.watched().await?.iter().filter_map(summary).collect();
        Ok(JobList { jobs, unreachable: Vec::new() })
    }

    /// From the watch; a RUNNING job's task counts from its JobManager when it lists the job.
    async fn job(&self, job_id: &str) -> Result<Option<JobSummary>, BackendError> {
        let Some(seen) = self.seen(job_id).await? else { return Ok(None) };
        let Some(mut job) = summary(&seen) else { return Ok(None) };
        if job.state == FlinkJobState::Running {
            if let Some((rest, flink_id)) = self.rest_for(job_id, Some(&seen)) {
                if let Some(listed) = rest.jobs().await.ok().and_then(|jobs| jobs.into_iter().find(|j| j.id == flink_id)) {
                    (job.tasks_running, job.tasks_total) = (listed.tasks_running, listed.tasks_total);
                }
            }
        }
        Ok(Some(job))
    }

    async fn upload(&self, _jar: &Path) -> Result<String, BackendError> {
        Err(BackendError::Http { status: 400, message: "a kubernetes-operator cluster runs the image's jars: no upload".into() })
    }

    async fn start(&self, program: &Program, start: &JobStart) -> Result<(), BackendError> {
        // The program must be the runner at runner_jar_uri (by its file name): in the image, or fetched by the
        // operator for a session job.
        let runner = self.settings.runner_jar_uri.rsplit('/').next().unwrap_or_default();
        let asked = program.jar.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !asked.is_empty() && asked != runner {
            return Err(BackendError::ProgramMissing {
                message: format!("{asked} is not the runner (a kubernetes-operator cluster runs {})", self.settings.runner_jar_uri),
            });
        }
        let invalid = |message| BackendError::Http { status: 400, message };
        let conn = self.conn().await?;
        let created = match &conn.jobs {
            Jobs::Session(api, _) => {
                let session = self.settings.session_deployment.as_deref().unwrap_or_default();
                let sj = resources::session_job_for(&self.settings, session, program, start).map_err(invalid)?;
                self.call(api.create(&PostParams::default(), &sj)).await.map(drop)
            }
            Jobs::Application(api, _) => {
                let fd = resources::deployment_for(&self.settings, program, start).map_err(invalid)?;
                self.call(api.create(&PostParams::default(), &fd)).await.map(drop)
            }
        };
        match created {
            Ok(()) => {
                tracing::info!(job = %start.job_id, namespace = %self.settings.namespace, "{} created", self.job_kind());
                Ok(())
            }
            Err(e) if api_code(&e) == Some(409) => Err(BackendError::DuplicateJob { job_id: start.job_id.clone() }),
            Err(e) => Err(typed(e)),
        }
    }

    /// Suspends the job with a savepoint; the operator takes it (into the job's configured savepoint folder:
    /// `target_dir` and `drain` are not the operator's to take per stop) and reports it as
    /// `upgradeSavepointPath`.
    async fn stop_with_savepoint(&self, job_id: &str, trigger_id: &str, target_dir: Option<&str>, _drain: bool) -> Result<(), BackendError> {
        let job = self.job_object(job_id).await?.ok_or_else(|| self.not_known(job_id))?;
        if target_dir.is_some() {
            tracing::debug!(job = %job_id, "a stop's savepoint goes to the job's configured folder, not the one asked");
        }
        let conn = self.conn().await?;
        let name = job.metadata.name.unwrap_or_default();
        self.call(conn.jobs.patch(&name, resources::suspend_patch(Some(trigger_id)))).await.map_err(typed)
    }

    async fn trigger_savepoint(&self, job_id: &str, trigger_id: &str, target_dir: Option<&str>) -> Result<(), BackendError> {
        self.job_object(job_id).await?.ok_or_else(|| self.not_known(job_id))?;
        let ns = &self.settings.namespace;
        let snap = resources::snapshot_for(ns, self.job_kind(), job_id, trigger_id, target_dir).ok_or_else(|| {
            BackendError::Http { status: 400, message: format!("'{trigger_id}' is not a savepoint trigger id") }
        })?;
        let conn = self.conn().await?;
        match self.call(conn.snapshots.create(&PostParams::default(), &snap)).await {
            // Already asked (a repeat after a crash): the same savepoint.
            Err(e) if api_code(&e) == Some(409) => Ok(()),
            Err(e) => Err(typed(e)),
            Ok(_) => Ok(()),
        }
    }

    async fn savepoint_status(&self, job_id: &str, trigger_id: &str) -> Result<SavepointStatus, BackendError> {
        let unknown = || BackendError::UnknownTrigger { trigger_id: trigger_id.to_owned() };
        let name = resources::snapshot_name(trigger_id).ok_or_else(unknown)?;
        let conn = self.conn().await?;
        if let Some(snap) = self.call(conn.snapshots.get_opt(&name)).await.map_err(typed)? {
            let status = snap.status.unwrap_or_default();
            return Ok(match status.state.as_deref() {
                Some("COMPLETED") => match status.path {
                    Some(location) => SavepointStatus::Completed { location },
                    None => SavepointStatus::Failed { cause: "the snapshot completed without a path".into() },
                },
                Some(state @ ("FAILED" | "ABANDONED")) => {
                    SavepointStatus::Failed { cause: status.error.unwrap_or_else(|| state.to_owned()) }
                }
                _ => SavepointStatus::InProgress,
            });
        }
        // A stop's savepoint: the suspended resource's upgrade savepoint.
        let Some(job) = self.job_object(job_id).await.ok().flatten() else { return Err(unknown()) };
        let stop_trigger = job.metadata.annotations.as_ref().and_then(|a| a.get(resources::STOP_TRIGGER));
        if stop_trigger.map(String::as_str) != Some(trigger_id) {
            return Err(unknown());
        }
        if !resources::observed(&job) {
            return Ok(SavepointStatus::InProgress);
        }
        let status = job.status.unwrap_or_default();
        Ok(match (status.lifecycle_state.as_deref(), status.job_status.and_then(|j| j.upgrade_savepoint_path)) {
            (Some("SUSPENDED"), Some(location)) => SavepointStatus::Completed { location },
            (Some("SUSPENDED"), None) => SavepointStatus::Failed { cause: "suspended without a savepoint".into() },
            (Some("FAILED"), _) => SavepointStatus::Failed { cause: status.error.unwrap_or_else(|| "the job failed".into()) },
            _ => SavepointStatus::InProgress,
        })
    }

    async fn cancel(&self, job_id: &str) -> Result<(), BackendError> {
        let job = self.job_object(job_id).await?.ok_or_else(|| self.not_known(job_id))?;
        let conn = self.conn().await?;
        let name = job.metadata.name.unwrap_or_default();
        self.call(conn.jobs.patch(&name, resources::suspend_patch(None))).await.map_err(typed)
    }

    /// From the JobManager when it can be reached; otherwise what the resource says (what it was started from;
    /// no latest checkpoint).
    async fn checkpoints(&self, job_id: &str) -> Result<CheckpointInfo, BackendError> {
        if let Some((rest, flink_id)) = self.rest(job_id).await? {
            return rest.checkpoints(&flink_id).await;
        }
        let job = self.job_object(job_id).await?.ok_or_else(|| self.not_known(job_id))?;
        let restored_from = job.job.and_then(|j| j.initial_savepoint_path);
        Ok(CheckpointInfo { latest_completed: None, restored_is_savepoint: restored_from.is_some(), restored_from })
    }

    /// The operator's error of a failed resource; on a session that cannot run the job (missing, not a
    /// session, not ready), why; else the JobManager's root exception.
    async fn failure_cause(&self, job_id: &str) -> Result<Option<String>, BackendError> {
        if let Some(job) = self.job_object(job_id).await? {
            let state = resources::job_state(&job);
            let status = job.status.clone().unwrap_or_default();
            if status.lifecycle_state.as_deref() == Some("FAILED") && status.error.is_some() {
                return Ok(status.error);
            }
            if !matches!(state, FlinkJobState::Running | FlinkJobState::Finished | FlinkJobState::Canceled) {
                if let Some(problem) = self.session_problem().await? {
                    return Ok(Some(problem));
                }
            }
        }
        match self.rest(job_id).await? {
            Some((rest, flink_id)) => rest.failure_cause(&flink_id).await,
            None => Ok(None),
        }
    }

    async fn job_metrics(&self, job_id: &str) -> Result<JobMetrics, BackendError> {
        match self.rest(job_id).await? {
            Some((rest, flink_id)) => rest.job_metrics(&flink_id).await,
            None if self.settings.rest_url_template.is_some() => {
                Err(BackendError::Unreachable(format!("job metrics: job {job_id} is not running on the session")))
            }
            None => Err(self.no_rest("job metrics")),
        }
    }
}
