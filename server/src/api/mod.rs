//! The REST API under `/api/v1`: JSON in and out, a thin door onto the engine.
//!
//! Handlers parse input, call one engine operation and shape the answer; errors are mapped to HTTP once, in
//! [`error`]. Who is calling comes from [`crate::auth`] as a `Caller` argument; the engine checks it. The
//! routes are described in [`openapi`] (served at `/api/v1/openapi.json`).

mod alerts;
mod artifacts;
mod audit;
mod clusters;
mod deployments;
mod environments;
mod events;
mod health;
mod jobs;
mod lineage;
mod members;
pub mod openapi;
mod pools;
pub mod prometheus;
mod recommendations;
mod session;
mod sql;
mod tokens;
mod users;
mod versions;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::Router;

use weir_engine::Engine;
use crate::error::ApiError;

/// Largest JSON body the API accepts (JAR uploads have their own limit).
pub const JSON_BODY_LIMIT: usize = 2 * 1024 * 1024;

pub fn router(engine: Engine) -> Router {
    let artifact_limit = engine.settings().max_artifact_bytes + 1024 * 1024;
    let job = "/namespaces/{ns}/jobs/{job}";
    let dep = "/namespaces/{ns}/jobs/{job}/deployments/{env}";
    let v1 = Router::new()
        .route("/health", get(health::get))
        .route("/openapi.json", get(openapi::get))
        .route("/clusters", get(clusters::list).post(clusters::register))
        .route("/clusters/{name}", get(clusters::get))
        .route("/clusters/{name}/overview", get(clusters::overview))
        .route("/clusters/{name}/metrics", get(clusters::metrics))
        .route("/clusters/{name}/history", get(clusters::history))
        .route("/environments", get(environments::list).post(environments::create))
        .route("/environments/{env}", axum::routing::patch(environments::update))
        .route("/pools", get(pools::list).post(pools::create))
        .route("/pools/{pool}", axum::routing::patch(pools::update).delete(pools::delete))
        .route("/pools/{pool}/quotas/{ns}", put(pools::set_quota))
        .route("/session", get(session::get).post(session::login).delete(session::logout))
        .route("/session/logout", post(session::logout_form))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{name}", axum::routing::patch(users::change).delete(users::delete))
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/{id}", axum::routing::delete(tokens::revoke))
        .route("/audit", get(audit::list))
        .route("/namespaces", get(jobs::namespaces).post(members::create_namespace))
        .route("/namespaces/{ns}/members", get(members::list))
        .route("/namespaces/{ns}/members/{user}", put(members::set).delete(members::remove))
        .route("/namespaces/{ns}/environments", get(members::environments).put(members::set_environments))
        .route("/namespaces/{ns}/jobs", get(jobs::list).post(jobs::create))
        .route("/namespaces/{ns}/alert-channels", get(alerts::list_channels).post(alerts::create_channel))
        .route(
            "/namespaces/{ns}/alert-channels/{name}",
            get(alerts::get_channel).patch(alerts::update_channel).delete(alerts::delete_channel),
        )
        .route("/namespaces/{ns}/alert-channels/{name}/test", post(alerts::test_channel))
        .route("/namespaces/{ns}/alert-rules", get(alerts::list_rules).post(alerts::create_rule))
        .route(
            "/namespaces/{ns}/alert-rules/{name}",
            get(alerts::get_rule).patch(alerts::update_rule).delete(alerts::delete_rule),
        )
        .route("/namespaces/{ns}/silences", get(alerts::list_silences).post(alerts::create_silence))
        .route("/namespaces/{ns}/silences/{id}", axum::routing::delete(alerts::delete_silence))
        .route("/namespaces/{ns}/alert-history", get(alerts::history))
        .route("/alerts", get(alerts::list_alerts))
        .route(job, get(jobs::get))
        .route(&format!("{job}/versions"), get(versions::list).post(versions::create))
        .route(&format!("{job}/versions/{{n}}"), get(versions::get))
        .route(&format!("{job}/versions/{{a}}/diff/{{b}}"), get(versions::diff))
        .route(&format!("{job}/versions/{{n}}/lineage"), get(lineage::version))
        .route(&format!("{job}/deployments"), get(deployments::list))
        .route(dep, get(deployments::get))
        .route(&format!("{dep}/deploy"), post(deployments::deploy))
        .route(&format!("{dep}/rollback"), post(deployments::rollback))
        .route(&format!("{dep}/restart"), post(deployments::restart))
        .route(&format!("{dep}/stop"), post(deployments::stop))
        .route(&format!("{dep}/savepoint"), post(deployments::savepoint))
        .route(&format!("{dep}/metrics"), get(deployments::metrics))
        .route(&format!("{dep}/logs"), get(deployments::logs))
        .route(&format!("{dep}/recommendation"), get(recommendations::get))
        .route(&format!("{dep}/recommendation/history"), get(recommendations::history))
        .route(&format!("{dep}/recommendation/apply"), post(recommendations::apply))
        .route(&format!("{dep}/recommendation/dismiss"), post(recommendations::dismiss))
        .route(&format!("{job}/operations"), get(deployments::operations))
        .route(&format!("{job}/snapshots"), get(deployments::snapshots))
        .route("/operations/{id}", get(deployments::operation))
        .route("/sql/validate", post(sql::validate))
        .route("/lineage", get(lineage::graph))
        .route("/lineage/openlineage", get(lineage::openlineage_export))
        .route("/lineage/openlineage/status", get(lineage::openlineage_status))
        .route("/events", get(events::stream))
        .route("/artifacts/{sha256}", get(artifacts::get))
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .route("/artifacts", post(artifacts::upload).layer(DefaultBodyLimit::max(artifact_limit)))
        .fallback(|| async { ApiError::not_found_route() })
        .with_state(engine);
    Router::new().nest("/api/v1", v1)
}
