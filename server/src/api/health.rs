//! `GET /api/v1/health`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;

use weir_engine::Engine;

pub async fn get(State(engine): State<Engine>) -> impl IntoResponse {
    let health = engine.health().await;
    let status = if health.database.reachable { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(health))
}
