//! The engine: Weir's domain operations. It knows nothing of HTTP or of the UI; the REST API (the `weir`
//! crate) and the UI's server functions (`weir-app`) both call these methods, as a [`Caller`].
//!
//! - [`access`]: callers, roles and their checks; users, login, API tokens, members, the audit log.
//! - [`clusters`]: register, list and look at clusters.
//! - [`environments`]: create and list environments.
//! - [`jobs`], [`versions`], [`artifacts`]: namespaces, jobs, immutable versions, JAR files.
//! - [`deployments`]: a job in an environment, and its snapshots.
//! - [`dashboard`]: the dashboard's read view (cluster resources, counts per environment, attention list).
//! - [`operations`]: deploy, rollback, restart, stop, savepoint — admitted one at a time per deployment,
//!   run as recorded steps (a write-ahead log), resumed after a restart.
//! - [`reconciler`]: observes every cluster once per tick (publishing each look on a bus), decides, acts.
//! - [`metrics`]: the metrics history (sampled from the looks, rolled up, kept by retention).
//! - [`alerts`]: alert rules evaluated on every look, grouped notifications to channels, silences.
//! - [`pools`]: resource pools and quotas: what a deployment needs, and admission against them.
//! - [`attention`]: what needs a person (a pure rule over observations).
//! - [`backends`]: one `ClusterBackend` per kind of cluster; [`store`]: the database.
//! - [`events`]: the bus behind the server-sent event stream.
//! - [`sql`]: SQL validation with the real Flink planner.
//! - [`lineage`]: each version's column lineage (from the planner, or declared), the cross-job graph.
//! - [`health`]: Weir's own health, with each cluster's reachability.
//! - [`bootstrap`]: clusters and environments declared in `weir.toml`.
//! - [`telemetry`]: Weir's own instruments (reconciler passes, operations, notifications) for `GET /metrics`.
//! - [`error`]: the typed errors every operation returns.

pub mod access;
pub mod alerts;
pub mod artifacts;
pub mod attention;
pub mod backends;
pub mod bootstrap;
pub mod clusters;
pub mod dashboard;
pub mod deployments;
pub mod environments;
pub mod error;
pub mod events;
pub mod health;
pub mod jobs;
pub mod lineage;
pub mod metrics;
mod names;
pub mod operations;
pub mod pools;
pub mod recommendations;
pub mod reconciler;
pub mod sql;
pub mod store;
pub mod telemetry;
pub mod versions;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use access::{Caller, Role};
pub use error::EngineError;
use tokio::sync::{broadcast, Mutex, Semaphore};

use crate::store::Store;

/// What the engine needs to know, taken from the configuration.
#[derive(Clone, Debug)]
pub struct EngineSettings {
    /// Weir's files: artifacts live in `<data_dir>/artifacts`.
    pub data_dir: PathBuf,
    /// How long one request to a cluster's REST API may take.
    pub cluster_timeout: Duration,
    /// The SQL runner jar that runs SQL jobs (built from `runner/`); `None` disables SQL jobs and validation.
    pub runner_jar: Option<PathBuf>,
    /// Flink's `lib/` folder, for the SQL validator.
    pub flink_lib: Option<PathBuf>,
    /// The `java` program for the SQL validator.
    pub java: PathBuf,
    /// More Flink distributions besides the one of `flink_lib` (e.g. 1.20 beside 2.3), each with the SQL runner
    /// built against it: clusters that run that version get SQL jobs run and checked by it.
    pub flink_runtimes: Vec<backends::FlinkRuntime>,
    /// How long a savepoint may take before the operation fails (the job keeps running).
    pub savepoint_timeout: Duration,
    /// How long a submitted job may take to reach RUNNING.
    pub start_timeout: Duration,
    /// The reconciler's period.
    pub tick: Duration,
    /// Concurrent submissions (uploads and runs) per cluster; more wait in a queue.
    pub submit_concurrency: usize,
    /// Largest JAR upload, in bytes.
    pub max_artifact_bytes: usize,
    /// How often each running deployment's metrics are sampled.
    pub metrics_interval: Duration,
    /// How long the metrics history keeps each resolution.
    pub metrics_retention: metrics::rules::Retention,
    /// Weir's address as people reach it (links in notifications); none: no links.
    pub public_url: Option<String>,
    /// How often a deployment's group of alerts that keeps firing is told again.
    pub alerts_repeat_interval: chrono::Duration,
    /// The least time between two evaluations of a cluster's alert rules (they follow its looks).
    pub alerts_eval_interval: Duration,
    /// Delivery attempts per notification.
    pub alerts_delivery_attempts: u32,
    /// The pause after a failed delivery attempt, doubled after each one.
    pub alerts_retry_backoff: Duration,
    /// The longest a SQL check (with its lineage) may take before the checker JVM is stopped.
    pub sql_check_timeout: Duration,
    /// Where OpenLineage RunEvents are posted (none: they are not).
    pub openlineage: Option<lineage::delivery::OpenLineageTarget>,
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            cluster_timeout: Duration::from_secs(3),
            runner_jar: None,
            flink_lib: None,
            java: PathBuf::from("java"),
            flink_runtimes: Vec::new(),
            savepoint_timeout: Duration::from_secs(300),
            start_timeout: Duration::from_secs(180),
            tick: Duration::from_secs(1),
            submit_concurrency: 4,
            max_artifact_bytes: 256 * 1024 * 1024,
            metrics_interval: Duration::from_secs(15),
            metrics_retention: Default::default(),
            public_url: None,
            alerts_repeat_interval: chrono::Duration::hours(4),
            alerts_eval_interval: Duration::from_secs(1),
            alerts_delivery_attempts: 4,
            alerts_retry_backoff: Duration::from_secs(2),
            sql_check_timeout: sql::CHECK_TIMEOUT,
            openlineage: None,
        }
    }
}

/// The engine; cheap to clone (it shares the database pool, the HTTP client and the event bus).
#[derive(Clone)]
pub struct Engine {
    store: Store,
    http: reqwest::Client,
    cluster_timeout: Duration,
    settings: Arc<EngineSettings>,
    events: broadcast::Sender<weir_model::Event>,
    validator: Arc<sql::SqlValidator>,
    /// The Flink distributions Weir knows (the default one first), and a SQL validator per version.
    runtimes: Arc<Vec<backends::FlinkRuntime>>,
    validators: Arc<HashMap<String, Arc<sql::SqlValidator>>>,
    /// One backend object per registered cluster, built once from its settings (rebuilt when they change).
    backends: Arc<std::sync::Mutex<HashMap<i64, KeptBackend>>>,
    /// One submission gate per cluster id.
    submit_gates: Arc<Mutex<HashMap<i64, Arc<Semaphore>>>>,
    /// Failed logins per account and address.
    throttle: Arc<access::throttle::LoginThrottle>,
    /// The latest look at every cluster, and the bus of looks.
    observations: Arc<reconciler::observe::ObservationBook>,
    /// Clusters whose look is in flight.
    in_flight: Arc<reconciler::InFlight>,
    /// Weir's own instruments, for `GET /metrics`.
    telemetry: telemetry::Telemetry,
    /// One admission lock per pool id: a quota check and the admission it allows run under it.
    pool_locks: pools::PoolLocks,
    /// The newest figures the sampler read of each running deployment's job (its vertices and their
    /// parallelism), by deployment id with the Flink job id they belong to: what the dashboard's
    /// recommendations read instead of asking a cluster.
    job_figures: metrics::JobFigures,
    lineage_cache: lineage::LineageCache,
    openlineage_queued: lineage::delivery::Queued,
    openlineage_wake: Arc<tokio::sync::Notify>,
}

impl Engine {
    pub fn new(store: Store, settings: EngineSettings) -> Result<Self, EngineError> {
        let check_timeout = settings.sql_check_timeout;
        let http = reqwest::Client::builder()
            .connect_timeout(settings.cluster_timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("weir/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| EngineError::Internal(format!("cannot build the HTTP client: {e}")))?;
        let validator_setup = match (&settings.runner_jar, &settings.flink_lib) {
            (Some(jar), Some(lib)) if jar.exists() && lib.exists() => Some(sql::ValidatorSetup {
                java: settings.java.clone(),
                runner_jar: jar.clone(),
                flink_lib: lib.clone(),
            }),
            _ => None,
        };
        let runtimes = runtimes_of(&settings);
        let validators = runtimes
            .iter()
            .filter_map(|r| {
                let jar = r.runner_jar.clone().filter(|j| j.exists())?;
                let setup = sql::ValidatorSetup { java: settings.java.clone(), runner_jar: jar, flink_lib: r.home.join("lib") };
                Some((r.version.clone(), Arc::new(sql::SqlValidator::new(Some(setup), settings.sql_check_timeout))))
            })
            .collect();
        let (events, _) = broadcast::channel(events::EVENT_BUFFER);
        Ok(Self {
            runtimes: Arc::new(runtimes),
            validators: Arc::new(validators),
            backends: Default::default(),
            store,
            http,
            cluster_timeout: settings.cluster_timeout,
            settings: Arc::new(settings),
            events,
            validator: Arc::new(sql::SqlValidator::new(validator_setup, check_timeout)),
            submit_gates: Arc::new(Mutex::new(HashMap::new())),
            throttle: Default::default(),
            observations: Default::default(),
            in_flight: Default::default(),
            telemetry: Default::default(),
            pool_locks: Default::default(),
            job_figures: Default::default(),
            lineage_cache: Default::default(),
            openlineage_queued: Default::default(),
            openlineage_wake: Default::default(),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn settings(&self) -> &EngineSettings {
        &self.settings
    }

    /// Takes a first look at every cluster, so pages and the health endpoint have observations from the first
    /// request (a cluster that does not answer within [`FIRST_LOOK`] is left to the reconciler's next look).
    pub async fn look_at_clusters(&self) -> Result<(), EngineError> {
        self.first_looks(FIRST_LOOK).await
    }

    /// Starts the background work: resumes unfinished operations, then runs the reconciler.
    pub async fn start_background(&self) -> Result<(), EngineError> {
        self.resume_operations().await?;
        self.spawn_metrics();
        self.spawn_alerts();
        self.spawn_reconciler();
        self.spawn_openlineage_sender();
        self.warm_up_validator();
        Ok(())
    }
}

/// A cluster's backend object, with the settings it was built from (their fingerprint).
type KeptBackend = (Option<String>, Arc<dyn backends::ClusterBackend>);

/// The Flink distributions of the settings: the default one (of `flink_lib`, with `runner_jar`) first, then the
/// others; each's version read from its `flink-dist` jar, a distribution without one left out.
fn runtimes_of(settings: &EngineSettings) -> Vec<backends::FlinkRuntime> {
    let mut out: Vec<backends::FlinkRuntime> = Vec::new();
    if let Some(home) = settings.flink_lib.as_ref().and_then(|l| l.parent()) {
        if let Some(version) = backends::FlinkRuntime::version_of(home) {
            out.push(backends::FlinkRuntime { version, home: home.to_owned(), runner_jar: settings.runner_jar.clone() });
        }
    }
    for r in &settings.flink_runtimes {
        if !out.iter().any(|o| o.version == r.version) {
            out.push(r.clone());
        }
    }
    out
}

/// How long start-up waits for the first look at the clusters.
const FIRST_LOOK: Duration = Duration::from_secs(2);

/// A new random id in Flink's format (32 hex digits), for job ids and savepoint trigger ids.
pub fn new_flink_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
