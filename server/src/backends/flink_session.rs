//! A Flink session cluster (standalone or remote), driven over Flink's REST API.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use weir_app::model::ClusterOverview;

use super::{BackendError, ClusterBackend};

pub const KIND: &str = "flink-session";

pub struct FlinkSession {
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

impl FlinkSession {
    pub fn new(http: reqwest::Client, rest_url: &str, timeout: Duration) -> Self {
        Self { http, base: rest_url.trim_end_matches('/').to_owned(), timeout }
    }

    async fn get<T: for<'de> Deserialize<'de>>(&self, path: &str) -> Result<T, BackendError> {
        let url = format!("{}{}", self.base, path);
        let response = self
            .http
            .get(&url)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| BackendError::Unreachable(describe(&e)))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(BackendError::Http { status: status.as_u16(), message: flink_error_text(&body) });
        }
        response.json::<T>().await.map_err(|e| BackendError::Decode(format!("GET {path}: {e}")))
    }
}

#[async_trait]
impl ClusterBackend for FlinkSession {
    async fn overview(&self) -> Result<ClusterOverview, BackendError> {
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

/// Flink answers errors as `{"errors": ["..."]}`; keep the first line of each.
fn flink_error_text(body: &str) -> String {
    #[derive(Deserialize)]
    struct Errors {
        errors: Vec<String>,
    }
    match serde_json::from_str::<Errors>(body) {
        Ok(e) => e.errors.iter().map(|s| s.lines().next().unwrap_or_default()).collect::<Vec<_>>().join("; "),
        Err(_) => body.chars().take(300).collect(),
    }
}
