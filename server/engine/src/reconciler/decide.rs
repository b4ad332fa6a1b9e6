//! Decide: what the reconciler does about one deployment, given what the latest look at its cluster found.
//! A pure function of values, so every rule is a row in the table test below; no cluster, no database.
//!
//! The rules (as written in `design.md` and the recovery notes of `operations`):
//! - a cluster that does not answer makes its deployments UNREACHABLE; their desired state is kept;
//! - a job the cluster lists is in the state the cluster says;
//! - a job the cluster no longer lists is LOST — unless it had ended (the cluster archived it: it stays
//!   ended) or an operation is in flight (it is in charge: it may have just submitted the job);
//! - a LOST job that should run, with no operation in flight, is recovered — once, when the loss is first
//!   seen; a failed recovery leaves it LOST for a person, never retried in a loop; never on a cluster that
//!   heals its jobs itself (the Kubernetes operator): Weir must not start a second one;
//! - a running job's last completed checkpoint is read every few ticks, so it can be restored later.

use weir_model::{DesiredState, FlinkJobState, ObservedState};

/// What the engine knows of a deployment before this look.
#[derive(Clone, Debug, PartialEq)]
pub struct DeploymentFacts {
    pub desired: DesiredState,
    /// The Flink job the deployment tracks (none: never deployed, nothing to watch).
    pub flink_job_id: Option<String>,
    /// What the previous look saw.
    pub observed: ObservedState,
    /// An operation is in flight on it.
    pub busy: bool,
    /// Its cluster restarts lost jobs itself (a backend capability): Weir records, never recovers.
    pub cluster_heals_jobs: bool,
}

/// What this look found of the deployment's job.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum JobSeen {
    /// The cluster did not answer.
    ClusterUnreachable,
    /// The cluster lists the job in this state.
    Listed(FlinkJobState),
    /// The cluster answered without the job.
    NotListed,
}

/// What to do about one deployment.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Write this observed state (it changed).
    Record(ObservedState),
    /// Read the job's last completed checkpoint and record it if it is new.
    ReadCheckpoint,
    /// Start a `recover` operation: the job should run but is gone.
    Recover,
}

/// The observed state this look amounts to.
pub fn observed_state(facts: &DeploymentFacts, seen: JobSeen) -> ObservedState {
    match seen {
        JobSeen::ClusterUnreachable => ObservedState::Unreachable,
        JobSeen::Listed(state) => state.into(),
        // A finished job the cluster has archived away is still finished.
        JobSeen::NotListed if facts.observed.is_terminal() => facts.observed,
        // Just submitted, or being replaced: the operation is in charge.
        JobSeen::NotListed if facts.busy => facts.observed,
        JobSeen::NotListed => ObservedState::Lost,
    }
}

/// The actions for one deployment. `slow_tick` says whether this tick also reads checkpoints.
pub fn decide(facts: &DeploymentFacts, seen: JobSeen, slow_tick: bool) -> Vec<Action> {
    if facts.flink_job_id.is_none() {
        return Vec::new();
    }
    let now = observed_state(facts, seen);
    let mut actions = Vec::new();
    if now != facts.observed {
        actions.push(Action::Record(now));
    }
    if slow_tick && seen == JobSeen::Listed(FlinkJobState::Running) {
        actions.push(Action::ReadCheckpoint);
    }
    let newly_lost = now == ObservedState::Lost && facts.observed != ObservedState::Lost;
    if newly_lost && facts.desired == DesiredState::Running && !facts.busy && !facts.cluster_heals_jobs {
        actions.push(Action::Recover);
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_model::{DesiredState as D, FlinkJobState as F, ObservedState as O};

    fn facts(desired: D, observed: O, busy: bool) -> DeploymentFacts {
        DeploymentFacts { desired, flink_job_id: Some("j1".into()), observed, busy, cluster_heals_jobs: false }
    }

    #[test]
    fn decide_table() {
        use Action::*;
        use JobSeen::*;
        #[rustfmt::skip]
        let table: Vec<(&str, DeploymentFacts, JobSeen, bool, Vec<Action>)> = vec![
            ("never deployed: nothing to watch",
                DeploymentFacts { flink_job_id: None, ..facts(D::Suspended, O::None, false) }, NotListed, true, vec![]),
            ("running and still running: nothing changes",
                facts(D::Running, O::Running, false), Listed(F::Running), false, vec![]),
            ("running, slow tick: read its checkpoint",
                facts(D::Running, O::Running, false), Listed(F::Running), true, vec![ReadCheckpoint]),
            ("created becomes running: record, and read the checkpoint on a slow tick",
                facts(D::Running, O::Created, true), Listed(F::Running), true, vec![Record(O::Running), ReadCheckpoint]),
            ("restarting is surfaced as it is",
                facts(D::Running, O::Running, false), Listed(F::Restarting), true, vec![Record(O::Restarting)]),
            ("failed is surfaced, never hidden or restarted",
                facts(D::Running, O::Running, false), Listed(F::Failed), false, vec![Record(O::Failed)]),
            ("unreachable: recorded, desired state kept, no recovery",
                facts(D::Running, O::Running, false), ClusterUnreachable, true, vec![Record(O::Unreachable)]),
            ("still unreachable: nothing new",
                facts(D::Running, O::Unreachable, false), ClusterUnreachable, false, vec![]),
            ("back from unreachable: the cluster's state",
                facts(D::Running, O::Unreachable, false), Listed(F::Running), false, vec![Record(O::Running)]),
            ("LOST and should run: recover",
                facts(D::Running, O::Running, false), NotListed, false, vec![Record(O::Lost), Recover]),
            ("LOST after unreachable (JobManager restarted without HA): recover",
                facts(D::Running, O::Unreachable, false), NotListed, false, vec![Record(O::Lost), Recover]),
            ("LOST on a cluster that heals its jobs: recorded, not recovered by Weir",
                DeploymentFacts { cluster_heals_jobs: true, ..facts(D::Running, O::Running, false) }, NotListed, false, vec![Record(O::Lost)]),
            ("still LOST: recovered once, never in a loop",
                facts(D::Running, O::Lost, false), NotListed, false, vec![]),
            ("LOST but suspended: recorded, not recovered",
                facts(D::Suspended, O::Running, false), NotListed, false, vec![Record(O::Lost)]),
            ("LOST but cancelled: recorded, not recovered",
                facts(D::Cancelled, O::Running, false), NotListed, false, vec![Record(O::Lost)]),
            ("not listed during an operation: the operation is in charge",
                facts(D::Running, O::Created, true), NotListed, false, vec![]),
            ("not listed during an operation, was running: kept, no recovery",
                facts(D::Running, O::Running, true), NotListed, true, vec![]),
            ("finished and archived by the cluster: stays finished",
                facts(D::Running, O::Finished, false), NotListed, false, vec![]),
            ("canceled and archived: stays canceled",
                facts(D::Cancelled, O::Canceled, false), NotListed, false, vec![]),
            ("failed and archived: stays failed, no recovery",
                facts(D::Running, O::Failed, false), NotListed, false, vec![]),
            ("a job that ended is recorded as ended",
                facts(D::Suspended, O::Running, true), Listed(F::Finished), false, vec![Record(O::Finished)]),
        ];
        for (name, f, seen, slow, expected) in table {
            assert_eq!(decide(&f, seen, slow), expected, "{name}");
        }
    }
}
