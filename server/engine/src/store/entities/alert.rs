//! Table `alerts`: one episode of a rule for a deployment — pending, firing, then resolved (a new episode
//! is a new row).

use sea_orm::entity::prelude::*;
use weir_model::alerts::AlertState;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub namespace_id: i64,
    pub rule_id: i64,
    pub deployment_id: i64,
    pub state: AlertState,
    /// The value that breached the rule, in words.
    pub value: String,
    /// When the condition was first seen to hold.
    pub started_at: ChronoDateTimeUtc,
    pub fired_at: Option<ChronoDateTimeUtc>,
    pub resolved_at: Option<ChronoDateTimeUtc>,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
