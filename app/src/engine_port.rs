//! The engine as the UI's server functions see it (server only).
//!
//! The engine lives in the `weir` server crate, which depends on this crate; server functions reach it through
//! this trait, put into Leptos' context by the server. Each method is one engine operation, the same one the
//! REST API calls.

use std::sync::Arc;

use crate::model::{ClusterStatus, Environment};

#[async_trait::async_trait]
pub trait EnginePort: Send + Sync + 'static {
    /// Every registered cluster with its live status (each cluster is asked once, concurrently).
    async fn cluster_statuses(&self) -> Result<Vec<ClusterStatus>, String>;
    /// Every environment.
    async fn environments(&self) -> Result<Vec<Environment>, String>;
}

/// How the port is stored in Leptos' context.
pub type SharedEngine = Arc<dyn EnginePort>;
