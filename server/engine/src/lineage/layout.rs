//! Where the graph's nodes go: a layered (Sugiyama) layout from the `rust-sugiyama` crate, turned to run left
//! to right (upstream on the left), its disconnected parts stacked top to bottom. Computed on the server so
//! the page draws the same picture with or without JavaScript.

use std::collections::HashMap;

use rust_sugiyama::configure::Config;
use weir_model::lineage::{LineageGraph, LineageNodeKind, NodePosition};

/// A node's box, in the picture's units (CSS pixels).
pub const NODE_WIDTH: f64 = 220.0;
pub const NODE_HEIGHT: f64 = 46.0;
/// Gap between layers (left to right) and between nodes of one layer.
const LAYER_GAP: f64 = 90.0;
const NODE_GAP: f64 = 18.0;
const MARGIN: f64 = 16.0;

/// Fills every node's position and the picture's size.
pub fn place(graph: &mut LineageGraph) {
    if graph.nodes.is_empty() {
        graph.size = Some((0.0, 0.0));
        return;
    }
    let index: HashMap<&str, u32> = graph.nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i as u32)).collect();
    let vertices: Vec<(u32, (f64, f64))> = (0..graph.nodes.len() as u32).map(|i| (i, (1.0, 1.0))).collect();
    let edges: Vec<(u32, u32)> = graph
        .edges
        .iter()
        .filter_map(|e| Some((*index.get(e.from.as_str())?, *index.get(e.to.as_str())?)))
        .collect();
    let config = Config { vertex_spacing: 1.0, dummy_vertices: true, ..Config::default() };
    // The crate lays out top to bottom in layers; its x is the place in a layer, its y the layer.
    let layouts = std::panic::catch_unwind(|| rust_sugiyama::from_vertices_and_edges(&vertices, &edges, &config));
    let mut placed: HashMap<usize, (f64, f64)> = HashMap::new();
    let mut offset = 0.0;
    match layouts {
        Ok(layouts) => {
            for (points, _, _) in layouts {
                // The crate's coordinates are in its own units: keep their order, one slot per distinct value
                // (nodes that share an x stay aligned across layers), one column per distinct layer.
                let rank = |values: Vec<f64>| {
                    let mut v: Vec<i64> = values.into_iter().map(|f| (f * 1000.0).round() as i64).collect();
                    v.sort_unstable();
                    v.dedup();
                    v
                };
                let xs = rank(points.iter().map(|(_, (x, _))| *x).collect());
                let ys = rank(points.iter().map(|(_, (_, y))| *y).collect());
                let index = |v: &[i64], f: f64| v.binary_search(&((f * 1000.0).round() as i64)).unwrap_or(0) as f64;
                for (id, (x, y)) in points {
                    placed.insert(id, (index(&ys, y), offset + index(&xs, x)));
                }
                offset += xs.len() as f64;
            }
        }
        Err(_) => tracing::warn!("graph layout failed; nodes are listed by depth"),
    }
    // Anything the layout left out (or all of it, had it failed): by depth, below the rest.
    let mut per_depth: HashMap<u32, f64> = HashMap::new();
    for (i, node) in graph.nodes.iter().enumerate() {
        placed.entry(i).or_insert_with(|| {
            let slot = per_depth.entry(node.depth).or_insert(offset);
            *slot += 1.0;
            (node.depth as f64, *slot - 1.0)
        });
    }
    let (mut width, mut height) = (0.0f64, 0.0f64);
    for (i, node) in graph.nodes.iter_mut().enumerate() {
        let (layer, slot) = placed.get(&i).copied().unwrap_or_default();
        let x = MARGIN + layer.round() * (NODE_WIDTH + LAYER_GAP);
        let y = MARGIN + slot * (NODE_HEIGHT + NODE_GAP);
        let w = if node.kind == LineageNodeKind::Hidden { NODE_WIDTH * 0.8 } else { NODE_WIDTH };
        node.position = Some(NodePosition { x, y, width: w, height: NODE_HEIGHT });
        width = width.max(x + w + MARGIN);
        height = height.max(y + NODE_HEIGHT + MARGIN);
    }
    graph.size = Some((width, height));
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_model::lineage::{LineageEdge, LineageNode};

    fn node(id: &str, kind: LineageNodeKind) -> LineageNode {
        LineageNode {
            id: id.into(),
            kind,
            label: id.into(),
            dataset: None,
            namespace: None,
            job: None,
            versions: vec![],
            deployed: false,
            tables: vec![],
            depth: 0,
            position: None,
        }
    }

    fn edge(from: &str, to: &str) -> LineageEdge {
        LineageEdge { from: from.into(), to: to.into(), columns: Default::default() }
    }

    #[test]
    fn upstream_is_left_of_downstream_and_nothing_overlaps() {
        let mut g = LineageGraph {
            nodes: vec![
                node("a", LineageNodeKind::Dataset),
                node("j", LineageNodeKind::Job),
                node("b", LineageNodeKind::Dataset),
                node("c", LineageNodeKind::Dataset),
                node("alone", LineageNodeKind::Job),
            ],
            edges: vec![edge("a", "j"), edge("j", "b"), edge("j", "c")],
            ..Default::default()
        };
        place(&mut g);
        let pos = |id: &str| g.nodes.iter().find(|n| n.id == id).unwrap().position.unwrap();
        assert!(pos("a").x < pos("j").x && pos("j").x < pos("b").x);
        assert_eq!(pos("b").x, pos("c").x, "one layer");
        for (i, a) in g.nodes.iter().enumerate() {
            for b in &g.nodes[i + 1..] {
                let (p, q) = (a.position.unwrap(), b.position.unwrap());
                let apart = p.x + p.width <= q.x || q.x + q.width <= p.x || p.y + p.height <= q.y || q.y + q.height <= p.y;
                assert!(apart, "{} and {} overlap: {p:?} {q:?}", a.id, b.id);
            }
        }
        let (w, h) = g.size.unwrap();
        assert!(g.nodes.iter().all(|n| n.position.unwrap().x + n.position.unwrap().width <= w));
        assert!(g.nodes.iter().all(|n| n.position.unwrap().y + n.position.unwrap().height <= h));
    }

    #[test]
    fn two_hundred_nodes_are_placed_quickly_enough_to_draw() {
        // A fan of 40 jobs, each reading one of 40 sources and writing 4 sinks: 240 nodes.
        let mut g = LineageGraph::default();
        for j in 0..40 {
            g.nodes.push(node(&format!("s{j}"), LineageNodeKind::Dataset));
            g.nodes.push(node(&format!("j{j}"), LineageNodeKind::Job));
            g.edges.push(edge(&format!("s{j}"), &format!("j{j}")));
            for k in 0..4 {
                g.nodes.push(node(&format!("o{j}.{k}"), LineageNodeKind::Dataset));
                g.edges.push(edge(&format!("j{j}"), &format!("o{j}.{k}")));
            }
        }
        place(&mut g);
        assert!(g.nodes.iter().all(|n| n.position.is_some()));
        let mut seen = std::collections::HashSet::new();
        for n in &g.nodes {
            let p = n.position.unwrap();
            assert!(seen.insert(((p.x * 10.0) as i64, (p.y * 10.0) as i64)), "two nodes at one place");
        }
    }
}
