//! Posting OpenLineage RunEvents to the configured receiver (`[lineage] openlineage_url`): an event is queued
//! in the outbox (`openlineage_events`) when a deployment's job is submitted, runs and ends — in a task of its
//! own, never in an operation's way — and one background sender posts them, one per request, retrying with
//! exponential backoff; what could not be delivered is counted and its error shown
//! (`GET /api/v1/lineage/openlineage/status`). `GET /api/v1/lineage/openlineage` exports the current graph as
//! RunEvents for tools that import files.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use weir_model::lineage::OpenLineageStatus;
use weir_model::{DesiredState, ObservedState};

use super::openlineage::{event_for, run_event, run_id, RunEventType, RunFacts};
use crate::{Caller, Engine, EngineError};

/// Where RunEvents go.
#[derive(Clone, Debug)]
pub struct OpenLineageTarget {
    /// The receiver's endpoint, e.g. Marquez's `http://marquez:5000/api/v1/lineage`.
    pub url: String,
    /// Sent as `Authorization: Bearer <key>`.
    pub api_key: Option<String>,
}

/// Attempts before an event is given up.
const MAX_ATTEMPTS: i32 = 10;
/// The first retry's wait; each further one doubles it, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(600);

/// Runs and event types already queued (so a repeated observation does not rebuild the event).
#[derive(Clone, Default)]
pub struct Queued(Arc<Mutex<HashSet<(String, RunEventType)>>>);

impl Queued {
    fn first_time(&self, job_id: &str, kind: RunEventType) -> bool {
        let Ok(mut set) = self.0.lock() else { return true };
        if set.len() > 100_000 {
            set.clear();
        }
        set.insert((job_id.to_owned(), kind))
    }

    fn forget(&self, job_id: &str, kind: RunEventType) {
        if let Ok(mut set) = self.0.lock() {
            set.remove(&(job_id.to_owned(), kind));
        }
    }
}

/// How long to wait before attempt `attempts + 1` (none: give up).
pub fn backoff(attempts: i32) -> Option<Duration> {
    (attempts < MAX_ATTEMPTS).then(|| {
        let factor = 2u32.saturating_pow(attempts.saturating_sub(1).max(0) as u32);
        FIRST_BACKOFF.saturating_mul(factor).min(MAX_BACKOFF)
    })
}

impl Engine {
    /// A deployment's new job was submitted: START.
    pub(crate) fn openlineage_started(&self, deployment_id: i64, flink_job_id: &str) {
        self.queue_openlineage_later(deployment_id, flink_job_id, None);
    }

    /// A deployment's job was seen in a new state: the event it makes, if any.
    pub(crate) fn openlineage_observed(&self, deployment_id: i64, flink_job_id: &str, state: ObservedState) {
        // A passing state makes no event whatever Weir wants of the job: nothing to look up.
        let wants = [DesiredState::Running, DesiredState::Suspended, DesiredState::Cancelled];
        if wants.iter().all(|d| event_for(state, *d).is_none()) {
            return;
        }
        self.queue_openlineage_later(deployment_id, flink_job_id, Some(state));
    }

    fn queue_openlineage_later(&self, deployment_id: i64, flink_job_id: &str, state: Option<ObservedState>) {
        if self.settings.openlineage.is_none() {
            return;
        }
        let engine = self.clone();
        let job_id = flink_job_id.to_owned();
        tokio::spawn(async move {
            if let Err(e) = engine.queue_openlineage(deployment_id, &job_id, state).await {
                tracing::warn!(deployment = deployment_id, job = %job_id, "OpenLineage event not queued: {e}");
            }
        });
    }

    async fn queue_openlineage(&self, deployment_id: i64, job_id: &str, state: Option<ObservedState>) -> Result<(), EngineError> {
        let Some(ctx) = self.store.deployment_context(deployment_id).await? else { return Ok(()) };
        let kind = match state {
            None => RunEventType::Start,
            Some(s) => match event_for(s, ctx.deployment.desired_state) {
                Some(kind) => kind,
                None => return Ok(()),
            },
        };
        if !self.openlineage_queued.first_time(job_id, kind) {
            return Ok(());
        }
        let event = match self.openlineage_event(&ctx, job_id, kind).await {
            Ok(e) => e,
            Err(e) => {
                self.openlineage_queued.forget(job_id, kind);
                return Err(e);
            }
        };
        let body = serde_json::to_string(&event).map_err(|e| EngineError::Internal(e.to_string()))?;
        match self.store.enqueue_openlineage(&run_id(job_id), kind.as_str(), body).await {
            Ok(true) => self.openlineage_wake.notify_one(),
            Ok(false) => {}
            Err(e) => {
                // Not queued: the next observation of this state tries again.
                self.openlineage_queued.forget(job_id, kind);
                return Err(e.into());
            }
        }
        Ok(())
    }

    async fn openlineage_event(
        &self,
        ctx: &crate::store::lineage::DeploymentContext,
        job_id: &str,
        kind: RunEventType,
    ) -> Result<Value, EngineError> {
        let version = match ctx.deployment.version_id {
            Some(id) => self.store.version_by_id(id).await?,
            None => None,
        };
        let lineage = match &version {
            Some(v) => self.lineage_of(&ctx.namespace, &ctx.job, v).await.ok().and_then(Result::ok),
            None => None,
        };
        let flink_version = self.cluster_flink_version(&ctx.cluster);
        let facts = RunFacts {
            namespace: &ctx.namespace,
            job: &ctx.job.name,
            environment: &ctx.environment,
            flink_job_id: job_id,
            mode: version.as_ref().map(|v| v.mode).unwrap_or(weir_model::ExecutionMode::Streaming),
            flink_version: flink_version.as_deref(),
        };
        Ok(run_event(kind, chrono::Utc::now(), &facts, lineage.as_deref()))
    }

    /// The sender: posts due events, one request each, until the engine stops.
    pub(crate) fn spawn_openlineage_sender(&self) {
        let Some(target) = self.settings.openlineage.clone() else { return };
        let engine = self.clone();
        tokio::spawn(async move {
            loop {
                match engine.send_due_openlineage(&target).await {
                    Ok(0) => {
                        let _ = tokio::time::timeout(Duration::from_secs(1), engine.openlineage_wake.notified()).await;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!("OpenLineage sender: {e}");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
    }

    /// One pass over the events not delivered; answers how many were attempted. A run's events go in the
    /// order they happened: one waiting for a retry holds back the later ones of its run (not other runs').
    async fn send_due_openlineage(&self, target: &OpenLineageTarget) -> Result<usize, EngineError> {
        let now = chrono::Utc::now();
        let mut held: HashSet<String> = HashSet::new();
        let mut attempted = 0;
        for event in self.store.pending_openlineage(500).await? {
            if held.contains(&event.run_id) || event.next_attempt_at > now || attempted >= 50 {
                held.insert(event.run_id.clone());
                continue;
            }
            attempted += 1;
            let mut request = self
                .http
                .post(&target.url)
                .timeout(Duration::from_secs(10))
                .header("content-type", "application/json")
                .body(event.body.clone());
            if let Some(key) = &target.api_key {
                request = request.bearer_auth(key);
            }
            let attempts = event.attempts + 1;
            let outcome = match request.send().await {
                Ok(r) if r.status().is_success() => Ok(()),
                Ok(r) => {
                    let status = r.status();
                    let text: String = r.text().await.unwrap_or_default().chars().take(300).collect();
                    // A refusal of the event itself (4xx but 408/429) will not change on retry.
                    let permanent = status.is_client_error() && status.as_u16() != 408 && status.as_u16() != 429;
                    let next = if permanent { None } else { backoff(attempts) };
                    Err((format!("the receiver answered {status}: {text}"), next))
                }
                Err(e) => Err((format!("cannot reach the receiver: {e}"), backoff(attempts))),
            };
            let outcome = outcome.map_err(|(error, next)| {
                tracing::warn!(run = %event.run_id, event = %event.event_type, attempts, "OpenLineage delivery failed: {error}");
                if next.is_some() {
                    held.insert(event.run_id.clone());
                }
                (error, next.map(|d| chrono::Utc::now() + chrono::Duration::from_std(d).unwrap_or_default()))
            });
            self.store.record_openlineage_attempt(event.id, attempts, outcome).await?;
        }
        Ok(attempted)
    }

    /// `GET /api/v1/lineage/openlineage/status`.
    pub async fn openlineage_status(&self, caller: &Caller) -> Result<OpenLineageStatus, EngineError> {
        self.require_signed_in(caller)?;
        let counts = self.store.openlineage_counts().await?;
        let url = self.settings.openlineage.as_ref().map(|t| {
            // Never show credentials written into the URL.
            super::identity::mask_url(&t.url)
        });
        Ok(OpenLineageStatus {
            configured: url.is_some(),
            url,
            pending: counts.pending,
            delivered: counts.delivered,
            failed: counts.gave_up,
            last_error: counts.last_error,
        })
    }

    /// `GET /api/v1/lineage/openlineage`: a RUNNING RunEvent for each deployment wanted running that the
    /// caller may read.
    pub async fn openlineage_export(&self, caller: &Caller) -> Result<Vec<Value>, EngineError> {
        let visible = self.visible_namespace_names(caller).await?;
        let mut out = Vec::new();
        for d in self.store.running_deployments().await? {
            let Some(ctx) = self.store.deployment_context(d.id).await? else { continue };
            if visible.as_ref().is_some_and(|v| !v.contains(&ctx.namespace)) {
                continue;
            }
            let Some(job_id) = ctx.deployment.flink_job_id.clone() else { continue };
            out.push(self.openlineage_event(&ctx, &job_id, RunEventType::Running).await?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_then_give_up() {
        let waits: Vec<Option<u64>> = (1..=MAX_ATTEMPTS).map(|a| backoff(a).map(|d| d.as_secs())).collect();
        assert_eq!(&waits[..5], &[Some(1), Some(2), Some(4), Some(8), Some(16)]);
        assert_eq!(waits[MAX_ATTEMPTS as usize - 1], None, "the last attempt is the last");
        assert!(waits.iter().flatten().all(|&w| w <= MAX_BACKOFF.as_secs()));
    }
}
