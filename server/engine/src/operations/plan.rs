//! The deploy plan: how a deploy, rollback, restart or recover will proceed, decided before any cluster call
//! from what the engine knows (the reconciler's latest observation and the recorded snapshots) and the
//! request. A pure function with its reasons; computed at admission and recorded in the operation's
//! parameters, so a resumed operation follows the same plan.
//!
//! - What runs now is stopped first (never two instances): with a savepoint, or — when the request restores
//!   the latest checkpoint — cancelled, keeping its last checkpoint. A job last seen ended or lost needs
//!   nothing; a cluster that does not answer is treated as running (the stop then fails, and nothing else
//!   is done).
//! - What the new job starts from, with the reason the history shows.

use weir_model::operation_log::{DeployPlan, RestorePlan, StopPlan};
use weir_model::{ObservedState, RestoreChoice, SnapshotKind};

/// What is known of a deployment when the plan is made.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeployFacts {
    /// The deployment's current Flink job, if it ever ran.
    pub job: Option<String>,
    /// What the reconciler last saw of it.
    pub observed: Option<ObservedState>,
    /// The deployment's newest savepoint.
    pub latest_savepoint: Option<String>,
    /// The last checkpoint known: seen while the job ran, or recorded as retained.
    pub known_checkpoint: Option<String>,
    /// The newest snapshot taken from the version to deploy.
    pub version_snapshot: Option<(SnapshotKind, String)>,
}

/// What the request asks for (validated).
#[derive(Clone, Debug, PartialEq)]
pub struct PlanRequest {
    pub version: i32,
    pub restore: RestoreChoice,
    pub restore_path: Option<String>,
}

/// Why a plan cannot be made: the request cannot be carried out with what is known.
#[derive(Clone, Debug, PartialEq)]
pub struct Unplannable(pub String);

/// Decides the stop and the restore.
pub fn plan(facts: &DeployFacts, request: &PlanRequest) -> Result<DeployPlan, Unplannable> {
    let observed = facts.observed.unwrap_or(ObservedState::None);
    let running = match &facts.job {
        Some(job) if observed.is_alive() || observed == ObservedState::Unreachable => Some(job.clone()),
        _ => None,
    };
    let stop = match (&running, request.restore) {
        (None, _) => StopPlan::Nothing {
            reason: match observed {
                ObservedState::None => "never deployed".into(),
                ObservedState::Lost => "the cluster lost the job".into(),
                other => format!("the job was last seen {other}"),
            },
        },
        (Some(job), RestoreChoice::LatestCheckpoint) => StopPlan::Cancel { flink_job_id: job.clone() },
        (Some(job), _) => StopPlan::StopWithSavepoint { flink_job_id: job.clone() },
    };
    let known = |path: Option<String>, reason: &str| RestorePlan::Known { path, reason: reason.to_owned() };
    let restore = match request.restore {
        RestoreChoice::Path => match &request.restore_path {
            Some(p) => known(Some(p.clone()), "the given path"),
            None => return Err(Unplannable("restore 'path' needs 'restore_path'".into())),
        },
        RestoreChoice::None => known(None, "empty state, as asked"),
        RestoreChoice::VersionSnapshot => match &facts.version_snapshot {
            Some((kind, path)) => RestorePlan::Known {
                path: Some(path.clone()),
                reason: format!("the newest {kind} taken from version {}", request.version),
            },
            None => return Err(Unplannable(format!("no snapshot was taken from version {}", request.version))),
        },
        RestoreChoice::LatestCheckpoint => match (&running, &facts.known_checkpoint) {
            (Some(_), _) => RestorePlan::WhatTheStopSaves {
                reason: "the running job's last checkpoint".into(),
                fallback: facts.known_checkpoint.clone(),
                fallback_reason: "the last recorded checkpoint".into(),
            },
            (None, Some(path)) => known(Some(path.clone()), "the last recorded checkpoint"),
            (None, None) => return Err(Unplannable("no checkpoint is known to restore from".into())),
        },
        RestoreChoice::LatestSavepoint => {
            let (fallback, fallback_reason) = match &facts.latest_savepoint {
                Some(p) => (Some(p.clone()), "the deployment's newest savepoint"),
                None => (None, "no savepoint yet: empty state"),
            };
            match running {
                Some(_) => RestorePlan::WhatTheStopSaves {
                    reason: "the savepoint taken when stopping the running job".into(),
                    fallback,
                    fallback_reason: fallback_reason.into(),
                },
                None => known(fallback, fallback_reason),
            }
        }
    };
    Ok(DeployPlan { stop, restore })
}

/// The path to restore from and why, once the stop has run (`saved`: what it saved, if anything).
pub fn resolve(restore: &RestorePlan, saved: Option<String>) -> (Option<String>, String) {
    match restore {
        RestorePlan::Known { path, reason } => (path.clone(), reason.clone()),
        RestorePlan::WhatTheStopSaves { reason, fallback, fallback_reason } => match saved {
            Some(p) => (Some(p), reason.clone()),
            None => (fallback.clone(), fallback_reason.clone()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_model::{ObservedState as O, RestoreChoice as R};

    fn facts(observed: O) -> DeployFacts {
        DeployFacts {
            job: (observed != O::None).then(|| "j1".to_owned()),
            observed: Some(observed),
            latest_savepoint: Some("/sp/newest".into()),
            known_checkpoint: Some("/cp/last".into()),
            version_snapshot: Some((SnapshotKind::Savepoint, "/sp/v1".into())),
        }
    }

    fn request(restore: R) -> PlanRequest {
        PlanRequest { version: 1, restore, restore_path: (restore == R::Path).then(|| "/given".to_owned()) }
    }

    fn stop_sp() -> StopPlan {
        StopPlan::StopWithSavepoint { flink_job_id: "j1".into() }
    }

    fn nothing(reason: &str) -> StopPlan {
        StopPlan::Nothing { reason: reason.into() }
    }

    fn known(path: Option<&str>, reason: &str) -> RestorePlan {
        RestorePlan::Known { path: path.map(str::to_owned), reason: reason.into() }
    }

    fn from_stop(reason: &str, fallback: Option<&str>, fallback_reason: &str) -> RestorePlan {
        RestorePlan::WhatTheStopSaves {
            reason: reason.into(),
            fallback: fallback.map(str::to_owned),
            fallback_reason: fallback_reason.into(),
        }
    }

    #[test]
    fn plan_table() {
        let no_savepoint = DeployFacts { latest_savepoint: None, ..facts(O::None) };
        let no_checkpoint = DeployFacts { known_checkpoint: None, ..facts(O::Canceled) };
        let no_version_snapshot = DeployFacts { version_snapshot: None, ..facts(O::Running) };
        let running_no_checkpoint = DeployFacts { known_checkpoint: None, ..facts(O::Running) };
        let sp_reason = "the savepoint taken when stopping the running job";
        #[rustfmt::skip]
        let table: Vec<(&str, DeployFacts, R, Result<DeployPlan, Unplannable>)> = vec![
            ("running, latest savepoint: stop with a savepoint, restore from it", facts(O::Running), R::LatestSavepoint,
                Ok(DeployPlan { stop: stop_sp(), restore: from_stop(sp_reason, Some("/sp/newest"), "the deployment's newest savepoint") })),
            ("restarting counts as running", facts(O::Restarting), R::LatestSavepoint,
                Ok(DeployPlan { stop: stop_sp(), restore: from_stop(sp_reason, Some("/sp/newest"), "the deployment's newest savepoint") })),
            ("unreachable is treated as running: the stop fails safely", facts(O::Unreachable), R::LatestSavepoint,
                Ok(DeployPlan { stop: stop_sp(), restore: from_stop(sp_reason, Some("/sp/newest"), "the deployment's newest savepoint") })),
            ("never deployed, no savepoint: nothing to stop, empty state", no_savepoint, R::LatestSavepoint,
                Ok(DeployPlan { stop: nothing("never deployed"), restore: known(None, "no savepoint yet: empty state") })),
            ("finished: nothing to stop, newest savepoint", facts(O::Finished), R::LatestSavepoint,
                Ok(DeployPlan { stop: nothing("the job was last seen FINISHED"), restore: known(Some("/sp/newest"), "the deployment's newest savepoint") })),
            ("lost: nothing to stop", facts(O::Lost), R::LatestSavepoint,
                Ok(DeployPlan { stop: nothing("the cluster lost the job"), restore: known(Some("/sp/newest"), "the deployment's newest savepoint") })),
            ("running, latest checkpoint: cancel, restore its last checkpoint", facts(O::Running), R::LatestCheckpoint,
                Ok(DeployPlan { stop: StopPlan::Cancel { flink_job_id: "j1".into() }, restore: from_stop("the running job's last checkpoint", Some("/cp/last"), "the last recorded checkpoint") })),
            ("running without a recorded checkpoint: cancel is still planned (the cancel step refuses a job without one)", running_no_checkpoint, R::LatestCheckpoint,
                Ok(DeployPlan { stop: StopPlan::Cancel { flink_job_id: "j1".into() }, restore: from_stop("the running job's last checkpoint", None, "the last recorded checkpoint") })),
            ("lost, latest checkpoint (recover): the recorded checkpoint", facts(O::Lost), R::LatestCheckpoint,
                Ok(DeployPlan { stop: nothing("the cluster lost the job"), restore: known(Some("/cp/last"), "the last recorded checkpoint") })),
            ("ended without any checkpoint: refused", no_checkpoint, R::LatestCheckpoint,
                Err(Unplannable("no checkpoint is known to restore from".into()))),
            ("running, fresh state: still stopped with a savepoint, nothing restored", facts(O::Running), R::None,
                Ok(DeployPlan { stop: stop_sp(), restore: known(None, "empty state, as asked") })),
            ("running, a given path: stopped with a savepoint, the path restored", facts(O::Running), R::Path,
                Ok(DeployPlan { stop: stop_sp(), restore: known(Some("/given"), "the given path") })),
            ("rollback with the version's snapshot", facts(O::Running), R::VersionSnapshot,
                Ok(DeployPlan { stop: stop_sp(), restore: known(Some("/sp/v1"), "the newest savepoint taken from version 1") })),
            ("no snapshot of the version: refused", no_version_snapshot, R::VersionSnapshot,
                Err(Unplannable("no snapshot was taken from version 1".into()))),
        ];
        for (name, f, restore, expected) in table {
            assert_eq!(plan(&f, &request(restore)), expected, "{name}");
        }
        let no_path = PlanRequest { version: 1, restore: R::Path, restore_path: None };
        assert!(plan(&facts(O::Running), &no_path).is_err(), "a path is needed");
    }

    #[test]
    fn resolve_after_the_stop() {
        let p = from_stop("stop", Some("/fallback"), "fallback");
        assert_eq!(resolve(&p, Some("/taken".into())), (Some("/taken".into()), "stop".into()));
        assert_eq!(resolve(&p, None), (Some("/fallback".into()), "fallback".into()), "the job had ended already");
        let k = known(None, "empty");
        assert_eq!(resolve(&k, Some("/ignored".into())), (None, "empty".into()));
    }
}
