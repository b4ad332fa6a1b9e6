//! A SIMULATED Flink REST server, for benchmarks only: it answers the calls Weir's metrics sampler and
//! reconciler make (`/overview`, `/jobs/overview`, `/taskmanagers` and their metrics, `/jobs/{id}`,
//! `/jobs/{id}/plan`, vertex subtask metrics, `/jobs/{id}/checkpoints`, `/jobs/{id}/metrics`) for any number of
//! RUNNING jobs, in the shapes the real Flink 2.3 answers (checked by the tests against the real cluster), with
//! made-up figures. It exists because a real cluster on this machine cannot run 1,000 jobs; it is never used
//! by the tests of behaviour, which run against the real Flink. It counts the requests it serves.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

/// The simulated cluster: `jobs` RUNNING jobs, each a source -> aggregate -> sink pipeline.
pub struct SimulatedFlink {
    pub url: String,
    pub job_ids: Vec<String>,
    requests: Arc<AtomicU64>,
}

#[derive(Clone)]
struct Sim {
    jobs: Arc<Vec<String>>,
    requests: Arc<AtomicU64>,
}

const VERTICES: [(&str, &str); 3] = [
    ("cbc357ccb763df2852fee8c4fc7d55f2", "Source: orders[1] -> Calc[2]"),
    ("90bea66de1c231edf33913ecd54406c1", "GroupAggregate[3] -> Calc[4]"),
    ("1e3a5a2b8f2e4a7d9b6c5d4e3f2a1b0c", "snk[5]: Writer"),
];

impl SimulatedFlink {
    pub async fn start(jobs: usize) -> Self {
        let job_ids: Vec<String> = (0..jobs).map(|i| format!("{:032x}", 0xabc0_0000_u64 + i as u64)).collect();
        let requests = Arc::new(AtomicU64::new(0));
        let sim = Sim { jobs: Arc::new(job_ids.clone()), requests: requests.clone() };
        let app = Router::new()
            .route("/overview", get(overview))
            .route("/jobs/overview", get(jobs_overview))
            .route("/taskmanagers", get(taskmanagers))
            .route("/taskmanagers/{id}/metrics", get(tm_metrics))
            .route("/jobmanager/metrics", get(jm_metrics))
            .route("/jobs/{id}", get(job))
            .route("/jobs/{id}/plan", get(plan))
            .route("/jobs/{id}/vertices/{v}/subtasks/metrics", get(vertex_metrics))
            .route("/jobs/{id}/checkpoints", get(checkpoints))
            .route("/jobs/{id}/metrics", get(job_metrics))
            .with_state(sim);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the simulated Flink");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, job_ids, requests }
    }

    /// Requests served so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

fn count(sim: &Sim) {
    sim.requests.fetch_add(1, Ordering::Relaxed);
}

async fn overview(State(sim): State<Sim>) -> Json<Value> {
    count(&sim);
    Json(json!({"taskmanagers": 1, "slots-total": 4096, "slots-available": 4096 - sim.jobs.len(),
        "jobs-running": sim.jobs.len(), "jobs-finished": 0, "jobs-cancelled": 0, "jobs-failed": 0,
        "flink-version": "2.3.0 (simulated)", "flink-commit": "simulated"}))
}

async fn jobs_overview(State(sim): State<Sim>) -> Json<Value> {
    count(&sim);
    let jobs: Vec<Value> = sim
        .jobs
        .iter()
        .map(|id| json!({"jid": id, "name": format!("bench/{id}"), "state": "RUNNING", "start-time": 1, "end-time": -1,
            "duration": 1000, "last-modification": 1, "tasks": {"running": 3, "total": 3, "created": 0, "scheduled": 0,
            "deploying": 0, "finished": 0, "canceling": 0, "canceled": 0, "failed": 0, "reconciling": 0, "initializing": 0}}))
        .collect();
    Json(json!({"jobs": jobs}))
}

async fn taskmanagers(State(sim): State<Sim>) -> Json<Value> {
    count(&sim);
    Json(json!({"taskmanagers": [{"id": "tm-1", "path": "pekko://flink@localhost:1/user/rpc/taskmanager_0",
        "dataPort": 1, "slotsNumber": 4096, "freeSlots": 4096 - sim.jobs.len(), "hardware": {"cpuCores": 2}}]}))
}

async fn tm_metrics(State(sim): State<Sim>) -> Json<Value> {
    count(&sim);
    Json(json!([{"id": "Status.JVM.CPU.Load", "value": "0.42"}, {"id": "Status.JVM.Memory.Heap.Used", "value": "268435456"},
        {"id": "Status.JVM.Memory.Heap.Max", "value": "536870912"}]))
}

async fn jm_metrics(State(sim): State<Sim>) -> Json<Value> {
    count(&sim);
    Json(json!([{"id": "Status.JVM.Memory.Heap.Used", "value": "134217728"}, {"id": "Status.JVM.Memory.Heap.Max", "value": "469762048"}]))
}

fn vertices_json() -> Vec<Value> {
    VERTICES.iter().map(|(id, name)| json!({"id": id, "name": name, "parallelism": 1, "status": "RUNNING"})).collect()
}

async fn job(State(sim): State<Sim>, Path(id): Path<String>) -> Json<Value> {
    count(&sim);
    Json(json!({"jid": id, "name": "bench", "state": "RUNNING", "vertices": vertices_json()}))
}

async fn plan(State(sim): State<Sim>, Path(id): Path<String>) -> Json<Value> {
    count(&sim);
    let (a, b, c) = (VERTICES[0].0, VERTICES[1].0, VERTICES[2].0);
    Json(json!({"plan": {"jid": id, "nodes": [
        {"id": a, "description": VERTICES[0].1, "parallelism": 1},
        {"id": b, "description": VERTICES[1].1, "parallelism": 1, "inputs": [{"id": a, "num": 0}]},
        {"id": c, "description": VERTICES[2].1, "parallelism": 1, "inputs": [{"id": b, "num": 0}]}]}}))
}

async fn vertex_metrics(State(sim): State<Sim>, Path((_, v)): Path<(String, String)>) -> Json<Value> {
    count(&sim);
    if v == VERTICES[0].0 {
        // The source is asked twice: its figures, then its lag on its own.
        return Json(json!([
            {"id": "busyTimeMsPerSecond", "max": 120.0, "sum": 120.0}, {"id": "backPressuredTimeMsPerSecond", "max": 0.0, "sum": 0.0},
            {"id": "numRecordsInPerSecond", "max": 0.0, "sum": 0.0}, {"id": "numRecordsOutPerSecond", "max": 250.0, "sum": 250.0},
            {"id": "pendingRecords", "max": 40.0, "sum": 40.0}]));
    }
    Json(json!([
        {"id": "busyTimeMsPerSecond", "max": 310.0, "sum": 310.0}, {"id": "backPressuredTimeMsPerSecond", "max": 5.0, "sum": 5.0},
        {"id": "numRecordsInPerSecond", "max": 250.0, "sum": 250.0}, {"id": "numRecordsOutPerSecond", "max": 250.0, "sum": 250.0}]))
}

async fn checkpoints(State(sim): State<Sim>) -> Json<Value> {
    count(&sim);
    let now = chrono::Utc::now().timestamp_millis();
    Json(json!({"counts": {"completed": 10, "failed": 0, "in_progress": 0, "restored": 0, "total": 10},
        "latest": {"completed": {"id": 10, "end_to_end_duration": 85, "checkpointed_size": 6144, "state_size": 6144,
            "latest_ack_timestamp": now - 4000, "external_path": "file:///tmp/chk-10"}}}))
}

async fn job_metrics(State(sim): State<Sim>) -> Json<Value> {
    count(&sim);
    Json(json!([{"id": "numRestarts", "value": "0"}]))
}
