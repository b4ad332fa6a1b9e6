//! `/api/v1/namespaces/{ns}/alert-channels|alert-rules|silences|alert-history` and `/api/v1/alerts`: where a
//! namespace's notifications go (secrets write-only), what fires them, what mutes them, what was sent; and the
//! alerts the caller may see.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use weir_model::alerts::{Alert, AlertChannel, AlertNotification, AlertRule, ChannelTest, Silence};

use crate::auth::Authenticated;
use crate::error::{ApiError, ApiJson};
use weir_engine::alerts::manage::{ChannelChange, NewChannel, NewRule, NewSilence, RuleChange};
use weir_engine::Engine;

type Created<T> = (StatusCode, ApiJson<T>);

pub async fn list_channels(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path(ns): Path<String>,
) -> Result<ApiJson<Vec<AlertChannel>>, ApiError> {
    Ok(ApiJson(engine.list_alert_channels(&caller, &ns).await?))
}

pub async fn create_channel(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path(ns): Path<String>,
    ApiJson(new): ApiJson<NewChannel>,
) -> Result<Created<AlertChannel>, ApiError> {
    Ok((StatusCode::CREATED, ApiJson(engine.create_alert_channel(&caller, &ns, new).await?)))
}

pub async fn get_channel(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, name)): Path<(String, String)>,
) -> Result<ApiJson<AlertChannel>, ApiError> {
    Ok(ApiJson(engine.get_alert_channel(&caller, &ns, &name).await?))
}

pub async fn update_channel(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, name)): Path<(String, String)>,
    ApiJson(change): ApiJson<ChannelChange>,
) -> Result<ApiJson<AlertChannel>, ApiError> {
    Ok(ApiJson(engine.update_alert_channel(&caller, &ns, &name, change).await?))
}

pub async fn delete_channel(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    engine.delete_alert_channel(&caller, &ns, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn test_channel(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, name)): Path<(String, String)>,
) -> Result<ApiJson<ChannelTest>, ApiError> {
    Ok(ApiJson(engine.test_alert_channel(&caller, &ns, &name).await?))
}

pub async fn list_rules(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path(ns): Path<String>,
) -> Result<ApiJson<Vec<AlertRule>>, ApiError> {
    Ok(ApiJson(engine.list_alert_rules(&caller, &ns).await?))
}

pub async fn create_rule(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path(ns): Path<String>,
    ApiJson(new): ApiJson<NewRule>,
) -> Result<Created<AlertRule>, ApiError> {
    Ok((StatusCode::CREATED, ApiJson(engine.create_alert_rule(&caller, &ns, new).await?)))
}

pub async fn get_rule(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, name)): Path<(String, String)>,
) -> Result<ApiJson<AlertRule>, ApiError> {
    Ok(ApiJson(engine.get_alert_rule(&caller, &ns, &name).await?))
}

pub async fn update_rule(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, name)): Path<(String, String)>,
    ApiJson(change): ApiJson<RuleChange>,
) -> Result<ApiJson<AlertRule>, ApiError> {
    Ok(ApiJson(engine.update_alert_rule(&caller, &ns, &name, change).await?))
}

pub async fn delete_rule(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    engine.delete_alert_rule(&caller, &ns, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_silences(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path(ns): Path<String>,
) -> Result<ApiJson<Vec<Silence>>, ApiError> {
    Ok(ApiJson(engine.list_silences(&caller, &ns).await?))
}

pub async fn create_silence(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path(ns): Path<String>,
    ApiJson(new): ApiJson<NewSilence>,
) -> Result<Created<Silence>, ApiError> {
    Ok((StatusCode::CREATED, ApiJson(engine.create_silence(&caller, &ns, new).await?)))
}

pub async fn delete_silence(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path((ns, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", format!("'{id}' is not a silence id")))?;
    engine.delete_silence(&caller, &ns, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_alerts(State(engine): State<Engine>, Authenticated(caller): Authenticated) -> Result<ApiJson<Vec<Alert>>, ApiError> {
    Ok(ApiJson(engine.list_alerts(&caller).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    pub limit: Option<u64>,
}

pub async fn history(
    State(engine): State<Engine>,
    Authenticated(caller): Authenticated,
    Path(ns): Path<String>,
    query: Result<Query<HistoryQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<ApiJson<Vec<AlertNotification>>, ApiError> {
    let Query(q) = query.map_err(|r| ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", r.body_text()))?;
    Ok(ApiJson(engine.alert_history(&caller, &ns, q.limit).await?))
}
