//! A JAR version's declared lineage: checked when saved (every dataset named, columns' sources among the
//! declared inputs, sizes bounded) and shown like the planner's. Pure.

use std::collections::BTreeMap;

use weir_model::lineage::{
    ColumnSource, DeclaredDataset, DeclaredLineage, LineageInput, LineageOutput, LineageSubtype, LineageType, VersionLineage,
};

/// Most datasets one declaration may name (inputs and outputs together).
pub const MAX_DATASETS: usize = 200;
/// Longest namespace, name or field.
pub const MAX_TEXT: usize = 1000;

/// Refuses a declaration with an unnamed dataset, an over-long text, too many datasets, or a column source
/// that is not a declared input.
pub fn check(declared: &DeclaredLineage) -> Result<(), String> {
    if declared.inputs.len() + declared.outputs.len() > MAX_DATASETS {
        return Err(format!("lineage declares more than {MAX_DATASETS} datasets"));
    }
    if declared.outputs.is_empty() && declared.inputs.is_empty() {
        return Err("lineage declares no dataset: give \"inputs\" and/or \"outputs\"".into());
    }
    for (side, list) in [("inputs", &declared.inputs), ("outputs", &declared.outputs)] {
        for (at, d) in list.iter().enumerate() {
            check_dataset(declared, side, at, d)?;
        }
    }
    Ok(())
}

/// One declared dataset: named, bounded, and (outputs) its columns' sources among the declared inputs.
fn check_dataset(declared: &DeclaredLineage, side: &str, at: usize, d: &DeclaredDataset) -> Result<(), String> {
    if d.namespace.trim().is_empty() || d.name.trim().is_empty() {
        return Err(format!("lineage {side}: dataset #{} needs a namespace and a name", at + 1));
    }
    if d.namespace.contains('|') {
        return Err(format!("lineage {side}: a dataset namespace cannot contain '|' ('{}')", d.namespace));
    }
    let texts = [d.namespace.as_str(), d.name.as_str()]
        .into_iter()
        .chain(d.fields.iter().map(|f| f.name.as_str()))
        .chain(d.columns.keys().map(String::as_str));
    for t in texts {
        if t.len() > MAX_TEXT {
            let start: String = t.chars().take(40).collect();
            return Err(format!("lineage {side}: '{start}…' is longer than {MAX_TEXT} bytes"));
        }
    }
    if side == "inputs" && !d.columns.is_empty() {
        return Err(format!("lineage inputs: '{}' has \"columns\"; only outputs map columns to sources", d.name));
    }
    for (column, sources) in &d.columns {
        for s in sources {
            let known = declared.inputs.iter().any(|i| i.namespace == s.namespace && i.name == s.name);
            if !known {
                return Err(format!(
                    "lineage outputs: column '{column}' of '{}' names source {}|{} which is not among the declared inputs",
                    d.name, s.namespace, s.name
                ));
            }
        }
    }
    Ok(())
}

pub fn to_version_lineage(declared: &DeclaredLineage) -> VersionLineage {
    VersionLineage {
        inputs: declared
            .inputs
            .iter()
            .map(|d| LineageInput {
                namespace: d.namespace.clone(),
                name: d.name.clone(),
                table: String::new(),
                connector: String::new(),
                options: BTreeMap::new(),
                fields: d.fields.clone(),
            })
            .collect(),
        outputs: declared
            .outputs
            .iter()
            .map(|d| LineageOutput {
                namespace: d.namespace.clone(),
                name: d.name.clone(),
                table: String::new(),
                connector: String::new(),
                options: BTreeMap::new(),
                fields: d.fields.clone(),
                columns: d
                    .columns
                    .iter()
                    .map(|(column, sources)| {
                        let sources = sources
                            .iter()
                            .map(|s| ColumnSource {
                                namespace: s.namespace.clone(),
                                name: s.name.clone(),
                                field: s.field.clone(),
                                kind: s.kind.unwrap_or(LineageType::Direct),
                                subtype: s.subtype.unwrap_or(LineageSubtype::Transformation),
                                description: s.description.clone(),
                            })
                            .collect();
                        (column.clone(), sources)
                    })
                    .collect(),
                dataset: Vec::new(),
                lines: Vec::new(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_model::lineage::DeclaredSource;

    fn dataset(ns: &str, name: &str) -> DeclaredDataset {
        DeclaredDataset { namespace: ns.into(), name: name.into(), ..Default::default() }
    }

    #[test]
    fn declarations_are_checked() {
        let mut out = dataset("kafka://k:9092", "totals");
        out.columns.insert(
            "total".into(),
            vec![DeclaredSource {
                namespace: "kafka://k:9092".into(),
                name: "orders".into(),
                field: "amount".into(),
                kind: None,
                subtype: Some(LineageSubtype::Aggregation),
                description: "SUM(amount)".into(),
            }],
        );
        let good = DeclaredLineage { inputs: vec![dataset("kafka://k:9092", "orders")], outputs: vec![out.clone()] };
        assert_eq!(check(&good), Ok(()));
        let l = to_version_lineage(&good);
        let s = &l.outputs[0].columns["total"][0];
        assert_eq!((s.kind, s.subtype), (LineageType::Direct, LineageSubtype::Aggregation));

        let cases: &[(DeclaredLineage, &str)] = &[
            (DeclaredLineage::default(), "declares no dataset"),
            (DeclaredLineage { inputs: vec![dataset("", "x")], outputs: vec![] }, "needs a namespace and a name"),
            (DeclaredLineage { inputs: vec![dataset("a|b", "x")], outputs: vec![] }, "cannot contain '|'"),
            (DeclaredLineage { inputs: vec![], outputs: vec![out.clone()] }, "not among the declared inputs"),
            (DeclaredLineage { inputs: vec![dataset("n", &"x".repeat(MAX_TEXT + 1))], outputs: vec![] }, "longer than"),
            (
                DeclaredLineage { inputs: (0..=MAX_DATASETS).map(|i| dataset("n", &i.to_string())).collect(), outputs: vec![] },
                "more than",
            ),
        ];
        for (declared, want) in cases {
            let err = check(declared).expect_err(want);
            assert!(err.contains(want), "{err} should say {want}");
        }
    }
}
