//! Table `versions`: immutable numbered versions of a job's program and default settings.

use sea_orm::entity::prelude::*;
use weir_model::ExecutionMode;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub job_id: i64,
    pub number: i32,
    /// The SQL script of a SQL job.
    pub sql: Option<String>,
    /// The JAR of a JAR job.
    pub artifact_id: Option<i64>,
    pub entry_class: Option<String>,
    /// Program arguments of a JAR job, as a JSON array of strings.
    pub args: String,
    pub parallelism: Option<i32>,
    /// Flink configuration, as a JSON object of strings.
    pub flink_config: String,
    /// `streaming` or `batch`.
    pub mode: ExecutionMode,
    pub message: String,
    pub author: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
