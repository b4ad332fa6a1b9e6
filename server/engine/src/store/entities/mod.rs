//! sea-orm entities, one module per table (the schema itself is in the `weir-migrations` crate).

pub mod api_token;
pub mod artifact;
pub mod audit_event;
pub mod cluster;
pub mod cluster_jar;
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
pub mod snapshot;
pub mod user;
pub mod version;
