//! `local-application`: one Flink cluster per job on this machine (Zalando's model). For each job Weir starts a
//! JobManager in application mode (Flink's `StandaloneApplicationClusterEntryPoint`, the job id fixed, the
//! state to restore given) and its TaskManagers, from an installed Flink distribution, on ports Weir picks; each
//! job's files (configuration, logs, the record of its processes) live in `<work dir>/<cluster>/jobs/<job id>/`,
//! its checkpoints and savepoints in the cluster's folder.
//!
//! Each look at a job supervises its processes: a TaskManager that died is started again; a JobManager that
//! died is started again with HA (ZooKeeper: the job resumes from its latest checkpoint by itself) and is
//! otherwise gone with its job, which Weir's reconciler then sees LOST and recovers by its normal rules. A job
//! that has ended (stopped with a savepoint, cancelled, failed, finished) has how it ended recorded, then its
//! cluster shut down (`DELETE /cluster`, then its processes ended): nothing is left running.

mod config;
mod process;
mod record;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use weir_model::clusters::LocalApplicationSettings;
use weir_model::{ClusterKind, ClusterOverview, FlinkJobState, TaskManagerMetrics};

use super::flink_rest::FlinkRest;
use super::{
    BackendError, Capabilities, CheckpointInfo, ClusterBackend, FlinkRuntime, JobList, JobMetrics, JobStart,
    JobSummary, LogFile, Program, SavepointStatus,
};
use process::Role;
use record::{Ended, JobRecord, Trigger};

/// How long a new (or restarted) JobManager may take before its silence counts as unreachable.
const START_GRACE: Duration = Duration::from_secs(90);
/// How long an ended job is still listed (so every look reads how it ended).
const LIST_ENDED: Duration = Duration::from_secs(3600);
/// How long an ended job's folder (its logs) is kept.
const KEEP_ENDED: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long a stop's savepoint may still take once its job has ended, before the cluster is shut down.
const SAVEPOINT_SETTLE: Duration = Duration::from_secs(10);

pub struct LocalApplication {
    settings: LocalApplicationSettings,
    runtime: FlinkRuntime,
    /// This cluster's folder: `jobs/<job id>/`, `checkpoints/`, `savepoints/`, `ha/`.
    dir: PathBuf,
    http: reqwest::Client,
    timeout: Duration,
    /// One lock per job: a look, a start, a savepoint request and the shutdown never interleave.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// What one look at a job found.
enum Look {
    Listed(JobSummary),
    /// Its JobManager runs (or is being started again) but did not answer.
    Unreachable,
    /// Not known, or lost with its JobManager.
    Gone,
}

impl LocalApplication {
    pub fn new(
        settings: LocalApplicationSettings,
        runtime: FlinkRuntime,
        dir: PathBuf,
        http: reqwest::Client,
        timeout: Duration,
    ) -> Self {
        Self { settings, runtime, dir, http, timeout, locks: Mutex::new(HashMap::new()) }
    }

    fn jobs_dir(&self) -> PathBuf {
        self.dir.join("jobs")
    }

    /// The job's folder; the id must be Flink's 32 hex digits (it becomes a path).
    fn job_dir(&self, job_id: &str) -> Result<PathBuf, BackendError> {
        if job_id.len() != 32 || !job_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(BackendError::Http { status: 400, message: format!("'{job_id}' is not a Flink job id") });
        }
        Ok(self.jobs_dir().join(job_id.to_ascii_lowercase()))
    }

    fn lock(&self, job_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.entry(job_id.to_owned()).or_default().clone()
    }

    fn rest(&self, rec: &JobRecord) -> FlinkRest {
        FlinkRest::new(self.http.clone(), &format!("http://localhost:{}", rec.rest_port), self.timeout)
    }

    /// The record of a job that is known and has not ended, with its REST client.
    fn live(&self, job_id: &str) -> Result<(PathBuf, JobRecord, FlinkRest), BackendError> {
        let dir = self.job_dir(job_id)?;
        match JobRecord::read(&dir)? {
            Some(rec) if rec.ended.is_none() => {
                let rest = self.rest(&rec);
                Ok((dir, rec, rest))
            }
            Some(_) => Err(BackendError::Http { status: 404, message: format!("job {job_id} has ended; its cluster is shut down") }),
            None => Err(BackendError::Http { status: 404, message: format!("job {job_id} is not known") }),
        }
    }

    fn recent(rec: &JobRecord) -> bool {
        rec.started_at.is_some_and(|t| (Utc::now() - t).to_std().unwrap_or_default() < START_GRACE)
    }

    /// Every job folder's id.
    fn job_ids(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.jobs_dir()) else { return Vec::new() };
        entries.flatten().filter(|e| e.path().is_dir()).map(|e| e.file_name().to_string_lossy().into_owned()).collect()
    }

    /// One look at a job: its state, its processes kept running, and its cluster shut down once it ended.
    async fn look_at(&self, job_id: &str) -> Result<Look, BackendError> {
        let lock = self.lock(job_id);
        let _held = lock.lock().await;
        let dir = self.job_dir(job_id)?;
        let Some(mut rec) = JobRecord::read(&dir)? else { return Ok(Look::Gone) };
        if let Some(ended) = &rec.ended {
            let age = (Utc::now() - ended.at).to_std().unwrap_or_default();
            if age > KEEP_ENDED {
                let _ = std::fs::remove_dir_all(&dir);
            }
            return Ok(match ended.state {
                Some(state) if age < LIST_ENDED => Look::Listed(summary(job_id, state)),
                _ => Look::Gone,
            });
        }
        let jm_runs = rec.jobmanager_pid.is_some_and(|pid| process::runs(pid, &dir));
        if !jm_runs {
            if self.settings.zookeeper_quorum.is_some() && !rec.jobmanager_args.is_empty() {
                // HA: a new JobManager takes the job over from ZooKeeper and restores its latest checkpoint.
                tracing::warn!(job = %job_id, "the job's JobManager died: starting it again (high availability)");
                self.restart_jobmanager(&dir, &mut rec).await?;
                return Ok(Look::Unreachable);
            }
            tracing::warn!(job = %job_id, "the job's JobManager died without high availability: the job is lost");
            self.end_cluster(&dir, &mut rec, None, None).await?;
            return Ok(Look::Gone);
        }
        let rest = self.rest(&rec);
        let listed = match rest.jobs().await {
            Ok(jobs) => jobs.into_iter().find(|j| j.id == job_id),
            Err(_) if Self::recent(&rec) => return Ok(Look::Listed(summary(job_id, FlinkJobState::Initializing))),
            Err(_) => return Ok(Look::Unreachable),
        };
        match listed {
            None if Self::recent(&rec) => Ok(Look::Listed(summary(job_id, FlinkJobState::Initializing))),
            None => {
                // The JobManager answers without the job: its application never submitted it.
                self.end_cluster(&dir, &mut rec, Some(&rest), Some(FlinkJobState::Failed)).await?;
                Ok(Look::Listed(summary(job_id, FlinkJobState::Failed)))
            }
            Some(job) if job.state.is_terminal() => {
                self.end_cluster(&dir, &mut rec, Some(&rest), Some(job.state)).await?;
                Ok(Look::Listed(job))
            }
            Some(job) => {
                self.restart_dead_taskmanagers(&dir, &mut rec).await?;
                Ok(Look::Listed(job))
            }
        }
    }

    /// Records how the job ended (its savepoints' outcomes, checkpoints, failure cause), then shuts its
    /// cluster down and ends its processes. `rest` is none when the JobManager is already gone.
    async fn end_cluster(
        &self,
        dir: &Path,
        rec: &mut JobRecord,
        rest: Option<&FlinkRest>,
        state: Option<FlinkJobState>,
    ) -> Result<(), BackendError> {
        let job_id = rec.job_id.clone();
        let mut ended = Ended {
            state,
            at: Utc::now(),
            latest_checkpoint: None,
            restored_from: None,
            restored_is_savepoint: false,
            failure_cause: None,
        };
        if let Some(rest) = rest {
            let deadline = tokio::time::Instant::now() + SAVEPOINT_SETTLE;
            let open: Vec<String> =
                rec.triggers.iter().filter(|(_, t)| t.status().is_none()).map(|(id, _)| id.clone()).collect();
            for trigger_id in open {
                loop {
                    match rest.savepoint_status(&job_id, &trigger_id).await {
                        Ok(SavepointStatus::InProgress) if tokio::time::Instant::now() < deadline => {
                            tokio::time::sleep(Duration::from_millis(250)).await;
                        }
                        Ok(status) => {
                            if let Some(t) = rec.triggers.get_mut(&trigger_id) {
                                t.settle(&status);
                            }
                            break;
                        }
                        Err(_) => break,
                    }
                }
            }
            if let Ok(c) = rest.checkpoints(&job_id).await {
                ended.latest_checkpoint = c.latest_completed;
                ended.restored_from = c.restored_from;
                ended.restored_is_savepoint = c.restored_is_savepoint;
            }
            if state == Some(FlinkJobState::Failed) {
                ended.failure_cause = rest.failure_cause(&job_id).await.ok().flatten();
            }
        }
        // Recorded before the cluster goes: a Weir that stops here finds it ended and shuts it down next look.
        rec.ended = Some(ended);
        rec.write(dir)?;
        if let Some(rest) = rest {
            if let Err(e) = rest.shutdown().await {
                tracing::info!(job = %job_id, "DELETE /cluster: {e}; ending its processes");
            }
            // The JobManager exits by itself after DELETE /cluster; the TaskManagers do not.
            let jm: Vec<u32> = rec.jobmanager_pid.into_iter().collect();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            while jm.iter().any(|p| process::runs(*p, dir)) && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        // Its recorded processes, and any it started without recording (a Weir stopped in between).
        let mut pids = rec.pids();
        for found in process::find(dir) {
            if !pids.contains(&found) {
                pids.push(found);
            }
        }
        process::end(&pids, dir, Duration::from_secs(15)).await;
        tracing::info!(job = %job_id, state = ?state, "the job's cluster is shut down");
        Ok(())
    }

    async fn restart_jobmanager(&self, dir: &Path, rec: &mut JobRecord) -> Result<(), BackendError> {
        let conf = dir.join("conf");
        let (jvm, _) = process::resource_params(&self.runtime, &conf, Role::JobManager).await?;
        let pid = process::spawn_jvm(&self.runtime, dir, Role::JobManager, &jvm, process::JOBMANAGER_CLASS, &rec.jobmanager_args)?;
        rec.jobmanager_pid = Some(pid);
        rec.jobmanager_restarts += 1;
        rec.started_at = Some(Utc::now());
        rec.write(dir)
    }

    async fn restart_dead_taskmanagers(&self, dir: &Path, rec: &mut JobRecord) -> Result<(), BackendError> {
        let dead: Vec<usize> =
            rec.taskmanager_pids.iter().enumerate().filter(|(_, p)| !process::runs(**p, dir)).map(|(i, _)| i).collect();
        if dead.is_empty() {
            return Ok(());
        }
        let conf = dir.join("conf");
        let (jvm, dynamic) = process::resource_params(&self.runtime, &conf, Role::TaskManager(0)).await?;
        for i in dead {
            tracing::warn!(job = %rec.job_id, taskmanager = i, "a TaskManager of the job died: starting it again");
            let args = tm_args(&conf, &dynamic);
            let pid = process::spawn_jvm(&self.runtime, dir, Role::TaskManager(i as u32), &jvm, process::TASKMANAGER_CLASS, &args)?;
            rec.taskmanager_pids[i] = pid;
            rec.taskmanager_restarts += 1;
        }
        rec.write(dir)
    }

    /// Records a savepoint request before it is made.
    fn record_trigger(&self, dir: &Path, rec: &mut JobRecord, trigger_id: &str, stop: bool) -> Result<(), BackendError> {
        rec.triggers.entry(trigger_id.to_owned()).or_insert(Trigger { stop, location: None, failure: None });
        rec.write(dir)
    }
}

fn summary(job_id: &str, state: FlinkJobState) -> JobSummary {
    JobSummary { id: job_id.to_owned(), name: String::new(), state, tasks_running: 0, tasks_total: 0 }
}

fn tm_args(conf: &Path, dynamic: &[String]) -> Vec<String> {
    let mut args = vec!["--configDir".to_owned(), conf.display().to_string()];
    args.extend(dynamic.iter().cloned());
    args
}

#[async_trait]
impl ClusterBackend for LocalApplication {
    fn kind(&self) -> ClusterKind {
        ClusterKind::LocalApplication
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            needs_upload: false,
            cluster_per_job: true,
            heals_jobs: false,
            high_availability: self.settings.zookeeper_quorum.is_some(),
        }
    }

    /// The sum of the running jobs' clusters (a machine with no job runs none: zero TaskManagers).
    async fn overview(&self) -> Result<ClusterOverview, BackendError> {
        let mut o = ClusterOverview::empty(&self.runtime.version);
        let records: Vec<JobRecord> = self
            .job_ids()
            .iter()
            .filter_map(|id| self.job_dir(id).ok().and_then(|d| JobRecord::read(&d).ok().flatten()))
            .collect();
        let live: Vec<&JobRecord> = records.iter().filter(|r| r.ended.is_none()).collect();
        let answers = futures::future::join_all(live.iter().map(|r| {
            let rest = self.rest(r);
            async move { rest.overview().await }
        }))
        .await;
        for each in answers.into_iter().flatten() {
            o.taskmanagers += each.taskmanagers;
            o.slots_total += each.slots_total;
            o.slots_available += each.slots_available;
            o.jobs_running += each.jobs_running;
        }
        for r in &records {
            match r.ended.as_ref().and_then(|e| e.state) {
                Some(FlinkJobState::Finished) => o.jobs_finished += 1,
                Some(FlinkJobState::Canceled) => o.jobs_cancelled += 1,
                Some(FlinkJobState::Failed) => o.jobs_failed += 1,
                _ => {}
            }
        }
        Ok(o)
    }

    async fn taskmanager_metrics(&self) -> Result<Vec<TaskManagerMetrics>, BackendError> {
        let records: Vec<JobRecord> = self
            .job_ids()
            .iter()
            .filter_map(|id| self.job_dir(id).ok().and_then(|d| JobRecord::read(&d).ok().flatten()))
            .filter(|r| r.ended.is_none())
            .collect();
        let answers = futures::future::join_all(records.iter().map(|r| {
            let rest = self.rest(r);
            async move { rest.taskmanager_metrics().await }
        }))
        .await;
        Ok(answers.into_iter().flatten().flatten().collect())
    }

    async fn jobs(&self) -> Result<JobList, BackendError> {
        let ids = self.job_ids();
        let looks = futures::future::join_all(ids.iter().map(|id| self.look_at(id))).await;
        let mut list = JobList::default();
        for (id, look) in ids.into_iter().zip(looks) {
            match look {
                Ok(Look::Listed(job)) => list.jobs.push(job),
                Ok(Look::Unreachable) => list.unreachable.push(id),
                Ok(Look::Gone) => {}
                Err(e) => {
                    tracing::warn!(job = %id, "cannot look at the job's cluster: {e}");
                    list.unreachable.push(id);
                }
            }
        }
        Ok(list)
    }

    async fn job(&self, job_id: &str) -> Result<Option<JobSummary>, BackendError> {
        match self.look_at(job_id).await? {
            Look::Listed(job) => Ok(Some(job)),
            Look::Gone => Ok(None),
            Look::Unreachable => Err(BackendError::Unreachable(format!("the JobManager of job {job_id} does not answer"))),
        }
    }

    async fn upload(&self, _jar: &Path) -> Result<String, BackendError> {
        Err(BackendError::Http { status: 400, message: "a local-application cluster takes jars from Weir's disk: no upload".into() })
    }

    async fn start(&self, program: &Program, start: &JobStart) -> Result<(), BackendError> {
        let dir = self.job_dir(&start.job_id)?;
        let lock = self.lock(&start.job_id);
        let _held = lock.lock().await;
        if JobRecord::read(&dir)?.is_some() {
            return Err(BackendError::DuplicateJob { job_id: start.job_id.clone() });
        }
        let jar = std::fs::canonicalize(&program.jar)
            .map_err(|_| BackendError::ProgramMissing { message: format!("{} does not exist", program.jar.display()) })?;
        let conf = dir.join("conf");
        for sub in ["conf", "log", "tmp", "artifacts"] {
            let d = dir.join(sub);
            std::fs::create_dir_all(&d).map_err(|e| process::io_error(&d, e))?;
        }
        let place = config::ClusterPlace {
            job_id: &start.job_id,
            rest_port: process::free_port()?,
            rpc_port: process::free_port()?,
            job_dir: &dir,
            cluster_dir: &self.dir,
            parallelism: start.parallelism,
        };
        let flink_config = config::cluster_config(&self.settings, &place, &start.flink_config);
        let write = |name: &str, text: &str| {
            let path = conf.join(name);
            std::fs::write(&path, text).map_err(|e| process::io_error(&path, e))
        };
        write("config.yaml", &config::to_yaml(&flink_config))?;
        write("log4j.properties", config::LOG4J)?;

        let (jm_jvm, jm_dynamic) = process::resource_params(&self.runtime, &conf, Role::JobManager).await?;
        let mut args = vec![
            "--configDir".to_owned(),
            conf.display().to_string(),
            "--job-id".to_owned(),
            start.job_id.clone(),
            "--jars".to_owned(),
            format!("local://{}", jar.display()),
        ];
        if let Some(class) = &program.entry_class {
            args.extend(["--job-classname".to_owned(), class.clone()]);
        }
        if let Some(path) = &start.restore_path {
            args.extend(["--fromSavepoint".to_owned(), path.clone()]);
        }
        if start.allow_non_restored_state {
            args.push("--allowNonRestoredState".to_owned());
        }
        args.extend(jm_dynamic);
        args.extend(program.args.iter().cloned());
        let mut rec = JobRecord {
            job_id: start.job_id.clone(),
            rest_port: place.rest_port,
            rpc_port: place.rpc_port,
            started_at: Some(Utc::now()),
            jobmanager_args: args,
            ..Default::default()
        };
        // Recorded before any process starts: a Weir that stops now finds the job (and ends what it started).
        rec.write(&dir)?;
        let pid = process::spawn_jvm(&self.runtime, &dir, Role::JobManager, &jm_jvm, process::JOBMANAGER_CLASS, &rec.jobmanager_args)?;
        rec.jobmanager_pid = Some(pid);
        rec.write(&dir)?;
        let (tm_jvm, tm_dynamic) = process::resource_params(&self.runtime, &conf, Role::TaskManager(0)).await?;
        for i in 0..self.settings.taskmanagers.max(1) {
            let pid = process::spawn_jvm(&self.runtime, &dir, Role::TaskManager(i), &tm_jvm, process::TASKMANAGER_CLASS, &tm_args(&conf, &tm_dynamic))?;
            rec.taskmanager_pids.push(pid);
            rec.write(&dir)?;
        }
        tracing::info!(job = %start.job_id, rest_port = rec.rest_port, "started the job's own Flink cluster");
        Ok(())
    }

    async fn stop_with_savepoint(&self, job_id: &str, trigger_id: &str, target_dir: Option<&str>, drain: bool) -> Result<(), BackendError> {
        let lock = self.lock(job_id);
        let _held = lock.lock().await;
        let (dir, mut rec, rest) = self.live(job_id)?;
        self.record_trigger(&dir, &mut rec, trigger_id, true)?;
        rest.stop_with_savepoint(job_id, trigger_id, target_dir, drain).await
    }

    async fn trigger_savepoint(&self, job_id: &str, trigger_id: &str, target_dir: Option<&str>) -> Result<(), BackendError> {
        let lock = self.lock(job_id);
        let _held = lock.lock().await;
        let (dir, mut rec, rest) = self.live(job_id)?;
        self.record_trigger(&dir, &mut rec, trigger_id, false)?;
        rest.trigger_savepoint(job_id, trigger_id, target_dir).await
    }

    async fn savepoint_status(&self, job_id: &str, trigger_id: &str) -> Result<SavepointStatus, BackendError> {
        let lock = self.lock(job_id);
        let _held = lock.lock().await;
        let dir = self.job_dir(job_id)?;
        let unknown = || BackendError::UnknownTrigger { trigger_id: trigger_id.to_owned() };
        let mut rec = JobRecord::read(&dir)?.ok_or_else(unknown)?;
        if let Some(status) = rec.triggers.get(trigger_id).and_then(Trigger::status) {
            return Ok(status);
        }
        if rec.ended.is_some() {
            return Err(unknown());
        }
        let status = self.rest(&rec).savepoint_status(job_id, trigger_id).await?;
        if status != SavepointStatus::InProgress {
            if let Some(t) = rec.triggers.get_mut(trigger_id) {
                t.settle(&status);
                rec.write(&dir)?;
            }
        }
        Ok(status)
    }

    async fn cancel(&self, job_id: &str) -> Result<(), BackendError> {
        let lock = self.lock(job_id);
        let _held = lock.lock().await;
        let (_, _, rest) = self.live(job_id)?;
        rest.cancel(job_id).await
    }

    async fn checkpoints(&self, job_id: &str) -> Result<CheckpointInfo, BackendError> {
        let dir = self.job_dir(job_id)?;
        match JobRecord::read(&dir)? {
            Some(JobRecord { ended: Some(ended), .. }) => Ok(ended.checkpoints()),
            Some(rec) => self.rest(&rec).checkpoints(job_id).await,
            None => Err(BackendError::Http { status: 404, message: format!("job {job_id} is not known") }),
        }
    }

    async fn failure_cause(&self, job_id: &str) -> Result<Option<String>, BackendError> {
        let dir = self.job_dir(job_id)?;
        match JobRecord::read(&dir)? {
            Some(JobRecord { ended: Some(ended), .. }) => Ok(ended.failure_cause),
            Some(rec) => self.rest(&rec).failure_cause(job_id).await,
            None => Ok(None),
        }
    }

    async fn job_metrics(&self, job_id: &str) -> Result<JobMetrics, BackendError> {
        let (_, _, rest) = self.live(job_id)?;
        rest.job_metrics(job_id).await
    }

    async fn job_logs(&self, job_id: &str, tail_bytes: u64) -> Result<Vec<LogFile>, BackendError> {
        let log_dir = self.job_dir(job_id)?.join("log");
        let Ok(entries) = std::fs::read_dir(&log_dir) else { return Ok(Vec::new()) };
        let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
        files.sort();
        let mut out = Vec::new();
        for path in files {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let (size_bytes, tail) = process::tail(&path, tail_bytes).map_err(|e| process::io_error(&path, e))?;
            out.push(LogFile { name, size_bytes, tail });
        }
        Ok(out)
    }
}
