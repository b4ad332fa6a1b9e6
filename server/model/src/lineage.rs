//! Lineage on the wire: a version's datasets and column mappings (the OpenLineage dataset, `schema` and
//! `columnLineage` facets in a flatter form), JAR versions' declared lineage, and the cross-job graph.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

vocabulary! {
    /// Whether a source column's value reaches the sink column (DIRECT) or only decides which rows or groups
    /// there are (INDIRECT), as OpenLineage's column lineage says.
    LineageType, "lineage type" {
        Direct = "DIRECT",
        Indirect = "INDIRECT",
    }
}

vocabulary! {
    /// How a source column takes part (OpenLineage's transformation subtypes).
    LineageSubtype, "lineage subtype" {
        Identity = "IDENTITY",
        Transformation = "TRANSFORMATION",
        Aggregation = "AGGREGATION",
        Filter = "FILTER",
        Join = "JOIN",
        GroupBy = "GROUP_BY",
        Sort = "SORT",
        Window = "WINDOW",
        Conditional = "CONDITIONAL",
    }
}

vocabulary! {
    /// Which way to walk the graph from where it starts.
    LineageDirection, "direction" {
        Upstream = "upstream",
        Downstream = "downstream",
        Both = "both",
    }
}

/// A dataset's identity, named as OpenLineage names datasets (`kafka://host:9092` + topic, `file` + path, ...).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DatasetId {
    pub namespace: String,
    pub name: String,
}

impl DatasetId {
    /// The `namespace|name` form the graph API's `dataset=` parameter takes.
    pub fn key(&self) -> String {
        format!("{}|{}", self.namespace, self.name)
    }

    /// Reads `namespace|name` (the name may itself hold `|`; the namespace never does).
    pub fn parse(key: &str) -> Option<DatasetId> {
        let (namespace, name) = key.split_once('|')?;
        (!namespace.trim().is_empty() && !name.trim().is_empty())
            .then(|| DatasetId { namespace: namespace.trim().to_owned(), name: name.trim().to_owned() })
    }
}

/// A column of a dataset's schema.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineageField {
    pub name: String,
    #[serde(rename = "type", default, skip_serializing_if = "String::is_empty")]
    pub data_type: String,
}

/// One source column of a sink column (or of a whole output, for INDIRECT ones that affect every row).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ColumnSource {
    pub namespace: String,
    pub name: String,
    pub field: String,
    #[serde(rename = "type")]
    pub kind: LineageType,
    pub subtype: LineageSubtype,
    /// The expression, in the script's column names.
    #[serde(default)]
    pub description: String,
}

/// A dataset a version reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineageInput {
    pub namespace: String,
    pub name: String,
    /// The Flink table path the script names it by (an alias: two scripts may name one dataset differently).
    #[serde(default)]
    pub table: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub connector: String,
    /// The table's options, secret-looking values masked.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
    #[serde(default)]
    pub fields: Vec<LineageField>,
}

/// A dataset a version writes, with where each of its columns comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineageOutput {
    pub namespace: String,
    pub name: String,
    #[serde(default)]
    pub table: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub connector: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
    #[serde(default)]
    pub fields: Vec<LineageField>,
    /// Each sink column's sources (an empty list: a literal, `PROCTIME()`, ...). Absent for a dataset whose
    /// columns were not declared (a JAR job's table-level declaration).
    #[serde(default)]
    pub columns: BTreeMap<String, Vec<ColumnSource>>,
    /// Columns that affect every row written (filters, join conditions, group keys, windows).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dataset: Vec<ColumnSource>,
    /// The lines of the statements that write it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<u32>,
}

/// What a version reads and writes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionLineage {
    pub inputs: Vec<LineageInput>,
    pub outputs: Vec<LineageOutput>,
}

impl VersionLineage {
    /// Every dataset it reads, then every one it writes.
    pub fn input_ids(&self) -> impl Iterator<Item = DatasetId> + '_ {
        self.inputs.iter().map(|i| DatasetId { namespace: i.namespace.clone(), name: i.name.clone() })
    }

    pub fn output_ids(&self) -> impl Iterator<Item = DatasetId> + '_ {
        self.outputs.iter().map(|o| DatasetId { namespace: o.namespace.clone(), name: o.name.clone() })
    }
}

/// A JAR version's declared datasets: `POST .../versions` with `"lineage": {"inputs": [...], "outputs": [...]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredLineage {
    #[serde(default)]
    pub inputs: Vec<DeclaredDataset>,
    #[serde(default)]
    pub outputs: Vec<DeclaredDataset>,
}

/// One declared dataset, with optional columns; an output's columns may name their sources.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredDataset {
    pub namespace: String,
    pub name: String,
    #[serde(default)]
    pub fields: Vec<LineageField>,
    /// Output column → its sources as `{namespace, name, field}` (type DIRECT, subtype TRANSFORMATION unless
    /// given).
    #[serde(default)]
    pub columns: BTreeMap<String, Vec<DeclaredSource>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredSource {
    pub namespace: String,
    pub name: String,
    pub field: String,
    #[serde(rename = "type", default)]
    pub kind: Option<LineageType>,
    #[serde(default)]
    pub subtype: Option<LineageSubtype>,
    #[serde(default)]
    pub description: String,
}

vocabulary! {
    /// What a node of the lineage graph stands for.
    LineageNodeKind, "lineage node kind" {
        Dataset = "dataset",
        Job = "job",
        /// A job in a namespace the caller may not read: only that there is one is shown.
        Hidden = "hidden",
    }
}

/// Which version of a job an environment runs (or, with no environment, the latest saved version of a job
/// that is not deployed anywhere).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunningVersion {
    pub environment: Option<String>,
    pub version: i32,
}

/// A node: a dataset, a job, or "another namespace".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineageNode {
    /// `dataset:<namespace>|<name>`, `job:<namespace>/<job>` or `hidden:<dataset key>:<upstream|downstream>`.
    pub id: String,
    pub kind: LineageNodeKind,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<DatasetId>,
    /// Jobs: the namespace and name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// Jobs: the versions the environments run; empty with `deployed` false: saved but deployed nowhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<RunningVersion>,
    #[serde(default)]
    pub deployed: bool,
    /// Datasets: the Flink table paths scripts name it by.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<String>,
    /// How many job hops from where the walk started (0: the start).
    pub depth: u32,
    /// Where a layout placed it (left to right, upstream first); filled by the server's layout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<NodePosition>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodePosition {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Eq for NodePosition {}

/// An edge: dataset -> job (the job reads it) or job -> dataset (the job writes it, with its column mappings).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineageEdge {
    pub from: String,
    pub to: String,
    /// job -> dataset: each written column's sources.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub columns: BTreeMap<String, Vec<ColumnSource>>,
}

/// `GET /api/v1/lineage`: the part of the cross-job graph around a dataset or job.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LineageGraph {
    pub nodes: Vec<LineageNode>,
    pub edges: Vec<LineageEdge>,
    /// The walk stopped at the depth or size limit with more beyond.
    #[serde(default)]
    pub truncated: bool,
    /// The layout's extent (with positions filled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<(f64, f64)>,
}

vocabulary! {
    /// Where a version's stored lineage comes from.
    LineageOrigin, "lineage origin" {
        /// Computed by the planner from the SQL.
        Planner = "planner",
        /// Declared with a JAR version.
        Declared = "declared",
        /// The planner could not map the script (the reason is kept).
        Failed = "failed",
    }
}

/// `GET /api/v1/lineage/openlineage/status`: whether Weir posts RunEvents, and how delivery goes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenLineageStatus {
    pub configured: bool,
    /// Where events go (without credentials).
    #[serde(default)]
    pub url: Option<String>,
    /// Waiting for their first or another attempt.
    pub pending: u64,
    pub delivered: u64,
    /// Refused by the receiver, or every attempt failed.
    pub failed: u64,
    /// The newest error of an event not delivered.
    #[serde(default)]
    pub last_error: Option<String>,
}
