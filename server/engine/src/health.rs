//! Weir's health: the database, and each registered cluster's reachability as the reconciler last saw it
//! (the health endpoint never waits on a cluster).

use weir_model::{ClusterHealth, DatabaseHealth, Health};

use crate::Engine;

impl Engine {
    /// Never fails: every part reports its own state. `status` is `ok` when the database answers.
    pub async fn health(&self) -> Health {
        let database = match self.store.ping().await {
            Ok(()) => DatabaseHealth { backend: self.store.backend_name().into(), reachable: true, error: None },
            Err(e) => DatabaseHealth {
                backend: self.store.backend_name().into(),
                reachable: false,
                error: Some(e.to_string()),
            },
        };
        let clusters = if database.reachable {
            match self.observed_clusters().await {
                Ok(list) => list
                    .into_iter()
                    .map(|c| ClusterHealth {
                        name: c.name,
                        reachable: c.reachable,
                        flink_version: c.overview.map(|o| o.flink_version),
                        error: c.error,
                    })
                    .collect(),
                Err(_) => Vec::new(),
            }
        } else {
            Vec::new()
        };
        Health {
            status: if database.reachable { "ok" } else { "unavailable" }.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            database,
            clusters,
        }
    }
}
