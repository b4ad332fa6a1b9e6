//! Table `alert_channels`: where a namespace's notifications go. `config` is the kind's settings as JSON,
//! without the secret; `secret` (webhook signing key, Slack URL, SMTP password) is never shown again.

use sea_orm::entity::prelude::*;
use weir_model::alerts::ChannelKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_channels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub namespace_id: i64,
    pub name: String,
    pub kind: ChannelKind,
    pub config: String,
    pub secret: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
