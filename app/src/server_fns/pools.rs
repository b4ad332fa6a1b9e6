//! The pools page's server functions: the same engine operations as `/api/v1/pools`, as the request's caller.
//! Form fields arrive as text: a number left empty means "not given" (no CPU or memory limit).

use leptos::prelude::*;
use weir_model::pools::{Pool, Quota};
use weir_model::Environment;

#[cfg(feature = "ssr")]
use super::door::{door, fail};

/// A form's resource fields as the engine's `Resources` (bad numbers are bad input, answered inline).
#[cfg(feature = "ssr")]
fn resources(slots: &str, cpu_cores: &str, memory_mb: &str) -> Result<weir_model::pools::Resources, ServerFnError> {
    let slots = slots.trim().parse::<u32>().map_err(|_| ServerFnError::new(format!("slots must be a whole number, not '{}'", slots.trim())))?;
    let cpu_cores = match cpu_cores.trim() {
        "" => None,
        c => Some(c.parse::<f64>().map_err(|_| ServerFnError::new(format!("CPU cores must be a number, not '{c}'")))?),
    };
    let memory_mb = match memory_mb.trim() {
        "" => None,
        m => Some(m.parse::<u64>().map_err(|_| ServerFnError::new(format!("memory (MB) must be a whole number, not '{m}'")))?),
    };
    Ok(weir_model::pools::Resources { slots, cpu_cores, memory_mb })
}

/// Every pool with its capacity, quotas, use and what runs in it.
#[server(endpoint = "pools")]
pub async fn list_pools() -> Result<Vec<Pool>, ServerFnError> {
    let (engine, caller) = door()?;
    engine.list_pools(&caller).await.map_err(fail)
}

/// Creates a pool on a cluster (administrators).
#[server(endpoint = "create_pool")]
pub async fn create_pool(
    name: String,
    cluster: String,
    slots: String,
    #[server(default)] cpu_cores: String,
    #[server(default)] memory_mb: String,
) -> Result<Pool, ServerFnError> {
    let capacity = resources(&slots, &cpu_cores, &memory_mb)?;
    let (engine, caller) = door()?;
    let new = weir_engine::pools::NewPool { name: name.trim().into(), cluster, capacity };
    engine.create_pool(&caller, new).await.map_err(fail)
}

/// Sets a namespace's quota in a pool (administrators).
#[server(endpoint = "set_quota")]
pub async fn set_quota(
    pool: String,
    ns: String,
    slots: String,
    #[server(default)] cpu_cores: String,
    #[server(default)] memory_mb: String,
) -> Result<Quota, ServerFnError> {
    let quota = resources(&slots, &cpu_cores, &memory_mb)?;
    let (engine, caller) = door()?;
    engine.set_quota(&caller, &pool, &ns, quota).await.map_err(fail)
}

/// Makes an environment draw from a pool; an empty pool detaches it (administrators).
#[server(endpoint = "set_environment_pool")]
pub async fn set_environment_pool(env: String, pool: String) -> Result<Environment, ServerFnError> {
    let (engine, caller) = door()?;
    let pool = Some(pool.trim().to_owned()).filter(|p| !p.is_empty());
    let change = weir_engine::environments::EnvironmentChange { pool: Some(pool), ..Default::default() };
    engine.update_environment(&caller, &env, change).await.map_err(fail)
}
