//! The Flink configuration of a per-job cluster: Weir's defaults for a cluster on this machine, then the job's
//! own configuration (environment < version < hotfix), then what Weir must decide itself (ports, folders,
//! application-mode behaviour, HA). A pure function, table-tested.

use std::collections::BTreeMap;
use std::path::Path;

use weir_model::clusters::LocalApplicationSettings;

/// What Weir fixes for one per-job cluster.
pub struct ClusterPlace<'a> {
    pub job_id: &'a str,
    pub rest_port: u16,
    pub rpc_port: u16,
    /// The job's folder (tmp, artifacts) and the cluster's (checkpoints, savepoints, HA storage: shared by the
    /// cluster's jobs, so a later job of the same deployment restores from them).
    pub job_dir: &'a Path,
    pub cluster_dir: &'a Path,
    pub parallelism: Option<u32>,
}

/// The configuration of the cluster, as key -> value.
pub fn cluster_config(
    settings: &LocalApplicationSettings,
    place: &ClusterPlace<'_>,
    job_config: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut c = BTreeMap::new();
    let mut set = |k: &str, v: String| {
        c.insert(k.to_owned(), v);
    };
    // Defaults a job may change.
    set("jobmanager.memory.process.size", "1024m".into());
    set("taskmanager.memory.process.size", "1536m".into());
    let per_tm = place.parallelism.unwrap_or(1).div_ceil(settings.taskmanagers.max(1)).max(1);
    set("taskmanager.numberOfTaskSlots", per_tm.to_string());
    set("execution.checkpointing.interval", "5s".into());
    set("state.checkpoints.dir", format!("file://{}", place.cluster_dir.join("checkpoints").display()));
    set("state.savepoints.dir", format!("file://{}", place.cluster_dir.join("savepoints").display()));
    if let Some(p) = place.parallelism {
        set("parallelism.default", p.to_string());
    }
    for (k, v) in job_config {
        c.insert(k.clone(), v.clone());
    }
    // What Weir decides: where the cluster listens and keeps its files, and how application mode ends.
    let mut fix = |k: &str, v: String| {
        c.insert(k.to_owned(), v);
    };
    fix("jobmanager.rpc.address", "localhost".into());
    fix("jobmanager.rpc.port", place.rpc_port.to_string());
    fix("jobmanager.bind-host", "localhost".into());
    fix("taskmanager.bind-host", "localhost".into());
    fix("taskmanager.host", "localhost".into());
    fix("taskmanager.rpc.port", "0".into());
    fix("taskmanager.data.port", "0".into());
    fix("rest.address", "localhost".into());
    fix("rest.bind-address", "localhost".into());
    fix("rest.port", place.rest_port.to_string());
    fix("blob.server.port", "0".into());
    fix("metrics.internal.query-service.port", "0".into());
    fix("io.tmp.dirs", place.job_dir.join("tmp").display().to_string());
    fix("user.artifacts.base-dir", place.job_dir.join("artifacts").display().to_string());
    // The cluster stays after its job ends, so Weir can read how it ended (savepoint, cause), then shuts it down.
    fix("execution.shutdown-on-application-finish", "false".into());
    fix("execution.submit-failed-job-on-application-error", "true".into());
    if let Some(quorum) = &settings.zookeeper_quorum {
        fix("high-availability.type", "zookeeper".into());
        fix("high-availability.zookeeper.quorum", quorum.clone());
        fix("high-availability.storageDir", format!("file://{}", place.cluster_dir.join("ha").display()));
        fix("high-availability.cluster-id", place.job_id.to_owned());
        // A new JobManager becomes leader once the dead one's ZooKeeper session expires: 10 s instead of the
        // default 60 s (ZooKeeper caps it at 40 s) brings a failover from ~45 s down to ~15 s.
        c.entry("high-availability.zookeeper.client.session-timeout".to_owned()).or_insert_with(|| "10000".to_owned());
    }
    c
}

/// The configuration as Flink's `config.yaml`: one flat key per line, every value a quoted string.
pub fn to_yaml(config: &BTreeMap<String, String>) -> String {
    let mut out = String::from("# Written by Weir for this job's cluster.\n");
    for (k, v) in config {
        out.push_str(k);
        out.push_str(": ");
        out.push_str(&serde_json::Value::String(v.clone()).to_string());
        out.push('\n');
    }
    out
}

pub const LOG4J: &str = "rootLogger.level = INFO
rootLogger.appenderRef.file.ref = MainAppender
logger.pekko.name = org.apache.pekko
logger.pekko.level = WARN
logger.zookeeper.name = org.apache.zookeeper
logger.zookeeper.level = WARN
appender.main.name = MainAppender
appender.main.type = RollingFile
appender.main.append = true
appender.main.fileName = ${sys:log.file}
appender.main.filePattern = ${sys:log.file}.%i
appender.main.layout.type = PatternLayout
appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n
appender.main.policies.type = Policies
appender.main.policies.size.type = SizeBasedTriggeringPolicy
appender.main.policies.size.size = 20MB
appender.main.strategy.type = DefaultRolloverStrategy
appender.main.strategy.max = 2
";

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn settings(tms: u32, zk: Option<&str>) -> LocalApplicationSettings {
        LocalApplicationSettings { flink_version: "2.3.0".into(), taskmanagers: tms, zookeeper_quorum: zk.map(str::to_owned) }
    }

    #[test]
    fn cluster_config_table() {
        let job_dir = PathBuf::from("/w/c/jobs/j1");
        let cluster_dir = PathBuf::from("/w/c");
        let place = |parallelism| ClusterPlace {
            job_id: "j1",
            rest_port: 30001,
            rpc_port: 30002,
            job_dir: &job_dir,
            cluster_dir: &cluster_dir,
            parallelism,
        };
        let job = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>();
        #[rustfmt::skip]
        type Row<'a> = (&'a str, LocalApplicationSettings, Option<u32>, BTreeMap<String, String>, &'a str, Option<&'a str>);
        let table: Vec<Row> = vec![
            ("slots: the parallelism on one TaskManager", settings(1, None), Some(4), job(&[]), "taskmanager.numberOfTaskSlots", Some("4")),
            ("slots: spread over two TaskManagers", settings(2, None), Some(3), job(&[]), "taskmanager.numberOfTaskSlots", Some("2")),
            ("slots: the job's own setting wins", settings(1, None), Some(4), job(&[("taskmanager.numberOfTaskSlots", "8")]), "taskmanager.numberOfTaskSlots", Some("8")),
            ("memory: the default", settings(1, None), None, job(&[]), "taskmanager.memory.process.size", Some("1536m")),
            ("memory: the job's (hotfix) setting", settings(1, None), None, job(&[("taskmanager.memory.process.size", "2g")]), "taskmanager.memory.process.size", Some("2g")),
            ("ports: Weir's, whatever the job says", settings(1, None), None, job(&[("rest.port", "8081")]), "rest.port", Some("30001")),
            ("application mode: the cluster stays after the job", settings(1, None), None, job(&[]), "execution.shutdown-on-application-finish", Some("false")),
            ("checkpoints: the cluster's folder", settings(1, None), None, job(&[]), "state.checkpoints.dir", Some("file:///w/c/checkpoints")),
            ("no HA without ZooKeeper", settings(1, None), None, job(&[]), "high-availability.type", None),
            ("HA: ZooKeeper, one cluster id per job", settings(1, Some("localhost:2181")), None, job(&[]), "high-availability.cluster-id", Some("j1")),
            ("HA: storage in the cluster's folder", settings(1, Some("localhost:2181")), None, job(&[]), "high-availability.storageDir", Some("file:///w/c/ha")),
        ];
        for (what, s, parallelism, job_config, key, expected) in table {
            let c = cluster_config(&s, &place(parallelism), &job_config);
            assert_eq!(c.get(key).map(String::as_str), expected, "{what}");
        }
    }

    #[test]
    fn yaml_quotes_every_value() {
        let c = BTreeMap::from([("a.b".to_string(), "x: \"y\"".to_string())]);
        assert_eq!(to_yaml(&c).lines().nth(1), Some(r#"a.b: "x: \"y\"""#));
    }
}
