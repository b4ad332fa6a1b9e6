//! Weir's database schema, as ordered sea-orm migrations. The same migrations run on SQLite and PostgreSQL;
//! `weir` applies any pending ones at start-up.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_clusters_environments;
mod m20261121_000002_jobs_deployments;
mod m20261121_000003_accounts;
mod m20261122_000004_operation_prior_desired;
mod m20261122_000005_metric_points;
mod m20261122_000006_alerts;
mod m20261122_000007_cluster_points;
mod m20261122_000008_token_scope_prometheus;
mod m20261122_000009_pools;
mod m20261122_000010_recommendations;
mod m20261122_000011_cluster_settings;
mod m20261122_000012_failovers;
mod m20261122_000013_version_lineage;
mod m20261122_000014_openlineage_events;
mod shapes;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_clusters_environments::Migration),
            Box::new(m20261121_000002_jobs_deployments::Migration),
            Box::new(m20261121_000003_accounts::Migration),
            Box::new(m20261122_000004_operation_prior_desired::Migration),
            Box::new(m20261122_000005_metric_points::Migration),
            Box::new(m20261122_000006_alerts::Migration),
            Box::new(m20261122_000007_cluster_points::Migration),
            Box::new(m20261122_000008_token_scope_prometheus::Migration),
            Box::new(m20261122_000009_pools::Migration),
            Box::new(m20261122_000010_recommendations::Migration),
            Box::new(m20261122_000011_cluster_settings::Migration),
            Box::new(m20261122_000012_failovers::Migration),
            Box::new(m20261122_000013_version_lineage::Migration),
            Box::new(m20261122_000014_openlineage_events::Migration),
        ]
    }
}
