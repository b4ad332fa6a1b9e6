//! What the planner said of a script's lineage (the SQL checker's `lineage` answer: Flink table paths, their
//! options and columns, and per INSERT each sink column's source columns), and how that becomes a version's
//! lineage on the wire: tables named as datasets, options masked, several INSERTs into one sink merged. Pure.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use weir_model::lineage::{
    ColumnSource, DatasetId, LineageField, LineageInput, LineageOutput, LineageSubtype, LineageType, VersionLineage,
};

use super::identity::{dataset_id, mask_options, Scope};

/// The checker's answer: either the lineage or why the planner's tree could not be mapped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PlannerAnswer {
    Failed { error: String },
    Lineage(PlannerLineage),
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PlannerLineage {
    /// Every table read or written, by Flink path.
    #[serde(default)]
    pub tables: BTreeMap<String, PlannerTable>,
    #[serde(default)]
    pub inserts: Vec<PlannerInsert>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PlannerTable {
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    #[serde(default)]
    pub columns: Vec<LineageField>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannerInsert {
    #[serde(default)]
    pub line: u32,
    pub sink: String,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub columns: Vec<PlannerColumn>,
    #[serde(default)]
    pub dataset: Vec<PlannerSource>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannerColumn {
    pub name: String,
    #[serde(rename = "type", default)]
    pub data_type: String,
    #[serde(default)]
    pub sources: Vec<PlannerSource>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannerSource {
    pub table: String,
    pub column: String,
    #[serde(rename = "type")]
    pub kind: LineageType,
    pub subtype: LineageSubtype,
    #[serde(default)]
    pub description: String,
}

/// A version's lineage from the planner's: inputs in the order first read, outputs in the order first
/// written; columns of several INSERTs into one sink are merged (each source once).
pub fn to_version_lineage(raw: &PlannerLineage, scope: &Scope<'_>) -> VersionLineage {
    let ids: BTreeMap<&str, DatasetId> = raw
        .tables
        .iter()
        .map(|(path, t)| (path.as_str(), dataset_id(path, &t.options, scope)))
        .collect();
    let id_of = |path: &str| {
        ids.get(path).cloned().unwrap_or_else(|| dataset_id(path, &BTreeMap::new(), scope))
    };
    let table = |path: &str| raw.tables.get(path).cloned().unwrap_or_default();
    let source = |s: &PlannerSource| {
        let id = id_of(&s.table);
        ColumnSource {
            namespace: id.namespace,
            name: id.name,
            field: s.column.clone(),
            kind: s.kind,
            subtype: s.subtype,
            description: s.description.clone(),
        }
    };

    let mut lineage = VersionLineage::default();
    for insert in &raw.inserts {
        for path in &insert.sources {
            if lineage.inputs.iter().any(|i| &i.table == path) {
                continue;
            }
            let id = id_of(path);
            let t = table(path);
            lineage.inputs.push(LineageInput {
                namespace: id.namespace,
                name: id.name,
                table: path.clone(),
                connector: t.options.get("connector").cloned().unwrap_or_default(),
                options: mask_options(&t.options),
                fields: t.columns,
            });
        }
        let at = match lineage.outputs.iter().position(|o| o.table == insert.sink) {
            Some(at) => at,
            None => {
                let id = id_of(&insert.sink);
                let t = table(&insert.sink);
                lineage.outputs.push(LineageOutput {
                    namespace: id.namespace,
                    name: id.name,
                    table: insert.sink.clone(),
                    connector: t.options.get("connector").cloned().unwrap_or_default(),
                    options: mask_options(&t.options),
                    fields: if t.columns.is_empty() {
                        insert
                            .columns
                            .iter()
                            .map(|c| LineageField { name: c.name.clone(), data_type: c.data_type.clone() })
                            .collect()
                    } else {
                        t.columns
                    },
                    columns: BTreeMap::new(),
                    dataset: Vec::new(),
                    lines: Vec::new(),
                });
                lineage.outputs.len() - 1
            }
        };
        let output = &mut lineage.outputs[at];
        if insert.line > 0 && !output.lines.contains(&insert.line) {
            output.lines.push(insert.line);
        }
        for column in &insert.columns {
            let sources = output.columns.entry(column.name.clone()).or_default();
            for s in &column.sources {
                let s = source(s);
                if !sources.contains(&s) {
                    sources.push(s);
                }
            }
        }
        for s in &insert.dataset {
            let s = source(s);
            if !output.dataset.contains(&s) {
                output.dataset.push(s);
            }
        }
    }
    lineage
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(table: &str, column: &str, kind: LineageType, subtype: LineageSubtype) -> PlannerSource {
        PlannerSource { table: table.into(), column: column.into(), kind, subtype, description: column.into() }
    }

    fn files(path: &str) -> PlannerTable {
        PlannerTable {
            options: [("connector", "filesystem"), ("path", path), ("format", "csv")]
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            columns: vec![LineageField { name: "id".into(), data_type: "BIGINT".into() }],
        }
    }

    #[test]
    fn answers_parse_as_lineage_or_failure() {
        let failed: PlannerAnswer = serde_json::from_str(r#"{"error":"line 3: MATCH_RECOGNIZE"}"#).unwrap();
        assert_eq!(failed, PlannerAnswer::Failed { error: "line 3: MATCH_RECOGNIZE".into() });
        let empty: PlannerAnswer = serde_json::from_str(r#"{"tables":{},"inserts":[]}"#).unwrap();
        assert_eq!(empty, PlannerAnswer::Lineage(PlannerLineage::default()));
    }

    #[test]
    fn two_inserts_into_one_sink_merge_and_tables_become_datasets() {
        use LineageSubtype::*;
        use LineageType::*;
        let raw = PlannerLineage {
            tables: [
                ("c.d.a".to_owned(), files("/data/a")),
                ("c.d.b".to_owned(), files("file:///data/b/")),
                ("c.d.out".to_owned(), files("/data/out")),
            ]
            .into_iter()
            .collect(),
            inserts: vec![
                PlannerInsert {
                    line: 4,
                    sink: "c.d.out".into(),
                    sources: vec!["c.d.a".into()],
                    columns: vec![PlannerColumn {
                        name: "id".into(),
                        data_type: "BIGINT".into(),
                        sources: vec![src("c.d.a", "id", Direct, Identity)],
                    }],
                    dataset: vec![src("c.d.a", "id", Indirect, Filter)],
                },
                PlannerInsert {
                    line: 5,
                    sink: "c.d.out".into(),
                    sources: vec!["c.d.b".into(), "c.d.a".into()],
                    columns: vec![PlannerColumn {
                        name: "id".into(),
                        data_type: "BIGINT".into(),
                        sources: vec![src("c.d.b", "id", Direct, Identity), src("c.d.a", "id", Direct, Identity)],
                    }],
                    dataset: vec![],
                },
            ],
        };
        let scope = Scope { namespace: "n", job: "j" };
        let l = to_version_lineage(&raw, &scope);
        let inputs: Vec<_> = l.inputs.iter().map(|i| (i.namespace.as_str(), i.name.as_str(), i.table.as_str())).collect();
        assert_eq!(inputs, [("file", "/data/a", "c.d.a"), ("file", "/data/b", "c.d.b")]);
        assert_eq!(l.outputs.len(), 1);
        let out = &l.outputs[0];
        assert_eq!((out.namespace.as_str(), out.name.as_str()), ("file", "/data/out"));
        assert_eq!(out.lines, [4, 5]);
        let id: Vec<_> = out.columns["id"].iter().map(|s| s.name.as_str()).collect();
        assert_eq!(id, ["/data/a", "/data/b"], "each source once, in the order met");
        assert_eq!(out.dataset.len(), 1);
        assert_eq!(out.connector, "filesystem");
    }
}
