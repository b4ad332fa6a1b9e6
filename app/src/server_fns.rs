//! Leptos server functions: thin doors onto the engine (see [`crate::engine_port`]). No logic here.

use leptos::prelude::*;

use crate::model::ClusterStatus;

#[cfg(feature = "ssr")]
fn engine() -> Result<crate::engine_port::SharedEngine, ServerFnError> {
    use_context::<crate::engine_port::SharedEngine>()
        .ok_or_else(|| ServerFnError::new("the engine is not available to this request"))
}

/// Every registered cluster with its live status.
#[server(endpoint = "cluster_statuses")]
pub async fn cluster_statuses() -> Result<Vec<ClusterStatus>, ServerFnError> {
    engine()?.cluster_statuses().await.map_err(ServerFnError::new)
}
