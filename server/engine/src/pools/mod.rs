//! Resource pools and quotas. This module owns:
//!
//! - pools: capacity on a cluster (slots; CPU cores and memory when limited) that environments draw from,
//!   created, changed and deleted by administrators (a pool an environment draws from is not deleted);
//! - quotas: a namespace's share of a pool (no quota: no limit);
//! - [`demand`]: what a deployment needs, a pure function of its version, hotfix and environment — slots on a
//!   session cluster; the JobManager + TaskManagers' CPU and memory too where each job gets its own cluster;
//! - [`admission`]: the pure decision whether a deployment fits under its namespace's quota and in the pool's
//!   free capacity, and [`Engine::admit_to_pool`], which reads the uses around it. Deploy, rollback and
//!   restart call it before anything is written; a refusal is [`EngineError::QuotaExceeded`] (HTTP 409
//!   `quota_exceeded`, with the numbers). The check and the admission transaction that follows are serialized
//!   per pool (a lock per pool held by the engine), so two admissions never both slip past a quota.
//!
//! "Used" is what the deployments whose desired state is running need, each from its version and overrides;
//! the deployment being admitted is left out (a redeploy releases its old instance).

pub mod admission;
pub mod demand;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value};
use weir_model::pools::{Demand, DeploymentResources, NamespaceUse, Pool, PoolDeployment, Quota, Resources};

use crate::deployments::{parse_map, Placed};
use crate::store::entities::{cluster, environment, pool, pool_quota, version};
use crate::{names, Caller, Engine, EngineError};

/// What a caller gives to create a pool.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPool {
    pub name: String,
    pub cluster: String,
    pub capacity: Resources,
}

/// What a caller may change of a pool (`PATCH /api/v1/pools/{pool}`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolChange {
    pub capacity: Option<Resources>,
}

/// The per-pool admission locks: a check and its admission run under the pool's lock.
pub(crate) type PoolLocks = Arc<std::sync::Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>>;

/// A Flink configuration (JSON object of strings) as a map of its string values.
fn strings(map: &Map<String, Value>) -> BTreeMap<String, String> {
    map.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned()))).collect()
}

/// The parallelism a deployment is submitted with, when one is declared: from the environment, the version
/// and the hotfix (see [`demand`]).
pub(crate) fn declared_parallelism(env: &environment::Model, v: &version::Model, overrides: &Map<String, Value>) -> Option<u32> {
    demand::declared_parallelism(
        &strings(&parse_map(&env.flink_config)),
        v.parallelism,
        &strings(&parse_map(&v.flink_config)),
        &strings(overrides),
    )
}

/// The parallelism a deployment runs with (1 when none is declared).
pub(crate) fn job_parallelism(env: &environment::Model, v: &version::Model, overrides: &Map<String, Value>) -> u32 {
    demand::parallelism(
        &strings(&parse_map(&env.flink_config)),
        v.parallelism,
        &strings(&parse_map(&v.flink_config)),
        &strings(overrides),
    )
}

/// What a deployment of version `v` with `overrides` in `env` on a cluster of kind `kind` needs.
/// Whether a cluster runs one Flink cluster per job (by its settings; unreadable settings: a shared cluster).
pub(crate) fn per_job(cluster: &crate::store::entities::cluster::Model) -> bool {
    crate::clusters::settings_of(cluster).map(|s| demand::runs_one_cluster_per_job(&s)).unwrap_or(false)
}

pub(crate) fn demand_of(cluster: &crate::store::entities::cluster::Model, env: &environment::Model, v: &version::Model, overrides: &Map<String, Value>) -> Demand {
    let mut config = strings(&parse_map(&env.flink_config));
    config.extend(strings(&parse_map(&v.flink_config)));
    config.extend(strings(overrides));
    demand::demand(per_job(cluster), job_parallelism(env, v, overrides), &config)
}

/// A capacity or quota as given: CPU and memory, when given, must be positive numbers.
fn check_resources(what: &str, r: &Resources, allow_zero_slots: bool) -> Result<(), EngineError> {
    if r.slots == 0 && !allow_zero_slots {
        return Err(EngineError::Invalid(format!("{what} needs at least 1 slot")));
    }
    if let Some(c) = r.cpu_cores {
        if !c.is_finite() || c < 0.0 || (c == 0.0 && !allow_zero_slots) {
            return Err(EngineError::Invalid(format!("{what}: cpu_cores must be a positive number, not {c}")));
        }
    }
    if r.memory_mb == Some(0) && !allow_zero_slots {
        return Err(EngineError::Invalid(format!("{what}: memory_mb must be at least 1")));
    }
    Ok(())
}

fn resources_of(slots: i64, cpu_cores: Option<f64>, memory_mb: Option<i64>) -> Resources {
    Resources { slots: slots.max(0) as u32, cpu_cores, memory_mb: memory_mb.map(|m| m.max(0) as u64) }
}

fn quota_resources(q: &pool_quota::Model) -> Resources {
    resources_of(q.slots, q.cpu_cores, q.memory_mb)
}

impl Engine {
    pub async fn create_pool(&self, caller: &Caller, new: NewPool) -> Result<Pool, EngineError> {
        caller.act("create-pool", new.name.clone());
        self.require_admin(caller)?;
        names::check("pool", &new.name)?;
        check_resources("a pool", &new.capacity, false)?;
        let cluster = self.cluster_model(&new.cluster).await?;
        let model = self
            .store
            .insert_pool(&new.name, cluster.id, &new.capacity)
            .await?
            .or_duplicate(|| EngineError::Conflict(format!("a pool named '{}' already exists", new.name)))?;
        tracing::info!(pool = %model.name, cluster = %cluster.name, slots = model.slots, "pool created");
        self.pool_view(model, None).await
    }

    /// Changes a pool's capacity. Lowering it below what runs refuses new deployments; nothing is stopped.
    pub async fn update_pool(&self, caller: &Caller, name: &str, change: PoolChange) -> Result<Pool, EngineError> {
        caller.act("update-pool", name.to_owned());
        self.require_admin(caller)?;
        let model = self.pool_model(name).await?;
        let model = match change.capacity {
            Some(capacity) => {
                check_resources("a pool", &capacity, false)?;
                self.store.update_pool(model, &capacity).await?
            }
            None => model,
        };
        tracing::info!(pool = %model.name, slots = model.slots, "pool changed");
        self.pool_view(model, None).await
    }

    /// Deletes a pool with its quotas; refused while an environment draws from it.
    pub async fn delete_pool(&self, caller: &Caller, name: &str) -> Result<(), EngineError> {
        caller.act("delete-pool", name.to_owned());
        self.require_admin(caller)?;
        let model = self.pool_model(name).await?;
        if !self.store.delete_pool(model.id).await? {
            let envs: Vec<String> = self.store.environments_in_pool(model.id).await?.into_iter().map(|e| e.name).collect();
            return Err(EngineError::Conflict(format!(
                "pool '{name}' is used by environment(s) {}: attach them to another pool (or none) first",
                envs.join(", ")
            )));
        }
        tracing::info!(pool = %name, "pool deleted");
        Ok(())
    }

    /// Sets a namespace's quota in a pool (a quota below what it runs refuses its next deployments only).
    pub async fn set_quota(&self, caller: &Caller, pool_name: &str, ns: &str, quota: Resources) -> Result<Quota, EngineError> {
        caller.act("set-quota", format!("{pool_name}/{ns}"));
        self.require_admin(caller)?;
        check_resources("a quota", &quota, true)?;
        let pool = self.pool_model(pool_name).await?;
        let namespace = self.namespace_model(ns).await?;
        let saved = self.store.set_quota(pool.id, namespace.id, &quota).await?;
        tracing::info!(pool = %pool.name, namespace = %namespace.name, slots = saved.slots, "quota set");
        Ok(Quota { pool: pool.name, namespace: namespace.name, quota: quota_resources(&saved) })
    }

    /// Every pool with its capacity, quotas and use per namespace, and the deployments in it (those of the
    /// namespaces the caller may see; the totals count every namespace).
    pub async fn list_pools(&self, caller: &Caller) -> Result<Vec<Pool>, EngineError> {
        self.require_signed_in(caller)?;
        let visible: Option<Vec<String>> =
            self.visible_namespaces(caller).await?.map(|list| list.into_iter().map(|n| n.name).collect());
        let mut out = Vec::new();
        for model in self.store.list_pools().await? {
            out.push(self.pool_view(model, visible.as_deref()).await?);
        }
        Ok(out)
    }

    /// What a deployment uses and from which pool (for its view); none before it has a version.
    pub(crate) async fn deployment_resources(&self, placed: &Placed) -> Result<Option<DeploymentResources>, EngineError> {
        let Some(vid) = placed.deployment.version_id else { return Ok(None) };
        let Some(v) = self.store.version_by_id(vid).await? else { return Ok(None) };
        let pool = match placed.environment.pool_id {
            Some(id) => self.store.pool_by_id(id).await?.map(|p| p.name),
            None => None,
        };
        let demand = demand_of(&placed.cluster, &placed.environment, &v, &parse_map(&placed.deployment.config_overrides));
        Ok(Some(DeploymentResources { pool, demand }))
    }

    /// Admission to the pool of the deployment's environment: whether `v` with `overrides` fits under the
    /// namespace's quota and in the pool's free capacity, the deployment's own current use released. Answers the
    /// pool's lock, which the caller holds until its admission transaction is committed (none: no pool).
    pub(crate) async fn admit_to_pool(
        &self,
        placed: &Placed,
        v: &version::Model,
        overrides: &Map<String, Value>,
    ) -> Result<Option<tokio::sync::OwnedMutexGuard<()>>, EngineError> {
        let Some(pool_id) = placed.environment.pool_id else { return Ok(None) };
        let lock = {
            let mut locks = self.pool_locks.lock().map_err(|_| EngineError::Internal("pool locks poisoned".into()))?;
            locks.entry(pool_id).or_default().clone()
        };
        let guard = lock.lock_owned().await;
        let Some(pool) = self.store.pool_by_id(pool_id).await? else { return Ok(Some(guard)) };
        let cluster = self.cluster_by_id(pool.cluster_id).await?;
        let demand = demand_of(&cluster, &placed.environment, v, overrides);
        let mut pool_used = Demand::default();
        let mut namespace_used = Demand::default();
        for (ns_id, d) in self.pool_uses(&pool, &cluster).await?.into_iter().filter(|u| u.0 != placed.deployment.id).map(|u| (u.1, u.3)) {
            pool_used = pool_used.plus(&d);
            if ns_id == placed.namespace.id {
                namespace_used = namespace_used.plus(&d);
            }
        }
        let quota = self.store.quota(pool.id, placed.namespace.id).await?.map(|q| quota_resources(&q));
        let capacity = resources_of(pool.slots, pool.cpu_cores, pool.memory_mb);
        let ask = admission::Ask {
            demand: &demand,
            quota: quota.as_ref(),
            namespace_used: &namespace_used,
            capacity: &capacity,
            pool_used: &pool_used,
            enforced: admission::enforced(per_job(&cluster)),
        };
        admission::admit(&ask).map_err(|refusal| {
            tracing::info!(pool = %pool.name, namespace = %placed.namespace.name, job = %placed.job.name,
                limit = %refusal.limit, resource = %refusal.resource, needed = refusal.needed, used = refusal.used,
                allowed = refusal.allowed, "deployment refused: over quota");
            EngineError::QuotaExceeded { pool: pool.name.clone(), namespace: placed.namespace.name.clone(), refusal }
        })?;
        Ok(Some(guard))
    }

    /// Each deployment meant to run in a pool: (deployment id, namespace id, deployment, demand).
    async fn pool_uses(
        &self,
        pool: &pool::Model,
        cluster: &cluster::Model,
    ) -> Result<Vec<(i64, i64, crate::store::pools::Running, Demand)>, EngineError> {
        let mut out = Vec::new();
        for r in self.store.running_in_pool(pool.id).await? {
            let Some(v) = &r.version else { continue };
            let d = demand_of(cluster, &r.environment, v, &parse_map(&r.deployment.config_overrides));
            out.push((r.deployment.id, r.job.namespace_id, r, d));
        }
        Ok(out)
    }

    async fn pool_model(&self, name: &str) -> Result<pool::Model, EngineError> {
        self.store.find_pool(name).await?.ok_or_else(|| EngineError::NotFound { kind: "pool", name: name.to_owned() })
    }

    /// A pool as shown: `visible` limits the deployments listed (none: every one).
    async fn pool_view(&self, model: pool::Model, visible: Option<&[String]>) -> Result<Pool, EngineError> {
        let cluster = self.cluster_by_id(model.cluster_id).await?;
        let namespaces: HashMap<i64, String> =
            self.store.list_namespaces().await?.into_iter().map(|n| (n.id, n.name)).collect();
        let name_of = |id: i64| namespaces.get(&id).cloned().unwrap_or_else(|| format!("#{id}"));
        let mut used = Demand::default();
        let mut per_ns: BTreeMap<String, NamespaceUse> = BTreeMap::new();
        for q in self.store.quotas_of(model.id).await? {
            let ns = name_of(q.namespace_id);
            per_ns.insert(ns.clone(), NamespaceUse { namespace: ns, quota: Some(quota_resources(&q)), used: Demand::default() });
        }
        let mut deployments = Vec::new();
        for (_, ns_id, r, d) in self.pool_uses(&model, &cluster).await? {
            let ns = name_of(ns_id);
            used = used.plus(&d);
            let entry = per_ns
                .entry(ns.clone())
                .or_insert_with(|| NamespaceUse { namespace: ns.clone(), quota: None, used: Demand::default() });
            entry.used = entry.used.plus(&d);
            if visible.is_none_or(|v| v.contains(&ns)) {
                deployments.push(PoolDeployment {
                    namespace: ns,
                    job: r.job.name.clone(),
                    environment: r.environment.name.clone(),
                    demand: d,
                    observed_state: r.deployment.observed_state,
                });
            }
        }
        let environments = self.store.environments_in_pool(model.id).await?.into_iter().map(|e| e.name).collect();
        let enforced = admission::enforced(per_job(&cluster));
        Ok(Pool {
            name: model.name,
            cluster: cluster.name,
            enforced,
            cluster_kind: cluster.kind,
            capacity: resources_of(model.slots, model.cpu_cores, model.memory_mb),
            used,
            environments,
            namespaces: per_ns.into_values().collect(),
            deployments,
            created_at: model.created_at,
        })
    }

    /// The pool an environment is to draw from, by name, checked to be on the environment's cluster.
    pub(crate) async fn pool_for_environment(&self, name: &str, cluster: &cluster::Model) -> Result<pool::Model, EngineError> {
        let pool = self.pool_model(name).await?;
        if pool.cluster_id != cluster.id {
            let other = self.cluster_by_id(pool.cluster_id).await?;
            return Err(EngineError::Invalid(format!(
                "pool '{name}' is capacity on cluster '{}', not on '{}' where the environment runs",
                other.name, cluster.name
            )));
        }
        Ok(pool)
    }
}
