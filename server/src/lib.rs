//! The `weir` server: the front doors around `weir-engine`, and the binary's configuration.
//!
//! - [`config`]: `weir.toml` and its `WEIR_*` environment overrides.
//! - [`telemetry`]: tracing logs (human-readable or JSON).
//! - [`error`]: the one mapping of errors to HTTP answers.
//! - [`auth`]: how a request proves who it is (tokens, sessions, CSRF) and the audit record of each change.
//! - [`api`]: the REST API under `/api/v1`, a thin door onto the engine.
//! - [`web`]: the Leptos UI (server rendering, server functions) wired to the engine.
//! - [`server`]: assembles all of the above into one Axum application and serves it.
//!
//! The engine (domain, reconciler, store, cluster backends) is the `weir-engine` crate (`server/engine/`);
//! the vocabulary and wire types are `weir-model` (`server/model/`).

pub mod api;
pub mod auth;
pub mod config;
pub mod error;
pub mod server;
pub mod telemetry;
pub mod web;
