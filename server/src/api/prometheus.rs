//! `GET /metrics`: Weir for a Prometheus scraper (OpenMetrics text), outside `/api/v1` where scrapers look.
//! Send an administrator's token of scope `metrics` as `Authorization: Bearer`; the engine decides.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::auth::Authenticated;
use crate::error::ApiError;
use weir_engine::metrics::export::CONTENT_TYPE;
use weir_engine::Engine;

pub fn router(engine: Engine) -> Router {
    Router::new().route("/metrics", get(exposition)).with_state(engine)
}

async fn exposition(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
) -> Result<impl IntoResponse, ApiError> {
    let text = engine.prometheus_exposition(&caller).await?;
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], text))
}
