//! Table `alert_notifications`: the alert history — every notification, its payload, and how its delivery
//! went (attempts, the last error).

use sea_orm::entity::prelude::*;
use weir_model::alerts::{ChannelKind, DeliveryStatus, NotificationEvent};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub namespace_id: i64,
    pub channel_id: Option<i64>,
    pub channel_name: String,
    pub channel_kind: ChannelKind,
    pub deployment_id: Option<i64>,
    pub event: NotificationEvent,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub error: Option<String>,
    /// The message as sent, as JSON.
    pub payload: String,
    pub created_at: ChronoDateTimeUtc,
    pub finished_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
