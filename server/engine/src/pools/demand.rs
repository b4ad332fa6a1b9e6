//! What a deployment needs, from its version and hotfix (pure; table tests).
//!
//! - Slots (every cluster): the job's parallelism, which with slot sharing is its maximum vertex parallelism.
//!   The deploy hotfix's `parallelism.default` wins, then the version's `parallelism`, then
//!   `parallelism.default` of the version's Flink configuration, then the environment's; 1 when none says.
//!   The job is submitted with that parallelism (when one is declared), so what is admitted is what runs.
//! - CPU and memory (only on clusters that run one cluster per job: local, Kubernetes): one JobManager and
//!   `ceil(parallelism / taskmanager.numberOfTaskSlots)` TaskManagers, each with its
//!   `jobmanager.memory.process.size` / `taskmanager.memory.process.size` (Flink's defaults 1600m / 1728m) and
//!   `kubernetes.jobmanager.cpu` / `kubernetes.taskmanager.cpu` (1 core each when not set). On a session
//!   cluster the job shares the cluster's processes: its CPU and memory are not its own (`None`).

use std::collections::BTreeMap;

use weir_model::pools::Demand;

/// Flink's default `jobmanager.memory.process.size`, in MiB.
pub const DEFAULT_JM_MEMORY_MB: u64 = 1600;
/// Flink's default `taskmanager.memory.process.size`, in MiB.
pub const DEFAULT_TM_MEMORY_MB: u64 = 1728;
/// CPU cores of a JobManager or TaskManager when `kubernetes.*.cpu` is not set.
pub const DEFAULT_CPU: f64 = 1.0;

/// Whether a kind of cluster runs one Flink cluster per job (its JobManager and TaskManagers are the job's).
pub fn runs_one_cluster_per_job(settings: &weir_model::ClusterSettings) -> bool {
    settings.cluster_per_job()
}

/// The job's parallelism as declared: the hotfix's `parallelism.default`, else the version's `parallelism`,
/// else the version's then the environment's `parallelism.default`; none when nothing says (Flink then runs
/// it with 1, the default). A value that is not a positive number is skipped.
pub fn declared_parallelism(
    environment: &BTreeMap<String, String>,
    version_parallelism: Option<i32>,
    version: &BTreeMap<String, String>,
    hotfix: &BTreeMap<String, String>,
) -> Option<u32> {
    let pd = |c: &BTreeMap<String, String>| c.get("parallelism.default").and_then(|v| v.trim().parse::<u32>().ok()).filter(|p| *p > 0);
    pd(hotfix)
        .or(version_parallelism.filter(|p| *p > 0).map(|p| p as u32))
        .or_else(|| pd(version))
        .or_else(|| pd(environment))
}

/// The job's parallelism: as declared, else 1.
pub fn parallelism(
    environment: &BTreeMap<String, String>,
    version_parallelism: Option<i32>,
    version: &BTreeMap<String, String>,
    hotfix: &BTreeMap<String, String>,
) -> u32 {
    declared_parallelism(environment, version_parallelism, version, hotfix).unwrap_or(1)
}

/// What a job needs: `parallelism` slots, and on a per-job cluster its processes' CPU and memory, read from
/// its effective Flink configuration (environment < version < hotfix, merged).
pub fn demand(per_job_cluster: bool, parallelism: u32, config: &BTreeMap<String, String>) -> Demand {
    if !per_job_cluster {
        return Demand { slots: parallelism, cpu_cores: None, memory_mb: None };
    }
    let slots_per_tm = config
        .get("taskmanager.numberOfTaskSlots")
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(1);
    let taskmanagers = parallelism.div_ceil(slots_per_tm) as u64;
    let memory = |key: &str, default: u64| config.get(key).and_then(|v| memory_mb(v)).unwrap_or(default);
    let cpu = |key: &str| config.get(key).and_then(|v| v.trim().parse::<f64>().ok()).filter(|c| *c > 0.0).unwrap_or(DEFAULT_CPU);
    let jm_mb = memory("jobmanager.memory.process.size", DEFAULT_JM_MEMORY_MB);
    let tm_mb = memory("taskmanager.memory.process.size", DEFAULT_TM_MEMORY_MB);
    let cpu_cores = cpu("kubernetes.jobmanager.cpu") + taskmanagers as f64 * cpu("kubernetes.taskmanager.cpu");
    Demand { slots: parallelism, cpu_cores: Some(cpu_cores), memory_mb: Some(jm_mb + taskmanagers * tm_mb) }
}

/// A Flink memory size (`1600m`, `2 gb`, `1024mb`, `512k`, bytes without a unit) in MiB, rounded up.
pub fn memory_mb(text: &str) -> Option<u64> {
    let t = text.trim().to_ascii_lowercase();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: u64 = number.parse().ok()?;
    let bytes_per: u64 = match unit.trim() {
        "" | "b" | "bytes" => 1,
        "k" | "kb" | "kibibytes" => 1 << 10,
        "m" | "mb" | "mebibytes" => 1 << 20,
        "g" | "gb" | "gibibytes" => 1 << 30,
        "t" | "tb" | "tebibytes" => 1 << 40,
        _ => return None,
    };
    let bytes = n.checked_mul(bytes_per)?;
    Some(bytes.div_ceil(1 << 20))
}

#[cfg(test)]
mod tests {
    use super::*;

    type Conf = BTreeMap<String, String>;

    fn conf(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn parallelism_takes_the_most_specific_setting() {
        let none = conf(&[]);
        let p = |n: &str| conf(&[("parallelism.default", n)]);
        // (environment, version parallelism, version config, hotfix) -> parallelism
        let table: &[(Conf, Option<i32>, Conf, Conf, u32)] = &[
            (none.clone(), None, none.clone(), none.clone(), 1),
            (p("3"), None, none.clone(), none.clone(), 3),
            (p("3"), None, p("5"), none.clone(), 5),
            (p("3"), Some(2), p("5"), none.clone(), 2),
            (p("3"), Some(2), p("5"), p("7"), 7),
            (none.clone(), Some(2), none.clone(), p("nonsense"), 2),
            (none.clone(), Some(0), none.clone(), p("0"), 1),
            (none.clone(), None, none.clone(), p(" 4 "), 4),
        ];
        assert_eq!(declared_parallelism(&none, None, &none, &none), None, "nothing declared: Flink's default");
        for (env, vp, vc, hot, want) in table {
            assert_eq!(parallelism(env, *vp, vc, hot), *want, "env {env:?} version {vp:?} {vc:?} hotfix {hot:?}");
        }
    }

    #[test]
    fn demand_on_session_and_per_job_clusters() {
        let none = conf(&[]);
        let sized = conf(&[
            ("taskmanager.numberOfTaskSlots", "2"),
            ("jobmanager.memory.process.size", "1g"),
            ("taskmanager.memory.process.size", "2048m"),
            ("kubernetes.jobmanager.cpu", "0.5"),
            ("kubernetes.taskmanager.cpu", "2"),
        ]);
        // (per-job cluster, parallelism, config) -> (slots, cpu, memory MiB)
        type Want = (u32, Option<f64>, Option<u64>);
        let table: &[(bool, u32, &Conf, Want)] = &[
            (false, 4, &sized, (4, None, None)),
            (false, 1, &none, (1, None, None)),
            // One JobManager + one TaskManager per slot, Flink's default sizes, 1 core each.
            (true, 1, &none, (1, Some(2.0), Some(1600 + 1728))),
            (true, 3, &none, (3, Some(4.0), Some(1600 + 3 * 1728))),
            // 2 slots per TaskManager: parallelism 3 needs 2 TaskManagers.
            (true, 3, &sized, (3, Some(0.5 + 2.0 * 2.0), Some(1024 + 2 * 2048))),
            (true, 4, &sized, (4, Some(4.5), Some(1024 + 2 * 2048))),
        ];
        for (per_job, p, config, (slots, cpu, mem)) in table {
            let d = demand(*per_job, *p, config);
            assert_eq!((d.slots, d.cpu_cores, d.memory_mb), (*slots, *cpu, *mem), "per-job {per_job} p {p} {config:?}");
        }
    }

    #[test]
    fn flink_memory_sizes() {
        let table = [
            ("1600m", Some(1600)),
            ("2g", Some(2048)),
            ("2 GB", Some(2048)),
            ("1024mb", Some(1024)),
            ("512k", Some(1)),
            ("1048576", Some(1)),
            ("1048577", Some(2)),
            ("lots", None),
            ("12q", None),
            ("", None),
        ];
        for (text, want) in table {
            assert_eq!(memory_mb(text), want, "{text}");
        }
    }

    #[test]
    fn kinds() {
        use weir_model::clusters::*;
        let session = ClusterSettings::FlinkSession(FlinkSessionSettings { rest_url: "http://x".into(), flink_version: None });
        assert!(!runs_one_cluster_per_job(&session));
        let local = ClusterSettings::parse(weir_model::ClusterKind::LocalApplication, serde_json::json!({"flink_version": "2.3.0"}));
        assert!(runs_one_cluster_per_job(&local.expect("settings")));
        let k8s = |extra: serde_json::Value| {
            let mut v = serde_json::json!({"namespace": "n", "flink_version": "2.3", "image": "i"});
            if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
                o.extend(e.clone());
            }
            ClusterSettings::parse(weir_model::ClusterKind::KubernetesOperator, v).expect("settings")
        };
        assert!(runs_one_cluster_per_job(&k8s(serde_json::json!({}))), "application mode: a cluster per job");
        assert!(
            !runs_one_cluster_per_job(&k8s(serde_json::json!({"session_deployment": "s", "runner_jar_uri": "https://x/r.jar"}))),
            "session jobs share the session's processes"
        );
    }
}
