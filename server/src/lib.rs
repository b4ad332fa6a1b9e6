//! The `weir` server: configuration, the engine, the cluster backends, the store, the REST API and the web UI.
//!
//! - [`config`]: `weir.toml` and its `WEIR_*` environment overrides.
//! - [`telemetry`]: tracing logs (human-readable or JSON).
//! - [`store`]: the database (sea-orm): connection, migrations, entities and queries.
//! - [`backends`]: one [`backends::ClusterBackend`] trait and an implementation per kind of cluster.
//! - [`engine`]: the domain operations; knows nothing of HTTP.
//! - [`api`]: the REST API under `/api/v1`, a thin door onto the engine.
//! - [`web`]: the Leptos UI (server rendering, server functions) wired to the engine.
//! - [`server`]: assembles all of the above into one Axum application and serves it.

pub mod api;
pub mod auth;
pub mod backends;
pub mod config;
pub mod engine;
pub mod server;
pub mod store;
pub mod telemetry;
pub mod web;
