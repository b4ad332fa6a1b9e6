//! Lineage: what each version reads and writes, column by column, and the graph across jobs.
//!
//! - [`planner`]: the SQL checker's answer (computed by Flink's real planner in the validator JVM) and how it
//!   becomes a version's lineage; [`declared`]: a JAR version's declared datasets.
//! - [`identity`]: a dataset's identity from its table's options (OpenLineage naming), secrets masked.
//! - [`graph`]: the cross-job graph (a pure walk); [`layout`]: where its nodes go (left to right).
//! - [`openlineage`]: which RunEvent a change of state makes and the event itself; [`delivery`]: the outbox
//!   and its sender, the status, the export.
//!
//! A version's lineage is stored with it when it is saved (`version_lineage`), as the planner said it (Flink
//! table paths and options); naming and masking happen on read, so both can improve without touching what
//! was stored. Parsed lineage is cached by version id: versions never change.

pub mod declared;
pub mod delivery;
pub mod graph;
pub mod identity;
pub mod layout;
pub mod openlineage;
pub mod planner;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use weir_model::lineage::{DatasetId, LineageDirection, LineageGraph, LineageOrigin, VersionLineage};
use weir_model::JobKind;

use crate::store::entities::{job, version};
use crate::{Caller, Engine, EngineError, Role};

pub use graph::Start;
use identity::Scope;
use planner::PlannerAnswer;

/// Deepest walk the graph API takes (job hops).
pub const MAX_DEPTH: u32 = 20;
/// Most parsed lineages kept in memory.
const CACHE_ENTRIES: usize = 50_000;

/// A version's lineage, or the reason it has none.
pub type Lineage = Result<Arc<VersionLineage>, String>;

/// Parsed lineage by version id (what was stored never changes; a failure is kept as its reason).
#[derive(Clone, Default)]
pub struct LineageCache(Arc<Mutex<HashMap<i64, Lineage>>>);

impl LineageCache {
    fn get(&self, version_id: i64) -> Option<Result<Arc<VersionLineage>, String>> {
        self.0.lock().ok()?.get(&version_id).cloned()
    }

    fn put(&self, version_id: i64, value: Result<Arc<VersionLineage>, String>) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= CACHE_ENTRIES {
                map.clear();
            }
            map.insert(version_id, value);
        }
    }
}

/// What `GET /api/v1/lineage` asks.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphQuery {
    /// `namespace|name` of a dataset to start from.
    pub dataset: Option<String>,
    /// `namespace/job` of a job to start from.
    pub job: Option<String>,
    pub direction: Option<String>,
    pub depth: Option<u32>,
    /// Only what this environment runs.
    pub environment: Option<String>,
}

impl Engine {
    /// `GET .../versions/{n}/lineage`: what a version reads and writes, column by column.
    pub async fn version_lineage(
        &self,
        caller: &Caller,
        ns: &str,
        job_name: &str,
        number: i32,
    ) -> Result<VersionLineage, EngineError> {
        let (_, job) = self.job_for(caller, ns, job_name, Role::Viewer).await?;
        let v = self.version_model(&job, number).await?;
        match self.lineage_of(ns, &job, &v).await? {
            Ok(lineage) => Ok((*lineage).clone()),
            Err(reason) => Err(EngineError::Conflict(reason)),
        }
    }

    /// A version's lineage from the cache, the store, or (a SQL version saved while no planner was at hand)
    /// the planner now. `Ok(Err(reason))`: there is none (a JAR version without a declaration, a script the
    /// planner's tree could not be mapped for).
    pub(crate) async fn lineage_of(
        &self,
        ns: &str,
        job: &job::Model,
        v: &version::Model,
    ) -> Result<Result<Arc<VersionLineage>, String>, EngineError> {
        if let Some(hit) = self.lineage_cache.get(v.id) {
            return Ok(hit);
        }
        let scope = Scope { namespace: ns, job: &job.name };
        let stored = match self.store.version_lineage(v.id).await? {
            Some(row) => Some((row.origin, row.body)),
            None => match (job.kind, v.sql.as_deref()) {
                (JobKind::Sql, Some(sql)) if self.validator.available() => {
                    let (check, answer) = self.validator.lineage_only(v.mode.as_str(), sql).await?;
                    match answer {
                        Some(answer) => {
                            let (origin, body) = stored_form(&answer)?;
                            self.store.insert_version_lineage(v.id, origin, body.clone()).await?;
                            Some((origin, body))
                        }
                        None => {
                            let why = check.errors.first().map(|e| e.message.clone()).unwrap_or_default();
                            return Ok(Err(format!("the planner gives no lineage for this script: {why}")));
                        }
                    }
                }
                (JobKind::Sql, _) => {
                    return Err(EngineError::Unavailable(
                        "lineage needs the SQL validator (the SQL runner jar and Flink), which is not available".into(),
                    ))
                }
                (JobKind::Jar, _) => None,
            },
        };
        let parsed = match stored {
            None => Err(format!(
                "version {} of JAR job '{}' declares no lineage: save a version with \"lineage\": {{\"inputs\": [...], \"outputs\": [...]}}",
                v.number, job.name
            )),
            Some((origin, body)) => parse_stored(origin, &body, &scope),
        };
        self.lineage_cache.put(v.id, parsed.clone());
        Ok(parsed)
    }

    /// Keeps the lineage the check of a version's SQL gave, or a JAR version's declaration.
    pub(crate) async fn store_lineage(&self, version_id: i64, answer: &PlannerAnswer) -> Result<(), EngineError> {
        let (origin, body) = stored_form(answer)?;
        self.store.insert_version_lineage(version_id, origin, body).await?;
        Ok(())
    }

    /// `GET /api/v1/lineage`: the graph around a dataset or job (or everything), laid out left to right.
    pub async fn lineage_graph(&self, caller: &Caller, query: GraphQuery) -> Result<LineageGraph, EngineError> {
        let visible = self.visible_namespace_names(caller).await?;
        let direction = match query.direction.as_deref().map(str::trim) {
            None | Some("") => LineageDirection::Both,
            Some(d) => d.parse::<LineageDirection>()?,
        };
        let depth = query.depth.unwrap_or(3);
        if depth > MAX_DEPTH {
            return Err(EngineError::Invalid(format!("depth must be at most {MAX_DEPTH}, not {depth}")));
        }
        let start = match (query.dataset.as_deref().map(str::trim), query.job.as_deref().map(str::trim)) {
            (Some(d), None) if !d.is_empty() => Start::Dataset(DatasetId::parse(d).ok_or_else(|| {
                EngineError::Invalid(format!("dataset must be written namespace|name (e.g. file|/data/orders), not '{d}'"))
            })?),
            (None, Some(j)) if !j.is_empty() => {
                let (namespace, job) = j.split_once('/').filter(|(n, j)| !n.is_empty() && !j.is_empty()).ok_or_else(|| {
                    EngineError::Invalid(format!("job must be written namespace/job, not '{j}'"))
                })?;
                // The same answer as the job itself gives a caller without a role there.
                self.namespace_for(caller, namespace, Role::Viewer).await?;
                Start::Job { namespace: namespace.to_owned(), job: job.to_owned() }
            }
            (Some(_), Some(_)) => return Err(EngineError::Invalid("give either dataset or job, not both".into())),
            _ => Start::Everything,
        };
        if let Some(env) = query.environment.as_deref() {
            if self.store.find_environment(env).await?.is_none() {
                return Err(EngineError::NotFound { kind: "environment", name: env.to_owned() });
            }
        }
        let entries = self.graph_entries(query.environment.as_deref()).await?;
        let is_visible = |ns: &str| visible.as_ref().is_none_or(|v| v.contains(ns));
        let mut graph = graph::build(&entries, &is_visible, &start, direction, depth);
        if let Start::Job { namespace, job } = &start {
            if !graph.nodes.iter().any(|n| n.id == graph::job_node_id(namespace, job)) {
                // Known but without lineage yet, or unknown: say which.
                self.job_model(namespace, job).await?;
            }
        }
        let graph = tokio::task::spawn_blocking(move || {
            layout::place(&mut graph);
            graph
        })
        .await
        .map_err(|e| EngineError::Internal(format!("graph layout: {e}")))?;
        Ok(graph)
    }

    /// The lineage of every version in use: what each environment runs (only `environment`'s, when given),
    /// and without an environment filter the latest version of jobs that run nowhere.
    pub(crate) async fn graph_entries(&self, environment: Option<&str>) -> Result<Vec<graph::JobVersionLineage>, EngineError> {
        let jobs = self.store.graph_jobs().await?;
        let mut wanted: Vec<i64> = Vec::new();
        for j in &jobs {
            for (env, vid, _) in &j.running {
                if environment.is_none_or(|e| e == env) {
                    wanted.push(*vid);
                }
            }
            if environment.is_none() && j.running.is_empty() {
                wanted.extend(j.latest.map(|(id, _)| id));
            }
        }
        // Stored lineage for every wanted version in one pass; versions without any are computed one by one.
        let mut stored: HashMap<i64, (LineageOrigin, String)> = HashMap::new();
        let missing: Vec<i64> = wanted.iter().copied().filter(|id| self.lineage_cache.get(*id).is_none()).collect();
        for row in self.store.version_lineages(&missing).await? {
            stored.insert(row.version_id, (row.origin, row.body));
        }
        let mut out = Vec::new();
        for j in &jobs {
            let scope = Scope { namespace: &j.namespace, job: &j.job.name };
            let mut uses: Vec<(Option<String>, i64, i32)> = j
                .running
                .iter()
                .filter(|(env, _, _)| environment.is_none_or(|e| e == env))
                .map(|(env, vid, n)| (Some(env.clone()), *vid, *n))
                .collect();
            if environment.is_none() && j.running.is_empty() {
                uses.extend(j.latest.map(|(vid, n)| (None, vid, n)));
            }
            for (env, vid, number) in uses {
                let lineage = match self.lineage_cache.get(vid) {
                    Some(hit) => hit,
                    None => match stored.get(&vid) {
                        Some((origin, body)) => {
                            let parsed = parse_stored(*origin, body, &scope);
                            self.lineage_cache.put(vid, parsed.clone());
                            parsed
                        }
                        None => match self.store.version_by_id(vid).await? {
                            Some(v) => self.lineage_of(&j.namespace, &j.job, &v).await.unwrap_or_else(|e| Err(e.to_string())),
                            None => continue,
                        },
                    },
                };
                if let Ok(lineage) = lineage {
                    out.push(graph::JobVersionLineage {
                        namespace: j.namespace.clone(),
                        job: j.job.name.clone(),
                        version: number,
                        environment: env,
                        lineage,
                    });
                }
            }
        }
        Ok(out)
    }
}

/// How an answer is stored: its origin and its JSON.
fn stored_form(answer: &PlannerAnswer) -> Result<(LineageOrigin, String), EngineError> {
    let origin = match answer {
        PlannerAnswer::Failed { .. } => LineageOrigin::Failed,
        PlannerAnswer::Lineage(_) => LineageOrigin::Planner,
    };
    let body = serde_json::to_string(answer).map_err(|e| EngineError::Internal(format!("lineage: {e}")))?;
    Ok((origin, body))
}

/// A stored row as lineage (or the reason there is none).
fn parse_stored(origin: LineageOrigin, body: &str, scope: &Scope<'_>) -> Result<Arc<VersionLineage>, String> {
    let unreadable = |e: serde_json::Error| format!("the stored lineage cannot be read: {e}");
    match origin {
        LineageOrigin::Planner | LineageOrigin::Failed => match serde_json::from_str::<PlannerAnswer>(body).map_err(unreadable)? {
            PlannerAnswer::Failed { error } => Err(format!("the planner's tree could not be mapped to column lineage: {error}")),
            PlannerAnswer::Lineage(raw) => Ok(Arc::new(planner::to_version_lineage(&raw, scope))),
        },
        LineageOrigin::Declared => {
            let declared = serde_json::from_str(body).map_err(unreadable)?;
            Ok(Arc::new(declared::to_version_lineage(&declared)))
        }
    }
}
