//! `POST /api/v1/artifacts`: upload a JAR (multipart, one file field); `GET /api/v1/artifacts/{sha256}`.

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use weir_model::Artifact;

use crate::auth::Authenticated;
use crate::error::{ApiError, ApiJson};
use weir_engine::Engine;

pub async fn upload(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    mut form: Multipart,
) -> Result<(StatusCode, ApiJson<Artifact>), ApiError> {
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", m);
    while let Some(field) = form.next_field().await.map_err(|e| multipart_error(e.status(), e.body_text()))? {
        let Some(file_name) = field.file_name().map(str::to_owned) else { continue };
        let bytes = field.bytes().await.map_err(|e| multipart_error(e.status(), e.body_text()))?;
        let artifact = engine.store_artifact(&caller, &file_name, bytes.to_vec()).await?;
        return Ok((StatusCode::CREATED, ApiJson(artifact)));
    }
    Err(bad("no file in the upload: send the JAR as a multipart file field".into()))
}

pub async fn get(State(engine): State<Engine>,
    Authenticated(caller): Authenticated, Path(sha): Path<String>) -> Result<ApiJson<Artifact>, ApiError> {
    Ok(ApiJson(engine.get_artifact(&caller, &sha).await?))
}

fn multipart_error(status: StatusCode, text: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(status, "payload_too_large", format!("the upload is too large: {text}"))
    } else {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", format!("unreadable upload: {text}"))
    }
}
