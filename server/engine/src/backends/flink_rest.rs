//! One Flink JobManager's REST API, as Weir uses it: the cluster's overview and TaskManagers, jobs, jar upload
//! and run, savepoints, stop, cancel, checkpoints, exceptions and metrics. Flink 1.20 and 2.x answer alike for
//! these calls, except where noted (exceptions: 1.20 also has `root-exception`; 2.x only `exceptionHistory`).

use std::path::Path;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use weir_model::{ClusterOverview, TaskManagerMetrics};

use super::{BackendError, CheckpointInfo, JobMetrics, JobStart, JobSummary, SavepointStatus, VertexMetrics};

/// Uploads and job submissions may take longer than a status call.
const SLOW_CALL: Duration = Duration::from_secs(120);

/// A client of one JobManager's REST API.
#[derive(Clone)]
pub struct FlinkRest {
    http: reqwest::Client,
    base: String,
    timeout: Duration,
}

/// Flink's `GET /overview`.
#[derive(Deserialize)]
struct Overview {
    taskmanagers: u32,
    #[serde(rename = "slots-total")]
    slots_total: u32,
    #[serde(rename = "slots-available")]
    slots_available: u32,
    #[serde(rename = "jobs-running")]
    jobs_running: u32,
    #[serde(rename = "jobs-finished")]
    jobs_finished: u32,
    #[serde(rename = "jobs-cancelled")]
    jobs_cancelled: u32,
    #[serde(rename = "jobs-failed")]
    jobs_failed: u32,
    #[serde(rename = "flink-version")]
    flink_version: String,
}

#[derive(Deserialize)]
struct JobsOverview {
    jobs: Vec<JobEntry>,
}

#[derive(Deserialize)]
struct JobEntry {
    jid: String,
    name: String,
    state: String,
    #[serde(default)]
    tasks: Tasks,
}

#[derive(Default, Deserialize)]
struct Tasks {
    #[serde(default)]
    running: u32,
    #[serde(default)]
    total: u32,
}


impl FlinkRest {
    pub fn new(http: reqwest::Client, rest_url: &str, timeout: Duration) -> Self {
        Self { http, base: rest_url.trim_end_matches('/').to_owned(), timeout }
    }

    async fn send<T: DeserializeOwned>(&self, what: &str, req: reqwest::RequestBuilder) -> Result<T, BackendError> {
        let response = req.send().await.map_err(|e| BackendError::Unreachable(describe(&e)))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(BackendError::Http { status: status.as_u16(), message: flink_error_text(&body) });
        }
        response.json::<T>().await.map_err(|e| BackendError::Decode(format!("{what}: {e}")))
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, BackendError> {
        let req = self.http.get(format!("{}{}", self.base, path)).timeout(self.timeout);
        self.send(&format!("GET {path}"), req).await
    }

    async fn post<T: DeserializeOwned>(&self, path: &str, body: Value, timeout: Duration) -> Result<T, BackendError> {
        let req = self.http.post(format!("{}{}", self.base, path)).json(&body).timeout(timeout);
        self.send(&format!("POST {path}"), req).await
    }
}

impl FlinkRest {
    /// The REST API's base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    pub async fn overview(&self) -> Result<ClusterOverview, BackendError> {
        let o: Overview = self.get("/overview").await?;
        Ok(ClusterOverview {
            flink_version: o.flink_version,
            taskmanagers: o.taskmanagers,
            slots_total: o.slots_total,
            slots_available: o.slots_available,
            jobs_running: o.jobs_running,
            jobs_finished: o.jobs_finished,
            jobs_cancelled: o.jobs_cancelled,
            jobs_failed: o.jobs_failed,
        })
    }

    pub async fn taskmanager_metrics(&self) -> Result<Vec<TaskManagerMetrics>, BackendError> {
        let list: Value = self.get("/taskmanagers").await?;
        let mut out = Vec::new();
        for tm in list["taskmanagers"].as_array().into_iter().flatten() {
            let Some(id) = tm["id"].as_str() else { continue };
            let metrics: Value = self
                .get(&format!(
                    "/taskmanagers/{id}/metrics?get=Status.JVM.CPU.Load,Status.JVM.Memory.Heap.Used,Status.JVM.Memory.Heap.Max"
                ))
                .await?;
            // Asked apart: Flink answers nothing at all when one asked-for metric is missing (an older Flink has
            // no aggregated GC rate).
            let memory: Value = self
                .get(&format!(
                    "/taskmanagers/{id}/metrics?get=Status.JVM.GarbageCollector.All.TimeMsPerSecond,\
                     Status.Flink.Memory.Managed.Used,Status.Flink.Memory.Managed.Total,Status.JVM.Memory.Metaspace.Used"
                ))
                .await?;
            let metric = |name: &str| {
                metrics
                    .as_array()
                    .into_iter()
                    .flatten()
                    .chain(memory.as_array().into_iter().flatten())
                    .find(|m| m["id"] == name)
                    .and_then(|m| number(&m["value"]))
            };
            out.push(TaskManagerMetrics {
                id: id.to_owned(),
                slots_total: tm["slotsNumber"].as_u64().unwrap_or(0) as u32,
                slots_free: tm["freeSlots"].as_u64().unwrap_or(0) as u32,
                cpu_load: metric("Status.JVM.CPU.Load"),
                heap_used_bytes: metric("Status.JVM.Memory.Heap.Used").map(|v| v as u64),
                heap_max_bytes: metric("Status.JVM.Memory.Heap.Max").map(|v| v as u64),
                gc_time_ms_per_s: metric("Status.JVM.GarbageCollector.All.TimeMsPerSecond"),
                managed_used_bytes: metric("Status.Flink.Memory.Managed.Used").map(|v| v as u64),
                managed_total_bytes: metric("Status.Flink.Memory.Managed.Total").map(|v| v as u64),
                metaspace_used_bytes: metric("Status.JVM.Memory.Metaspace.Used").map(|v| v as u64),
            });
        }
        Ok(out)
    }

    pub async fn jobs(&self) -> Result<Vec<JobSummary>, BackendError> {
        let o: JobsOverview = self.get("/jobs/overview").await?;
        o.jobs
            .into_iter()
            .map(|j| {
                let state = j.state.parse().map_err(|e| BackendError::Decode(format!("GET /jobs/overview: {e}")))?;
                Ok(JobSummary {
                    id: j.jid,
                    name: j.name,
                    state,
                    tasks_running: j.tasks.running,
                    tasks_total: j.tasks.total,
                })
            })
            .collect()
    }

    pub async fn upload_jar(&self, path: &Path) -> Result<String, BackendError> {
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|e| BackendError::Decode(format!("cannot read {}: {e}", path.display())))?;
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("job.jar").to_owned();
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name)
            .mime_str("application/x-java-archive")
            .map_err(|e| BackendError::Decode(e.to_string()))?;
        let form = reqwest::multipart::Form::new().part("jarfile", part);
        let req = self.http.post(format!("{}/jars/upload", self.base)).multipart(form).timeout(SLOW_CALL);
        let answer: Value = self.send("POST /jars/upload", req).await?;
        answer["filename"]
            .as_str()
            .and_then(|f| f.rsplit('/').next())
            .map(str::to_owned)
            .ok_or_else(|| BackendError::Decode(format!("POST /jars/upload: no filename in {answer}")))
    }

    /// Runs an uploaded jar as the job `s.job_id` (`POST /jars/{id}/run`).
    pub async fn run_jar(&self, jar_id: &str, program_args: &[String], entry_class: Option<&str>, s: &JobStart) -> Result<(), BackendError> {
        let mut body = json!({
            "programArgsList": program_args,
            "allowNonRestoredState": s.allow_non_restored_state,
            "jobId": s.job_id,
        });
        if let Some(class) = entry_class {
            body["entryClass"] = json!(class);
        }
        if let Some(p) = s.parallelism {
            body["parallelism"] = json!(p);
        }
        if let Some(path) = &s.restore_path {
            body["savepointPath"] = json!(path);
        }
        if !s.flink_config.is_empty() {
            body["flinkConfiguration"] = json!(s.flink_config);
        }
        let answer: Value = match self.post(&format!("/jars/{jar_id}/run"), body, SLOW_CALL).await {
            Ok(answer) => answer,
            Err(BackendError::Http { message, .. }) if is_duplicate_submission(&message) => {
                return Err(BackendError::DuplicateJob { job_id: s.job_id.clone() })
            }
            Err(BackendError::Http { status, message })
                if status == 404 || message.contains("does not exist") || message.contains("not found") =>
            {
                return Err(BackendError::ProgramMissing { message })
            }
            Err(e) => return Err(e),
        };
        match answer["jobid"].as_str() {
            Some(_) => Ok(()),
            None => Err(BackendError::Decode(format!("POST /jars/{jar_id}/run: no jobid in {answer}"))),
        }
    }

    pub async fn stop_with_savepoint(
        &self,
        job_id: &str,
        trigger_id: &str,
        target_dir: Option<&str>,
        drain: bool,
    ) -> Result<(), BackendError> {
        let mut body = json!({ "drain": drain, "triggerId": trigger_id });
        if let Some(dir) = target_dir {
            body["targetDirectory"] = json!(dir);
        }
        let _: Value = self.post(&format!("/jobs/{job_id}/stop"), body, self.timeout).await?;
        Ok(())
    }

    pub async fn trigger_savepoint(
        &self,
        job_id: &str,
        trigger_id: &str,
        target_dir: Option<&str>,
    ) -> Result<(), BackendError> {
        let mut body = json!({ "cancel-job": false, "triggerId": trigger_id });
        if let Some(dir) = target_dir {
            body["target-directory"] = json!(dir);
        }
        let _: Value = self.post(&format!("/jobs/{job_id}/savepoints"), body, self.timeout).await?;
        Ok(())
    }

    pub async fn savepoint_status(&self, job_id: &str, trigger_id: &str) -> Result<SavepointStatus, BackendError> {
        let v: Value = match self.get(&format!("/jobs/{job_id}/savepoints/{trigger_id}")).await {
            Ok(v) => v,
            // Flink answers an unknown trigger id (or job) with a 4xx.
            Err(BackendError::Http { status, .. }) if (400..500).contains(&status) => {
                return Err(BackendError::UnknownTrigger { trigger_id: trigger_id.to_owned() })
            }
            Err(e) => return Err(e),
        };
        if v["status"]["id"] != "COMPLETED" {
            return Ok(SavepointStatus::InProgress);
        }
        if let Some(location) = v["operation"]["location"].as_str() {
            return Ok(SavepointStatus::Completed { location: location.to_owned() });
        }
        let cause = v["operation"]["failure-cause"]["stack-trace"]
            .as_str()
            .map(root_cause)
            .or_else(|| v["operation"]["failure-cause"]["class"].as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("the savepoint failed: {v}"));
        Ok(SavepointStatus::Failed { cause })
    }

    pub async fn cancel(&self, job_id: &str) -> Result<(), BackendError> {
        let req = self.http.patch(format!("{}/jobs/{job_id}?mode=cancel", self.base)).timeout(self.timeout);
        let _: Value = self.send(&format!("PATCH /jobs/{job_id}"), req).await?;
        Ok(())
    }

    /// Shuts the whole cluster down (`DELETE /cluster`): the JobManager exits shortly after answering.
    pub async fn shutdown(&self) -> Result<(), BackendError> {
        let response = self
            .http
            .delete(format!("{}/cluster", self.base))
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| BackendError::Unreachable(describe(&e)))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(BackendError::Http { status: status.as_u16(), message: flink_error_text(&body) });
        }
        Ok(())
    }

    pub async fn checkpoints(&self, job_id: &str) -> Result<CheckpointInfo, BackendError> {
        let v: Value = self.get(&format!("/jobs/{job_id}/checkpoints")).await?;
        let latest = &v["latest"];
        Ok(CheckpointInfo {
            latest_completed: latest["completed"]["external_path"].as_str().map(str::to_owned),
            restored_from: latest["restored"]["external_path"].as_str().map(str::to_owned),
            restored_is_savepoint: latest["restored"]["is_savepoint"].as_bool().unwrap_or(false),
        })
    }

    pub async fn failure_cause(&self, job_id: &str) -> Result<Option<String>, BackendError> {
        let v: Value = self.get(&format!("/jobs/{job_id}/exceptions?maxExceptions=1")).await?;
        let trace = v["exceptionHistory"]["entries"][0]["stacktrace"]
            .as_str()
            .or_else(|| v["root-exception"].as_str());
        Ok(trace.map(root_cause))
    }

    pub async fn job_metrics(&self, job_id: &str) -> Result<JobMetrics, BackendError> {
        // The graph (which vertex feeds which), the vertices' names, then each vertex's subtask metrics
        // aggregated by Flink, the checkpoint statistics and the restart count.
        let plan: Value = self.get(&format!("/jobs/{job_id}/plan")).await?;
        let job: Value = self.get(&format!("/jobs/{job_id}")).await?;
        let nodes = plan["plan"]["nodes"].as_array().cloned().unwrap_or_default();
        let fed: std::collections::HashSet<String> = nodes
            .iter()
            .flat_map(|n| n["inputs"].as_array().cloned().unwrap_or_default())
            .filter_map(|i| i["id"].as_str().map(str::to_owned))
            .collect();
        let mut vertices = Vec::new();
        for v in job["vertices"].as_array().into_iter().flatten() {
            let Some(id) = v["id"].as_str() else { continue };
            let node = nodes.iter().find(|n| n["id"] == id);
            let source = node.is_none_or(|n| n["inputs"].as_array().is_none_or(Vec::is_empty));
            // Flink answers nothing at all when one asked-for metric does not exist: the sources' lag, which only
            // some connectors report, is asked on its own.
            let figures: Value = self
                .get(&format!(
                    "/jobs/{job_id}/vertices/{id}/subtasks/metrics?get=busyTimeMsPerSecond,backPressuredTimeMsPerSecond,\
                     numRecordsInPerSecond,numRecordsOutPerSecond&agg=max,sum"
                ))
                .await?;
            let lag: Value = match source {
                true => self.get(&format!("/jobs/{job_id}/vertices/{id}/subtasks/metrics?get=pendingRecords&agg=sum")).await?,
                false => Value::Null,
            };
            let agg = |metric: &str, how: &str| {
                figures
                    .as_array()
                    .into_iter()
                    .chain(lag.as_array())
                    .flatten()
                    .find(|m| m["id"] == metric)
                    .and_then(|m| number(&m[how]))
            };
            vertices.push(VertexMetrics {
                id: id.to_owned(),
                name: v["name"].as_str().unwrap_or(id).to_owned(),
                source,
                sink: !fed.contains(id),
                parallelism: v["parallelism"].as_u64().unwrap_or(0) as u32,
                busy_ratio: agg("busyTimeMsPerSecond", "max").map(|ms| ms / 1000.0),
                backpressure_ratio: agg("backPressuredTimeMsPerSecond", "max").map(|ms| ms / 1000.0),
                records_in_per_s: agg("numRecordsInPerSecond", "sum"),
                records_out_per_s: agg("numRecordsOutPerSecond", "sum"),
                pending_records: agg("pendingRecords", "sum"),
                max_parallelism: v["maxParallelism"].as_u64().map(|m| m as u32),
            });
        }
        let checkpoints: Value = self.get(&format!("/jobs/{job_id}/checkpoints")).await?;
        let latest = &checkpoints["latest"]["completed"];
        let job_figures: Value = self.get(&format!("/jobs/{job_id}/metrics?get=numRestarts")).await?;
        let restarts = job_figures
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["id"] == "numRestarts")
            .and_then(|m| number(&m["value"]));
        // The JobManager's heap: figures of the process that runs the job; none when it does not answer them.
        let jm: Value = self
            .get("/jobmanager/metrics?get=Status.JVM.Memory.Heap.Used,Status.JVM.Memory.Heap.Max")
            .await
            .unwrap_or(Value::Null);
        let jm_metric =
            |name: &str| jm.as_array().into_iter().flatten().find(|m| m["id"] == name).and_then(|m| number(&m["value"]));
        Ok(JobMetrics {
            vertices,
            restarts,
            checkpoints_failed: number(&checkpoints["counts"]["failed"]),
            last_checkpoint_duration_ms: number(&latest["end_to_end_duration"]),
            last_checkpoint_size_bytes: number(&latest["checkpointed_size"]).or_else(|| number(&latest["state_size"])),
            last_checkpoint_at_ms: latest["latest_ack_timestamp"].as_i64(),
            jobmanager_heap_used_bytes: jm_metric("Status.JVM.Memory.Heap.Used"),
            jobmanager_heap_max_bytes: jm_metric("Status.JVM.Memory.Heap.Max"),
        })
    }
}

/// A metric value as Flink writes it: a number, or a number in a string; "NaN" (not measured) is none.
fn number(v: &Value) -> Option<f64> {
    let n = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse::<f64>().ok(),
        _ => None,
    };
    n.filter(|x| x.is_finite())
}

/// Flink's answer to a second submission of the same job id (DuplicateJobSubmissionException, or
/// DuplicateApplicationSubmissionException in Flink 2.x).
fn is_duplicate_submission(message: &str) -> bool {
    message.contains("Duplicate") && message.contains("already been submitted")
}

/// A short reason for a failed request, without reqwest's nested wording.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "connection refused or host unknown".into()
    } else {
        e.to_string()
    }
}

/// The innermost "Caused by:" line of a Java stack trace: the cause a person can act on.
fn root_cause(trace: &str) -> String {
    let first = trace.lines().next().unwrap_or_default();
    trace
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("Caused by: "))
        .unwrap_or(first)
        .trim()
        .to_owned()
}

/// Flink answers errors as `{"errors": ["..."]}`; keep the most telling line of each.
fn flink_error_text(body: &str) -> String {
    #[derive(Deserialize)]
    struct Errors {
        errors: Vec<String>,
    }
    match serde_json::from_str::<Errors>(body) {
        Ok(e) => e.errors.iter().map(|s| root_cause(s)).collect::<Vec<_>>().join("; "),
        Err(_) => body.chars().take(300).collect(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn metric_values_as_flink_writes_them() {
        use serde_json::json;
        assert_eq!(super::number(&json!(19.5)), Some(19.5));
        assert_eq!(super::number(&json!("20")), Some(20.0));
        assert_eq!(super::number(&json!("NaN")), None, "not measured");
        assert_eq!(super::number(&json!(null)), None);
    }

    #[test]
    fn root_cause_is_the_innermost_caused_by() {
        let trace = "org.a.X: outer\n\tat a.b\nCaused by: org.b.Y: middle\n\tat c\nCaused by: java.io.IOException: disk full\n";
        assert_eq!(super::root_cause(trace), "java.io.IOException: disk full");
        assert_eq!(super::root_cause("just one line"), "just one line");
    }
}
