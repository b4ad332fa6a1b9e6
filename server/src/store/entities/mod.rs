//! sea-orm entities, one module per table (the schema itself is in the `weir-migrations` crate).

pub mod cluster;
pub mod environment;
