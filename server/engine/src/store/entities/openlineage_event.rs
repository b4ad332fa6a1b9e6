//! Table `openlineage_events`: RunEvents owed to the OpenLineage receiver (an outbox), one per run and type.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "openlineage_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: String,
    /// START, RUNNING, COMPLETE, ABORT or FAIL.
    pub event_type: String,
    /// The RunEvent, as posted.
    pub body: String,
    pub created_at: ChronoDateTimeUtc,
    pub attempts: i32,
    pub next_attempt_at: ChronoDateTimeUtc,
    pub delivered_at: Option<ChronoDateTimeUtc>,
    /// No more attempts (the receiver refused it, or every attempt failed).
    pub gave_up: bool,
    pub last_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
