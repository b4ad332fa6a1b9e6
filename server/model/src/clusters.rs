//! The kinds of cluster Weir drives and each kind's settings, as registered (API, `weir.toml`, database).

use serde::{Deserialize, Serialize};

vocabulary! {
    /// How a cluster runs jobs: each kind is one backend in the engine.
    ClusterKind, "cluster kind" {
        /// A Flink session cluster (standalone or remote) reached over its REST API: jars are uploaded, then run.
        FlinkSession = "flink-session",
        /// One Flink cluster per deployment on this machine: Weir starts a JobManager (application mode) and
        /// TaskManagers from a Flink distribution for each job and shuts them down when it ends.
        LocalApplication = "local-application",
        /// One Flink cluster per job on Kubernetes, through the Apache Flink Kubernetes Operator: Weir writes a
        /// `FlinkDeployment` (application mode) per job and watches them; the operator runs and heals the jobs.
        KubernetesOperator = "kubernetes-operator",
    }
}

/// The log files of a deployment's job on a kind that runs a cluster per job (`GET .../deployments/{env}/logs`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DeploymentLogs {
    /// The Flink job the logs are of (none: never deployed).
    pub flink_job_id: Option<String>,
    /// Whether the cluster keeps per-job logs (kinds with a cluster per job); otherwise there are none here.
    pub per_job: bool,
    pub files: Vec<LogTail>,
}

/// The end of one log file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LogTail {
    pub name: String,
    pub size_bytes: u64,
    pub tail: String,
}

/// Settings of a `flink-session` cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlinkSessionSettings {
    /// The JobManager's REST API, e.g. `http://localhost:8081`.
    pub rest_url: String,
    /// The Flink version the cluster runs (e.g. `1.20.5`); empty: read from the cluster's own overview.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flink_version: Option<String>,
}

/// Settings of a `local-application` cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalApplicationSettings {
    /// Which installed Flink distribution runs the jobs (e.g. `2.3.0`, `1.20.5`): one Weir knows
    /// (`[[engine.flink]]`).
    pub flink_version: String,
    /// TaskManagers per deployment (default 1).
    #[serde(default = "one")]
    pub taskmanagers: u32,
    /// JobManager high availability through ZooKeeper: a JobManager that dies is started again and its job
    /// resumes from the latest checkpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zookeeper_quorum: Option<String>,
}

fn one() -> u32 {
    1
}

/// Settings of a `kubernetes-operator` cluster: a namespace where the Flink Kubernetes Operator watches
/// `FlinkDeployment`s, and the image the jobs run in; or, with `session_deployment`, an operator-managed session
/// cluster the jobs run on as `FlinkSessionJob`s.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubernetesOperatorSettings {
    /// The Kubernetes namespace of the jobs' `FlinkDeployment`s (the operator must watch it).
    pub namespace: String,
    /// The Flink version of the image, major.minor (e.g. `1.20`, `2.3`): the `FlinkDeployment`'s `flinkVersion`.
    pub flink_version: String,
    /// A Flink image holding Weir's SQL runner (at `runner_jar_uri`).
    pub image: String,
    /// The Kubernetes service account the JobManagers run as (default `flink`).
    #[serde(default = "flink_account")]
    pub service_account: String,
    /// A kubeconfig file to reach the API server; none: the default kubeconfig, else the in-cluster account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubeconfig: Option<String>,
    /// Where the image has the SQL runner jar (default `local:///opt/flink/usrlib/weir-sql-runner.jar`).
    #[serde(default = "runner_in_image")]
    pub runner_jar_uri: String,
    /// Each job's JobManager REST API, for checkpoints, failure causes and metrics, with `{name}` (the
    /// `FlinkDeployment`: the job's, or `session_deployment`) and `{namespace}`, e.g.
    /// `http://{name}-rest.{namespace}:8081`; none: not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rest_url_template: Option<String>,
    /// The name of an existing session-mode `FlinkDeployment` of the namespace (managed by the operator, not by
    /// Weir): each job is then a `FlinkSessionJob` on it instead of a `FlinkDeployment` of its own, and
    /// `runner_jar_uri` must be a URI the operator can fetch (e.g. `https://`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_deployment: Option<String>,
}

fn flink_account() -> String {
    "flink".into()
}

fn runner_in_image() -> String {
    "local:///opt/flink/usrlib/weir-sql-runner.jar".into()
}

/// A cluster's settings, by kind.
#[derive(Clone, Debug, PartialEq)]
pub enum ClusterSettings {
    FlinkSession(FlinkSessionSettings),
    LocalApplication(LocalApplicationSettings),
    KubernetesOperator(KubernetesOperatorSettings),
}

impl ClusterSettings {
    pub fn kind(&self) -> ClusterKind {
        match self {
            ClusterSettings::FlinkSession(_) => ClusterKind::FlinkSession,
            ClusterSettings::LocalApplication(_) => ClusterKind::LocalApplication,
            ClusterSettings::KubernetesOperator(_) => ClusterKind::KubernetesOperator,
        }
    }

    /// Reads a kind's settings from their JSON form; the error names the field at fault.
    pub fn parse(kind: ClusterKind, value: serde_json::Value) -> Result<Self, String> {
        let value = if value.is_null() { serde_json::Value::Object(Default::default()) } else { value };
        match kind {
            ClusterKind::FlinkSession => serde_json::from_value(value).map(ClusterSettings::FlinkSession),
            ClusterKind::LocalApplication => serde_json::from_value(value).map(ClusterSettings::LocalApplication),
            ClusterKind::KubernetesOperator => serde_json::from_value(value).map(ClusterSettings::KubernetesOperator),
        }
        .map_err(|e| format!("invalid settings for a {kind} cluster: {e}"))
    }

    /// The JSON form (stored, and shown by the API).
    pub fn to_value(&self) -> serde_json::Value {
        match self {
            ClusterSettings::FlinkSession(s) => serde_json::to_value(s),
            ClusterSettings::LocalApplication(s) => serde_json::to_value(s),
            ClusterSettings::KubernetesOperator(s) => serde_json::to_value(s),
        }
        .unwrap_or(serde_json::Value::Null)
    }

    /// The REST API Weir reaches the cluster at; none for kinds with one JobManager per job.
    pub fn rest_url(&self) -> Option<&str> {
        match self {
            ClusterSettings::FlinkSession(s) => Some(&s.rest_url),
            ClusterSettings::LocalApplication(_) | ClusterSettings::KubernetesOperator(_) => None,
        }
    }

    /// Whether each job runs on a Flink cluster of its own (its JobManager and TaskManagers are the job's), as
    /// the kind's backend says in its capabilities.
    pub fn cluster_per_job(&self) -> bool {
        match self {
            ClusterSettings::FlinkSession(_) => false,
            ClusterSettings::LocalApplication(_) => true,
            ClusterSettings::KubernetesOperator(s) => s.session_deployment.is_none(),
        }
    }

    /// The Flink version the settings declare.
    pub fn declared_flink_version(&self) -> Option<&str> {
        match self {
            ClusterSettings::FlinkSession(s) => s.flink_version.as_deref(),
            ClusterSettings::LocalApplication(s) => Some(&s.flink_version),
            ClusterSettings::KubernetesOperator(s) => Some(&s.flink_version),
        }
    }
}

/// One setting as a form shows it: (field, required, what it is).
pub type SettingField = (&'static str, bool, &'static str);

/// Each kind's settings described for a registration form: (kind, [(field, required, what it is)]).
pub const SETTINGS_FIELDS: &[(ClusterKind, &[SettingField])] = &[
    (
        ClusterKind::FlinkSession,
        &[
            ("rest_url", true, "the JobManager's REST API, e.g. http://localhost:8081"),
            ("flink_version", false, "e.g. 1.20.5; empty: read from the cluster"),
        ],
    ),
    (
        ClusterKind::LocalApplication,
        &[
            ("flink_version", true, "an installed Flink distribution, e.g. 2.3.0 or 1.20.5"),
            ("taskmanagers", false, "TaskManagers per deployment (default 1)"),
            ("zookeeper_quorum", false, "host:port of ZooKeeper, for JobManager high availability"),
        ],
    ),
    (
        ClusterKind::KubernetesOperator,
        &[
            ("namespace", true, "the Kubernetes namespace the Flink Kubernetes Operator watches"),
            ("flink_version", true, "the image's Flink version, e.g. 1.20 or 2.3"),
            ("image", true, "a Flink image holding Weir's SQL runner"),
            ("service_account", false, "the JobManagers' service account (default flink)"),
            ("kubeconfig", false, "a kubeconfig file; empty: the default one, else in-cluster"),
            ("runner_jar_uri", false, "the runner in the image (default local:///opt/flink/usrlib/weir-sql-runner.jar)"),
            ("rest_url_template", false, "each job's REST API, e.g. http://{name}-rest.{namespace}:8081"),
            ("session_deployment", false, "an operator-managed session FlinkDeployment: jobs run on it as FlinkSessionJobs"),
        ],
    ),
];

/// One field of the registration form: a setting name shared by the kinds that have it.
#[derive(Clone, Debug, PartialEq)]
pub struct FormField {
    pub name: &'static str,
    /// The kinds that have this setting.
    pub kinds: Vec<ClusterKind>,
    /// The kinds for which it is required.
    pub required_for: Vec<ClusterKind>,
    pub help: &'static str,
}

impl FormField {
    /// Which kinds the field is for, and for which it is required, in words.
    pub fn note(&self) -> String {
        let words = |ks: &[ClusterKind]| ks.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ");
        let (kinds, required) = (words(&self.kinds), words(&self.required_for));
        match required.as_str() {
            "" => format!(" ({kinds})"),
            r if r == kinds => format!(" ({kinds}; required)"),
            r => format!(" ({kinds}; required for {r})"),
        }
    }
}

/// The registration form's fields: every setting of every kind once, in the order the kinds list them.
pub fn form_fields() -> Vec<FormField> {
    let mut out: Vec<FormField> = Vec::new();
    for (kind, fields) in SETTINGS_FIELDS {
        for (name, required, help) in fields.iter() {
            let i = match out.iter().position(|f| f.name == *name) {
                Some(i) => i,
                None => {
                    out.push(FormField { name, kinds: Vec::new(), required_for: Vec::new(), help });
                    out.len() - 1
                }
            };
            out[i].kinds.push(*kind);
            if *required {
                out[i].required_for.push(*kind);
            }
        }
    }
    out
}

/// The cluster registration form of the UI: one field per setting of any kind; a kind takes its own fields
/// (those of [`SETTINGS_FIELDS`]) that are filled in.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterForm {
    pub rest_url: Option<String>,
    pub flink_version: Option<String>,
    pub taskmanagers: Option<String>,
    pub zookeeper_quorum: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub service_account: Option<String>,
    #[serde(default)]
    pub kubeconfig: Option<String>,
    #[serde(default)]
    pub runner_jar_uri: Option<String>,
    #[serde(default)]
    pub rest_url_template: Option<String>,
    #[serde(default)]
    pub session_deployment: Option<String>,
}

impl ClusterForm {
    /// The settings object of `kind` from the filled-in fields (numbers as numbers when they read as such; the
    /// settings' own check names what is wrong).
    pub fn settings(&self, kind: ClusterKind) -> serde_json::Value {
        let mut out = serde_json::Map::new();
        let fields = SETTINGS_FIELDS.iter().find(|(k, _)| *k == kind).map(|(_, f)| *f).unwrap_or_default();
        for (name, _, _) in fields {
            let value = match *name {
                "rest_url" => &self.rest_url,
                "flink_version" => &self.flink_version,
                "taskmanagers" => &self.taskmanagers,
                "zookeeper_quorum" => &self.zookeeper_quorum,
                "namespace" => &self.namespace,
                "image" => &self.image,
                "service_account" => &self.service_account,
                "kubeconfig" => &self.kubeconfig,
                "runner_jar_uri" => &self.runner_jar_uri,
                "rest_url_template" => &self.rest_url_template,
                "session_deployment" => &self.session_deployment,
                _ => &None,
            };
            let Some(text) = value.as_deref().map(str::trim).filter(|t| !t.is_empty()) else { continue };
            let json = match text.parse::<u64>() {
                Ok(n) if *name == "taskmanagers" => serde_json::Value::from(n),
                _ => serde_json::Value::String(text.to_owned()),
            };
            out.insert((*name).to_owned(), json);
        }
        serde_json::Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_form_lists_each_setting_once() {
        let fields = form_fields();
        let version = fields.iter().find(|f| f.name == "flink_version").expect("flink_version");
        assert_eq!(version.kinds.len(), ClusterKind::ALL.len(), "every kind has a Flink version");
        assert!(!version.required_for.contains(&ClusterKind::FlinkSession), "read from a session cluster");
        assert!(version.note().contains("required for local-application"), "{}", version.note());
        let url = fields.iter().find(|f| f.name == "rest_url").expect("rest_url");
        assert_eq!(url.note(), " (flink-session; required)");
        let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "no field twice: {names:?}");
    }

    #[test]
    fn form_fields_per_kind() {
        let form = ClusterForm {
            rest_url: Some(" http://x:8081 ".into()),
            flink_version: Some("1.20.5".into()),
            taskmanagers: Some("2".into()),
            zookeeper_quorum: Some("".into()),
            namespace: Some("flink".into()),
            ..Default::default()
        };
        assert_eq!(form.settings(ClusterKind::FlinkSession), json!({"rest_url": "http://x:8081", "flink_version": "1.20.5"}));
        assert_eq!(form.settings(ClusterKind::LocalApplication), json!({"flink_version": "1.20.5", "taskmanagers": 2}));
        let bad = ClusterForm { taskmanagers: Some("two".into()), ..Default::default() };
        assert_eq!(bad.settings(ClusterKind::LocalApplication), json!({"taskmanagers": "two"}));
        // A kind takes only its own fields: the namespace is no setting of the other kinds.
        let k8s = ClusterForm {
            flink_version: Some("2.3".into()),
            namespace: Some(" jobs ".into()),
            image: Some("registry/weir-flink:2.3".into()),
            kubeconfig: Some("".into()),
            rest_url: Some("http://x".into()),
            ..Default::default()
        };
        assert_eq!(
            k8s.settings(ClusterKind::KubernetesOperator),
            json!({"namespace": "jobs", "flink_version": "2.3", "image": "registry/weir-flink:2.3"})
        );
    }

    #[test]
    fn kubernetes_operator_settings() {
        let s = ClusterSettings::parse(
            ClusterKind::KubernetesOperator,
            json!({"namespace": "jobs", "flink_version": "1.20", "image": "weir-flink:1.20"}),
        )
        .unwrap();
        assert_eq!(s.kind(), ClusterKind::KubernetesOperator);
        assert_eq!(s.rest_url(), None, "one JobManager per job: no cluster-wide REST API");
        assert_eq!(s.declared_flink_version(), Some("1.20"));
        let ClusterSettings::KubernetesOperator(k) = &s else { panic!("{s:?}") };
        assert_eq!(k.service_account, "flink");
        assert_eq!(k.runner_jar_uri, "local:///opt/flink/usrlib/weir-sql-runner.jar");
        assert_eq!((k.kubeconfig.as_deref(), k.rest_url_template.as_deref()), (None, None));
        assert_eq!(ClusterSettings::parse(ClusterKind::KubernetesOperator, s.to_value()).unwrap(), s);
        for missing in ["namespace", "flink_version", "image"] {
            let mut v = json!({"namespace": "jobs", "flink_version": "1.20", "image": "i"});
            v.as_object_mut().unwrap().remove(missing);
            let e = ClusterSettings::parse(ClusterKind::KubernetesOperator, v).unwrap_err();
            assert!(e.contains(missing), "{e}");
        }
        let e = ClusterSettings::parse(
            ClusterKind::KubernetesOperator,
            json!({"namespace": "jobs", "flink_version": "1.20", "image": "i", "taskmanagers": 2}),
        )
        .unwrap_err();
        assert!(e.contains("taskmanagers"), "{e}");
    }

    #[test]
    fn settings_parse_per_kind() {
        let s = ClusterSettings::parse(ClusterKind::FlinkSession, json!({"rest_url": "http://x:8081"})).unwrap();
        assert_eq!(s.rest_url(), Some("http://x:8081"));
        assert_eq!(s.declared_flink_version(), None);
        let s = ClusterSettings::parse(ClusterKind::LocalApplication, json!({"flink_version": "1.20.5"})).unwrap();
        assert_eq!(s.rest_url(), None);
        assert_eq!(s, ClusterSettings::LocalApplication(LocalApplicationSettings {
            flink_version: "1.20.5".into(),
            taskmanagers: 1,
            zookeeper_quorum: None
        }));
        let e = ClusterSettings::parse(ClusterKind::LocalApplication, json!({})).unwrap_err();
        assert!(e.contains("flink_version"), "{e}");
        let e = ClusterSettings::parse(ClusterKind::FlinkSession, json!({"rest_url": "http://x", "port": 1})).unwrap_err();
        assert!(e.contains("port"), "{e}");
        // The stored form reads back as the same settings.
        assert_eq!(ClusterSettings::parse(ClusterKind::LocalApplication, s.to_value()).unwrap(), s);
    }
}
