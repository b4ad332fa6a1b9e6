//! Resource pools and quotas on the wire: a pool's capacity on a cluster (slots, CPU cores, memory), each
//! namespace's quota in it and what it uses, and what a deployment needs.
//!
//! On a session cluster the currency is slots (a job holds its parallelism in slots, with slot sharing); CPU
//! and memory are only enforced where each job gets its own cluster (its JobManager and TaskManagers).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Capacity of a pool, or a namespace's quota in it. CPU and memory left out mean no limit on them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    pub slots: u32,
    #[serde(default)]
    pub cpu_cores: Option<f64>,
    #[serde(default)]
    pub memory_mb: Option<u64>,
}

/// What a deployment needs (or what several use, summed). CPU and memory are known only on clusters that
/// run one cluster per job; on a session cluster they are `None` (the job shares the cluster's processes).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Demand {
    pub slots: u32,
    #[serde(default)]
    pub cpu_cores: Option<f64>,
    #[serde(default)]
    pub memory_mb: Option<u64>,
}

impl Demand {
    /// The sum of two demands (a side without CPU or memory adds nothing to it).
    pub fn plus(&self, other: &Demand) -> Demand {
        let add_f = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
        };
        let add_u = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
        };
        Demand {
            slots: self.slots + other.slots,
            cpu_cores: add_f(self.cpu_cores, other.cpu_cores),
            memory_mb: add_u(self.memory_mb, other.memory_mb),
        }
    }
}

/// Which resources admission checks in a pool: slots always; CPU and memory only on per-job clusters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enforced {
    pub slots: bool,
    pub cpu_cores: bool,
    pub memory_mb: bool,
}

vocabulary! {
    /// A resource a pool or quota limits.
    PoolResource, "pool resource" {
        Slots = "slots",
        CpuCores = "cpu_cores",
        MemoryMb = "memory_mb",
    }
}

vocabulary! {
    /// Which limit refused a deployment: the namespace's quota, or the pool's capacity.
    QuotaLimit, "quota limit" {
        Quota = "quota",
        Pool = "pool",
    }
}

/// A pool as `GET /api/v1/pools` shows it: capacity, what is used, each namespace's quota and use, and the
/// deployments that run in it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pool {
    pub name: String,
    pub cluster: String,
    /// The cluster's kind (`flink-session`, ...): it says which resources are enforced.
    pub cluster_kind: crate::ClusterKind,
    pub capacity: Resources,
    /// Which resources admission enforces here (CPU and memory: only on per-job clusters).
    pub enforced: Enforced,
    /// What the deployments meant to run in it use, in all.
    pub used: Demand,
    /// The environments that draw from it.
    pub environments: Vec<String>,
    /// Each namespace with a quota here or something running here.
    pub namespaces: Vec<NamespaceUse>,
    /// The deployments meant to run here (desired state running), with what each needs.
    pub deployments: Vec<PoolDeployment>,
    pub created_at: DateTime<Utc>,
}

/// A namespace's quota in a pool (none: no limit) and what it uses there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NamespaceUse {
    pub namespace: String,
    pub quota: Option<Resources>,
    pub used: Demand,
}

/// A deployment counted in a pool.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoolDeployment {
    pub namespace: String,
    pub job: String,
    pub environment: String,
    pub demand: Demand,
    pub observed_state: crate::ObservedState,
}

/// What a deployment uses and from which pool (none: its environment draws from no pool).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeploymentResources {
    pub pool: Option<String>,
    pub demand: Demand,
}

/// A namespace's quota, as set with `PUT /api/v1/pools/{pool}/quotas/{ns}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quota {
    pub pool: String,
    pub namespace: String,
    pub quota: Resources,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demands_add_up_and_unknown_cpu_adds_nothing() {
        let a = Demand { slots: 2, cpu_cores: None, memory_mb: None };
        let b = Demand { slots: 1, cpu_cores: Some(1.5), memory_mb: Some(100) };
        assert_eq!(a.plus(&a), Demand { slots: 4, cpu_cores: None, memory_mb: None });
        assert_eq!(a.plus(&b), Demand { slots: 3, cpu_cores: Some(1.5), memory_mb: Some(100) });
    }

    #[test]
    fn resources_refuse_unknown_fields() {
        assert!(serde_json::from_str::<Resources>(r#"{"slots": 2, "gpus": 1}"#).is_err());
        let r: Resources = serde_json::from_str(r#"{"slots": 2}"#).expect("slots only");
        assert_eq!(r, Resources { slots: 2, cpu_cores: None, memory_mb: None });
    }
}
