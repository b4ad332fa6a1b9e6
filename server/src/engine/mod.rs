//! The engine: Weir's domain operations. It knows nothing of HTTP; the REST API ([`crate::api`]) and the UI's
//! server functions ([`crate::web`]) both call these methods.
//!
//! - [`clusters`]: register, list and look at clusters.
//! - [`environments`]: create and list environments.
//! - [`health`]: Weir's own health, with each cluster's reachability.
//! - [`bootstrap`]: clusters and environments declared in `weir.toml`.
//! - [`error`]: the typed errors every operation returns.

pub mod bootstrap;
pub mod clusters;
pub mod environments;
pub mod error;
pub mod health;
mod names;

use std::time::Duration;

pub use error::EngineError;

use crate::config::EngineConfig;
use crate::store::Store;

/// The engine; cheap to clone (it shares the database pool and the HTTP client).
#[derive(Clone)]
pub struct Engine {
    store: Store,
    http: reqwest::Client,
    cluster_timeout: Duration,
}

impl Engine {
    pub fn new(store: Store, config: &EngineConfig) -> Result<Self, EngineError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(config.cluster_timeout_ms.min(5000)))
            .user_agent(concat!("weir/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| EngineError::Internal(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self { store, http, cluster_timeout: Duration::from_millis(config.cluster_timeout_ms) })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}
