//! Table `failovers`: a running job seen restored by Flink itself from another snapshot than it was started
//! from (a JobManager failover, or a restart), with the newest checkpoint Weir knew then.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "failovers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub deployment_id: i64,
    pub flink_job_id: String,
    pub at: ChronoDateTimeUtc,
    pub restored_from: Option<String>,
    pub newest_known: Option<String>,
    /// The restored checkpoint is older than the newest Weir knew: the job went back to a stale position.
    pub stale: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
