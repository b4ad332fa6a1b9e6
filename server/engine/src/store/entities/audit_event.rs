//! Table `audit_events`: one row per state-changing request — who, what, when, from where, and the result.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: ChronoDateTimeUtc,
    /// The user's name, `name (token label)` for a token, or `anonymous`.
    pub actor: String,
    pub user_id: Option<i64>,
    pub token_id: Option<i64>,
    /// The engine operation (e.g. `deploy`), or the request line when the engine was not reached.
    pub action: String,
    /// Method and path.
    pub request: String,
    pub namespace: Option<String>,
    pub target: Option<String>,
    pub address: Option<String>,
    pub status: i32,
    /// ok, denied (401/403/429), failed.
    pub outcome: String,
    pub message: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
