//! One module per page of the UI.

pub mod account;
pub mod alerts;
pub mod admin;
pub mod audit;
pub mod dashboard;
pub mod dashboard_trends;
pub mod job;
pub mod job_lineage;
pub mod job_logs;
pub mod job_metrics;
pub mod job_resources;
pub mod jobs;
pub mod lineage;
pub mod login;
pub mod namespaces;
pub mod not_found;
pub mod pools;
pub mod users;
