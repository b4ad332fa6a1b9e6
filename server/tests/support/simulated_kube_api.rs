//! A SIMULATED Kubernetes API server with a SIMULATED Flink Kubernetes Operator, for testing the
//! `kubernetes-operator` backend where no Kubernetes can run. It owns nothing of Weir; it only encodes our
//! reading of the API server and of the operator (apache/flink-kubernetes-operator, commit 6e9caeb), so it
//! cannot catch what that reading misses (webhook rejections, timing, the operator's real retries).
//!
//! The API server (axum on 127.0.0.1, reached by kube-rs through a kubeconfig): list, watch, get, create,
//! merge/apply patch and delete of `FlinkDeployment`s, `FlinkSessionJob`s and `FlinkStateSnapshot`s
//! (`flink.apache.org/v1beta1`) in one namespace, with `resourceVersion`, `generation` bumped by spec changes,
//! `status` as a subresource (ignored in writes to the resource). Every object written — by Weir, by the
//! simulated operator, or by a test as an administrator — is validated against the CRDs' `openAPIV3Schema`
//! (`server/tests/fixtures/fko-crds/`; `x-kubernetes-*` keys dropped, and fields a real API server would silently
//! prune counted as invalid); an invalid write answers 422 and is recorded.
//!
//! The operator: one loop applying the rules below, each citing the operator source it imitates (paths under
//! `flink-kubernetes-operator/src/main/java/org/apache/flink/kubernetes/operator/`).
//! Session clusters: a FlinkDeployment without `spec.job` (an administrator's) is deployed as a session; a
//! FlinkSessionJob runs on the one its `deploymentName` names once that one is READY, and waits (no status
//! written) while it does not exist.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::broadcast;

pub const DEPLOYMENTS: &str = "flinkdeployments";
pub const SESSION_JOBS: &str = "flinksessionjobs";
pub const SNAPSHOTS: &str = "flinkstatesnapshots";
const API: &str = "flink.apache.org/v1beta1";

fn kind_of(plural: &str) -> Option<&'static str> {
    match plural {
        DEPLOYMENTS => Some("FlinkDeployment"),
        SESSION_JOBS => Some("FlinkSessionJob"),
        SNAPSHOTS => Some("FlinkStateSnapshot"),
        _ => None,
    }
}

fn plural_of(kind: &str) -> Option<&'static str> {
    match kind {
        "FlinkDeployment" => Some(DEPLOYMENTS),
        "FlinkSessionJob" => Some(SESSION_JOBS),
        _ => None,
    }
}

/// One change, as a watch sends it.
#[derive(Clone, Debug)]
struct Change {
    rv: u64,
    plural: String,
    /// `{"type": ADDED|MODIFIED|DELETED, "object": ...}`.
    object: Value,
}

#[derive(Default)]
struct World {
    rv: u64,
    /// (plural, name) -> object.
    objects: BTreeMap<(String, String), Value>,
    log: Vec<Change>,
    uid: u64,
}

struct Inner {
    namespace: String,
    world: Mutex<World>,
    changes: broadcast::Sender<Change>,
    schemas: HashMap<&'static str, jsonschema::Validator>,
    invalid: Mutex<Vec<String>>,
    lists: Mutex<u32>,
    watches: Mutex<u32>,
    /// What each FlinkDeployment's or FlinkSessionJob's (simulated) job was restored from at its deployment.
    restored_from: Mutex<HashMap<String, Option<String>>>,
    /// How often the simulated operator resubmitted each FlinkDeployment's or FlinkSessionJob's failed job.
    restarts: Mutex<HashMap<String, u32>>,
    /// The simulated operator does nothing while paused.
    paused: std::sync::atomic::AtomicBool,
}

/// A running simulation; dropping it ends the server and the operator.
pub struct SimulatedKubeApi {
    /// Where clients reach the API server: a door in front of it that can be shut (`cut`).
    pub addr: SocketAddr,
    inner: Arc<Inner>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    door: Mutex<Option<Door>>,
    server: SocketAddr,
}

/// The door's accept loop and every connection through it.
struct Door {
    addr: SocketAddr,
    accept: tokio::task::JoinHandle<()>,
    pipes: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Door {
    async fn open(at: SocketAddr, server: SocketAddr) -> std::io::Result<Door> {
        let listener = tokio::net::TcpListener::bind(at).await?;
        let addr = listener.local_addr()?;
        let pipes: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let kept = pipes.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let pipe = tokio::spawn(async move {
                    if let Ok(mut upstream) = tokio::net::TcpStream::connect(server).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                    }
                });
                kept.lock().unwrap().push(pipe.abort_handle());
            }
        });
        Ok(Door { addr, accept, pipes })
    }

    fn shut(self) {
        self.accept.abort();
        for p in self.pipes.lock().unwrap().drain(..) {
            p.abort();
        }
    }
}

impl Drop for SimulatedKubeApi {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        if let Some(door) = self.door.lock().unwrap().take() {
            door.shut();
        }
    }
}

impl SimulatedKubeApi {
    /// Starts the API server and the operator for `namespace`, with the CRDs of `crd_dir`.
    pub async fn start(namespace: &str, crd_dir: &Path) -> Self {
        let mut schemas = HashMap::new();
        for (kind, file) in [
            ("FlinkDeployment", "flinkdeployments.flink.apache.org-v1.yml"),
            ("FlinkSessionJob", "flinksessionjobs.flink.apache.org-v1.yml"),
            ("FlinkStateSnapshot", "flinkstatesnapshots.flink.apache.org-v1.yml"),
        ] {
            schemas.insert(kind, crd_validator(&crd_dir.join(file)));
        }
        let inner = Arc::new(Inner {
            namespace: namespace.to_owned(),
            world: Mutex::new(World::default()),
            changes: broadcast::channel(1024).0,
            schemas,
            invalid: Mutex::new(Vec::new()),
            lists: Mutex::new(0),
            watches: Mutex::new(0),
            restored_from: Mutex::new(HashMap::new()),
            restarts: Mutex::new(HashMap::new()),
            paused: Default::default(),
        });
        let app = Router::new()
            .route("/apis/flink.apache.org/v1beta1/namespaces/{ns}/{plural}", get(list_or_watch).post(create))
            .route(
                "/apis/flink.apache.org/v1beta1/namespaces/{ns}/{plural}/{name}",
                get(read).patch(patch).delete(delete),
            )
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the simulated API server");
        let server_addr = listener.local_addr().expect("address");
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("the simulated API server");
        });
        let door = Door::open("127.0.0.1:0".parse().expect("address"), server_addr).await.expect("open the door");
        let addr = door.addr;
        let op = inner.clone();
        let operator = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(40)).await;
                op.operator_step();
            }
        });
        Self { addr, inner, tasks: vec![server, operator], door: Mutex::new(Some(door)), server: server_addr }
    }

    /// The API server stops answering: connections refused, open ones (watches included) cut.
    pub fn cut(&self) {
        if let Some(door) = self.door.lock().unwrap().take() {
            door.shut();
        }
    }

    /// The API server answers again, at the same address.
    pub async fn restore(&self) {
        let door = Door::open(self.addr, self.server).await.expect("reopen the door");
        *self.door.lock().unwrap() = Some(door);
    }

    /// Pauses (or resumes) the simulated operator.
    pub fn pause_operator(&self, paused: bool) {
        self.inner.paused.store(paused, std::sync::atomic::Ordering::SeqCst);
    }

    /// How often the simulated operator resubmitted a FlinkDeployment's or FlinkSessionJob's failed job.
    pub fn restarts(&self, name: &str) -> u32 {
        self.inner.restarts.lock().unwrap().get(name).copied().unwrap_or(0)
    }

    /// A kubeconfig reaching this server (no TLS: a loopback simulation).
    pub fn kubeconfig(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster:\n    server: http://{addr}\n\
             contexts:\n- name: sim\n  context:\n    cluster: sim\n    user: sim\n    namespace: {ns}\n\
             current-context: sim\nusers:\n- name: sim\n  user:\n    token: simulated\n",
            addr = self.addr,
            ns = self.inner.namespace
        )
    }

    pub fn object(&self, plural: &str, name: &str) -> Option<Value> {
        self.inner.world.lock().unwrap().objects.get(&(plural.to_owned(), name.to_owned())).cloned()
    }

    pub fn names(&self, plural: &str) -> Vec<String> {
        self.inner.world.lock().unwrap().objects.keys().filter(|(p, _)| p == plural).map(|(_, n)| n.clone()).collect()
    }

    /// Every write refused as invalid against the CRDs (Weir's and the simulated operator's).
    pub fn invalid_writes(&self) -> Vec<String> {
        self.inner.invalid.lock().unwrap().clone()
    }

    pub fn list_requests(&self) -> u32 {
        *self.inner.lists.lock().unwrap()
    }

    pub fn watch_requests(&self) -> u32 {
        *self.inner.watches.lock().unwrap()
    }

    /// What the simulated job of a FlinkDeployment or FlinkSessionJob restored from when the operator deployed it.
    pub fn restored_from(&self, name: &str) -> Option<Option<String>> {
        self.inner.restored_from.lock().unwrap().get(name).cloned()
    }

    /// The simulated operator records a FlinkDeployment's job as failed (as the JobStatusObserver would see it).
    pub fn fail_job(&self, name: &str, error: &str) {
        self.fail(DEPLOYMENTS, name, error)
    }

    /// The same for a FlinkDeployment's (`plural` DEPLOYMENTS) or a FlinkSessionJob's (SESSION_JOBS) job.
    pub fn fail(&self, plural: &str, name: &str, error: &str) {
        let key = (plural.to_owned(), name.to_owned());
        let mut w = self.inner.world.lock().unwrap();
        let Some(mut fd) = w.objects.get(&key).cloned() else { return };
        fd["status"]["jobStatus"]["state"] = json!("FAILED");
        fd["status"]["error"] = json!(error);
        // CommonStatus.getLifecycleState (flink-kubernetes-operator-api): a FAILED job is lifecycle FAILED.
        fd["status"]["lifecycleState"] = json!("FAILED");
        self.inner.operator_write(&mut w, plural, fd);
    }
}

/// The CRD's `openAPIV3Schema` as a validator: `x-kubernetes-*` keys dropped; objects that list their properties
/// and neither allow others nor preserve unknown fields refuse unknown ones (a real API server prunes them:
/// Weir's write would silently lose them).
fn crd_validator(path: &Path) -> jsonschema::Validator {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).expect("CRD YAML");
    let crd = yaml_to_json(&docs[0]);
    let mut schema = crd["spec"]["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .find(|v| v["name"] == "v1beta1")
        .expect("v1beta1")["schema"]["openAPIV3Schema"]
        .clone();
    tighten(&mut schema);
    // The API server always takes an object's type and metadata, whether the schema lists them or not.
    for (field, of) in [("apiVersion", "string"), ("kind", "string"), ("metadata", "object")] {
        schema["properties"].as_object_mut().expect("properties").entry(field).or_insert(json!({"type": of}));
    }
    jsonschema::validator_for(&schema).expect("the CRD schema compiles")
}

fn tighten(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let preserve = map.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
            map.retain(|k, _| !k.starts_with("x-kubernetes-"));
            if map.contains_key("properties") && !map.contains_key("additionalProperties") && !preserve {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            for v in map.values_mut() {
                tighten(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(tighten),
        _ => {}
    }
}

fn yaml_to_json(y: &yaml_rust2::Yaml) -> Value {
    use yaml_rust2::Yaml;
    match y {
        Yaml::Real(s) => s.parse::<f64>().map(Value::from).unwrap_or(Value::Null),
        Yaml::Integer(i) => json!(i),
        Yaml::String(s) => json!(s),
        Yaml::Boolean(b) => json!(b),
        Yaml::Array(a) => Value::Array(a.iter().map(yaml_to_json).collect()),
        Yaml::Hash(h) => Value::Object(
            h.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Yaml::String(s) => s.clone(),
                        Yaml::Integer(i) => i.to_string(),
                        Yaml::Boolean(b) => b.to_string(),
                        _ => format!("{k:?}"),
                    };
                    (key, yaml_to_json(v))
                })
                .collect(),
        ),
        _ => Value::Null,
    }
}

/// A Kubernetes `Status` error answer.
fn status(code: StatusCode, reason: &str, message: impl Into<String>) -> Response {
    let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message.into(), "reason": reason, "code": code.as_u16()});
    (code, axum::Json(body)).into_response()
}

/// RFC 7386 JSON merge patch.
fn merge(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = json!({});
            }
            let t = target.as_object_mut().expect("object");
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

fn labels_match(object: &Value, selector: Option<&String>) -> bool {
    let Some(selector) = selector.filter(|s| !s.is_empty()) else { return true };
    selector.split(',').all(|term| match term.split_once('=') {
        Some((k, v)) => object["metadata"]["labels"][k.trim()].as_str() == Some(v.trim_start_matches('=').trim()),
        None => object["metadata"]["labels"].get(term.trim()).is_some(),
    })
}

impl Inner {
    fn validate(&self, kind: &str, object: &Value) -> Result<(), String> {
        let validator = &self.schemas[kind];
        let errors: Vec<String> = validator.iter_errors(object).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        match errors.is_empty() {
            true => Ok(()),
            false => Err(errors.join("; ")),
        }
    }

    /// Records a change under the world's lock: a new resourceVersion, the log, the watchers told.
    fn commit(&self, w: &mut World, plural: &str, mut object: Value, deleted: bool) -> Value {
        w.rv += 1;
        object["metadata"]["resourceVersion"] = json!(w.rv.to_string());
        let name = object["metadata"]["name"].as_str().unwrap_or_default().to_owned();
        let key = (plural.to_owned(), name);
        let typ = if deleted {
            w.objects.remove(&key);
            "DELETED"
        } else if w.objects.insert(key, object.clone()).is_some() {
            "MODIFIED"
        } else {
            "ADDED"
        };
        let change = Change { rv: w.rv, plural: plural.to_owned(), object: json!({"type": typ, "object": object.clone()}) };
        w.log.push(change.clone());
        let _ = self.changes.send(change);
        object
    }

    /// A status write of the simulated operator (through the status subresource: the generation stays).
    fn operator_write(&self, w: &mut World, plural: &str, object: Value) {
        let kind = kind_of(plural).expect("kind");
        if let Err(e) = self.validate(kind, &object) {
            self.invalid.lock().unwrap().push(format!("the simulated operator wrote an invalid {kind}: {e}"));
            return;
        }
        self.commit(w, plural, object, false);
    }

    /// One round of the simulated operator over every resource.
    fn operator_step(&self) {
        if self.paused.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let mut w = self.world.lock().unwrap();
        let snapshot: Vec<((String, String), Value)> = w.objects.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for ((plural, name), object) in snapshot {
            let next = match plural.as_str() {
                DEPLOYMENTS if object["spec"]["job"].is_null() => self.reconcile_session_cluster(object.clone()),
                DEPLOYMENTS => self.reconcile_deployment(&mut w, &name, object.clone()),
                SESSION_JOBS => self.reconcile_session_job(&mut w, &name, object.clone()),
                SNAPSHOTS => self.reconcile_snapshot(&w, object.clone()),
                _ => None,
            };
            if let Some(next) = next.filter(|n| *n != object) {
                self.operator_write(&mut w, &plural, next);
            }
        }
    }

    fn reconcile_deployment(&self, w: &mut World, name: &str, mut fd: Value) -> Option<Value> {
        let generation = fd["metadata"]["generation"].as_i64().unwrap_or(1);
        let observed = fd["status"]["observedGeneration"].as_i64();
        let spec = fd["spec"].clone();
        let conf = &spec["flinkConfiguration"];
        let wanted = spec["job"]["state"].as_str().unwrap_or("running");
        let job_state = fd["status"]["jobStatus"]["state"].as_str().map(str::to_owned);
        let lifecycle = fd["status"]["lifecycleState"].as_str().map(str::to_owned);
        let unseen = observed != Some(generation);

        if unseen && wanted == "running" && matches!(lifecycle.as_deref(), None | Some("SUSPENDED") | Some("CREATED")) {
            // validation/DefaultValidator.java: an application deployment needs a jarURI with a scheme; an
            // invalid spec is not deployed and its error is recorded in the status.
            let jar = spec["job"]["jarURI"].as_str().unwrap_or_default();
            if !jar.contains("://") {
                fd["status"]["error"] = json!("jarURI must include a scheme");
                fd["status"]["lifecycleState"] = json!("FAILED");
                return Some(fd);
            }
            // reconciler/deployment/ApplicationReconciler.java `setJobIdIfNecessary`: a job id set in
            // `$internal.pipeline.job-id` is the job's; otherwise the operator picks one.
            let job_id = conf["$internal.pipeline.job-id"].as_str().map(str::to_owned).unwrap_or_else(|| {
                w.uid += 1;
                format!("{:032x}", w.uid)
            });
            // reconciler/deployment/AbstractJobReconciler.java: the first deployment (and a resume from
            // SUSPENDED with savepoint upgrade mode) restores `job.initialSavepointPath` / the upgrade savepoint.
            let restore = match lifecycle.as_deref() {
                Some("SUSPENDED") => fd["status"]["jobStatus"]["upgradeSavepointPath"].as_str().map(str::to_owned),
                _ => spec["job"]["initialSavepointPath"].as_str().map(str::to_owned),
            };
            self.restored_from.lock().unwrap().insert(name.to_owned(), restore);
            // ApplicationReconciler.java `deploy`: the job is RECONCILING and the JobManager DEPLOYING once
            // submitted; CommonStatus.getLifecycleState (flink-kubernetes-operator-api): DEPLOYED until stable.
            fd["status"]["jobStatus"]["jobId"] = json!(job_id);
            fd["status"]["jobStatus"]["state"] = json!("RECONCILING");
            fd["status"]["jobManagerDeploymentStatus"] = json!("DEPLOYING");
            fd["status"]["lifecycleState"] = json!("DEPLOYED");
            fd["status"]["observedGeneration"] = json!(generation);
            if let Some(map) = fd["status"].as_object_mut() {
                map.remove("error");
            }
            return Some(fd);
        }
        if !unseen && job_state.as_deref() == Some("RECONCILING") {
            // observer/JobStatusObserver.java: the job's state as the JobManager reports it (here: it runs);
            // observer/deployment/AbstractFlinkDeploymentObserver.java: the JobManager deployment READY;
            // CommonStatus.getLifecycleState: the spec is stable once the job runs (ReconciliationUtils).
            fd["status"]["jobStatus"]["state"] = json!("RUNNING");
            let job_name = conf["pipeline.name"].as_str().unwrap_or("weir-sql-job");
            fd["status"]["jobStatus"]["jobName"] = json!(job_name);
            fd["status"]["jobManagerDeploymentStatus"] = json!("READY");
            fd["status"]["lifecycleState"] = json!("STABLE");
            return Some(fd);
        }
        if !unseen && job_state.as_deref() == Some("FAILED") && conf["kubernetes.operator.job.restart.failed"] == "true" {
            // reconciler/deployment/AbstractJobReconciler.java `reconcileOtherChanges`: a FAILED job with
            // `kubernetes.operator.job.restart.failed` is cleaned up, its error cleared and resubmitted
            // (`resubmitJob`), under the same fixed job id (ApplicationReconciler.java `setJobIdIfNecessary`).
            *self.restarts.lock().unwrap().entry(name.to_owned()).or_default() += 1;
            fd["status"]["jobStatus"]["state"] = json!("RECONCILING");
            fd["status"]["jobManagerDeploymentStatus"] = json!("DEPLOYING");
            fd["status"]["lifecycleState"] = json!("DEPLOYED");
            if let Some(map) = fd["status"].as_object_mut() {
                map.remove("error");
            }
            return Some(fd);
        }
        if unseen && wanted == "suspended" && job_state.as_deref() == Some("RUNNING") {
            let mode = spec["job"]["upgradeMode"].as_str().unwrap_or("stateless");
            if mode == "savepoint" {
                // service/AbstractFlinkService.java `savepointJobOrError`: the stop's savepoint goes to the
                // deployed configuration's savepoint directory; without one it fails and the job keeps running.
                let dir = conf["execution.checkpointing.savepoint-dir"].as_str().or(conf["state.savepoints.dir"].as_str());
                let Some(dir) = dir else {
                    fd["status"]["error"] = json!("Savepoint directory must be set for savepoint upgrade mode");
                    return Some(fd);
                };
                w.uid += 1;
                let job_id = fd["status"]["jobStatus"]["jobId"].as_str().unwrap_or_default().to_owned();
                let path = format!("{}/savepoint-{}-{:012x}", dir.trim_end_matches('/'), &job_id[..6.min(job_id.len())], w.uid);
                // AbstractJobReconciler.java `setUpgradeSavepointPath`: the location as upgradeSavepointPath, and
                // (snapshot resources enabled) an UPGRADE FlinkStateSnapshot through
                // utils/FlinkStateSnapshotUtils.java `createUpgradeSnapshotResource` (alreadyExists: true).
                fd["status"]["jobStatus"]["upgradeSavepointPath"] = json!(path);
                let snap_name = format!("{}-upgrade-{}", name, w.uid);
                let snap = json!({"apiVersion": API, "kind": "FlinkStateSnapshot",
                    "metadata": {"name": snap_name, "namespace": self.namespace, "generation": 1,
                        "uid": format!("sim-{}", w.uid)},
                    "spec": {"jobReference": {"kind": "FlinkDeployment", "name": name},
                        "savepoint": {"path": path, "formatType": "CANONICAL", "alreadyExists": true,
                            "disposeOnDelete": false}, "backoffLimit": 0}});
                self.operator_write(w, SNAPSHOTS, snap);
            }
            // AbstractFlinkService.java `cancelJob`: after the savepoint (or the stateless cancel) the cluster
            // is deleted and the job's state set to FINISHED; CommonStatus.getLifecycleState: a spec with
            // job.state suspended is lifecycle SUSPENDED.
            fd["status"]["jobStatus"]["state"] = json!("FINISHED");
            fd["status"]["jobManagerDeploymentStatus"] = json!("MISSING");
            fd["status"]["lifecycleState"] = json!("SUSPENDED");
            fd["status"]["observedGeneration"] = json!(generation);
            if let Some(map) = fd["status"].as_object_mut() {
                map.remove("error");
            }
            return Some(fd);
        }
        if unseen && !matches!(job_state.as_deref(), Some("RECONCILING")) && lifecycle.is_some() {
            // reconciler/ReconciliationUtils.java `updateStatusForDeployedSpec`: any other spec change is
            // reconciled and observed (this simulation does not model upgrades of a running job).
            if (wanted == "suspended" && lifecycle.as_deref() == Some("SUSPENDED")) || wanted == "running" {
                fd["status"]["observedGeneration"] = json!(generation);
                return Some(fd);
            }
        }
        None
    }

    /// A session cluster: a FlinkDeployment without `spec.job`, which an administrator writes (never Weir).
    fn reconcile_session_cluster(&self, mut fd: Value) -> Option<Value> {
        let generation = fd["metadata"]["generation"].as_i64().unwrap_or(1);
        let jm = fd["status"]["jobManagerDeploymentStatus"].as_str().map(str::to_owned);
        if fd["status"]["observedGeneration"].as_i64() != Some(generation) {
            // reconciler/deployment/SessionReconciler.java `deploy`: the JobManager DEPLOYING;
            // ReconciliationUtils.updateStatusForDeployedSpec: the spec observed, lifecycle DEPLOYED.
            fd["status"]["jobManagerDeploymentStatus"] = json!("DEPLOYING");
            fd["status"]["lifecycleState"] = json!("DEPLOYED");
            fd["status"]["observedGeneration"] = json!(generation);
            return Some(fd);
        }
        match jm.as_deref() {
            // observer/deployment/AbstractFlinkDeploymentObserver.java `observeJmDeployment`: DEPLOYED_NOT_READY
            // once the JobManager's pod and port are up, READY at the next observation.
            Some("DEPLOYING") => fd["status"]["jobManagerDeploymentStatus"] = json!("DEPLOYED_NOT_READY"),
            // observer/deployment/SessionObserver.java `observeFlinkCluster`: the REST API answers, the spec is
            // marked stable (CommonStatus.getLifecycleState: STABLE).
            Some("DEPLOYED_NOT_READY") => {
                fd["status"]["jobManagerDeploymentStatus"] = json!("READY");
                fd["status"]["lifecycleState"] = json!("STABLE");
            }
            _ => return None,
        }
        Some(fd)
    }

    /// A FlinkSessionJob: controller/FlinkSessionJobController.java `reconcile`, then
    /// reconciler/sessionjob/SessionJobReconciler.java and observer/sessionjob/FlinkSessionJobObserver.java.
    fn reconcile_session_job(&self, w: &mut World, name: &str, mut sj: Value) -> Option<Value> {
        let generation = sj["metadata"]["generation"].as_i64().unwrap_or(1);
        let observed = sj["status"]["observedGeneration"].as_i64();
        let unseen = observed != Some(generation);
        let spec = sj["spec"].clone();
        let wanted = spec["job"]["state"].as_str().unwrap_or("running");
        let job_state = sj["status"]["jobStatus"]["state"].as_str().map(str::to_owned);
        let lifecycle = sj["status"]["lifecycleState"].as_str().map(str::to_owned);
        let session_name = spec["deploymentName"].as_str().unwrap_or_default();
        // controller/FlinkSessionJobController.java `reconcile` -> utils/ValidatorUtils.java
        // `validateSupportedVersion`: the Flink version is the session FlinkDeployment's
        // (controller/FlinkSessionJobContext.java `getFlinkVersion`); with no such FlinkDeployment there is none,
        // the reconciliation ends there (`UpdateControl.noUpdate`) and the status stays as it is: the operator
        // waits for the session.
        let session = w.objects.get(&(DEPLOYMENTS.to_owned(), session_name.to_owned()))?.clone();
        let conf = effective_conf(w, &sj);
        let before_first = observed.is_none();

        // FlinkSessionJobController.java `validateSessionJob` -> validation/DefaultValidator.java
        // `validateSessionJob`: the jarURI's scheme must be in `kubernetes.operator.user.artifacts.allowed-schemes`
        // (`validateSessionJobJarURI`; only https by default), and the session must not be an application
        // cluster (`validateNotApplicationCluster`). The error is recorded
        // (ReconciliationUtils.applyValidationErrorAndResetSpec) and, before the first deployment, nothing is
        // deployed: the lifecycle is FAILED (CommonStatus.getLifecycleState: an error before the first deployment).
        let jar = spec["job"]["jarURI"].as_str().unwrap_or_default();
        let scheme = jar.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
        let invalid = if scheme.is_none() {
            Some("jarURI must include a scheme".to_owned())
        } else if scheme.as_deref() != Some("https") {
            Some(format!(
                "jarURI scheme '{}' is not in the allowlist [https]. Configure 'kubernetes.operator.user.artifacts.allowed-schemes' to extend the allowlist.",
                scheme.unwrap_or_default()
            ))
        } else if !session["spec"]["job"].is_null() {
            Some("Can not submit session job to application cluster".to_owned())
        } else {
            None
        };
        if let Some(error) = invalid {
            if before_first {
                sj["status"]["error"] = json!(error);
                sj["status"]["lifecycleState"] = json!("FAILED");
                return Some(sj);
            }
            return None;
        }

        // SessionJobReconciler.java `readyToReconcile` -> `sessionClusterReady`: nothing is reconciled until the
        // session's JobManager is READY; the controller still writes the status it has (before the first
        // deployment: lifecycle CREATED, CommonStatus.getLifecycleState).
        if session["status"]["jobManagerDeploymentStatus"] != "READY" {
            if before_first && lifecycle.is_none() {
                sj["status"]["lifecycleState"] = json!("CREATED");
                return Some(sj);
            }
            return None;
        }

        if unseen && wanted == "running" && (before_first || lifecycle.as_deref() == Some("SUSPENDED")) {
            // reconciler/deployment/AbstractFlinkResourceReconciler.java `reconcile`: the first deployment
            // restores `job.initialSavepointPath` (a resume from SUSPENDED, the upgrade savepoint:
            // AbstractJobReconciler.java); SessionJobReconciler.java `deploy`: a NEW job id (`JobID.generate()`;
            // `$internal.pipeline.job-id` is not used for session jobs), the job RECONCILING, then submitted to
            // the session (service/AbstractFlinkService.java `submitJobToSessionCluster`: the jar fetched from
            // jarURI and uploaded); ReconciliationUtils.updateStatusForDeployedSpec: observed, DEPLOYED.
            let restore = match lifecycle.as_deref() {
                Some("SUSPENDED") => sj["status"]["jobStatus"]["upgradeSavepointPath"].as_str().map(str::to_owned),
                _ => spec["job"]["initialSavepointPath"].as_str().map(str::to_owned),
            };
            self.restored_from.lock().unwrap().insert(name.to_owned(), restore);
            sj["status"]["jobStatus"]["jobId"] = json!(new_job_id(w));
            sj["status"]["jobStatus"]["state"] = json!("RECONCILING");
            sj["status"]["lifecycleState"] = json!("DEPLOYED");
            sj["status"]["observedGeneration"] = json!(generation);
            if let Some(map) = sj["status"].as_object_mut() {
                map.remove("error");
            }
            return Some(sj);
        }
        if !unseen && job_state.as_deref() == Some("RECONCILING") {
            // observer/sessionjob/FlinkSessionJobObserver.java `observeInternal` -> observer/JobStatusObserver.java:
            // the job's state as the session's JobManager reports it (here: it runs); the spec then stable.
            sj["status"]["jobStatus"]["state"] = json!("RUNNING");
            sj["status"]["jobStatus"]["jobName"] = json!(conf["pipeline.name"].as_str().unwrap_or("weir-sql-job"));
            sj["status"]["lifecycleState"] = json!("STABLE");
            return Some(sj);
        }
        if !unseen && job_state.as_deref() == Some("FAILED") && conf["kubernetes.operator.job.restart.failed"] == "true" {
            // reconciler/deployment/AbstractJobReconciler.java `reconcileOtherChanges`: a FAILED job with
            // `kubernetes.operator.job.restart.failed` is resubmitted (`resubmitJob`; SessionJobReconciler
            // `cleanupAfterFailedJob` has nothing to clean), its error cleared; SessionJobReconciler `deploy`
            // submits it under a new job id (the old one is reused only while RECONCILING).
            *self.restarts.lock().unwrap().entry(name.to_owned()).or_default() += 1;
            sj["status"]["jobStatus"]["jobId"] = json!(new_job_id(w));
            sj["status"]["jobStatus"]["state"] = json!("RECONCILING");
            sj["status"]["lifecycleState"] = json!("DEPLOYED");
            if let Some(map) = sj["status"].as_object_mut() {
                map.remove("error");
            }
            return Some(sj);
        }
        if unseen && wanted == "suspended" && matches!(job_state.as_deref(), Some("RUNNING" | "CANCELLING")) {
            let mode = spec["job"]["upgradeMode"].as_str().unwrap_or("stateless");
            if mode == "savepoint" && job_state.as_deref() == Some("RUNNING") {
                // SessionJobReconciler.java `cancelJob` -> service/AbstractFlinkService.java `cancelSessionJob`
                // (SAVEPOINT) -> `savepointJobOrError`: into the effective configuration's savepoint directory;
                // without one it fails and the job keeps running.
                let dir = conf["execution.checkpointing.savepoint-dir"].as_str().or(conf["state.savepoints.dir"].as_str());
                let Some(dir) = dir else {
                    sj["status"]["error"] = json!("Savepoint directory must be set for savepoint upgrade mode");
                    return Some(sj);
                };
                w.uid += 1;
                let job_id = sj["status"]["jobStatus"]["jobId"].as_str().unwrap_or_default().to_owned();
                let path = format!("{}/savepoint-{}-{:012x}", dir.trim_end_matches('/'), &job_id[..6.min(job_id.len())], w.uid);
                // SessionJobReconciler.java `cancelJob` -> AbstractJobReconciler.java `setUpgradeSavepointPath`:
                // upgradeSavepointPath, and an UPGRADE FlinkStateSnapshot of the FlinkSessionJob
                // (utils/FlinkStateSnapshotUtils.java `createUpgradeSnapshotResource`).
                sj["status"]["jobStatus"]["upgradeSavepointPath"] = json!(path);
                let snap = json!({"apiVersion": API, "kind": "FlinkStateSnapshot",
                    "metadata": {"name": format!("{}-upgrade-{}", name, w.uid), "namespace": self.namespace,
                        "generation": 1, "uid": format!("sim-{}", w.uid)},
                    "spec": {"jobReference": {"kind": "FlinkSessionJob", "name": name},
                        "savepoint": {"path": path, "formatType": "CANONICAL", "alreadyExists": true,
                            "disposeOnDelete": false}, "backoffLimit": 0}});
                self.operator_write(w, SNAPSHOTS, snap);
            } else if mode != "savepoint" && job_state.as_deref() == Some("RUNNING") {
                // AbstractFlinkService.java `cancelSessionJob` (STATELESS) -> `cancelJobOrError`: the cancel is
                // asked, the job CANCELLING, the reconciliation pending (the spec not yet observed).
                sj["status"]["jobStatus"]["state"] = json!("CANCELLING");
                return Some(sj);
            }
            // AbstractFlinkService.java `cancelSessionJob`: once stopped, the job FINISHED and its job id cleared;
            // CommonStatus.getLifecycleState: a spec with job.state suspended is lifecycle SUSPENDED.
            sj["status"]["jobStatus"]["state"] = json!("FINISHED");
            if let Some(map) = sj["status"]["jobStatus"].as_object_mut() {
                map.remove("jobId");
            }
            sj["status"]["lifecycleState"] = json!("SUSPENDED");
            sj["status"]["observedGeneration"] = json!(generation);
            if let Some(map) = sj["status"].as_object_mut() {
                map.remove("error");
            }
            return Some(sj);
        }
        if unseen && !before_first && job_state.as_deref() != Some("RECONCILING") {
            // ReconciliationUtils.java `updateStatusForDeployedSpec`: any other spec change is reconciled and
            // observed (upgrades of a running job are not simulated).
            if wanted == "running" || lifecycle.as_deref() == Some("SUSPENDED") {
                sj["status"]["observedGeneration"] = json!(generation);
                return Some(sj);
            }
        }
        None
    }

    fn reconcile_snapshot(&self, w: &World, mut snap: Value) -> Option<Value> {
        let state = snap["status"]["state"].as_str().map(str::to_owned);
        let spec = snap["spec"].clone();
        match state.as_deref() {
            // api/status/FlinkStateSnapshotStatus.java: a new snapshot's state is TRIGGER_PENDING.
            None => {
                snap["status"] = json!({"state": "TRIGGER_PENDING", "failures": 0});
                Some(snap)
            }
            Some("TRIGGER_PENDING") => {
                // reconciler/snapshot/StateSnapshotReconciler.java: a savepoint that already exists completes
                // at once with its path.
                if spec["savepoint"]["alreadyExists"] == json!(true) {
                    snap["status"]["state"] = json!("COMPLETED");
                    snap["status"]["path"] = spec["savepoint"]["path"].clone();
                    return Some(snap);
                }
                // utils/FlinkStateSnapshotUtils.java `abandonSnapshotIfJobNotRunning`: ABANDONED when the
                // referenced resource (a FlinkDeployment or a FlinkSessionJob) is missing or its job does not run.
                let target = spec["jobReference"]["name"].as_str().unwrap_or_default();
                let fd = referenced(w, &spec);
                let running = fd.is_some_and(|fd| fd["status"]["jobStatus"]["state"] == "RUNNING");
                if !running {
                    snap["status"]["state"] = json!("ABANDONED");
                    snap["status"]["error"] = json!(format!("Secondary resource {target} is not running"));
                    return Some(snap);
                }
                // StateSnapshotReconciler.java `triggerCheckpointOrSavepoint`: the spec's path, else the job's
                // configured savepoint directory; none is an error, and with `backoffLimit` 0 the snapshot
                // FAILS (controller/FlinkStateSnapshotController.java).
                let conf = &effective_conf(w, fd.expect("running"));
                let dir = spec["savepoint"]["path"]
                    .as_str()
                    .or(conf["execution.checkpointing.savepoint-dir"].as_str())
                    .or(conf["state.savepoints.dir"].as_str());
                match dir {
                    None => {
                        snap["status"]["state"] = json!("FAILED");
                        snap["status"]["failures"] = json!(1);
                        snap["status"]["error"] = json!("savepoint directory is not configured");
                    }
                    // FlinkStateSnapshotUtils.java `snapshotInProgress`: IN_PROGRESS with Flink's trigger id.
                    Some(_) => {
                        snap["status"]["state"] = json!("IN_PROGRESS");
                        snap["status"]["triggerId"] = json!(format!("{:032x}", w.rv));
                    }
                }
                Some(snap)
            }
            Some("IN_PROGRESS") => {
                // observer/snapshot/StateSnapshotObserver.java `handleSavepoint` -> FlinkStateSnapshotUtils
                // `snapshotSuccessful`: COMPLETED with the savepoint's location.
                let conf = referenced(w, &spec).map(|fd| effective_conf(w, fd)).unwrap_or_default();
                let dir = spec["savepoint"]["path"]
                    .as_str()
                    .or(conf["execution.checkpointing.savepoint-dir"].as_str())
                    .unwrap_or("/")
                    .trim_end_matches('/')
                    .to_owned();
                let trigger = snap["status"]["triggerId"].as_str().unwrap_or("000000").to_owned();
                snap["status"]["state"] = json!("COMPLETED");
                snap["status"]["path"] = json!(format!("{dir}/savepoint-{}", &trigger[trigger.len() - 12..]));
                Some(snap)
            }
            _ => None,
        }
    }
}

/// A new Flink job id (`JobID.generate()`): 32 hex digits.
fn new_job_id(w: &mut World) -> String {
    w.uid += 1;
    format!("{:016x}{:016x}", 0x5e55_1000_u64 + w.uid, w.uid)
}

/// The resource a snapshot's `jobReference` names.
fn referenced<'w>(w: &'w World, spec: &Value) -> Option<&'w Value> {
    let plural = plural_of(spec["jobReference"]["kind"].as_str().unwrap_or("FlinkDeployment"))?;
    w.objects.get(&(plural.to_owned(), spec["jobReference"]["name"].as_str()?.to_owned()))
}

/// A job resource's Flink configuration: a FlinkDeployment's own; a FlinkSessionJob's over its session's
/// (config/FlinkConfigManager.java `getSessionJobConfig`).
fn effective_conf(w: &World, object: &Value) -> Value {
    let mut conf = json!({});
    if object["kind"] == "FlinkSessionJob" {
        let session = object["spec"]["deploymentName"].as_str().unwrap_or_default();
        if let Some(fd) = w.objects.get(&(DEPLOYMENTS.to_owned(), session.to_owned())) {
            if fd["spec"]["flinkConfiguration"].is_object() {
                merge(&mut conf, &fd["spec"]["flinkConfiguration"]);
            }
        }
    }
    if object["spec"]["flinkConfiguration"].is_object() {
        merge(&mut conf, &object["spec"]["flinkConfiguration"]);
    }
    conf
}

type Sim = State<Arc<Inner>>;

async fn list_or_watch(
    State(sim): Sim,
    UrlPath((ns, plural)): UrlPath<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(kind) = kind_of(&plural) else { return status(StatusCode::NOT_FOUND, "NotFound", plural) };
    if ns != sim.namespace {
        return status(StatusCode::FORBIDDEN, "Forbidden", format!("namespace {ns} is not simulated"));
    }
    let selector = q.get("labelSelector").cloned();
    if q.get("watch").map(String::as_str) == Some("true") || q.get("watch").map(String::as_str) == Some("1") {
        *sim.watches.lock().unwrap() += 1;
        let from: u64 = q.get("resourceVersion").and_then(|v| v.parse().ok()).unwrap_or(0);
        let limit = Duration::from_secs(q.get("timeoutSeconds").and_then(|v| v.parse().ok()).unwrap_or(30).min(30));
        // The backlog and the subscription under one lock: no change is missed or sent twice.
        let (backlog, mut rx) = {
            let w = sim.world.lock().unwrap();
            let backlog: Vec<Change> = w.log.iter().filter(|c| c.rv > from && c.plural == plural).cloned().collect();
            (backlog, sim.changes.subscribe())
        };
        let (tx, out) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(64);
        tokio::spawn(async move {
            let deadline = tokio::time::Instant::now() + limit;
            let line = |c: &Change| Bytes::from(format!("{}\n", c.object));
            for c in backlog.iter().filter(|c| labels_match(&c.object["object"], selector.as_ref())) {
                if tx.send(Ok(line(c))).await.is_err() {
                    return;
                }
            }
            let last = backlog.last().map_or(from, |c| c.rv);
            loop {
                let next = tokio::time::timeout_at(deadline, rx.recv()).await;
                match next {
                    Ok(Ok(c)) if c.plural == plural && c.rv > last && labels_match(&c.object["object"], selector.as_ref()) => {
                        if tx.send(Ok(line(&c))).await.is_err() {
                            return;
                        }
                    }
                    Ok(Ok(_)) => {}
                    _ => return,
                }
            }
        });
        let body = Body::from_stream(futures::stream::unfold(out, |mut out| async move { out.recv().await.map(|b| (b, out)) }));
        return Response::builder().header("content-type", "application/json").body(body).expect("watch answer");
    }
    *sim.lists.lock().unwrap() += 1;
    let w = sim.world.lock().unwrap();
    let items: Vec<Value> = w
        .objects
        .iter()
        .filter(|((p, _), o)| *p == plural && labels_match(o, selector.as_ref()))
        .map(|(_, o)| o.clone())
        .collect();
    axum::Json(json!({"apiVersion": API, "kind": format!("{kind}List"),
        "metadata": {"resourceVersion": w.rv.to_string()}, "items": items}))
    .into_response()
}

async fn read(State(sim): Sim, UrlPath((ns, plural, name)): UrlPath<(String, String, String)>) -> Response {
    if ns != sim.namespace || kind_of(&plural).is_none() {
        return status(StatusCode::NOT_FOUND, "NotFound", format!("{plural} {name} not found"));
    }
    match sim.world.lock().unwrap().objects.get(&(plural.clone(), name.clone())) {
        Some(o) => axum::Json(o.clone()).into_response(),
        None => status(StatusCode::NOT_FOUND, "NotFound", format!("{plural}.flink.apache.org \"{name}\" not found")),
    }
}

async fn create(State(sim): Sim, UrlPath((ns, plural)): UrlPath<(String, String)>, body: Bytes) -> Response {
    let Some(kind) = kind_of(&plural) else { return status(StatusCode::NOT_FOUND, "NotFound", plural) };
    if ns != sim.namespace {
        return status(StatusCode::FORBIDDEN, "Forbidden", format!("namespace {ns} is not simulated"));
    }
    let Ok(mut object) = serde_json::from_slice::<Value>(&body) else {
        return status(StatusCode::BAD_REQUEST, "BadRequest", "not JSON");
    };
    if let Err(e) = sim.validate(kind, &object) {
        sim.invalid.lock().unwrap().push(format!("create {kind}: {e}"));
        return status(StatusCode::UNPROCESSABLE_ENTITY, "Invalid", format!("{kind} is invalid: {e}"));
    }
    let name = object["metadata"]["name"].as_str().unwrap_or_default().to_owned();
    let mut w = sim.world.lock().unwrap();
    if w.objects.contains_key(&(plural.clone(), name.clone())) {
        return status(StatusCode::CONFLICT, "AlreadyExists", format!("{plural}.flink.apache.org \"{name}\" already exists"));
    }
    // The status is a subresource: ignored on create.
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
    }
    w.uid += 1;
    object["metadata"]["namespace"] = json!(ns);
    object["metadata"]["generation"] = json!(1);
    object["metadata"]["uid"] = json!(format!("sim-{}", w.uid));
    object["metadata"]["creationTimestamp"] = json!("2026-01-01T00:00:00Z");
    let stored = sim.commit(&mut w, &plural, object, false);
    (StatusCode::CREATED, axum::Json(stored)).into_response()
}

async fn patch(
    State(sim): Sim,
    UrlPath((_ns, plural, name)): UrlPath<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(kind) = kind_of(&plural) else { return status(StatusCode::NOT_FOUND, "NotFound", plural) };
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    // Custom resources take JSON merge patches, and server-side apply (approximated here as a merge of the
    // applied fields); strategic merge patches are refused for them by a real API server.
    if !matches!(content_type.as_str(), "application/merge-patch+json" | "application/apply-patch+yaml") {
        return status(StatusCode::UNSUPPORTED_MEDIA_TYPE, "UnsupportedMediaType", content_type);
    }
    let Ok(patch) = serde_json::from_slice::<Value>(&body) else {
        return status(StatusCode::BAD_REQUEST, "BadRequest", "not JSON");
    };
    let mut w = sim.world.lock().unwrap();
    let Some(current) = w.objects.get(&(plural.clone(), name.clone())).cloned() else {
        return status(StatusCode::NOT_FOUND, "NotFound", format!("{plural}.flink.apache.org \"{name}\" not found"));
    };
    let mut next = current.clone();
    merge(&mut next, &patch);
    // The status is a subresource: a write to the resource keeps the stored status.
    next["status"] = current["status"].clone();
    if next["status"].is_null() {
        next.as_object_mut().expect("object").remove("status");
    }
    if let Err(e) = sim.validate(kind, &next) {
        sim.invalid.lock().unwrap().push(format!("patch {kind} {name}: {e}"));
        return status(StatusCode::UNPROCESSABLE_ENTITY, "Invalid", format!("{kind} is invalid: {e}"));
    }
    // metadata.generation counts spec changes.
    if next["spec"] != current["spec"] {
        next["metadata"]["generation"] = json!(current["metadata"]["generation"].as_i64().unwrap_or(1) + 1);
    }
    let stored = sim.commit(&mut w, &plural, next, false);
    axum::Json(stored).into_response()
}

async fn delete(State(sim): Sim, UrlPath((_ns, plural, name)): UrlPath<(String, String, String)>) -> Response {
    if kind_of(&plural).is_none() {
        return status(StatusCode::NOT_FOUND, "NotFound", plural);
    }
    let mut w = sim.world.lock().unwrap();
    let Some(current) = w.objects.get(&(plural.clone(), name.clone())).cloned() else {
        return status(StatusCode::NOT_FOUND, "NotFound", format!("{plural}.flink.apache.org \"{name}\" not found"));
    };
    // Deleted at once (the operator's finalizer and cleanup are not simulated).
    let stored = sim.commit(&mut w, &plural, current, true);
    axum::Json(stored).into_response()
}
