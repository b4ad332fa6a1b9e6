//! Table `alert_groups`: what a deployment's group of alerts last told a channel (firing or resolved, with
//! which rules, when), so a group is told once and again only after the repeat interval.

use sea_orm::entity::prelude::*;
use weir_model::alerts::NotificationEvent;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_groups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub deployment_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel_id: i64,
    pub event: NotificationEvent,
    /// The rule names of the last message, as a JSON array.
    pub rules: String,
    /// When the group started firing.
    pub started_at: ChronoDateTimeUtc,
    pub sent_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
