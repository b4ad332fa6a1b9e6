//! The web UI: Leptos pages rendered on the server, server functions, and the static assets built by
//! cargo-leptos. Server functions reach the engine through [`weir_app::engine_port::EnginePort`], implemented
//! here by delegating to the same engine operations the REST API calls.

use std::sync::Arc;

use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use weir_app::engine_port::{EnginePort, SharedEngine};
use weir_app::model::{ClusterStatus, Environment};
use weir_app::{shell, App};

use crate::engine::Engine;

#[async_trait::async_trait]
impl EnginePort for Engine {
    async fn cluster_statuses(&self) -> Result<Vec<ClusterStatus>, String> {
        Engine::cluster_statuses(self).await.map_err(|e| e.to_string())
    }

    async fn environments(&self) -> Result<Vec<Environment>, String> {
        self.list_environments().await.map_err(|e| e.to_string())
    }
}

/// The Leptos routes (pages and server functions) and the static files under the site root.
pub fn router(engine: Engine, options: LeptosOptions) -> Router {
    let routes = generate_route_list(App);
    let port: SharedEngine = Arc::new(engine);
    let shell_options = options.clone();
    Router::new()
        .leptos_routes_with_context(
            &options,
            routes,
            move || provide_context(port.clone()),
            move || shell(shell_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options)
}
