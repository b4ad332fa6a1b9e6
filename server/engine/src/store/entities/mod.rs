//! sea-orm entities, one module per table (the schema itself is in the `weir-migrations` crate).

pub mod alert;
pub mod alert_channel;
pub mod alert_group;
pub mod alert_notification;
pub mod alert_rule;
pub mod alert_rule_channel;
pub mod api_token;
pub mod artifact;
pub mod audit_event;
pub mod cluster;
pub mod cluster_jar;
pub mod cluster_point;
pub mod deployment;
pub mod environment;
pub mod job;
pub mod metric_point;
pub mod namespace;
pub mod namespace_environment;
pub mod namespace_member;
pub mod operation;
pub mod operation_step;
pub mod session;
pub mod silence;
pub mod snapshot;
pub mod user;
pub mod version;
