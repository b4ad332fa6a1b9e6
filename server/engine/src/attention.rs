//! Attention: the first rule over observations — whether a deployment needs a person, and why. A pure
//! function of what the reconciler observed and how the deployment's latest operation ended; the dashboard
//! lists what it returns.

use weir_model::{Concern, ObservedState, OperationStatus, Step, StepStatus};

/// How a deployment's latest operation ended, as the rule needs it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LatestOperation {
    pub status: OperationStatus,
    /// The step that failed, if one did.
    pub failed_step: Option<Step>,
}

/// The concerns about one deployment (none: it needs nobody). `stale_restore`: its current job was restored by
/// Flink from an older checkpoint than the newest Weir knew.
pub fn concerns(observed: ObservedState, latest: Option<LatestOperation>, stale_restore: bool) -> Vec<Concern> {
    let mut out = Vec::new();
    match observed {
        ObservedState::Failed => out.push(Concern::Failed),
        ObservedState::Failing => out.push(Concern::Failing),
        ObservedState::Restarting => out.push(Concern::Restarting),
        ObservedState::Unreachable => out.push(Concern::Unreachable),
        ObservedState::Lost => out.push(Concern::Lost),
        _ => {}
    }
    if stale_restore {
        out.push(Concern::StaleRestore);
    }
    if let Some(op) = latest.filter(|op| op.status == OperationStatus::Failed) {
        out.push(match op.failed_step {
            Some(Step::StopWithSavepoint | Step::Savepoint) => Concern::SavepointFailed,
            _ => Concern::OperationFailed,
        });
    }
    out
}

/// The step of an operation that failed, from its recorded steps.
pub fn failed_step(steps: impl IntoIterator<Item = (Step, StepStatus)>) -> Option<Step> {
    steps.into_iter().find(|(_, status)| *status == StepStatus::Failed).map(|(step, _)| step)
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_model::{Concern as C, ObservedState as O, OperationStatus as S, Step as St};

    fn op(status: S, failed_step: Option<St>) -> Option<LatestOperation> {
        Some(LatestOperation { status, failed_step })
    }

    #[test]
    fn concerns_table() {
        #[rustfmt::skip]
        let table: Vec<(&str, O, Option<LatestOperation>, Vec<C>)> = vec![
            ("running, nothing happened", O::Running, None, vec![]),
            ("running after a good deploy", O::Running, op(S::Succeeded, None), vec![]),
            ("never deployed", O::None, None, vec![]),
            ("stopped on purpose", O::Finished, op(S::Succeeded, None), vec![]),
            ("failed job", O::Failed, None, vec![C::Failed]),
            ("failing job", O::Failing, None, vec![C::Failing]),
            ("restarting job", O::Restarting, None, vec![C::Restarting]),
            ("cluster down", O::Unreachable, None, vec![C::Unreachable]),
            ("job lost", O::Lost, None, vec![C::Lost]),
            ("a savepoint that failed while the job keeps running", O::Running, op(S::Failed, Some(St::Savepoint)), vec![C::SavepointFailed]),
            ("a deploy whose stop-with-savepoint failed", O::Running, op(S::Failed, Some(St::StopWithSavepoint)), vec![C::SavepointFailed]),
            ("a deploy whose new job failed to start", O::Failed, op(S::Failed, Some(St::WaitRunning)), vec![C::Failed, C::OperationFailed]),
            ("an operation failed before any step", O::Running, op(S::Failed, None), vec![C::OperationFailed]),
            ("an operation still running is no concern", O::Running, op(S::Running, None), vec![]),
        ];
        for (name, observed, latest, expected) in table {
            assert_eq!(concerns(observed, latest, false), expected, "{name}");
        }
        // A job Flink put back to an older checkpoint needs a person, whatever else holds.
        assert_eq!(concerns(O::Running, None, true), vec![C::StaleRestore]);
        assert_eq!(concerns(O::Restarting, op(S::Failed, None), true), vec![C::Restarting, C::StaleRestore, C::OperationFailed]);
        assert_eq!(failed_step([(St::ChooseRestore, StepStatus::Succeeded), (St::Submit, StepStatus::Failed)]), Some(St::Submit));
        assert_eq!(failed_step([(St::Submit, StepStatus::Succeeded)]), None);
    }
}
