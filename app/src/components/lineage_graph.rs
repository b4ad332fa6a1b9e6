//! The server-rendered picture of the lineage graph: pure geometry and words (where each edge runs, what
//! each node says and links to, how it is styled) from the positions the server's layout gave
//! (`weir_engine::lineage::layout`), and the `LineageSvg` component that draws them. The picture keeps its
//! natural size (the page scrolls it), so it stays readable with hundreds of nodes; it needs no JavaScript.

use std::collections::HashMap;

use leptos::prelude::*;
use weir_model::lineage::{DatasetId, LineageGraph, LineageNode, LineageNodeKind, NodePosition};

/// Roughly how wide a character of a node's text is (12px system font), to cut labels that do not fit.
const CHAR_WIDTH: f64 = 6.6;
/// The text's padding inside a node.
const PADDING: f64 = 8.0;

/// One node as drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeShape {
    pub id: String,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    /// `node dataset|job|hidden`, plus `start` (where the walk started) and `undeployed` (a job saved but
    /// deployed nowhere).
    pub class: String,
    /// Where the node leads: a job's Lineage tab, a dataset's own graph; none for "another namespace".
    pub href: Option<String>,
    /// The first line (the label, cut to fit) and the second (namespace, versions, ...).
    pub title: String,
    pub subtitle: String,
    /// Everything, uncut (the SVG `<title>`: a tooltip, and what screen readers say).
    pub tooltip: String,
}

/// One edge as drawn: a curve from the right side of `from` to the left side of `to`.
#[derive(Clone, Debug, PartialEq)]
pub struct EdgeShape {
    pub from: String,
    pub to: String,
    /// SVG path data.
    pub d: String,
    /// `edge`, plus `start` when it touches the start node.
    pub class: String,
}

/// The whole picture.
#[derive(Clone, Debug, PartialEq)]
pub struct Picture {
    pub width: f64,
    pub height: f64,
    pub nodes: Vec<NodeShape>,
    pub edges: Vec<EdgeShape>,
}

/// The id of the node a graph query starts from: `dataset:<namespace|name>` or `job:<namespace/job>`.
pub fn start_node_id(dataset: &str, job: &str) -> Option<String> {
    let (dataset, job) = (dataset.trim(), job.trim());
    if !dataset.is_empty() {
        DatasetId::parse(dataset).map(|d| format!("dataset:{}", d.key()))
    } else if !job.is_empty() {
        Some(format!("job:{job}"))
    } else {
        None
    }
}

/// A value for a URL's query (everything but unreserved characters percent-encoded).
pub fn query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A URL path segment (namespace and job names), percent-encoded as a query value is.
fn segment(s: &str) -> String {
    query_value(s)
}

/// The Lineage page of a dataset: `/lineage?dataset=<namespace|name>`.
pub fn dataset_href(key: &str) -> String {
    format!("/lineage?dataset={}", query_value(key))
}

/// A job's Lineage tab; with the version when every environment runs the same one (else the tab's default,
/// the latest).
pub fn job_href(node: &LineageNode) -> Option<String> {
    let (ns, job) = (node.namespace.as_deref()?, node.job.as_deref()?);
    let mut href = format!("/jobs/{}/{}?tab=lineage", segment(ns), segment(job));
    let first = node.versions.first().map(|v| v.version);
    if let Some(v) = first.filter(|v| node.versions.iter().all(|r| r.version == *v)) {
        href.push_str(&format!("&version={v}"));
    }
    Some(href)
}

/// What a job node says under its name: the version each environment runs, or that it runs nowhere.
pub fn job_versions(node: &LineageNode) -> String {
    if !node.deployed {
        return match node.versions.first() {
            Some(v) => format!("saved, not deployed (v{})", v.version),
            None => "saved, not deployed".into(),
        };
    }
    node.versions
        .iter()
        .map(|v| match &v.environment {
            Some(env) => format!("v{} in {env}", v.version),
            None => format!("v{}", v.version),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `text` cut to `max` characters with an ellipsis; `keep_end`: keep the end (a path's last part says most).
pub fn fit(text: &str, max: usize, keep_end: bool) -> String {
    let count = text.chars().count();
    if count <= max || max == 0 {
        return text.to_owned();
    }
    let keep = max.saturating_sub(1);
    if keep_end {
        let tail: String = text.chars().skip(count - keep).collect();
        format!("…{tail}")
    } else {
        let head: String = text.chars().take(keep).collect();
        format!("{head}…")
    }
}

/// How many characters fit on a line of a node this wide.
fn chars_for(width: f64) -> usize {
    (((width - 2.0 * PADDING) / CHAR_WIDTH).floor().max(4.0)) as usize
}

/// One node's shape, words and link.
fn node_shape(node: &LineageNode, at: NodePosition, start: Option<&str>) -> NodeShape {
    let max = chars_for(at.width);
    let mut class = format!("node {}", node.kind.as_str());
    if start == Some(node.id.as_str()) {
        class.push_str(" start");
    }
    let (title, subtitle, href, tooltip) = match node.kind {
        LineageNodeKind::Dataset => {
            let (namespace, key) = node.dataset.as_ref().map(|d| (d.namespace.clone(), d.key())).unwrap_or_default();
            let mut tooltip = format!("dataset {key}");
            if !node.tables.is_empty() {
                tooltip.push_str(&format!("\ntables: {}", node.tables.join(", ")));
            }
            let href = (!key.is_empty()).then(|| dataset_href(&key));
            (fit(&node.label, max, true), fit(&namespace, max, false), href, tooltip)
        }
        LineageNodeKind::Job => {
            if !node.deployed {
                class.push_str(" undeployed");
            }
            let versions = job_versions(node);
            let tooltip = format!("job {}\n{versions}", node.label);
            (fit(&node.label, max, false), fit(&versions, max, false), job_href(node), tooltip)
        }
        LineageNodeKind::Hidden => {
            let subtitle = "jobs you may not read".to_owned();
            let tooltip = format!("{}: {subtitle}", node.label);
            (fit(&node.label, max, false), fit(&subtitle, max, false), None, tooltip)
        }
    };
    NodeShape {
        id: node.id.clone(),
        x: at.x,
        y: at.y,
        width: at.width,
        height: at.height,
        class,
        href,
        title,
        subtitle,
        tooltip,
    }
}

/// A curve from the middle of `from`'s right side to the middle of `to`'s left side.
pub fn edge_path(from: NodePosition, to: NodePosition) -> String {
    let (x1, y1) = (from.x + from.width, from.y + from.height / 2.0);
    let (x2, y2) = (to.x, to.y + to.height / 2.0);
    let bend = ((x2 - x1).abs() / 2.0).max(30.0);
    format!("M{x1:.1} {y1:.1} C{:.1} {y1:.1} {:.1} {y2:.1} {x2:.1} {y2:.1}", x1 + bend, x2 - bend)
}

/// Everything the picture draws, from the server's positions; nodes without a position are left out (and
/// the edges touching them), as is an edge whose ends are not both shown.
pub fn picture(graph: &LineageGraph, start: Option<&str>) -> Picture {
    let positions: HashMap<&str, NodePosition> =
        graph.nodes.iter().filter_map(|n| Some((n.id.as_str(), n.position?))).collect();
    let nodes = graph
        .nodes
        .iter()
        .filter_map(|n| Some(node_shape(n, n.position?, start)))
        .collect();
    let edges = graph
        .edges
        .iter()
        .filter_map(|e| {
            let (from, to) = (*positions.get(e.from.as_str())?, *positions.get(e.to.as_str())?);
            let touches_start = start.is_some_and(|s| s == e.from || s == e.to);
            Some(EdgeShape {
                from: e.from.clone(),
                to: e.to.clone(),
                d: edge_path(from, to),
                class: if touches_start { "edge start".into() } else { "edge".into() },
            })
        })
        .collect();
    let (width, height) = graph.size.unwrap_or_else(|| {
        positions.values().fold((0.0, 0.0), |(w, h), p| (f64::max(w, p.x + p.width + 16.0), f64::max(h, p.y + p.height + 16.0)))
    });
    Picture { width, height, nodes, edges }
}

/// The graph as an inline SVG at its natural size (put it in a scrolling container).
#[component]
pub fn LineageSvg(graph: LineageGraph, start: Option<String>) -> impl IntoView {
    let p = picture(&graph, start.as_deref());
    let edges = p
        .edges
        .into_iter()
        .map(|e| {
            view! {
                <path class=e.class d=e.d data-from=e.from data-to=e.to marker-end="url(#lineage-arrow)"></path>
            }
        })
        .collect_view();
    let nodes = p
        .nodes
        .into_iter()
        .map(|n| {
            let (tx, ty1, ty2) = (n.x + PADDING, n.y + n.height / 2.0 - 3.0, n.y + n.height / 2.0 + 13.0);
            let body = view! {
                <g>
                    <title>{n.tooltip}</title>
                    <rect x=n.x.to_string() y=n.y.to_string() width=n.width.to_string() height=n.height.to_string() rx="7" ry="7"></rect>
                    <text class="node-title" x=tx.to_string() y=ty1.to_string()>{n.title}</text>
                    <text class="node-sub" x=tx.to_string() y=ty2.to_string()>{n.subtitle}</text>
                </g>
            };
            match n.href {
                Some(href) => view! { <g class=n.class data-node=n.id><a href=href>{body}</a></g> }.into_any(),
                None => view! { <g class=n.class data-node=n.id>{body}</g> }.into_any(),
            }
        })
        .collect_view();
    view! {
        <svg
            class="lineage-svg"
            width=p.width.ceil().to_string()
            height=p.height.ceil().to_string()
            viewBox=format!("0 0 {} {}", p.width.ceil(), p.height.ceil())
            role="img"
            aria-label="Lineage graph"
            data-test="lineage-svg"
        >
            <defs>
                <marker id="lineage-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M0 0 L10 5 L0 10 z"></path>
                </marker>
            </defs>
            <g class="edges">{edges}</g>
            <g class="nodes">{nodes}</g>
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_model::lineage::{LineageEdge, RunningVersion};

    fn at(x: f64, y: f64) -> Option<NodePosition> {
        Some(NodePosition { x, y, width: 220.0, height: 46.0 })
    }

    fn dataset(ns: &str, name: &str, x: f64, y: f64) -> LineageNode {
        let id = DatasetId { namespace: ns.into(), name: name.into() };
        LineageNode {
            id: format!("dataset:{}", id.key()),
            kind: LineageNodeKind::Dataset,
            label: name.into(),
            dataset: Some(id),
            namespace: None,
            job: None,
            versions: vec![],
            deployed: false,
            tables: vec!["default_catalog.default_database.orders".into()],
            depth: 0,
            position: at(x, y),
        }
    }

    fn job(ns: &str, name: &str, versions: Vec<RunningVersion>, deployed: bool, x: f64) -> LineageNode {
        LineageNode {
            id: format!("job:{ns}/{name}"),
            kind: LineageNodeKind::Job,
            label: format!("{ns}/{name}"),
            dataset: None,
            namespace: Some(ns.into()),
            job: Some(name.into()),
            versions,
            deployed,
            tables: vec![],
            depth: 1,
            position: at(x, 16.0),
        }
    }

    fn graph() -> LineageGraph {
        let running = vec![
            RunningVersion { environment: Some("dev".into()), version: 3 },
            RunningVersion { environment: Some("prod".into()), version: 2 },
        ];
        let nodes = vec![
            dataset("kafka://broker:9092", "orders", 16.0, 16.0),
            job("team", "enrich", running, true, 326.0),
            job("team", "draft", vec![RunningVersion { environment: None, version: 4 }], false, 326.0),
            dataset("file", "/data/warehouse/very/long/path/to/the/enriched_orders", 636.0, 16.0),
            LineageNode {
                id: "hidden:file|/x:downstream".into(),
                kind: LineageNodeKind::Hidden,
                label: "another namespace".into(),
                dataset: None,
                namespace: None,
                job: None,
                versions: vec![],
                deployed: false,
                tables: vec![],
                depth: 2,
                position: Some(NodePosition { x: 946.0, y: 16.0, width: 176.0, height: 46.0 }),
            },
        ];
        let edge = |from: &str, to: &str| LineageEdge { from: from.into(), to: to.into(), columns: Default::default() };
        LineageGraph {
            edges: vec![
                edge("dataset:kafka://broker:9092|orders", "job:team/enrich"),
                edge("job:team/enrich", "dataset:file|/data/warehouse/very/long/path/to/the/enriched_orders"),
                edge("job:team/gone", "job:team/enrich"),
            ],
            nodes,
            truncated: false,
            size: Some((1138.0, 78.0)),
        }
    }

    #[test]
    fn edges_run_from_the_right_side_to_the_left_side_and_skip_missing_nodes() {
        let p = picture(&graph(), None);
        assert_eq!(p.edges.len(), 2, "the edge to a node not shown is left out");
        assert!(p.edges[0].d.starts_with("M236.0 39.0 C"), "{}", p.edges[0].d);
        assert!(p.edges[0].d.ends_with(" 326.0 39.0"), "{}", p.edges[0].d);
        assert_eq!((p.width, p.height), (1138.0, 78.0), "the natural size");
    }

    #[test]
    fn nodes_say_what_they_are_and_link_where_they_lead() {
        let p = picture(&graph(), Some("dataset:kafka://broker:9092|orders"));
        let by = |id: &str| p.nodes.iter().find(|n| n.id == id).cloned().expect(id);
        let orders = by("dataset:kafka://broker:9092|orders");
        assert_eq!(orders.class, "node dataset start");
        assert_eq!(orders.href.as_deref(), Some("/lineage?dataset=kafka%3A%2F%2Fbroker%3A9092%7Corders"));
        assert_eq!(orders.subtitle, "kafka://broker:9092");
        assert!(orders.tooltip.contains("tables: default_catalog.default_database.orders"));
        let enrich = by("job:team/enrich");
        assert_eq!(enrich.class, "node job");
        assert_eq!(enrich.subtitle, "v3 in dev, v2 in prod");
        assert_eq!(enrich.href.as_deref(), Some("/jobs/team/enrich?tab=lineage"), "two versions run: the tab's default");
        let draft = by("job:team/draft");
        assert_eq!(draft.class, "node job undeployed");
        assert_eq!(draft.subtitle, "saved, not deployed (v4)");
        assert_eq!(draft.href.as_deref(), Some("/jobs/team/draft?tab=lineage&version=4"));
        let long = by("dataset:file|/data/warehouse/very/long/path/to/the/enriched_orders");
        assert!(long.title.starts_with('…') && long.title.ends_with("enriched_orders"), "{}", long.title);
        assert!(long.title.chars().count() <= chars_for(220.0));
        let hidden = by("hidden:file|/x:downstream");
        assert_eq!(hidden.class, "node hidden");
        assert_eq!(hidden.href, None);
        assert_eq!(p.edges[0].class, "edge start");
        assert_eq!(p.edges[1].class, "edge");
    }

    #[test]
    fn the_picture_renders_at_its_natural_size_with_links_and_arrows() {
        let owner = Owner::new();
        let html = owner.with(|| view! { <LineageSvg graph=graph() start=Some("job:team/enrich".into())/> }.to_html());
        assert!(html.contains("<svg") && html.contains(r#"width="1138""#) && html.contains(r#"height="78""#), "{html}");
        assert!(html.contains("/jobs/team/draft?tab=lineage"), "{html}");
        assert!(html.contains("/lineage?dataset=kafka%3A%2F%2Fbroker%3A9092%7Corders"), "{html}");
        assert!(html.contains(r#"marker-end="url(#lineage-arrow)""#), "{html}");
        assert!(html.contains(r#"class="node job start""#) && html.contains(r#"class="node job undeployed""#), "{html}");
        assert!(html.contains("saved, not deployed (v4)"), "{html}");
    }

    #[test]
    fn the_start_node_is_named_from_the_query() {
        assert_eq!(start_node_id(" file | /a ", ""), Some("dataset:file|/a".into()));
        assert_eq!(start_node_id("no-bar", ""), None);
        assert_eq!(start_node_id("", "team/j"), Some("job:team/j".into()));
        assert_eq!(start_node_id("", " "), None);
    }

    #[test]
    fn labels_are_cut_to_fit() {
        assert_eq!(fit("abcdef", 4, false), "abc…");
        assert_eq!(fit("abcdef", 4, true), "…def");
        assert_eq!(fit("abc", 4, true), "abc");
        assert_eq!(query_value("a b|c/é"), "a%20b%7Cc%2F%C3%A9");
    }
}
