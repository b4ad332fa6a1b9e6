//! Table `metric_points`: one point of a deployment's measure at one resolution (`vertex` empty: job-level).

use sea_orm::entity::prelude::*;
use weir_model::metrics::{MetricName, Resolution};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "metric_points")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub deployment_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub resolution: Resolution,
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: MetricName,
    #[sea_orm(primary_key, auto_increment = false)]
    pub vertex: String,
    /// Unix milliseconds (the start of the bucket for rolled-up points).
    #[sea_orm(primary_key, auto_increment = false)]
    pub ts: i64,
    pub value: f64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
