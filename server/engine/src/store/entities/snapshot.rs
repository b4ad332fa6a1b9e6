//! Table `snapshots`: savepoints and retained checkpoints, with origin and the version they were taken from.

use sea_orm::entity::prelude::*;
use weir_model::{SnapshotKind, SnapshotOrigin};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "snapshots")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub deployment_id: i64,
    pub version_id: i64,
    /// `savepoint` or `checkpoint`.
    pub kind: SnapshotKind,
    /// manual, stop, upgrade, retained.
    pub origin: SnapshotOrigin,
    pub path: String,
    pub flink_job_id: String,
    pub operation_id: Option<i64>,
    /// completed or failed.
    pub status: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
