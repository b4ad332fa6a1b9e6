//! OpenLineage: which RunEvent a deployment's change of state makes (a pure rule), and the event itself
//! (RunEvent 2-0-2 with `schema`, `symlinks` and `columnLineage` dataset facets, the `jobType` job facet and
//! the `processing_engine` run facet), built from the version's lineage. Delivery is in [`super::delivery`].

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};
use sha2::Digest;
use weir_model::lineage::{ColumnSource, LineageField, VersionLineage};
use weir_model::{DesiredState, ExecutionMode, ObservedState};

pub const PRODUCER: &str = concat!("https://github.com/weir-platform/weir/tree/", env!("CARGO_PKG_VERSION"));
const RUN_EVENT_SCHEMA: &str = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";
const SCHEMA_FACET: &str = "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet";
const SYMLINKS_FACET: &str = "https://openlineage.io/spec/facets/1-0-1/SymlinksDatasetFacet.json#/$defs/SymlinksDatasetFacet";
const COLUMN_LINEAGE_FACET: &str =
    "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet";
const JOB_TYPE_FACET: &str = "https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet";
const PROCESSING_ENGINE_FACET: &str =
    "https://openlineage.io/spec/facets/1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet";

/// The run's event types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RunEventType {
    Start,
    Running,
    Complete,
    Abort,
    Fail,
}

impl RunEventType {
    pub const fn as_str(self) -> &'static str {
        match self {
            RunEventType::Start => "START",
            RunEventType::Running => "RUNNING",
            RunEventType::Complete => "COMPLETE",
            RunEventType::Abort => "ABORT",
            RunEventType::Fail => "FAIL",
        }
    }
}

/// The event a deployment's job reaching `observed` makes, given what Weir wants of it: a job Weir stopped
/// (suspended, cancelled) that ends is ABORTed; one that ends by itself while wanted running COMPLETEs; a
/// failed or lost one FAILs. Passing states (created, restarting, unreachable, ...) make none. START is sent
/// when a job is submitted, not from an observation.
pub fn event_for(observed: ObservedState, desired: DesiredState) -> Option<RunEventType> {
    use ObservedState::*;
    match observed {
        Running => Some(RunEventType::Running),
        Finished if desired == DesiredState::Running => Some(RunEventType::Complete),
        Finished | Canceled | Suspended => Some(RunEventType::Abort),
        Failed | Lost => Some(RunEventType::Fail),
        None | Unreachable | Initializing | Created | Failing | Cancelling | Restarting | Reconciling => Option::None,
    }
}

/// The run id of a Flink job: its 32 hex digits as a UUID (any other id: the first 16 bytes of its SHA-256).
pub fn run_id(flink_job_id: &str) -> String {
    let hex: String = if flink_job_id.len() == 32 && flink_job_id.chars().all(|c| c.is_ascii_hexdigit()) {
        flink_job_id.to_ascii_lowercase()
    } else {
        hex::encode(&sha2::Sha256::digest(flink_job_id.as_bytes())[..16])
    };
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// Who and what the event is about.
#[derive(Clone, Debug)]
pub struct RunFacts<'a> {
    pub namespace: &'a str,
    pub job: &'a str,
    pub environment: &'a str,
    pub flink_job_id: &'a str,
    pub mode: ExecutionMode,
    pub flink_version: Option<&'a str>,
}

/// The OpenLineage job name of a deployment: the job in its environment.
pub fn job_name(job: &str, environment: &str) -> String {
    format!("{job}.{environment}")
}

fn facet(schema: &str, body: Value) -> Value {
    let mut map = Map::new();
    map.insert("_producer".into(), json!(PRODUCER));
    map.insert("_schemaURL".into(), json!(schema));
    if let Value::Object(fields) = body {
        map.extend(fields);
    }
    Value::Object(map)
}

fn schema(fields: &[LineageField]) -> Value {
    let fields: Vec<Value> = fields.iter().map(|f| json!({"name": f.name, "type": f.data_type})).collect();
    facet(SCHEMA_FACET, json!({ "fields": fields }))
}

fn symlinks(table: &str) -> Option<Value> {
    (!table.is_empty()).then(|| {
        facet(SYMLINKS_FACET, json!({"identifiers": [{"namespace": "flink", "name": table, "type": "TABLE"}]}))
    })
}

fn input_field(s: &ColumnSource) -> Value {
    json!({
        "namespace": s.namespace, "name": s.name, "field": s.field,
        "transformations": [{"type": s.kind.as_str(), "subtype": s.subtype.as_str(), "description": s.description, "masking": false}],
    })
}

/// The RunEvent for a deployment's job.
pub fn run_event(kind: RunEventType, at: DateTime<Utc>, run: &RunFacts<'_>, lineage: Option<&VersionLineage>) -> Value {
    let empty = VersionLineage::default();
    let lineage = lineage.unwrap_or(&empty);
    let inputs: Vec<Value> = lineage
        .inputs
        .iter()
        .map(|i| {
            let mut facets = Map::new();
            if !i.fields.is_empty() {
                facets.insert("schema".into(), schema(&i.fields));
            }
            if let Some(s) = symlinks(&i.table) {
                facets.insert("symlinks".into(), s);
            }
            json!({"namespace": i.namespace, "name": i.name, "facets": facets})
        })
        .collect();
    let outputs: Vec<Value> = lineage
        .outputs
        .iter()
        .map(|o| {
            let mut facets = Map::new();
            if !o.fields.is_empty() {
                facets.insert("schema".into(), schema(&o.fields));
            }
            if let Some(s) = symlinks(&o.table) {
                facets.insert("symlinks".into(), s);
            }
            if !o.columns.is_empty() {
                let mut fields = Map::new();
                for (column, sources) in &o.columns {
                    fields.insert(column.clone(), json!({"inputFields": sources.iter().map(input_field).collect::<Vec<_>>()}));
                }
                let dataset: Vec<Value> = o.dataset.iter().map(input_field).collect();
                facets.insert("columnLineage".into(), facet(COLUMN_LINEAGE_FACET, json!({"fields": fields, "dataset": dataset})));
            }
            json!({"namespace": o.namespace, "name": o.name, "facets": facets})
        })
        .collect();
    let processing = match run.mode {
        ExecutionMode::Streaming => "STREAMING",
        ExecutionMode::Batch => "BATCH",
    };
    json!({
        "eventType": kind.as_str(),
        "eventTime": at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "producer": PRODUCER,
        "schemaURL": RUN_EVENT_SCHEMA,
        "run": {
            "runId": run_id(run.flink_job_id),
            "facets": {
                "processing_engine": facet(PROCESSING_ENGINE_FACET, json!({
                    "version": run.flink_version.unwrap_or("unknown"), "name": "flink",
                    "openlineageAdapterVersion": env!("CARGO_PKG_VERSION"),
                })),
            },
        },
        "job": {
            "namespace": run.namespace,
            "name": job_name(run.job, run.environment),
            "facets": {
                "jobType": facet(JOB_TYPE_FACET, json!({"processingType": processing, "integration": "FLINK", "jobType": "JOB"})),
            },
        },
        "inputs": inputs,
        "outputs": outputs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_state_makes_its_event() {
        use DesiredState::*;
        use ObservedState as O;
        let cases: &[(ObservedState, DesiredState, Option<RunEventType>)] = &[
            (O::Running, Running, Some(RunEventType::Running)),
            (O::Finished, Running, Some(RunEventType::Complete)),
            (O::Finished, Suspended, Some(RunEventType::Abort)),
            (O::Canceled, Cancelled, Some(RunEventType::Abort)),
            (O::Canceled, Running, Some(RunEventType::Abort)),
            (O::Suspended, Suspended, Some(RunEventType::Abort)),
            (O::Failed, Running, Some(RunEventType::Fail)),
            (O::Lost, Running, Some(RunEventType::Fail)),
            (O::Created, Running, None),
            (O::Initializing, Running, None),
            (O::Restarting, Running, None),
            (O::Failing, Running, None),
            (O::Cancelling, Suspended, None),
            (O::Unreachable, Running, None),
            (O::Reconciling, Running, None),
            (O::None, Running, None),
        ];
        for (observed, desired, want) in cases {
            assert_eq!(event_for(*observed, *desired), *want, "{observed} wanted {desired}");
        }
    }

    #[test]
    fn run_ids_are_uuids_of_the_flink_job() {
        assert_eq!(run_id("6f1e0c6b2b9a4d3e8f0a1b2c3d4e5f60"), "6f1e0c6b-2b9a-4d3e-8f0a-1b2c3d4e5f60");
        let other = run_id("not-a-flink-id");
        assert_eq!(other.len(), 36);
        assert_eq!(other, run_id("not-a-flink-id"), "stable");
    }

    #[test]
    fn events_carry_datasets_and_facets() {
        use weir_model::lineage::{LineageInput, LineageOutput, LineageSubtype, LineageType};
        let source = ColumnSource {
            namespace: "kafka://k:9092".into(),
            name: "orders".into(),
            field: "amount".into(),
            kind: LineageType::Direct,
            subtype: LineageSubtype::Aggregation,
            description: "SUM(amount)".into(),
        };
        let lineage = VersionLineage {
            inputs: vec![LineageInput {
                namespace: "kafka://k:9092".into(),
                name: "orders".into(),
                table: "default_catalog.default_database.orders".into(),
                connector: "kafka".into(),
                options: Default::default(),
                fields: vec![LineageField { name: "amount".into(), data_type: "DOUBLE".into() }],
            }],
            outputs: vec![LineageOutput {
                namespace: "file".into(),
                name: "/data/totals".into(),
                table: String::new(),
                connector: "filesystem".into(),
                options: Default::default(),
                fields: vec![LineageField { name: "total".into(), data_type: "DOUBLE".into() }],
                columns: [("total".to_owned(), vec![source.clone()])].into_iter().collect(),
                dataset: vec![],
                lines: vec![],
            }],
        };
        let run = RunFacts {
            namespace: "team",
            job: "totals",
            environment: "prod",
            flink_job_id: "6f1e0c6b2b9a4d3e8f0a1b2c3d4e5f60",
            mode: ExecutionMode::Streaming,
            flink_version: Some("2.3.0"),
        };
        let at = DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z").unwrap().with_timezone(&Utc);
        let e = run_event(RunEventType::Start, at, &run, Some(&lineage));
        assert_eq!(e["eventType"], "START");
        assert_eq!(e["eventTime"], "2026-11-22T10:00:00.000Z");
        assert_eq!(e["job"]["name"], "totals.prod");
        assert_eq!(e["job"]["facets"]["jobType"]["processingType"], "STREAMING");
        assert_eq!(e["run"]["facets"]["processing_engine"]["version"], "2.3.0");
        assert_eq!(e["inputs"][0]["facets"]["symlinks"]["identifiers"][0]["name"], "default_catalog.default_database.orders");
        let cl = &e["outputs"][0]["facets"]["columnLineage"];
        assert_eq!(cl["fields"]["total"]["inputFields"][0]["transformations"][0]["subtype"], "AGGREGATION");
        assert_eq!(cl["_schemaURL"], COLUMN_LINEAGE_FACET);
        assert!(e["outputs"][0]["facets"].get("symlinks").is_none(), "no table, no alias");
    }
}
