//! Assembles the store, the engine, the REST API and the UI into one Axum application, and serves it.

use std::io;

use axum::Router;
use leptos::config::{Env, LeptosOptions};
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use weir_engine::{Engine, EngineError};
use weir_engine::store::{Store, StoreError};
use crate::{api, auth, web};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Engine(#[from] EngineError),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: String, source: io::Error },
    #[error("server stopped: {0}")]
    Io(#[from] io::Error),
}

/// A ready application: the engine and the router that serves it.
pub struct Weir {
    pub engine: Engine,
    pub router: Router,
}

/// Connects to the database, applies migrations and the configuration's declarations, and builds the router.
pub async fn build(config: &Config) -> Result<Weir, ServeError> {
    let store = Store::connect(&config.database).await?;
    tracing::info!(backend = store.backend_name(), "database ready");
    let engine = Engine::new(store, config.engine_settings())?;
    engine.apply_declarations(&config.clusters, &config.environments).await?;
    engine.look_at_clusters().await?;
    // First start only: the first administrator from the environment.
    if let Ok(password) = std::env::var("WEIR_ADMIN_PASSWORD") {
        let name = std::env::var("WEIR_ADMIN_USER").unwrap_or_else(|_| "admin".into());
        if engine.bootstrap_admin(&name, &password).await? {
            tracing::info!(user = %name, "created the first administrator from WEIR_ADMIN_PASSWORD");
        }
    }
    let options = LeptosOptions::builder()
        .output_name("weir")
        .site_root(config.server.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.server.listen)
        .env(if cfg!(debug_assertions) { Env::DEV } else { Env::PROD })
        .build();
    let router = Router::new()
        .merge(api::router(engine.clone()))
        .merge(api::prometheus::router(engine.clone()))
        .merge(web::router(engine.clone(), options));
    let router = auth::layer(router, engine.clone(), config.auth_settings()).layer(TraceLayer::new_for_http());
    Ok(Weir { engine, router })
}

/// Builds the application and serves it until Ctrl-C or SIGTERM.
pub async fn serve(config: Config) -> Result<(), ServeError> {
    let weir = build(&config).await?;
    weir.engine.start_background().await?;
    let listener = TcpListener::bind(config.server.listen)
        .await
        .map_err(|source| ServeError::Listen { addr: config.server.listen.to_string(), source })?;
    tracing::info!("Weir is listening on http://{}", config.server.listen);
    // The client's address is kept for the audit log and login throttling.
    let app = weir.router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
    tracing::info!("Weir stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
