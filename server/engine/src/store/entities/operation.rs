//! Table `operations`: requested actions on a deployment, with their status and error.

use sea_orm::entity::prelude::*;
use weir_model::{OperationKind, OperationStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "operations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub deployment_id: i64,
    pub kind: OperationKind,
    pub requested_by: String,
    /// The request as given (version, restore choice, overrides, ...), as JSON.
    pub params: String,
    pub status: OperationStatus,
    pub error: Option<String>,
    /// The deployment's desired state, version and overrides before this operation was admitted (JSON), put
    /// back if it fails before it changed what runs.
    pub prior_desired: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub started_at: Option<ChronoDateTimeUtc>,
    pub finished_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
