//! `kubernetes-operator`: one Flink cluster per job on Kubernetes, run by the Apache Flink Kubernetes Operator.
//! Weir owns, per Flink job id it starts, one `FlinkDeployment` in application mode (`weir-<job id>`, labelled
//! as Weir's, the job id fixed, the state to restore as `initialSavepointPath`) and, per savepoint it asks, one
//! `FlinkStateSnapshot` named by its trigger id. The operator does the rest — pods, submission, savepoints on
//! suspend, restarts — so this kind heals its jobs itself and Weir's reconciler stands aside.
//!
//! Jobs are known from a watch (a kube-runtime reflector over the namespace's `FlinkDeployment`s with Weir's
//! label), started on first use and kept in the backend object, never from polling; a stop is a patch to
//! `job.state: suspended` (with `upgradeMode: savepoint`, or `stateless` to cancel). Checkpoints, failure
//! causes and metrics come from each job's JobManager through `rest_url_template` when it is set.
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
use weir_model::clusters::KubernetesOperatorSettings;
use weir_model::{ClusterKind, ClusterOverview, FlinkJobState, TaskManagerMetrics};

use super::flink_rest::FlinkRest;
use super::{
    BackendError, Capabilities, CheckpointInfo, ClusterBackend, JobList, JobMetrics, JobStart, JobSummary, Program,
    SavepointStatus,
};
use resources::{FlinkDeployment, FlinkStateSnapshot};

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
    deployments: Api<FlinkDeployment>,
    snapshots: Api<FlinkStateSnapshot>,
    /// Weir's `FlinkDeployment`s as the watch last saw them.
    store: Store<FlinkDeployment>,
    health: Arc<Mutex<Health>>,
    _watch: AbortOnDrop,
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

fn not_known(job_id: &str) -> BackendError {
    BackendError::Http { status: 404, message: format!("job {job_id} is not known (no FlinkDeployment)") }
}

impl KubernetesOperator {
    pub fn new(settings: KubernetesOperatorSettings, http: reqwest::Client, timeout: Duration) -> Self {
        Self { settings, http, timeout, conn: tokio::sync::OnceCell::new() }
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
        let snapshots: Api<FlinkStateSnapshot> = Api::namespaced(client, ns);

        let (store, writer) = reflector::store();
        let health = Arc::new(Mutex::new(Health::default()));
        let events = reflector::reflector(
            writer,
            watcher(deployments.clone(), watcher::Config::default().labels(&label_selector())).default_backoff(),
        );
        let seen = health.clone();
        let namespace = ns.clone();
        let task = tokio::spawn(async move {
            let mut events = std::pin::pin!(events);
            while let Some(event) = events.next().await {
                let mut h = seen.lock().unwrap_or_else(|e| e.into_inner());
                match event {
                    Ok(event) => {
                        if matches!(event, watcher::Event::InitDone) {
                            h.synced = true;
                        }
                        h.error = None;
                    }
                    Err(e) => {
                        if h.error.is_none() {
                            tracing::warn!(namespace = %namespace, "the watch on FlinkDeployments failed: {e}");
                        }
                        h.error = Some(e.to_string());
                    }
                }
            }
        });
        Ok(Conn { deployments, snapshots, store, health, _watch: AbortOnDrop(task.abort_handle()) })
    }

    /// One request to the API server, bounded by the timeout.
    async fn call<T>(&self, request: impl std::future::Future<Output = Result<T, kube::Error>>) -> Result<T, kube::Error> {
        match tokio::time::timeout(self.timeout, request).await {
            Ok(answer) => answer,
            Err(_) => Err(kube::Error::Service(format!("no answer within {:?}", self.timeout).into())),
        }
    }

    /// Weir's `FlinkDeployment`s from the watch: once it has listed them all, and while it is healthy (a
    /// failed watch is believed again once the API server answers a probe).
    async fn watched(&self) -> Result<Vec<Arc<FlinkDeployment>>, BackendError> {
        let conn = self.conn().await?;
        let deadline = tokio::time::Instant::now() + self.timeout;
        loop {
            let (synced, error) = {
                let h = conn.health.lock().unwrap_or_else(|e| e.into_inner());
                (h.synced, h.error.clone())
            };
            match (synced, error) {
                (true, None) => return Ok(conn.store.state()),
                (true, Some(e)) => {
                    let probe = ListParams::default().labels(&label_selector()).limit(1);
                    self.call(conn.deployments.list(&probe))
                        .await
                        .map_err(|_| BackendError::Unreachable(format!("the watch on FlinkDeployments failed: {e}")))?;
                    conn.health.lock().unwrap_or_else(|e| e.into_inner()).error = None;
                    return Ok(conn.store.state());
                }
                (false, Some(e)) => {
                    return Err(BackendError::Unreachable(format!("the watch on FlinkDeployments failed: {e}")))
                }
                (false, None) if tokio::time::Instant::now() >= deadline => {
                    return Err(BackendError::Unreachable("the watch on FlinkDeployments has not listed them yet".into()))
                }
                (false, None) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    /// The job's `FlinkDeployment`, read from the API server (not the watch: a decision after a write must see
    /// it); none when there is none.
    async fn deployment(&self, job_id: &str) -> Result<Option<FlinkDeployment>, BackendError> {
        let name = resources::deployment_name(job_id)
            .ok_or_else(|| BackendError::Http { status: 400, message: format!("'{job_id}' is not a Flink job id") })?;
        let conn = self.conn().await?;
        self.call(conn.deployments.get_opt(&name)).await.map_err(typed)
    }

    /// The job's JobManager REST API, when the settings say where it is.
    fn rest(&self, job_id: &str) -> Option<FlinkRest> {
        let template = self.settings.rest_url_template.as_deref()?;
        let name = resources::deployment_name(job_id)?;
        let url = template.replace("{name}", &name).replace("{namespace}", &self.settings.namespace);
        Some(FlinkRest::new(self.http.clone(), &url, self.timeout))
    }

    fn no_rest(&self, what: &str) -> BackendError {
        BackendError::Unreachable(format!("{what}: the cluster has no rest_url_template to reach its JobManagers"))
    }
}

fn summary(fd: &FlinkDeployment) -> Option<JobSummary> {
    let id = fd.metadata.labels.as_ref()?.get(resources::JOB_ID_LABEL)?.clone();
    let name = fd.status.as_ref().and_then(|s| s.job_status.as_ref()).and_then(|j| j.job_name.clone()).unwrap_or_default();
    Some(JobSummary { id, name, state: resources::job_state(fd), tasks_running: 0, tasks_total: 0 })
}

#[async_trait]
impl ClusterBackend for KubernetesOperator {
    fn kind(&self) -> ClusterKind {
        ClusterKind::KubernetesOperator
    }

    fn capabilities(&self) -> Capabilities {
        // The operator restarts failed jobs (Weir sets `kubernetes.operator.job.restart.failed`) and redeploys
        // lost JobManagers: Weir must not start a second job. JobManager HA is the image's and configuration's
        // business, not declared here.
        Capabilities { needs_upload: false, cluster_per_job: true, heals_jobs: true, high_availability: false }
    }

    /// Job counts from the watch (the TaskManagers belong to each job's own cluster: none counted here).
    async fn overview(&self) -> Result<ClusterOverview, BackendError> {
        let mut o = ClusterOverview {
            flink_version: self.settings.flink_version.clone(),
            taskmanagers: 0,
            slots_total: 0,
            slots_available: 0,
            jobs_running: 0,
            jobs_finished: 0,
            jobs_cancelled: 0,
            jobs_failed: 0,
        };
        for fd in self.watched().await? {
            match resources::job_state(&fd) {
                FlinkJobState::Running => o.jobs_running += 1,
                FlinkJobState::Finished => o.jobs_finished += 1,
                FlinkJobState::Canceled => o.jobs_cancelled += 1,
                FlinkJobState::Failed => o.jobs_failed += 1,
                _ => {}
            }
        }
        Ok(o)
    }

    async fn taskmanager_metrics(&self) -> Result<Vec<TaskManagerMetrics>, BackendError> {
        let running: Vec<String> = self
            .watched()
            .await?
            .iter()
            .filter_map(|fd| summary(fd))
            .filter(|j| j.state == FlinkJobState::Running)
            .map(|j| j.id)
            .collect();
        let rests: Vec<FlinkRest> = running.iter().filter_map(|id| self.rest(id)).collect();
        let answers = futures::future::join_all(rests.iter().map(|r| r.taskmanager_metrics())).await;
        Ok(answers.into_iter().flatten().flatten().collect())
    }

    async fn jobs(&self) -> Result<JobList, BackendError> {
        let jobs = self.watched().await?.iter().filter_map(|fd| summary(fd)).collect();
        Ok(JobList { jobs, unreachable: Vec::new() })
    }

    async fn upload(&self, _jar: &Path) -> Result<String, BackendError> {
        Err(BackendError::Http { status: 400, message: "a kubernetes-operator cluster runs the image's jars: no upload".into() })
    }

    async fn start(&self, program: &Program, start: &JobStart) -> Result<(), BackendError> {
        // The program must be the image's: the SQL runner (by its file name).
        let in_image = self.settings.runner_jar_uri.rsplit('/').next().unwrap_or_default();
        let asked = program.jar.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !asked.is_empty() && asked != in_image {
            return Err(BackendError::ProgramMissing {
                message: format!("{asked} is not in the image (a kubernetes-operator cluster runs {})", self.settings.runner_jar_uri),
            });
        }
        let fd = resources::deployment_for(&self.settings, program, start)
            .map_err(|message| BackendError::Http { status: 400, message })?;
        let conn = self.conn().await?;
        match self.call(conn.deployments.create(&PostParams::default(), &fd)).await {
            Ok(_) => {
                tracing::info!(job = %start.job_id, namespace = %self.settings.namespace, "FlinkDeployment created");
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
        let fd = self.deployment(job_id).await?.ok_or_else(|| not_known(job_id))?;
        if target_dir.is_some() {
            tracing::debug!(job = %job_id, "a stop's savepoint goes to the job's configured folder, not the one asked");
        }
        let conn = self.conn().await?;
        let name = fd.metadata.name.unwrap_or_default();
        let patch = Patch::Merge(resources::suspend_patch(Some(trigger_id)));
        self.call(conn.deployments.patch(&name, &PatchParams::default(), &patch)).await.map_err(typed)?;
        Ok(())
    }

    async fn trigger_savepoint(&self, job_id: &str, trigger_id: &str, target_dir: Option<&str>) -> Result<(), BackendError> {
        self.deployment(job_id).await?.ok_or_else(|| not_known(job_id))?;
        let snap = resources::snapshot_for(&self.settings.namespace, job_id, trigger_id, target_dir).ok_or_else(|| {
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
        // A stop's savepoint: the suspended FlinkDeployment's upgrade savepoint.
        let Some(fd) = self.deployment(job_id).await.ok().flatten() else { return Err(unknown()) };
        let stop_trigger = fd.metadata.annotations.as_ref().and_then(|a| a.get(resources::STOP_TRIGGER));
        if stop_trigger.map(String::as_str) != Some(trigger_id) {
            return Err(unknown());
        }
        let status = fd.status.clone().unwrap_or_default();
        if !resources::observed(&fd) {
            return Ok(SavepointStatus::InProgress);
        }
        Ok(match (status.lifecycle_state.as_deref(), status.job_status.and_then(|j| j.upgrade_savepoint_path)) {
            (Some("SUSPENDED"), Some(location)) => SavepointStatus::Completed { location },
            (Some("SUSPENDED"), None) => SavepointStatus::Failed { cause: "suspended without a savepoint".into() },
            (Some("FAILED"), _) => SavepointStatus::Failed { cause: status.error.unwrap_or_else(|| "the job failed".into()) },
            _ => SavepointStatus::InProgress,
        })
    }

    async fn cancel(&self, job_id: &str) -> Result<(), BackendError> {
        let fd = self.deployment(job_id).await?.ok_or_else(|| not_known(job_id))?;
        let conn = self.conn().await?;
        let name = fd.metadata.name.unwrap_or_default();
        let patch = Patch::Merge(resources::suspend_patch(None));
        self.call(conn.deployments.patch(&name, &PatchParams::default(), &patch)).await.map_err(typed)?;
        Ok(())
    }

    /// From the JobManager when it can be reached; otherwise what the `FlinkDeployment` says (what it was
    /// started from; no latest checkpoint).
    async fn checkpoints(&self, job_id: &str) -> Result<CheckpointInfo, BackendError> {
        if let Some(rest) = self.rest(job_id) {
            return rest.checkpoints(job_id).await;
        }
        let fd = self.deployment(job_id).await?.ok_or_else(|| not_known(job_id))?;
        let restored_from = fd.spec.job.and_then(|j| j.initial_savepoint_path);
        Ok(CheckpointInfo { latest_completed: None, restored_is_savepoint: restored_from.is_some(), restored_from })
    }

    /// The operator's error of a failed `FlinkDeployment`, else the JobManager's root exception.
    async fn failure_cause(&self, job_id: &str) -> Result<Option<String>, BackendError> {
        if let Some(fd) = self.deployment(job_id).await? {
            let status = fd.status.clone().unwrap_or_default();
            if status.lifecycle_state.as_deref() == Some("FAILED") && status.error.is_some() {
                return Ok(status.error);
            }
        }
        match self.rest(job_id) {
            Some(rest) => rest.failure_cause(job_id).await,
            None => Ok(None),
        }
    }

    async fn job_metrics(&self, job_id: &str) -> Result<JobMetrics, BackendError> {
        match self.rest(job_id) {
            Some(rest) => rest.job_metrics(job_id).await,
            None => Err(self.no_rest("job metrics")),
        }
    }
}
