//! The Resources tab's and the dashboard's server functions: the same engine operations as
//! `/api/v1/.../deployments/{env}/recommendation`, as the request's caller.

use leptos::prelude::*;
use weir_model::recommendations::{AppliedRecommendation, PendingRecommendation, Recommendation};

#[cfg(feature = "ssr")]
use super::door::{door, fail};

/// A deployment's resource recommendation (viewers).
#[server(endpoint = "recommendation")]
pub async fn get_recommendation(ns: String, job: String, env: String) -> Result<Recommendation, ServerFnError> {
    let (engine, caller) = door()?;
    engine.recommendation(&caller, &ns, &job, &env).await.map_err(fail)
}

/// Applies it: a new version with the recommended parallelism, redeployed keeping state (editors).
#[server(endpoint = "apply_recommendation")]
pub async fn apply_recommendation(ns: String, job: String, env: String) -> Result<AppliedRecommendation, ServerFnError> {
    let (engine, caller) = door()?;
    engine.apply_recommendation(&caller, &ns, &job, &env).await.map_err(fail)
}

/// Dismisses it, with an optional reason (editors).
#[server(endpoint = "dismiss_recommendation")]
pub async fn dismiss_recommendation(
    ns: String,
    job: String,
    env: String,
    #[server(default)] reason: String,
) -> Result<Recommendation, ServerFnError> {
    let (engine, caller) = door()?;
    let req = weir_model::recommendations::DismissRequest { reason: Some(reason) };
    engine.dismiss_recommendation(&caller, &ns, &job, &env, req).await.map_err(fail)
}

/// The deployments the caller may see with a recommendation waiting (the dashboard).
#[server(endpoint = "pending_recommendations")]
pub async fn list_pending_recommendations() -> Result<Vec<PendingRecommendation>, ServerFnError> {
    let (engine, caller) = door()?;
    engine.pending_recommendations(&caller).await.map_err(fail)
}
