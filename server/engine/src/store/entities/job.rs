//! Table `jobs`: named Flink programs (SQL or JAR), unique by name within a namespace.

use sea_orm::entity::prelude::*;
use weir_model::JobKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub namespace_id: i64,
    pub name: String,
    /// `sql` or `jar`.
    pub kind: JobKind,
    pub description: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
