//! The lifecycle words of the domain, as types. Each enum's wire name (serde, the REST API, the database, the
//! UI) is written once, in the [`vocabulary!`] list below; nothing else in Weir spells them.
//!
//! With the `db` feature each enum is also a sea-orm value stored as its wire name, so the store reads and
//! writes the same words the API shows.

use std::fmt;

/// A word that is not in an enum's vocabulary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownWord {
    pub what: &'static str,
    pub word: String,
    pub expected: &'static [&'static str],
}

impl fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} '{}': expected one of {}", self.what, self.word, self.expected.join(", "))
    }
}

impl std::error::Error for UnknownWord {}

/// Declares an enum whose variants are written as the given words everywhere: `as_str`, `Display`, `FromStr`,
/// serde, and (feature `db`) sea-orm.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "db", derive(sea_orm::DeriveValueType), sea_orm(value_type = "String"))]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every wire name, in declaration order.
            pub const WORDS: &'static [&'static str] = &[$($word),+];

            /// The wire name.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::vocabulary::UnknownWord;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($word => Ok($name::$variant),)+
                    other => Err($crate::vocabulary::UnknownWord { what: $what, word: other.to_owned(), expected: Self::WORDS }),
                }
            }
        }

        /// A vocabulary word can be part of a composite primary key, never an auto-increment one.
        #[cfg(feature = "db")]
        impl sea_orm::TryFromU64 for $name {
            fn try_from_u64(_: u64) -> Result<Self, sea_orm::DbErr> {
                Err(sea_orm::DbErr::ConvertFromU64(stringify!($name)))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let word = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                word.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

vocabulary! {
    /// A job's state as Flink reports it (`GET /jobs/overview`).
    FlinkJobState, "Flink job state" {
        Initializing = "INITIALIZING",
        Created = "CREATED",
        Running = "RUNNING",
        Failing = "FAILING",
        Failed = "FAILED",
        Cancelling = "CANCELLING",
        Canceled = "CANCELED",
        Finished = "FINISHED",
        Restarting = "RESTARTING",
        Suspended = "SUSPENDED",
        Reconciling = "RECONCILING",
    }
}

impl FlinkJobState {
    /// The job never comes back from this state (FINISHED, CANCELED, FAILED).
    pub const fn is_terminal(self) -> bool {
        matches!(self, FlinkJobState::Finished | FlinkJobState::Canceled | FlinkJobState::Failed)
    }

    /// The job is alive on its cluster: it holds resources and can be stopped or savepointed (every
    /// non-terminal state, SUSPENDED included — a suspended job waits for its JobManager's leadership).
    pub const fn is_alive(self) -> bool {
        !self.is_terminal()
    }
}

vocabulary! {
    /// What Weir last saw of a deployment's job: a Flink state, or one of Weir's own words for what Flink
    /// cannot say.
    ObservedState, "observed state" {
        /// Never deployed.
        None = "NONE",
        /// The cluster does not answer; the last known state and the desired state are kept.
        Unreachable = "UNREACHABLE",
        /// The cluster answers but no longer knows the job.
        Lost = "LOST",
        Initializing = "INITIALIZING",
        Created = "CREATED",
        Running = "RUNNING",
        Failing = "FAILING",
        Failed = "FAILED",
        Cancelling = "CANCELLING",
        Canceled = "CANCELED",
        Finished = "FINISHED",
        Restarting = "RESTARTING",
        Suspended = "SUSPENDED",
        Reconciling = "RECONCILING",
    }
}

impl From<FlinkJobState> for ObservedState {
    fn from(s: FlinkJobState) -> Self {
        match s {
            FlinkJobState::Initializing => ObservedState::Initializing,
            FlinkJobState::Created => ObservedState::Created,
            FlinkJobState::Running => ObservedState::Running,
            FlinkJobState::Failing => ObservedState::Failing,
            FlinkJobState::Failed => ObservedState::Failed,
            FlinkJobState::Cancelling => ObservedState::Cancelling,
            FlinkJobState::Canceled => ObservedState::Canceled,
            FlinkJobState::Finished => ObservedState::Finished,
            FlinkJobState::Restarting => ObservedState::Restarting,
            FlinkJobState::Suspended => ObservedState::Suspended,
            FlinkJobState::Reconciling => ObservedState::Reconciling,
        }
    }
}

impl ObservedState {
    /// The Flink state, when the observation is one.
    pub fn flink(self) -> Option<FlinkJobState> {
        match self {
            ObservedState::None | ObservedState::Unreachable | ObservedState::Lost => None,
            other => other.as_str().parse().ok(),
        }
    }

    /// The job is known to run (or be about to) on its cluster.
    pub fn is_alive(self) -> bool {
        self.flink().is_some_and(FlinkJobState::is_alive)
    }

    /// The job ended and never comes back.
    pub fn is_terminal(self) -> bool {
        self.flink().is_some_and(FlinkJobState::is_terminal)
    }

    /// Something a person should look at: failing, restarting, unreachable or lost.
    pub fn is_trouble(self) -> bool {
        matches!(
            self,
            ObservedState::Failed
                | ObservedState::Failing
                | ObservedState::Restarting
                | ObservedState::Unreachable
                | ObservedState::Lost
        )
    }
}

vocabulary! {
    /// What should be true of a deployment.
    DesiredState, "desired state" {
        Running = "running",
        /// Stopped with a savepoint; can resume from it.
        Suspended = "suspended",
        /// Stopped without a savepoint.
        Cancelled = "cancelled",
    }
}

vocabulary! {
    /// The kinds of operation on a deployment.
    OperationKind, "operation kind" {
        Deploy = "deploy",
        Rollback = "rollback",
        Restart = "restart",
        /// Started by the reconciler for a job the cluster lost.
        Recover = "recover",
        Stop = "stop",
        Savepoint = "savepoint",
    }
}

impl OperationKind {
    /// Deploy, rollback, restart and recover share one flow: stop what runs, choose a restore, submit.
    pub fn starts_a_job(self) -> bool {
        matches!(self, OperationKind::Deploy | OperationKind::Rollback | OperationKind::Restart | OperationKind::Recover)
    }
}

vocabulary! {
    /// Where an operation is.
    OperationStatus, "operation status" {
        Queued = "queued",
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
    }
}

impl OperationStatus {
    pub fn is_finished(self) -> bool {
        matches!(self, OperationStatus::Succeeded | OperationStatus::Failed)
    }
}

vocabulary! {
    /// What an API token may be used for.
    TokenScopeKind, "token scope" {
        /// The REST API, with the user's rights (or a namespace's role).
        Api = "api",
        /// Only `GET /metrics`, for a Prometheus scraper.
        Metrics = "metrics",
    }
}

vocabulary! {
    /// Where one recorded step of an operation is.
    StepStatus, "step status" {
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
    }
}

vocabulary! {
    /// The steps operations are made of, as the write-ahead log records them.
    Step, "step" {
        /// Stop the job that runs now with a savepoint (deploy flow, and stop).
        StopWithSavepoint = "stop-with-savepoint",
        /// Cancel the job that runs now, keeping its last checkpoint (deploy flow with latest-checkpoint).
        CancelRunningJob = "cancel-running-job",
        /// Decide which state the new job starts from.
        ChooseRestore = "choose-restore",
        /// Make sure the program's jar is on the cluster.
        UploadJar = "upload-jar",
        /// Submit the job with a job id chosen in advance.
        Submit = "submit",
        /// Wait until every task runs.
        WaitRunning = "wait-running",
        /// Cancel without a savepoint (stop).
        Cancel = "cancel",
        /// A savepoint while the job keeps running.
        Savepoint = "savepoint",
    }
}

vocabulary! {
    /// A role in a namespace; each includes the ones before it.
    Role, "role" {
        Viewer = "viewer",
        Editor = "editor",
        Owner = "owner",
    }
}

vocabulary! {
    /// What kind of state a snapshot holds.
    SnapshotKind, "snapshot kind" {
        Savepoint = "savepoint",
        /// A retained checkpoint.
        Checkpoint = "checkpoint",
    }
}

vocabulary! {
    /// Why a snapshot was taken.
    SnapshotOrigin, "snapshot origin" {
        /// "Savepoint now".
        Manual = "manual",
        /// Stop with a savepoint.
        Stop = "stop",
        /// Taken when a deploy, rollback or restart replaced the running job.
        Upgrade = "upgrade",
        /// The last checkpoint of a cancelled job, retained on cancellation.
        Retained = "retained",
    }
}

vocabulary! {
    /// What state a new job starts from.
    RestoreChoice, "restore choice" {
        /// The savepoint taken when stopping the running job, else the deployment's newest savepoint (default).
        LatestSavepoint = "latest-savepoint",
        /// The running job's last completed checkpoint (it is cancelled, not savepointed), else the last one
        /// recorded.
        LatestCheckpoint = "latest-checkpoint",
        /// Empty state (a running job is still stopped with a savepoint first, so nothing is lost).
        None = "none",
        /// The savepoint or checkpoint at a given path.
        Path = "path",
        /// The newest snapshot taken from the version being deployed (for rollbacks).
        VersionSnapshot = "version-snapshot",
    }
}

vocabulary! {
    /// What a job's program is.
    JobKind, "job kind" {
        Sql = "sql",
        Jar = "jar",
    }
}

vocabulary! {
    /// How a version runs.
    ExecutionMode, "mode" {
        Streaming = "streaming",
        Batch = "batch",
    }
}

vocabulary! {
    /// Why a deployment is on the dashboard's attention list.
    Concern, "concern" {
        Failed = "FAILED",
        Failing = "FAILING",
        Restarting = "RESTARTING",
        Unreachable = "UNREACHABLE",
        Lost = "LOST",
        /// Its latest operation failed while taking a savepoint (the job kept running).
        SavepointFailed = "savepoint failed",
        /// Its latest operation failed.
        OperationFailed = "operation failed",
        /// Flink restored its running job from an older checkpoint than the newest Weir knew (stale position).
        StaleRestore = "stale restore",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_through_serde_and_from_str() {
        for s in ObservedState::ALL {
            let json = serde_json::to_string(s).expect("serialize");
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert_eq!(serde_json::from_str::<ObservedState>(&json).expect("deserialize"), *s);
            assert_eq!(s.as_str().parse::<ObservedState>().expect("parse"), *s);
        }
        for s in FlinkJobState::ALL {
            assert_eq!(ObservedState::from(*s).flink(), Some(*s));
            assert_eq!(ObservedState::from(*s).as_str(), s.as_str());
        }
        let err = "sleeping".parse::<Role>().expect_err("not a role");
        assert_eq!(err.to_string(), "unknown role 'sleeping': expected one of viewer, editor, owner");
        assert!(serde_json::from_str::<DesiredState>("\"RUNNING\"").is_err());
    }

    #[test]
    fn alive_and_terminal_states() {
        let terminal: Vec<_> = FlinkJobState::ALL.iter().filter(|s| s.is_terminal()).map(|s| s.as_str()).collect();
        assert_eq!(terminal, ["FAILED", "CANCELED", "FINISHED"]);
        assert!(FlinkJobState::ALL.iter().all(|s| s.is_alive() != s.is_terminal()));
        for weir_own in [ObservedState::None, ObservedState::Unreachable, ObservedState::Lost] {
            assert!(!weir_own.is_alive() && !weir_own.is_terminal(), "{weir_own}");
        }
        assert!(ObservedState::Suspended.is_alive());
        assert!(Role::Viewer < Role::Editor && Role::Editor < Role::Owner);
    }
}
