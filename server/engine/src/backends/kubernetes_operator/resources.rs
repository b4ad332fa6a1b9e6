//! The Flink Kubernetes Operator's custom resources as Weir writes and reads them: hand-written partial types
//! of `FlinkDeployment`, `FlinkSessionJob` and `FlinkStateSnapshot` (`flink.apache.org/v1beta1`; only the
//! fields Weir uses, pod templates and resources kept as JSON), the `FlinkDeployment` (application mode) or
//! `FlinkSessionJob` (on an operator-managed session cluster) of a job start, and what either's status means
//! as a Flink job state. Pure functions, unit-tested here; the CRDs they follow are in
//! `server/tests/fixtures/fko-crds/` (the simulated API server of `server/tests/kubernetes_operator.rs` checks every
//! written object against them). Tested only against that simulation, never a real operator.

use std::collections::BTreeMap;

use kube::api::ObjectMeta;
use kube::CustomResource;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use weir_model::clusters::KubernetesOperatorSettings;
use weir_model::FlinkJobState;

use super::super::{JobStart, Program};

/// The label every resource Weir writes carries (the watch selects on it).
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "weir");
/// The label naming Weir's job id of a `FlinkDeployment` or `FlinkSessionJob` (and of a snapshot's job).
pub const JOB_ID_LABEL: &str = "weir.dev/job-id";
/// The annotation naming the trigger id of a stop with savepoint (the resource suspended by it).
pub const STOP_TRIGGER: &str = "weir.dev/stop-trigger";
/// Flink's fixed job id option (`PipelineOptionsInternal.PIPELINE_FIXED_JOB_ID`), which the operator respects.
pub const FIXED_JOB_ID: &str = "$internal.pipeline.job-id";
/// The operator restarts a job that failed terminally only when asked (`KubernetesOperatorConfigOptions`
/// `OPERATOR_JOB_RESTART_FAILED`): Weir asks, since it leaves healing to the operator.
pub const RESTART_FAILED: &str = "kubernetes.operator.job.restart.failed";
const TM_MEMORY: &str = "taskmanager.memory.process.size";
const JM_MEMORY: &str = "jobmanager.memory.process.size";
const TM_CPU: &str = "kubernetes.taskmanager.cpu";
const JM_CPU: &str = "kubernetes.jobmanager.cpu";

/// `FlinkDeployment.spec`, partially.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "flink.apache.org",
    version = "v1beta1",
    kind = "FlinkDeployment",
    namespaced,
    status = "FlinkResourceStatus",
    schema = "disabled"
)]
#[serde(rename_all = "camelCase")]
pub struct FlinkDeploymentSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flink_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub flink_configuration: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_manager: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_manager: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<JobSpec>,
}

/// `FlinkSessionJob.spec`, partially: the job of a session cluster (`deploymentName`, a session-mode
/// `FlinkDeployment` of the namespace).
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "flink.apache.org",
    version = "v1beta1",
    kind = "FlinkSessionJob",
    namespaced,
    status = "FlinkResourceStatus",
    schema = "disabled"
)]
#[serde(rename_all = "camelCase")]
pub struct FlinkSessionJobSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_name: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub flink_configuration: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<JobSpec>,
}

/// `FlinkDeployment.spec.job` and `FlinkSessionJob.spec.job`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSpec {
    #[serde(rename = "jarURI", default, skip_serializing_if = "Option::is_none")]
    pub jar_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_class: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<i64>,
    /// `running` or `suspended`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `savepoint`, `last-state` or `stateless`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_savepoint_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_non_restored_state: Option<bool>,
}

/// `FlinkDeployment.status` and `FlinkSessionJob.status` (the operator's `CommonStatus`), partially (written by
/// the operator only; `jobManagerDeploymentStatus` is a `FlinkDeployment`'s).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlinkResourceStatus {
    #[serde(default)]
    pub job_status: Option<JobStatus>,
    #[serde(default)]
    pub lifecycle_state: Option<String>,
    #[serde(default)]
    pub observed_generation: Option<i64>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub job_manager_deployment_status: Option<String>,
}

/// `status.jobStatus`. On a session cluster `jobId` is the operator's own (`SessionJobReconciler.deploy`
/// generates one per submission), not Weir's.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobStatus {
    #[serde(default)]
    pub job_id: Option<String>,
    #[serde(default)]
    pub job_name: Option<String>,
    /// Flink's job state (`RUNNING`, `FINISHED`, ..., and the operator's `RECONCILING`).
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub upgrade_savepoint_path: Option<String>,
}

/// `FlinkStateSnapshot.spec`, partially.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "flink.apache.org",
    version = "v1beta1",
    kind = "FlinkStateSnapshot",
    namespaced,
    status = "FlinkStateSnapshotStatus",
    schema = "disabled"
)]
#[serde(rename_all = "camelCase")]
pub struct FlinkStateSnapshotSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_reference: Option<JobReference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub savepoint: Option<SavepointSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_limit: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobReference {
    pub kind: String,
    pub name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavepointSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispose_on_delete: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub already_exists: Option<bool>,
}

/// `FlinkStateSnapshot.status`: `state` is TRIGGER_PENDING, IN_PROGRESS, COMPLETED, FAILED or ABANDONED.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlinkStateSnapshotStatus {
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

/// What Weir reads of a `FlinkDeployment` or a `FlinkSessionJob`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobObject {
    pub metadata: ObjectMeta,
    pub job: Option<JobSpec>,
    pub status: Option<FlinkResourceStatus>,
}

impl JobObject {
    /// Weir's job id (its label); none on what is not Weir's.
    pub fn job_id(&self) -> Option<&str> {
        self.metadata.labels.as_ref()?.get(JOB_ID_LABEL).map(String::as_str)
    }

    /// The Flink job id the operator reports (`status.jobStatus.jobId`).
    pub fn flink_job_id(&self) -> Option<&str> {
        self.status.as_ref()?.job_status.as_ref()?.job_id.as_deref()
    }
}

impl From<&FlinkDeployment> for JobObject {
    fn from(fd: &FlinkDeployment) -> Self {
        Self { metadata: fd.metadata.clone(), job: fd.spec.job.clone(), status: fd.status.clone() }
    }
}

impl From<&FlinkSessionJob> for JobObject {
    fn from(sj: &FlinkSessionJob) -> Self {
        Self { metadata: sj.metadata.clone(), job: sj.spec.job.clone(), status: sj.status.clone() }
    }
}

/// The `FlinkDeployment` or `FlinkSessionJob` name of a Flink job id: `weir-<32 hex digits>` (a DNS-1123 name
/// of 37 characters, within the operator's 45); `None` for what is not a job id.
pub fn resource_name(job_id: &str) -> Option<String> {
    (job_id.len() == 32 && job_id.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("weir-{}", job_id.to_ascii_lowercase()))
}

/// Whether `name` is a name the operator takes for a `FlinkDeployment` (validation/DefaultValidator.java
/// `DEPLOYMENT_NAME_PATTERN`, also checked on a session job's `deploymentName`: `[a-z]([-a-z\d]{0,43}[a-z\d])?`,
/// a DNS-1123 label starting with a letter, at most 45 characters).
pub fn operator_name(name: &str) -> bool {
    let b = name.as_bytes();
    (1..=45).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// The `FlinkStateSnapshot` name of a savepoint trigger id (`weir-sp-<id>`); `None` for what is not one.
pub fn snapshot_name(trigger_id: &str) -> Option<String> {
    (!trigger_id.is_empty() && trigger_id.len() <= 40 && trigger_id.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| format!("weir-sp-{}", trigger_id.to_ascii_lowercase()))
}

/// The CRD's `flinkVersion` of a Flink version (`1.20`, `1.20.5` -> `v1_20`; `2.3` -> `v2_3`); `None` for a
/// version the CRD does not know.
pub fn crd_flink_version(version: &str) -> Option<String> {
    let mut parts = version.trim().split('.');
    let (major, minor) = (parts.next()?.parse::<u32>().ok()?, parts.next()?.parse::<u32>().ok()?);
    // The CRD's enum (fko-crds/flinkdeployments.flink.apache.org-v1.yml): v1_13 .. v1_20, v2_0 .. v2_4.
    let known = match major {
        1 => (13..=20).contains(&minor),
        2 => minor <= 4,
        _ => false,
    };
    known.then(|| format!("v{major}_{minor}"))
}

/// The `FlinkDeployment` of a job start: application mode, the job id fixed, the state to restore, the job's
/// Flink configuration with its memory and cores as the JobManager's and TaskManager's resources (the defaults
/// those the pools count: Flink's 1600m / 1728m, one core each).
pub fn deployment_for(
    settings: &KubernetesOperatorSettings,
    program: &Program,
    start: &JobStart,
) -> Result<FlinkDeployment, String> {
    let name = resource_name(&start.job_id).ok_or_else(|| format!("'{}' is not a Flink job id", start.job_id))?;
    let flink_version = crd_flink_version(&settings.flink_version)
        .ok_or_else(|| format!("Flink {} is not a version of the operator's CRD", settings.flink_version))?;
    let mut config = start.flink_config.clone();
    let jm_memory = config.remove(JM_MEMORY).unwrap_or_else(|| "1600m".into());
    let tm_memory = config.remove(TM_MEMORY).unwrap_or_else(|| "1728m".into());
    let mut cores = |key: &str| -> Result<f64, String> {
        match config.remove(key) {
            None => Ok(1.0),
            Some(v) => v.trim().parse::<f64>().ok().filter(|c| *c > 0.0).ok_or_else(|| format!("{key} '{v}' is not a number of cores")),
        }
    };
    let (jm_cpu, tm_cpu) = (cores(JM_CPU)?, cores(TM_CPU)?);
    config.insert(FIXED_JOB_ID.into(), start.job_id.to_ascii_lowercase());
    config.entry(RESTART_FAILED.into()).or_insert_with(|| "true".into());
    config.entry("taskmanager.numberOfTaskSlots".into()).or_insert_with(|| "1".into());
    let spec = FlinkDeploymentSpec {
        image: Some(settings.image.clone()),
        flink_version: Some(flink_version),
        service_account: Some(settings.service_account.clone()),
        mode: Some("native".into()),
        flink_configuration: config,
        job_manager: Some(json!({"replicas": 1, "resource": {"memory": jm_memory, "cpu": jm_cpu}})),
        task_manager: Some(json!({"resource": {"memory": tm_memory, "cpu": tm_cpu}})),
        job: Some(job_spec(settings, program, start)),
    };
    let mut fd = FlinkDeployment::new(&name, spec);
    fd.metadata = weir_metadata(&settings.namespace, &name, &start.job_id);
    Ok(fd)
}

fn weir_metadata(namespace: &str, name: &str, job_id: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: Some(namespace.to_owned()),
        labels: Some(
            [(MANAGED_BY.0.to_owned(), MANAGED_BY.1.to_owned()), (JOB_ID_LABEL.to_owned(), job_id.to_ascii_lowercase())]
                .into_iter()
                .collect(),
        ),
        ..Default::default()
    }
}

/// The `FlinkSessionJob` of a job start on the session cluster `session` (a session-mode `FlinkDeployment`):
/// the runner fetched by the operator from `runner_jar_uri` and submitted to the session's JobManager, the
/// state to restore, the job's Flink configuration (merged by the operator over the session's,
/// `FlinkConfigManager.getSessionJobConfig`). `$internal.pipeline.job-id` is set as for a `FlinkDeployment`,
/// but the operator submits the job under a job id of its own (`SessionJobReconciler.deploy`): Weir knows the
/// job by its label and reads the Flink job id from the status.
pub fn session_job_for(
    settings: &KubernetesOperatorSettings,
    session: &str,
    program: &Program,
    start: &JobStart,
) -> Result<FlinkSessionJob, String> {
    let name = resource_name(&start.job_id).ok_or_else(|| format!("'{}' is not a Flink job id", start.job_id))?;
    let mut config = start.flink_config.clone();
    config.insert(FIXED_JOB_ID.into(), start.job_id.to_ascii_lowercase());
    config.entry(RESTART_FAILED.into()).or_insert_with(|| "true".into());
    let spec = FlinkSessionJobSpec {
        deployment_name: Some(session.to_owned()),
        flink_configuration: config,
        job: Some(job_spec(settings, program, start)),
    };
    let mut sj = FlinkSessionJob::new(&name, spec);
    sj.metadata = weir_metadata(&settings.namespace, &name, &start.job_id);
    Ok(sj)
}

fn job_spec(settings: &KubernetesOperatorSettings, program: &Program, start: &JobStart) -> JobSpec {
    JobSpec {
        jar_uri: Some(settings.runner_jar_uri.clone()),
        entry_class: program.entry_class.clone(),
        args: program.args.clone(),
        parallelism: start.parallelism.map(i64::from),
        state: Some("running".into()),
        upgrade_mode: Some("savepoint".into()),
        initial_savepoint_path: start.restore_path.clone(),
        allow_non_restored_state: start.allow_non_restored_state.then_some(true),
    }
}

/// The `FlinkStateSnapshot` of a savepoint asked now, of the job's `FlinkDeployment` or `FlinkSessionJob`
/// (`kind`).
pub fn snapshot_for(
    namespace: &str,
    kind: &str,
    job_id: &str,
    trigger_id: &str,
    target_dir: Option<&str>,
) -> Option<FlinkStateSnapshot> {
    let name = snapshot_name(trigger_id)?;
    let resource = resource_name(job_id)?;
    let spec = FlinkStateSnapshotSpec {
        job_reference: Some(JobReference { kind: kind.into(), name: resource }),
        savepoint: Some(SavepointSpec {
            path: target_dir.map(str::to_owned),
            format_type: Some("CANONICAL".into()),
            dispose_on_delete: Some(false),
            already_exists: Some(false),
        }),
        backoff_limit: Some(0),
    };
    let mut snap = FlinkStateSnapshot::new(&name, spec);
    snap.metadata = weir_metadata(namespace, &name, job_id);
    Some(snap)
}

/// The merge patch of a stop: suspend the job, with a savepoint (`stop_trigger`) or without (cancel).
pub fn suspend_patch(stop_trigger: Option<&str>) -> Value {
    let mode = if stop_trigger.is_some() { "savepoint" } else { "stateless" };
    let mut patch = json!({"spec": {"job": {"state": "suspended", "upgradeMode": mode}}});
    if let Some(t) = stop_trigger {
        patch["metadata"] = json!({"annotations": {STOP_TRIGGER: t}});
    }
    patch
}

/// Whether the operator has acted on the latest spec (`status.observedGeneration` = `metadata.generation`).
pub fn observed(fd: &JobObject) -> bool {
    let seen = fd.status.as_ref().and_then(|s| s.observed_generation);
    matches!((seen, fd.metadata.generation), (Some(s), Some(g)) if s >= g)
}

/// The Flink job state a `FlinkDeployment` or `FlinkSessionJob` stands for. The operator's word for a suspended job is FINISHED
/// whatever the suspend's kind; Weir reads its own spec to tell a stop (FINISHED) from a cancel (CANCELED). A
/// spec the operator has not yet observed still shows the previous state (INITIALIZING before any).
pub fn job_state(fd: &JobObject) -> FlinkJobState {
    if fd.metadata.deletion_timestamp.is_some() {
        return FlinkJobState::Cancelling;
    }
    let status = fd.status.clone().unwrap_or_default();
    let flink = status.job_status.as_ref().and_then(|j| j.state.as_deref()).and_then(|s| s.parse::<FlinkJobState>().ok());
    let job = fd.job.clone().unwrap_or_default();
    let suspended = job.state.as_deref() == Some("suspended");
    match status.lifecycle_state.as_deref() {
        // Seen and suspended: the job ended as asked.
        Some("SUSPENDED") if observed(fd) && suspended => match job.upgrade_mode.as_deref() {
            Some("stateless") => FlinkJobState::Canceled,
            _ => FlinkJobState::Finished,
        },
        Some("FAILED") => FlinkJobState::Failed,
        Some("DELETING") => FlinkJobState::Cancelling,
        Some("DELETED") => FlinkJobState::Canceled,
        _ => flink.unwrap_or(FlinkJobState::Initializing),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> KubernetesOperatorSettings {
        KubernetesOperatorSettings {
            namespace: "jobs".into(),
            flink_version: "1.20".into(),
            image: "weir-flink:1.20".into(),
            service_account: "flink".into(),
            kubeconfig: None,
            runner_jar_uri: "local:///opt/flink/usrlib/weir-sql-runner.jar".into(),
            rest_url_template: None,
            session_deployment: None,
        }
    }

    const JOB: &str = "0123456789ABCDEF0123456789abcdef";

    #[test]
    fn names_and_versions() {
        assert_eq!(resource_name(JOB).as_deref(), Some("weir-0123456789abcdef0123456789abcdef"));
        assert_eq!(resource_name("../x"), None);
        assert_eq!(snapshot_name("ab12").as_deref(), Some("weir-sp-ab12"));
        assert_eq!(snapshot_name("a/b"), None);
        for ok in ["s", "session", "flink-session-1", &format!("a{}", "b".repeat(44))] {
            assert!(operator_name(ok), "{ok}");
        }
        for bad in ["", "1session", "-s", "s-", "Session", "my_session", "a.b", &format!("a{}", "b".repeat(45))] {
            assert!(!operator_name(bad), "{bad}");
        }
        #[rustfmt::skip]
        let table: &[(&str, Option<&str>)] = &[
            ("1.20", Some("v1_20")), ("1.20.5", Some("v1_20")), ("2.3", Some("v2_3")), ("2.0.1", Some("v2_0")),
            ("1.12", None), ("2.5", None), ("3.0", None), ("2", None), ("x.y", None),
        ];
        for (v, want) in table {
            assert_eq!(crd_flink_version(v).as_deref(), *want, "{v}");
        }
    }

    #[test]
    fn a_start_as_a_flink_deployment() {
        let program = Program { entry_class: Some("dev.weir.runner.SqlRunner".into()), args: vec!["--mode".into()], ..Default::default() };
        let start = JobStart {
            job_id: JOB.into(),
            parallelism: Some(2),
            restore_path: Some("s3://sp/savepoint-1".into()),
            allow_non_restored_state: true,
            flink_config: [(TM_MEMORY, "2g"), ("taskmanager.numberOfTaskSlots", "2"), (TM_CPU, "0.5")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        };
        let fd = deployment_for(&settings(), &program, &start).unwrap();
        let v = serde_json::to_value(&fd).unwrap();
        assert_eq!(v["apiVersion"], "flink.apache.org/v1beta1");
        assert_eq!(v["kind"], "FlinkDeployment");
        assert_eq!(v["metadata"]["labels"][MANAGED_BY.0], "weir");
        assert_eq!(v["spec"]["flinkVersion"], "v1_20");
        assert_eq!(v["spec"]["flinkConfiguration"][FIXED_JOB_ID], JOB.to_ascii_lowercase());
        assert_eq!(v["spec"]["flinkConfiguration"]["taskmanager.numberOfTaskSlots"], "2");
        assert_eq!(v["spec"]["flinkConfiguration"].get(TM_MEMORY), None, "memory is the pods' resource");
        assert_eq!(v["spec"]["taskManager"]["resource"]["memory"], "2g");
        assert_eq!(v["spec"]["jobManager"]["resource"]["memory"], "1600m");
        assert_eq!((v["spec"]["taskManager"]["resource"]["cpu"].as_f64(), v["spec"]["jobManager"]["resource"]["cpu"].as_f64()), (Some(0.5), Some(1.0)));
        assert_eq!(v["spec"]["flinkConfiguration"].get(TM_CPU), None);
        let job = &v["spec"]["job"];
        assert_eq!(job["jarURI"], "local:///opt/flink/usrlib/weir-sql-runner.jar");
        assert_eq!((job["parallelism"].as_i64(), job["state"].as_str()), (Some(2), Some("running")));
        assert_eq!(job["initialSavepointPath"], "s3://sp/savepoint-1");
        assert_eq!(job["allowNonRestoredState"], true);
        assert!(v.get("status").is_none(), "Weir never writes the status");
        let bad = JobStart { job_id: "nope".into(), ..Default::default() };
        assert!(deployment_for(&settings(), &program, &bad).is_err());
        let mut bad = start.clone();
        bad.flink_config.insert(JM_CPU.into(), "many".into());
        assert!(deployment_for(&settings(), &program, &bad).unwrap_err().contains(JM_CPU));
    }

    #[test]
    fn a_start_as_a_flink_session_job() {
        let program = Program { entry_class: Some("dev.weir.runner.SqlRunner".into()), args: vec!["--mode".into()], ..Default::default() };
        let start = JobStart {
            job_id: JOB.into(),
            parallelism: Some(3),
            restore_path: Some("s3://sp/savepoint-1".into()),
            allow_non_restored_state: false,
            flink_config: [("pipeline.name", "n"), (RESTART_FAILED, "false")].into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect(),
        };
        let settings = KubernetesOperatorSettings { runner_jar_uri: "https://artifacts.example/weir-sql-runner.jar".into(), ..settings() };
        let v = serde_json::to_value(session_job_for(&settings, "shared-session", &program, &start).unwrap()).unwrap();
        assert_eq!((v["apiVersion"].as_str(), v["kind"].as_str()), (Some("flink.apache.org/v1beta1"), Some("FlinkSessionJob")));
        assert_eq!(v["metadata"]["name"], "weir-0123456789abcdef0123456789abcdef");
        assert_eq!(v["metadata"]["namespace"], "jobs");
        assert_eq!(v["metadata"]["labels"][JOB_ID_LABEL], JOB.to_ascii_lowercase());
        assert_eq!(v["spec"]["deploymentName"], "shared-session");
        assert_eq!(v["spec"]["flinkConfiguration"][FIXED_JOB_ID], JOB.to_ascii_lowercase());
        assert_eq!(v["spec"]["flinkConfiguration"][RESTART_FAILED], "false", "the job's own choice is kept");
        assert_eq!(v["spec"]["flinkConfiguration"]["pipeline.name"], "n");
        let job = &v["spec"]["job"];
        assert_eq!(job["jarURI"], "https://artifacts.example/weir-sql-runner.jar");
        assert_eq!((job["parallelism"].as_i64(), job["state"].as_str(), job["upgradeMode"].as_str()), (Some(3), Some("running"), Some("savepoint")));
        assert_eq!(job["initialSavepointPath"], "s3://sp/savepoint-1");
        assert!(job.get("allowNonRestoredState").is_none());
        // A session job has no pods of its own: nothing of an image, a version or resources.
        for field in ["image", "flinkVersion", "mode", "jobManager", "taskManager", "serviceAccount"] {
            assert!(v["spec"].get(field).is_none(), "{field}");
        }
        assert!(v.get("status").is_none());
        assert!(session_job_for(&settings, "s", &program, &JobStart { job_id: "nope".into(), ..Default::default() }).is_err());
        let s = serde_json::to_value(snapshot_for("jobs", "FlinkSessionJob", JOB, "t2", Some("s3://x")).unwrap()).unwrap();
        assert_eq!(s["spec"]["jobReference"], json!({"kind": "FlinkSessionJob", "name": resource_name(JOB).unwrap()}));
        assert_eq!(s["spec"]["savepoint"]["path"], "s3://x");
    }

    fn fd(job: (&str, &str), generation: i64, status: Value) -> JobObject {
        let mut fd = FlinkDeployment::new("weir-x", FlinkDeploymentSpec {
            job: Some(JobSpec { state: Some(job.0.into()), upgrade_mode: Some(job.1.into()), ..Default::default() }),
            ..Default::default()
        });
        fd.metadata.generation = Some(generation);
        fd.status = serde_json::from_value(status).unwrap();
        JobObject::from(&fd)
    }

    #[test]
    fn job_states_from_the_status() {
        use FlinkJobState as S;
        #[rustfmt::skip]
        let table: Vec<(JobObject, S)> = vec![
            (fd(("running", "savepoint"), 1, json!(null)), S::Initializing),
            (fd(("running", "savepoint"), 1, json!({"lifecycleState": "CREATED", "observedGeneration": 1})), S::Initializing),
            (fd(("running", "savepoint"), 1, json!({"jobStatus": {"state": "RECONCILING"}, "observedGeneration": 1})), S::Reconciling),
            (fd(("running", "savepoint"), 1, json!({"jobStatus": {"state": "RUNNING"}, "lifecycleState": "STABLE", "observedGeneration": 1})), S::Running),
            // Suspend asked, not yet observed: still what it was.
            (fd(("suspended", "savepoint"), 2, json!({"jobStatus": {"state": "RUNNING"}, "lifecycleState": "STABLE", "observedGeneration": 1})), S::Running),
            (fd(("suspended", "savepoint"), 2, json!({"jobStatus": {"state": "FINISHED"}, "lifecycleState": "SUSPENDED", "observedGeneration": 2})), S::Finished),
            (fd(("suspended", "stateless"), 2, json!({"jobStatus": {"state": "FINISHED"}, "lifecycleState": "SUSPENDED", "observedGeneration": 2})), S::Canceled),
            (fd(("running", "savepoint"), 1, json!({"jobStatus": {"state": "FAILED"}, "lifecycleState": "FAILED", "observedGeneration": 1})), S::Failed),
            (fd(("running", "savepoint"), 1, json!({"jobStatus": {"state": "RESTARTING"}, "lifecycleState": "DEPLOYED", "observedGeneration": 1})), S::Restarting),
            // A session job's stateless cancel is pending while Flink cancels it.
            (fd(("suspended", "stateless"), 2, json!({"jobStatus": {"state": "CANCELLING"}, "lifecycleState": "STABLE", "observedGeneration": 1})), S::Cancelling),
        ];
        for (i, (fd, want)) in table.into_iter().enumerate() {
            assert_eq!(job_state(&fd), want, "row {i}");
        }
    }

    #[test]
    fn patches() {
        assert_eq!(suspend_patch(None), json!({"spec": {"job": {"state": "suspended", "upgradeMode": "stateless"}}}));
        let p = suspend_patch(Some("t1"));
        assert_eq!(p["spec"]["job"]["upgradeMode"], "savepoint");
        assert_eq!(p["metadata"]["annotations"][STOP_TRIGGER], "t1");
        let s = serde_json::to_value(snapshot_for("jobs", "FlinkDeployment", JOB, "T1", None).unwrap()).unwrap();
        assert_eq!(s["metadata"]["name"], "weir-sp-t1");
        assert_eq!(s["spec"]["jobReference"], json!({"kind": "FlinkDeployment", "name": resource_name(JOB).unwrap()}));
        assert_eq!(s["spec"]["backoffLimit"], 0);
    }
}
