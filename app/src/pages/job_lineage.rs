//! The job page's Lineage tab (`?tab=lineage&version=N&column=<sink>.<column>`): for the chosen version
//! (default: the latest) what it reads (left), the job (middle) and what it writes (right), each dataset with
//! its namespace and name, connector and the Flink table the script names it by; then each sink's columns
//! with their sources (dataset and field, DIRECT or INDIRECT, the subtype, the expression) and the sources
//! that affect every row it writes. Each sink column is a link: the chosen column's source fields are
//! highlighted in the sources and its transformation shown, all server-rendered (no JavaScript needed). A
//! version without lineage (a JAR version that declares none, a script the planner could not map) says why.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::error_text;
use crate::components::lineage_graph::query_value;
use crate::server_fns::get_version_lineage;
use weir_model::lineage::{ColumnSource, LineageInput, LineageOutput, LineageType, VersionLineage};
use weir_model::JobDetail;

/// How a sink is named in `column=<sink>.<column>`: the Flink table the script writes, else its dataset key.
pub fn sink_name(output: &LineageOutput) -> String {
    if output.table.is_empty() {
        format!("{}|{}", output.namespace, output.name)
    } else {
        output.table.clone()
    }
}

/// The `column=` value of a sink column.
pub fn column_key(output: &LineageOutput, column: &str) -> String {
    format!("{}.{column}", sink_name(output))
}

/// The last part of a Flink table path (`default_catalog.default_database.orders` → `orders`).
fn short_table(table: &str) -> &str {
    table.rsplit('.').next().unwrap_or(table)
}

/// The column `column=` names: its sink, its name, its own sources and the sink's dataset-wide ones.
pub fn selected_column<'a>(lineage: &'a VersionLineage, selected: &str) -> Option<(&'a LineageOutput, &'a str, &'a [ColumnSource])> {
    lineage.outputs.iter().find_map(|o| {
        o.columns
            .iter()
            .find(|(column, _)| column_key(o, column) == selected)
            .map(|(column, sources)| (o, column.as_str(), sources.as_slice()))
    })
}

/// The source fields to highlight, as (namespace, name, field): the chosen column's sources and the
/// dataset-wide sources of its sink.
pub fn highlighted(lineage: &VersionLineage, selected: &str) -> BTreeSet<(String, String, String)> {
    let Some((output, _, sources)) = selected_column(lineage, selected) else { return BTreeSet::new() };
    sources
        .iter()
        .chain(&output.dataset)
        .map(|s| (s.namespace.clone(), s.name.clone(), s.field.clone()))
        .collect()
}

/// An input's fields as shown: its schema, then any field a mapping names that the schema does not list (a
/// declared dataset may come without its schema). (name, type).
pub fn input_fields(input: &LineageInput, lineage: &VersionLineage) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = input.fields.iter().map(|f| (f.name.clone(), f.data_type.clone())).collect();
    let named = lineage
        .outputs
        .iter()
        .flat_map(|o| o.columns.values().flatten().chain(&o.dataset))
        .filter(|s| s.namespace == input.namespace && s.name == input.name);
    for s in named {
        if !fields.iter().any(|(name, _)| name == &s.field) {
            fields.push((s.field.clone(), String::new()));
        }
    }
    fields
}

/// A source field as the page names it: the table the script reads it from (else the dataset's name), a
/// dot, the field.
pub fn source_label(lineage: &VersionLineage, s: &ColumnSource) -> String {
    let table = lineage
        .inputs
        .iter()
        .find(|i| i.namespace == s.namespace && i.name == s.name && !i.table.is_empty())
        .map(|i| short_table(&i.table).to_owned())
        .unwrap_or_else(|| s.name.clone());
    format!("{table}.{}", s.field)
}

#[component]
pub fn LineageTab(detail: JobDetail) -> impl IntoView {
    let numbers: Vec<i32> = detail.versions.iter().map(|v| v.number).collect();
    let Some(latest) = numbers.first().copied() else {
        return view! { <p class="muted" data-test="lineage-none">"No version saved yet: lineage comes with the first version."</p> }
            .into_any();
    };
    let query = use_query_map();
    let version = Signal::derive(move || query.read().get("version").and_then(|v| v.trim().parse::<i32>().ok()).unwrap_or(latest));
    let column = Signal::derive(move || query.read().get("column").unwrap_or_default());
    let (ns, job) = (detail.job.namespace.clone(), detail.job.name.clone());
    let fetch = (ns.clone(), job.clone());
    let lineage = Resource::new(
        move || (fetch.0.clone(), fetch.1.clone(), version.get()),
        |(ns, job, v)| get_version_lineage(ns, job, v),
    );
    let options = {
        let chosen = version.get_untracked();
        numbers
            .iter()
            .map(|n| view! { <option value=n.to_string() selected=*n == chosen>{format!("v{n}")}</option> })
            .collect_view()
    };
    let graph_href = format!("/lineage?job={}", query_value(&format!("{ns}/{job}")));
    let label = format!("{ns}/{job}");
    view! {
        <section class="lineage" data-test="lineage">
            <form method="get" class="inline-form lineage-picker">
                <input type="hidden" name="tab" value="lineage"/>
                <label>"Version" <select name="version" data-test="lineage-version">{options}</select></label>
                <button class="button" type="submit">"Show"</button>
                <span class="grow"></span>
                <a class="button" href=graph_href data-test="lineage-graph-link">"Across jobs →"</a>
            </form>
            <Transition fallback=|| view! { <p class="muted">"Reading the lineage…"</p> }>
                {move || lineage.get().map(|r| match r {
                    Err(e) => view! {
                        <p class="notice" data-test="lineage-none">
                            {format!("No lineage for v{}: {}", version.get_untracked(), error_text(&e.to_string()))}
                        </p>
                    }.into_any(),
                    Ok(l) => view! { <LineageView lineage=l job=label.clone() version=version.get() selected=column.get()/> }.into_any(),
                })}
            </Transition>
        </section>
    }
    .into_any()
}

/// One dataset's name, namespace, connector and table alias.
#[component]
fn DatasetHead(namespace: String, name: String, connector: String, table: String) -> impl IntoView {
    let key = format!("{namespace}|{name}");
    let href = crate::components::lineage_graph::dataset_href(&key);
    let connector = (!connector.is_empty()).then(|| view! { <span class="chip" title="connector">{connector}</span> });
    let table = (!table.is_empty()).then(|| view! { <span class="muted small" title="the Flink table the script names it by">"as " <code>{table}</code></span> });
    view! {
        <header class="dataset-head">
            <a href=href class="dataset-name" title=format!("this dataset across jobs ({key})")><strong>{name}</strong></a>
            <span class="muted small dataset-ns">{namespace}</span>
            <span class="dataset-meta">{connector} " " {table}</span>
        </header>
    }
}

#[component]
fn LineageView(lineage: VersionLineage, job: String, version: i32, selected: String) -> impl IntoView {
    let lit = highlighted(&lineage, &selected);
    let href = move |key: &str| format!("?tab=lineage&version={version}&column={}#lineage-flow", query_value(key));
    let inputs = lineage
        .inputs
        .iter()
        .map(|i| {
            let fields = input_fields(i, &lineage)
                .into_iter()
                .map(|(name, data_type)| {
                    let on = lit.contains(&(i.namespace.clone(), i.name.clone(), name.clone()));
                    let marker = name.clone();
                    view! {
                        <li class:lit=on data-field=marker>
                            <code>{name}</code> " " <span class="muted small">{data_type}</span>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <article class="dataset-card" data-dataset=format!("{}|{}", i.namespace, i.name)>
                    <DatasetHead namespace=i.namespace.clone() name=i.name.clone() connector=i.connector.clone() table=i.table.clone()/>
                    <ul class="fields">{fields}</ul>
                </article>
            }
        })
        .collect_view();
    let outputs = lineage
        .outputs
        .iter()
        .enumerate()
        .map(|(n, o)| {
            let chosen = selected_column(&lineage, &selected).is_some_and(|(out, _, _)| std::ptr::eq(out, o));
            view! {
                <article class="dataset-card" class:lit=chosen data-dataset=format!("{}|{}", o.namespace, o.name)>
                    <DatasetHead namespace=o.namespace.clone() name=o.name.clone() connector=o.connector.clone() table=o.table.clone()/>
                    <p class="small"><a href=format!("#sink-{n}")>{format!("{} column(s) ↓", o.columns.len())}</a></p>
                </article>
            }
        })
        .collect_view();
    let transformation = selected_column(&lineage, &selected).map(|(o, column, sources)| {
        let rows = sources
            .iter()
            .chain(&o.dataset)
            .map(|s| view! { <SourceItem lineage=lineage.clone() source=s.clone()/> })
            .collect_view();
        let none = sources.is_empty().then(|| view! { <li class="muted">"no source column: a literal or a computed value (e.g. PROCTIME())"</li> });
        let clear = format!("?tab=lineage&version={version}");
        view! {
            <section class="card lineage-selected" data-test="lineage-selected">
                <header class="card-head">
                    <h2>{format!("{}.{column}", short_table(&sink_name(o)))}</h2>
                    <a href=clear class="small">"Clear"</a>
                </header>
                <p class="muted small">"Its sources (highlighted among what the version reads) and how it is computed:"</p>
                <ul class="plain sources">{none}{rows}</ul>
            </section>
        }
    });
    let sinks = lineage
        .outputs
        .iter()
        .enumerate()
        .map(|(n, o)| {
            let rows = o
                .columns
                .iter()
                .map(|(column, sources)| {
                    let key = column_key(o, column);
                    let on = key == selected;
                    let data_type = o.fields.iter().find(|f| &f.name == column).map(|f| f.data_type.clone()).unwrap_or_default();
                    let items = if sources.is_empty() {
                        view! { <li class="muted">"no source column (a literal or a computed value)"</li> }.into_any()
                    } else {
                        sources.iter().map(|s| view! { <SourceItem lineage=lineage.clone() source=s.clone()/> }).collect_view().into_any()
                    };
                    view! {
                        <tr class:lit=on data-column=key.clone()>
                            <td><a href=href(&key) data-test="lineage-column"><code>{column.clone()}</code></a></td>
                            <td class="muted small">{data_type}</td>
                            <td><ul class="plain sources">{items}</ul></td>
                        </tr>
                    }
                })
                .collect_view();
            let table = if o.columns.is_empty() {
                view! { <p class="muted small">"Its columns were not declared (a table-level declaration)."</p> }.into_any()
            } else {
                view! {
                    <table class="table lineage-columns">
                        <thead><tr><th>"Column"</th><th>"Type"</th><th>"Sources: field, type/subtype, expression"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                }
                .into_any()
            };
            let every_row = (!o.dataset.is_empty()).then(|| {
                let items = o.dataset.iter().map(|s| view! { <SourceItem lineage=lineage.clone() source=s.clone()/> }).collect_view();
                view! {
                    <div class="every-row" data-test="lineage-dataset-wide">
                        <p class="small"><strong>"Every row depends on"</strong> <span class="muted">" (INDIRECT: filters, joins, group keys, windows)"</span></p>
                        <ul class="plain sources">{items}</ul>
                    </div>
                }
            });
            let lines = (!o.lines.is_empty()).then(|| {
                let l = o.lines.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
                view! { <span class="muted small">{format!(" · written at line {l}")}</span> }
            });
            view! {
                <section class="card lineage-sink" id=format!("sink-{n}") data-sink=sink_name(o)>
                    <h2>"Writes " <code>{short_table(&sink_name(o)).to_owned()}</code> {lines}</h2>
                    <p class="muted small">{format!("{}|{}", o.namespace, o.name)}</p>
                    {table}
                    {every_row}
                </section>
            }
        })
        .collect_view();
    let (reads, writes) = (lineage.inputs.len(), lineage.outputs.len());
    view! {
        <div class="lineage-flow" id="lineage-flow" data-test="lineage-flow">
            <div class="lineage-col">
                <h3 class="muted small">{format!("Reads ({reads})")}</h3>
                {inputs}
                {(reads == 0).then(|| view! { <p class="muted small">"nothing (only literals or generated rows)"</p> })}
            </div>
            <div class="lineage-arrow" aria-hidden="true">"→"</div>
            <div class="lineage-col lineage-job">
                <h3 class="muted small">"Job"</h3>
                <article class="dataset-card job-card"><strong>{job}</strong><p class="muted small">{format!("version {version}")}</p></article>
            </div>
            <div class="lineage-arrow" aria-hidden="true">"→"</div>
            <div class="lineage-col">
                <h3 class="muted small">{format!("Writes ({writes})")}</h3>
                {outputs}
            </div>
        </div>
        {transformation}
        {sinks}
    }
}

/// One source of a column: the field (with its dataset), DIRECT/INDIRECT, the subtype and the expression.
#[component]
fn SourceItem(lineage: VersionLineage, source: ColumnSource) -> impl IntoView {
    let label = source_label(&lineage, &source);
    let indirect = source.kind == LineageType::Indirect;
    let description = (!source.description.is_empty()).then(|| view! { " " <code class="expr">{source.description.clone()}</code> });
    view! {
        <li class="source" class:indirect=indirect>
            <code title=format!("{}|{}", source.namespace, source.name)>{label}</code>
            " "
            <span class="chip">{format!("{}/{}", source.kind.as_str(), source.subtype.as_str())}</span>
            {description}
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use weir_model::lineage::{LineageField, LineageSubtype};

    fn src(name: &str, field: &str, kind: LineageType, subtype: LineageSubtype) -> ColumnSource {
        ColumnSource {
            namespace: "kafka://b:9092".into(),
            name: name.into(),
            field: field.into(),
            kind,
            subtype,
            description: String::new(),
        }
    }

    fn lineage() -> VersionLineage {
        let input = LineageInput {
            namespace: "kafka://b:9092".into(),
            name: "orders".into(),
            table: "default_catalog.default_database.orders_src".into(),
            connector: "kafka".into(),
            options: BTreeMap::new(),
            fields: vec![LineageField { name: "amount".into(), data_type: "INT".into() }],
        };
        let mut columns = BTreeMap::new();
        columns.insert("total".to_owned(), vec![src("orders", "amount", LineageType::Direct, LineageSubtype::Aggregation)]);
        columns.insert("region".to_owned(), vec![src("orders", "region", LineageType::Direct, LineageSubtype::Identity)]);
        columns.insert("at".to_owned(), vec![]);
        let output = LineageOutput {
            namespace: "file".into(),
            name: "/out".into(),
            table: "default_catalog.default_database.totals".into(),
            connector: "filesystem".into(),
            options: BTreeMap::new(),
            fields: vec![],
            columns,
            dataset: vec![src("orders", "status", LineageType::Indirect, LineageSubtype::Filter)],
            lines: vec![3],
        };
        VersionLineage { inputs: vec![input], outputs: vec![output] }
    }

    #[test]
    fn a_chosen_column_lights_its_sources_and_the_sinks_row_wide_ones() {
        let l = lineage();
        let key = column_key(&l.outputs[0], "total");
        assert_eq!(key, "default_catalog.default_database.totals.total");
        let lit = highlighted(&l, &key);
        let f = |field: &str| ("kafka://b:9092".to_owned(), "orders".to_owned(), field.to_owned());
        assert_eq!(lit, BTreeSet::from([f("amount"), f("status")]));
        assert!(highlighted(&l, "nothing.total").is_empty());
        assert_eq!(selected_column(&l, &column_key(&l.outputs[0], "at")).map(|(_, c, s)| (c, s.len())), Some(("at", 0)));
    }

    #[test]
    fn fields_a_mapping_names_are_listed_even_without_a_schema() {
        let l = lineage();
        let names: Vec<String> = input_fields(&l.inputs[0], &l).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["amount", "region", "status"]);
        assert_eq!(source_label(&l, &l.outputs[0].dataset[0]), "orders_src.status");
    }

    #[test]
    fn the_tab_highlights_a_chosen_columns_sources_and_shows_its_transformation() {
        let l = lineage();
        let key = column_key(&l.outputs[0], "total");
        let owner = Owner::new();
        let html = owner.with(|| {
            view! { <LineageView lineage=l.clone() job="team/j".to_owned() version=3 selected=key.clone()/> }.to_html()
        });
        let lit = |field: &str| {
            let at = html.find(&format!(r#"data-field="{field}""#)).expect(field);
            let start = html[..at].rfind("<li").expect("its item");
            let end = at + html[at..].find('>').expect("the tag's end");
            html[start..end].contains("lit")
        };
        assert!(lit("amount") && lit("status") && !lit("region"), "{html}");
        assert!(html.contains(r#"data-test="lineage-selected""#), "{html}");
        assert!(html.contains("AGGREGATION") && html.contains("FILTER"), "{html}");
        assert!(html.contains("column=default_catalog.default_database.totals.region"), "each column is a link: {html}");
        assert!(html.contains("orders_src") && html.contains("kafka"), "the alias and the connector: {html}");
        let plain = owner.with(|| view! { <LineageView lineage=l.clone() job="team/j".to_owned() version=3 selected=String::new()/> }.to_html());
        assert!(!plain.contains("lineage-selected") && !plain.contains(r#"class="lit""#), "{plain}");
    }

    #[test]
    fn a_sink_without_a_table_is_named_by_its_dataset() {
        let mut l = lineage();
        l.outputs[0].table.clear();
        assert_eq!(column_key(&l.outputs[0], "total"), "file|/out.total");
    }
}
