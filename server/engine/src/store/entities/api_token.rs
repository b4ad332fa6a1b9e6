//! Table `api_tokens`: tokens for automation, stored as the SHA-256 of their secret; optionally scoped to one
//! namespace and a role, or to reading `GET /metrics` (scope `metrics`); `revoked_at` set means refused from the next request on.

use sea_orm::entity::prelude::*;
use weir_model::{Role, TokenScopeKind};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// The first characters of the token, to recognise it in a list.
    pub prefix: String,
    #[sea_orm(unique)]
    pub secret_hash: String,
    pub namespace_id: Option<i64>,
    pub role: Option<Role>,
    /// `api`, or `metrics`: only `GET /metrics`.
    pub scope: TokenScopeKind,
    pub created_at: ChronoDateTimeUtc,
    pub last_used_at: Option<ChronoDateTimeUtc>,
    pub revoked_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
