//! The REST API under `/api/v1`: JSON in and out, a thin door onto the engine.
//!
//! Handlers parse input, call one engine operation and shape the answer; errors are mapped to HTTP once, in
//! [`error`].

mod clusters;
mod environments;
pub mod error;
mod health;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;

use crate::engine::Engine;
use error::ApiError;

/// Largest JSON body the API accepts (JAR uploads have their own limit).
pub const JSON_BODY_LIMIT: usize = 2 * 1024 * 1024;

pub fn router(engine: Engine) -> Router {
    let v1 = Router::new()
        .route("/health", get(health::get))
        .route("/clusters", get(clusters::list).post(clusters::register))
        .route("/clusters/{name}", get(clusters::get))
        .route("/clusters/{name}/overview", get(clusters::overview))
        .route("/environments", get(environments::list).post(environments::create))
        .fallback(|| async { ApiError::not_found_route() })
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .with_state(engine);
    Router::new().nest("/api/v1", v1)
}
