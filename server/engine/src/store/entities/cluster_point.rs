//! Table `cluster_points`: one point of a cluster's measure (slots, CPU, heap, GC, managed memory) at one
//! resolution, of the whole cluster (`task_manager` empty) or of one TaskManager.

use sea_orm::entity::prelude::*;
use weir_model::metrics::{ClusterMetricName, Resolution};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cluster_points")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub cluster_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub resolution: Resolution,
    /// Flink's TaskManager id; empty for the cluster's totals.
    #[sea_orm(primary_key, auto_increment = false)]
    pub task_manager: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: ClusterMetricName,
    /// Unix milliseconds (the start of the bucket for rolled-up points).
    #[sea_orm(primary_key, auto_increment = false)]
    pub ts: i64,
    pub value: f64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
