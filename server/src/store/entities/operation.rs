//! Table `operations`: requested actions on a deployment, with their status and error.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "operations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub deployment_id: i64,
    /// deploy, rollback, stop, savepoint, restart.
    pub kind: String,
    pub requested_by: String,
    /// The request as given (version, restore choice, overrides, ...), as JSON.
    pub params: String,
    /// queued, running, succeeded, failed.
    pub status: String,
    pub error: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub started_at: Option<ChronoDateTimeUtc>,
    pub finished_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
