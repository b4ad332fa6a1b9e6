//! `/lineage?dataset=<namespace|name>|job=<ns/job>&direction=&depth=&environment=`: the lineage graph across
//! jobs — which jobs read and write which datasets — around a dataset or a job, or everything the caller may
//! see when neither is given. A plain GET form chooses it (no JavaScript needed); the server lays the graph
//! out and renders it as an SVG picture at its natural size in a scrolling box (readable at hundreds of
//! nodes), each job linking to its Lineage tab and each dataset to its own graph; below it, the same graph
//! as a table, readable without the picture.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::lineage_graph::{dataset_href, job_href, job_versions, start_node_id, LineageSvg};
use crate::components::ErrorBox;
use crate::server_fns::{get_lineage_graph, list_environments};
use weir_model::lineage::{LineageGraph, LineageNode, LineageNodeKind};

/// The walk's directions, as the form offers them.
const DIRECTIONS: [(&str, &str); 3] = [("both", "Both ways"), ("upstream", "Upstream (what feeds it)"), ("downstream", "Downstream (what it feeds)")];

#[component]
pub fn Lineage() -> impl IntoView {
    let query = use_query_map();
    let field = move |k: &'static str| Signal::derive(move || query.read().get(k).unwrap_or_default());
    let (dataset, job, direction, depth, environment) =
        (field("dataset"), field("job"), field("direction"), field("depth"), field("environment"));
    let graph = Resource::new(
        move || (dataset.get(), job.get(), direction.get(), depth.get(), environment.get()),
        |(d, j, dir, depth, env)| get_lineage_graph(d, j, dir, depth, env),
    );
    let environments = Resource::new(|| (), |_| list_environments());
    let directions = move || {
        let current = direction.get();
        DIRECTIONS
            .iter()
            .map(|(value, label)| view! { <option value=*value selected=current == *value>{*label}</option> })
            .collect_view()
    };
    view! {
        <header class="page-head">
            <div>
                <h1>"Lineage"</h1>
                <p class="muted small">
                    "Which jobs read and write which datasets, from what each environment runs (and the latest version of jobs deployed nowhere)."
                </p>
            </div>
        </header>
        <form method="get" action="/lineage" class="card inline-form" data-test="lineage-search">
            <label class="grow">
                "Dataset (namespace|name)"
                <input name="dataset" value=dataset placeholder="kafka://broker:9092|orders" data-test="lineage-dataset"/>
            </label>
            <label>"or job (namespace/job)" <input name="job" value=job placeholder="team/enrich" data-test="lineage-job"/></label>
            <label>"Direction" <select name="direction" data-test="lineage-direction">{directions}</select></label>
            <label>"Depth (job hops)" <input name="depth" type="number" min="0" max="20" value=depth placeholder="3" size="4"/></label>
            <Transition fallback=|| view! { <EnvironmentSelect names=Vec::new() current=String::new()/> }>
                {move || {
                    let names = environments.get().and_then(|r| r.ok()).unwrap_or_default().into_iter().map(|e| e.name).collect();
                    view! { <EnvironmentSelect names=names current=environment.get()/> }
                }}
            </Transition>
            <button class="button primary" type="submit" data-test="lineage-show">"Show"</button>
            <a class="button" href="/lineage">"Everything"</a>
        </form>
        <Transition fallback=|| view! { <p class="muted">"Drawing the graph…"</p> }>
            {move || graph.get().map(|r| match r {
                Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                Ok(g) => view! { <GraphView graph=g start=start_node_id(&dataset.get(), &job.get())/> }.into_any(),
            })}
        </Transition>
    }
}

/// The environment field: all of them, or one.
#[component]
fn EnvironmentSelect(names: Vec<String>, current: String) -> impl IntoView {
    let options = names
        .into_iter()
        .map(|name| {
            let (selected, value) = (name == current, name.clone());
            view! { <option value=value selected=selected>{name}</option> }
        })
        .collect_view();
    view! {
        <label>
            "Environment"
            <select name="environment" data-test="lineage-environment">
                <option value="">"All (and jobs not deployed)"</option>
                {options}
            </select>
        </label>
    }
}

#[component]
fn GraphView(graph: LineageGraph, start: Option<String>) -> impl IntoView {
    if graph.nodes.is_empty() {
        return view! {
            <p class="muted" data-test="lineage-empty">
                "Nothing to show: no job you may read has lineage here yet (lineage comes with each saved SQL version, or a JAR version's declaration)."
            </p>
        }
        .into_any();
    }
    let datasets = graph.nodes.iter().filter(|n| n.kind == LineageNodeKind::Dataset).count();
    let jobs = graph.nodes.iter().filter(|n| n.kind == LineageNodeKind::Job).count();
    let truncated = graph.truncated.then(|| {
        view! {
            <p class="notice" data-test="lineage-truncated">
                "The graph goes on beyond what is shown (the depth or size limit): start from a node further out, or ask for more depth."
            </p>
        }
    });
    let list = view! { <GraphList graph=graph.clone()/> };
    view! {
        <p class="muted small" data-test="lineage-summary">{format!("{datasets} dataset(s), {jobs} job(s), {} edge(s)", graph.edges.len())}</p>
        {truncated}
        <div class="lineage-legend small">
            <span class="key dataset">"dataset"</span>
            <span class="key job">"job"</span>
            <span class="key job undeployed">"job saved, not deployed"</span>
            <span class="key hidden">"another namespace"</span>
            <span class="key start">"where the walk starts"</span>
        </div>
        <div class="lineage-scroll" data-test="lineage-picture">
            <LineageSvg graph=graph start=start/>
        </div>
        {list}
    }
    .into_any()
}

/// A node's name in the list: a link where it leads.
fn node_link(node: &LineageNode) -> AnyView {
    let href = match node.kind {
        LineageNodeKind::Dataset => node.dataset.as_ref().map(|d| dataset_href(&d.key())),
        LineageNodeKind::Job => job_href(node),
        LineageNodeKind::Hidden => None,
    };
    let text = match (&node.kind, &node.dataset) {
        (LineageNodeKind::Dataset, Some(d)) => d.key(),
        _ => node.label.clone(),
    };
    match href {
        Some(href) => view! { <a href=href><code>{text}</code></a> }.into_any(),
        None => view! { <span class="muted">{text}</span> }.into_any(),
    }
}

/// The graph as a table: each dataset and job with what it comes from and what it goes to.
#[component]
fn GraphList(graph: LineageGraph) -> impl IntoView {
    let by_id: BTreeMap<&str, &LineageNode> = graph.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let mut upstream: BTreeMap<&str, Vec<&LineageNode>> = BTreeMap::new();
    let mut downstream: BTreeMap<&str, Vec<&LineageNode>> = BTreeMap::new();
    for e in &graph.edges {
        if let (Some(from), Some(to)) = (by_id.get(e.from.as_str()), by_id.get(e.to.as_str())) {
            downstream.entry(e.from.as_str()).or_default().push(to);
            upstream.entry(e.to.as_str()).or_default().push(from);
        }
    }
    let mut nodes: Vec<&LineageNode> = graph.nodes.iter().collect();
    let rank = |k: LineageNodeKind| match k {
        LineageNodeKind::Dataset => 0,
        LineageNodeKind::Job => 1,
        LineageNodeKind::Hidden => 2,
    };
    nodes.sort_by(|a, b| rank(a.kind).cmp(&rank(b.kind)).then(a.label.cmp(&b.label)));
    let links = |list: Option<&Vec<&LineageNode>>| {
        list.map(|l| {
            l.iter()
                .enumerate()
                .map(|(i, n)| view! { {(i > 0).then_some(", ")} {node_link(n)} })
                .collect_view()
        })
    };
    let rows = nodes
        .iter()
        .map(|n| {
            let what = match n.kind {
                LineageNodeKind::Dataset => {
                    let tables = if n.tables.is_empty() { String::new() } else { format!(" · as {}", n.tables.join(", ")) };
                    format!("dataset{tables}")
                }
                LineageNodeKind::Job => format!("job · {}", job_versions(n)),
                LineageNodeKind::Hidden => "jobs in a namespace you may not read".into(),
            };
            let (up, down) = (links(upstream.get(n.id.as_str())), links(downstream.get(n.id.as_str())));
            view! {
                <tr data-node=n.id.clone()>
                    <td>{node_link(n)}</td>
                    <td class="small">{what}</td>
                    <td class="small">{up}</td>
                    <td class="small">{down}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table lineage-list" data-test="lineage-list">
            <thead><tr><th>"Dataset or job"</th><th>"What"</th><th>"From (read from / written by)"</th><th>"To (read by / writes)"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
