//! Whether a deployment fits in its pool (pure; table tests). The namespace's quota is checked first, then the
//! pool's free capacity; for each, slots, then CPU, then memory — only the resources the pool enforces (CPU
//! and memory only on clusters that run one cluster per job). The uses given exclude the deployment itself,
//! so a redeploy counts its old instance as released.

use weir_model::pools::{Demand, Enforced, PoolResource, QuotaLimit, Resources};

/// What admission weighs.
#[derive(Clone, Debug)]
pub struct Ask<'a> {
    /// What the deployment needs.
    pub demand: &'a Demand,
    /// The namespace's quota in the pool; none: no quota (no limit).
    pub quota: Option<&'a Resources>,
    /// What the namespace's other deployments in the pool use.
    pub namespace_used: &'a Demand,
    pub capacity: &'a Resources,
    /// What every other deployment in the pool uses.
    pub pool_used: &'a Demand,
    pub enforced: Enforced,
}

/// Why a deployment does not fit: which limit, on which resource, with the numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    pub limit: QuotaLimit,
    pub resource: PoolResource,
    pub needed: f64,
    pub used: f64,
    /// The quota or the capacity.
    pub allowed: f64,
}

/// `Ok` when the deployment fits under its namespace's quota and in the pool's free capacity.
pub fn admit(ask: &Ask) -> Result<(), Refusal> {
    if let Some(quota) = ask.quota {
        check(QuotaLimit::Quota, ask.demand, ask.namespace_used, quota, ask.enforced)?;
    }
    check(QuotaLimit::Pool, ask.demand, ask.pool_used, ask.capacity, ask.enforced)
}

fn check(limit: QuotaLimit, demand: &Demand, used: &Demand, allowed: &Resources, enforced: Enforced) -> Result<(), Refusal> {
    let rows = [
        (PoolResource::Slots, enforced.slots, demand.slots as f64, used.slots as f64, Some(allowed.slots as f64)),
        (
            PoolResource::CpuCores,
            enforced.cpu_cores,
            demand.cpu_cores.unwrap_or(0.0),
            used.cpu_cores.unwrap_or(0.0),
            allowed.cpu_cores,
        ),
        (
            PoolResource::MemoryMb,
            enforced.memory_mb,
            demand.memory_mb.unwrap_or(0) as f64,
            used.memory_mb.unwrap_or(0) as f64,
            allowed.memory_mb.map(|m| m as f64),
        ),
    ];
    for (resource, on, needed, used, allowed) in rows {
        let Some(allowed) = allowed.filter(|_| on) else { continue };
        // A small tolerance: CPU cores are fractions.
        if needed > 0.0 && used + needed > allowed + 1e-9 {
            return Err(Refusal { limit, resource, needed, used, allowed });
        }
    }
    Ok(())
}

/// Which resources admission checks on a cluster of this kind.
pub fn enforced(per_job_cluster: bool) -> Enforced {
    Enforced { slots: true, cpu_cores: per_job_cluster, memory_mb: per_job_cluster }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(slots: u32, cpu: Option<f64>, mem: Option<u64>) -> Demand {
        Demand { slots, cpu_cores: cpu, memory_mb: mem }
    }
    fn r(slots: u32, cpu: Option<f64>, mem: Option<u64>) -> Resources {
        Resources { slots, cpu_cores: cpu, memory_mb: mem }
    }
    fn no(limit: QuotaLimit, resource: PoolResource, needed: f64, used: f64, allowed: f64) -> Result<(), Refusal> {
        Err(Refusal { limit, resource, needed, used, allowed })
    }

    #[test]
    fn the_quota_then_the_pool_each_resource_in_turn() {
        use PoolResource::*;
        use QuotaLimit::*;
        let session = enforced(false);
        let per_job = enforced(true);
        // (demand, quota, namespace used, capacity, pool used, enforced) -> answer
        #[allow(clippy::type_complexity)]
        let table: Vec<(Demand, Option<Resources>, Demand, Resources, Demand, Enforced, Result<(), Refusal>)> = vec![
            // No quota: only the pool.
            (d(2, None, None), None, d(0, None, None), r(8, None, None), d(0, None, None), session, Ok(())),
            (d(2, None, None), None, d(0, None, None), r(8, None, None), d(6, None, None), session, Ok(())),
            (d(2, None, None), None, d(0, None, None), r(8, None, None), d(7, None, None), session, no(Pool, Slots, 2.0, 7.0, 8.0)),
            // A quota of 2 slots, 2 used: one more is refused with the numbers.
            (d(1, None, None), Some(r(2, None, None)), d(2, None, None), r(8, None, None), d(2, None, None), session, no(Quota, Slots, 1.0, 2.0, 2.0)),
            // Exactly at the quota fits.
            (d(2, None, None), Some(r(2, None, None)), d(0, None, None), r(8, None, None), d(5, None, None), session, Ok(())),
            // The quota is checked before the pool.
            (d(3, None, None), Some(r(2, None, None)), d(0, None, None), r(2, None, None), d(0, None, None), session, no(Quota, Slots, 3.0, 0.0, 2.0)),
            // Session clusters: CPU and memory quotas are not enforced.
            (d(1, None, None), Some(r(4, Some(0.5), Some(10))), d(0, None, None), r(8, Some(1.0), Some(10)), d(0, None, None), session, Ok(())),
            // Per-job clusters: CPU, then memory; a quota without CPU or memory limits only slots.
            (d(1, Some(2.0), Some(3328)), Some(r(4, Some(4.0), None)), d(1, Some(2.0), Some(3328)), r(8, None, None), d(1, Some(2.0), Some(3328)), per_job, Ok(())),
            (d(1, Some(2.0), Some(3328)), Some(r(4, Some(3.0), None)), d(1, Some(2.0), Some(3328)), r(8, None, None), d(0, None, None), per_job, no(Quota, CpuCores, 2.0, 2.0, 3.0)),
            (d(1, Some(2.0), Some(3328)), Some(r(4, None, Some(4096))), d(0, None, None), r(8, None, None), d(0, None, None), per_job, Ok(())),
            (d(1, Some(2.0), Some(3328)), Some(r(4, None, Some(4096))), d(1, Some(2.0), Some(3328)), r(8, None, None), d(0, None, None), per_job, no(Quota, MemoryMb, 3328.0, 3328.0, 4096.0)),
            (d(1, Some(2.0), Some(3328)), None, d(0, None, None), r(8, Some(8.0), Some(6000)), d(1, Some(2.0), Some(3328)), per_job, no(Pool, MemoryMb, 3328.0, 3328.0, 6000.0)),
            // Fractions of cores add up without rounding errors refusing an exact fit.
            (d(1, Some(0.1), None), Some(r(9, Some(0.3), None)), d(2, Some(0.2), None), r(9, None, None), d(0, None, None), per_job, Ok(())),
            // A pool already over its capacity (lowered since) still admits what needs nothing more.
            (d(0, None, None), None, d(0, None, None), r(1, None, None), d(5, None, None), session, Ok(())),
        ];
        for (i, (demand, quota, ns_used, capacity, pool_used, enforced, want)) in table.into_iter().enumerate() {
            let ask = Ask { demand: &demand, quota: quota.as_ref(), namespace_used: &ns_used, capacity: &capacity, pool_used: &pool_used, enforced };
            assert_eq!(admit(&ask), want, "row {i}: {ask:?}");
        }
    }
}
