//! Table `version_lineage`: a version's lineage, kept with it: the planner's answer for SQL, the declaration
//! for JAR, or why it could not be had (`origin`; `body` is JSON).

use sea_orm::entity::prelude::*;
use weir_model::lineage::LineageOrigin;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "version_lineage")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub version_id: i64,
    pub origin: LineageOrigin,
    pub body: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
