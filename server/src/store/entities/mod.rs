//! sea-orm entities, one module per table (the schema itself is in the `weir-migrations` crate).

pub mod artifact;
pub mod cluster;
pub mod cluster_jar;
pub mod deployment;
pub mod environment;
pub mod job;
pub mod namespace;
pub mod operation;
pub mod operation_step;
pub mod snapshot;
pub mod version;
