//! Table `deployments`: a job in one environment: desired state, version, overrides, observed state.

use sea_orm::entity::prelude::*;
use weir_model::{DesiredState, ObservedState};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deployments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub job_id: i64,
    pub environment_id: i64,
    /// `running`, `suspended` or `cancelled`.
    pub desired_state: DesiredState,
    pub version_id: Option<i64>,
    /// Deploy-time Flink configuration overrides (config hotfix), as a JSON object of strings.
    pub config_overrides: String,
    /// The Flink job currently (or last) run for this deployment.
    pub flink_job_id: Option<String>,
    /// The state last seen on the cluster (a Flink job state, or NONE, UNREACHABLE, LOST).
    pub observed_state: ObservedState,
    pub observed_at: Option<ChronoDateTimeUtc>,
    /// The last completed (retained) checkpoint seen while the job ran.
    pub latest_checkpoint: Option<String>,
    /// What the current job was started from ("" for nothing; none: not recorded, on older rows).
    pub restored_from: Option<String>,
    /// The operation in flight, if any: at most one per deployment.
    pub active_operation_id: Option<i64>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
