//! Table `operation_steps`: the ordered steps of an operation, each recorded before it acts on a cluster (the write-ahead log).

use sea_orm::entity::prelude::*;
use weir_model::{Step, StepStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "operation_steps")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub operation_id: i64,
    pub seq: i32,
    pub name: Step,
    /// running, succeeded, failed.
    pub status: StepStatus,
    /// What the step is about to do and what it got (trigger ids, job ids, paths), as JSON.
    pub data: String,
    pub started_at: ChronoDateTimeUtc,
    pub finished_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
