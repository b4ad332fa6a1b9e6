//! Table `environments`: where jobs run, each bound to one cluster.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "environments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    pub cluster_id: i64,
    /// Default Flink configuration of jobs in this environment, as a JSON object of strings.
    pub flink_config: String,
    /// A Prometheus holding this environment's Flink metrics (read with PromQL instead of sampling).
    pub prometheus_url: Option<String>,
    /// The resource pool it draws from; none: no limit.
    pub pool_id: Option<i64>,
    /// How recommendations are computed here (JSON `RecommendationSettings`); none: the defaults.
    pub recommendation_settings: Option<String>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::cluster::Entity",
        from = "Column::ClusterId",
        to = "super::cluster::Column::Id"
    )]
    Cluster,
}

impl Related<super::cluster::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Cluster.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
