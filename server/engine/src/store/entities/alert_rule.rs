//! Table `alert_rules`: a condition on a namespace's deployments, scoped to a job and/or an environment
//! (none: every one).

use sea_orm::entity::prelude::*;
use weir_model::alerts::AlertConditionKind;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub namespace_id: i64,
    pub name: String,
    pub condition_kind: AlertConditionKind,
    pub for_s: i64,
    pub threshold: Option<f64>,
    pub window_s: Option<i64>,
    pub job_id: Option<i64>,
    pub environment_id: Option<i64>,
    pub enabled: bool,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
