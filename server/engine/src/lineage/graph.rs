//! The cross-job lineage graph: from the lineage of what each environment runs (and of jobs saved but deployed
//! nowhere), the datasets and jobs upstream and/or downstream of a dataset or job, up to a depth in job hops.
//! Jobs of namespaces the caller may not read are never shown: a dataset they touch gets an edge to "another
//! namespace". Pure: the engine gathers the lineage and the caller's namespaces, this decides what is shown.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use weir_model::lineage::{
    ColumnSource, DatasetId, LineageDirection, LineageEdge, LineageGraph, LineageNode, LineageNodeKind,
    RunningVersion, VersionLineage,
};

/// Most nodes one answer holds; beyond, the walk stops and says `truncated`.
pub const MAX_NODES: usize = 2000;

/// One version of a job in use: what an environment runs, or (no environment) the latest saved version of a
/// job deployed nowhere.
#[derive(Clone, Debug)]
pub struct JobVersionLineage {
    pub namespace: String,
    pub job: String,
    pub version: i32,
    pub environment: Option<String>,
    pub lineage: Arc<VersionLineage>,
}

/// Where a walk starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Start {
    Dataset(DatasetId),
    Job { namespace: String, job: String },
    /// Every visible job and dataset.
    Everything,
}

pub fn job_node_id(namespace: &str, job: &str) -> String {
    format!("job:{namespace}/{job}")
}

pub fn dataset_node_id(id: &DatasetId) -> String {
    format!("dataset:{}", id.key())
}

/// One job, all its versions in use merged.
struct JobEntry {
    namespace: String,
    job: String,
    visible: bool,
    versions: Vec<RunningVersion>,
    deployed: bool,
    inputs: BTreeSet<DatasetId>,
    outputs: BTreeMap<DatasetId, BTreeMap<String, Vec<ColumnSource>>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Way {
    Up,
    Down,
}

/// Builds the graph. `visible(namespace)` says whether the caller may read a namespace.
pub fn build(
    entries: &[JobVersionLineage],
    visible: &dyn Fn(&str) -> bool,
    start: &Start,
    direction: LineageDirection,
    depth: u32,
) -> LineageGraph {
    // Jobs, merged over their versions in use.
    let mut jobs: Vec<JobEntry> = Vec::new();
    let mut job_index: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut tables: BTreeMap<DatasetId, BTreeSet<String>> = BTreeMap::new();
    for e in entries {
        let at = *job_index.entry((e.namespace.clone(), e.job.clone())).or_insert_with(|| {
            jobs.push(JobEntry {
                namespace: e.namespace.clone(),
                job: e.job.clone(),
                visible: visible(&e.namespace),
                versions: Vec::new(),
                deployed: false,
                inputs: BTreeSet::new(),
                outputs: BTreeMap::new(),
            });
            jobs.len() - 1
        });
        let j = &mut jobs[at];
        j.deployed |= e.environment.is_some();
        j.versions.push(RunningVersion { environment: e.environment.clone(), version: e.version });
        for i in &e.lineage.inputs {
            let id = DatasetId { namespace: i.namespace.clone(), name: i.name.clone() };
            if j.visible && !i.table.is_empty() {
                tables.entry(id.clone()).or_default().insert(i.table.clone());
            }
            j.inputs.insert(id);
        }
        for o in &e.lineage.outputs {
            let id = DatasetId { namespace: o.namespace.clone(), name: o.name.clone() };
            if j.visible && !o.table.is_empty() {
                tables.entry(id.clone()).or_default().insert(o.table.clone());
            }
            let columns = j.outputs.entry(id).or_default();
            for (column, sources) in &o.columns {
                let merged = columns.entry(column.clone()).or_default();
                for s in sources {
                    if !merged.contains(s) {
                        merged.push(s.clone());
                    }
                }
            }
        }
    }
    let mut readers: BTreeMap<&DatasetId, Vec<usize>> = BTreeMap::new();
    let mut writers: BTreeMap<&DatasetId, Vec<usize>> = BTreeMap::new();
    for (at, j) in jobs.iter().enumerate() {
        for d in &j.inputs {
            readers.entry(d).or_default().push(at);
        }
        for d in j.outputs.keys() {
            writers.entry(d).or_default().push(at);
        }
    }

    let mut walk = Walk { datasets: BTreeMap::new(), jobs: BTreeMap::new(), hidden: BTreeSet::new(), truncated: false };
    let ways: &[Way] = match direction {
        LineageDirection::Upstream => &[Way::Up],
        LineageDirection::Downstream => &[Way::Down],
        LineageDirection::Both => &[Way::Up, Way::Down],
    };
    match start {
        Start::Everything => {
            for (at, j) in jobs.iter().enumerate() {
                if !j.visible {
                    continue;
                }
                walk.job(at, 0);
                for d in j.inputs.iter().chain(j.outputs.keys()) {
                    walk.dataset(d, 0);
                }
            }
            // Hidden jobs next to what is shown.
            for j in jobs.iter().filter(|j| !j.visible) {
                for d in &j.inputs {
                    if walk.datasets.contains_key(d) {
                        walk.hidden.insert((d.clone(), true));
                    }
                }
                for d in j.outputs.keys() {
                    if walk.datasets.contains_key(d) {
                        walk.hidden.insert((d.clone(), false));
                    }
                }
            }
        }
        Start::Dataset(id) => {
            walk.dataset(id, 0);
            for &way in ways {
                let mut queue = VecDeque::from([(Key::Dataset(id.clone()), 0u32)]);
                walk.run(&mut queue, way, depth, &jobs, &readers, &writers);
            }
        }
        Start::Job { namespace, job } => {
            if let Some(&at) = job_index.get(&(namespace.clone(), job.clone())) {
                if jobs[at].visible {
                    walk.job(at, 0);
                    for &way in ways {
                        let mut queue = VecDeque::from([(Key::Job(at), 0u32)]);
                        walk.run(&mut queue, way, depth, &jobs, &readers, &writers);
                    }
                }
            }
        }
    }

    // Nodes.
    let mut graph = LineageGraph { truncated: walk.truncated, ..Default::default() };
    for (d, &depth) in walk.datasets.iter().take(MAX_NODES) {
        graph.nodes.push(LineageNode {
            id: dataset_node_id(d),
            kind: LineageNodeKind::Dataset,
            // A table local to its job is best known by its own name.
            label: if d.namespace.starts_with("weir://") {
                d.name.rsplit('.').next().unwrap_or(&d.name).to_owned()
            } else {
                d.name.clone()
            },
            dataset: Some(d.clone()),
            namespace: None,
            job: None,
            versions: Vec::new(),
            deployed: false,
            tables: tables.get(d).map(|t| t.iter().cloned().collect()).unwrap_or_default(),
            depth,
            position: None,
        });
    }
    for (&at, &depth) in walk.jobs.iter().take(MAX_NODES.saturating_sub(graph.nodes.len())) {
        let j = &jobs[at];
        let mut versions = j.versions.clone();
        versions.sort_by(|a, b| a.environment.cmp(&b.environment).then(a.version.cmp(&b.version)));
        graph.nodes.push(LineageNode {
            id: job_node_id(&j.namespace, &j.job),
            kind: LineageNodeKind::Job,
            label: format!("{}/{}", j.namespace, j.job),
            dataset: None,
            namespace: Some(j.namespace.clone()),
            job: Some(j.job.clone()),
            versions,
            deployed: j.deployed,
            tables: Vec::new(),
            depth,
            position: None,
        });
    }
    for (d, reads) in &walk.hidden {
        let depth = walk.datasets.get(d).copied().unwrap_or(0) + 1;
        let id = format!("hidden:{}:{}", d.key(), if *reads { "downstream" } else { "upstream" });
        graph.nodes.push(LineageNode {
            id: id.clone(),
            kind: LineageNodeKind::Hidden,
            label: "another namespace".into(),
            dataset: None,
            namespace: None,
            job: None,
            versions: Vec::new(),
            deployed: false,
            tables: Vec::new(),
            depth,
            position: None,
        });
        let (from, to) = if *reads { (dataset_node_id(d), id) } else { (id, dataset_node_id(d)) };
        graph.edges.push(LineageEdge { from, to, columns: BTreeMap::new() });
    }
    let shown: BTreeSet<String> = graph.nodes.iter().map(|n| n.id.clone()).collect();
    // Edges among what is shown.
    for &at in walk.jobs.keys() {
        let j = &jobs[at];
        let job_id = job_node_id(&j.namespace, &j.job);
        if !shown.contains(&job_id) {
            continue;
        }
        for d in &j.inputs {
            let from = dataset_node_id(d);
            if shown.contains(&from) {
                graph.edges.push(LineageEdge { from, to: job_id.clone(), columns: BTreeMap::new() });
            }
        }
        for (d, columns) in &j.outputs {
            let to = dataset_node_id(d);
            if shown.contains(&to) {
                graph.edges.push(LineageEdge { from: job_id.clone(), to, columns: columns.clone() });
            }
        }
    }
    graph
}

#[derive(Clone)]
enum Key {
    Dataset(DatasetId),
    Job(usize),
}

struct Walk {
    datasets: BTreeMap<DatasetId, u32>,
    jobs: BTreeMap<usize, u32>,
    /// (dataset, true: a hidden job reads it / false: writes it).
    hidden: BTreeSet<(DatasetId, bool)>,
    truncated: bool,
}

impl Walk {
    fn full(&self) -> bool {
        self.datasets.len() + self.jobs.len() >= MAX_NODES
    }

    /// Adds a dataset; false when it was there already.
    fn dataset(&mut self, d: &DatasetId, depth: u32) -> bool {
        if self.datasets.contains_key(d) {
            return false;
        }
        if self.full() {
            self.truncated = true;
            return false;
        }
        self.datasets.insert(d.clone(), depth);
        true
    }

    fn job(&mut self, at: usize, depth: u32) -> bool {
        if self.jobs.contains_key(&at) {
            return false;
        }
        if self.full() {
            self.truncated = true;
            return false;
        }
        self.jobs.insert(at, depth);
        true
    }

    /// Breadth first from the queue's keys, one way.
    fn run(
        &mut self,
        queue: &mut VecDeque<(Key, u32)>,
        way: Way,
        max_depth: u32,
        jobs: &[JobEntry],
        readers: &BTreeMap<&DatasetId, Vec<usize>>,
        writers: &BTreeMap<&DatasetId, Vec<usize>>,
    ) {
        let mut seen: BTreeSet<(bool, String)> = BTreeSet::new();
        while let Some((key, depth)) = queue.pop_front() {
            match key {
                Key::Dataset(d) => {
                    if !seen.insert((true, d.key())) {
                        continue;
                    }
                    let next = match way {
                        Way::Down => readers.get(&d),
                        Way::Up => writers.get(&d),
                    };
                    for &at in next.into_iter().flatten() {
                        if depth >= max_depth {
                            if !self.jobs.contains_key(&at) {
                                self.truncated = true;
                            }
                            continue;
                        }
                        if !jobs[at].visible {
                            self.hidden.insert((d.clone(), way == Way::Down));
                            continue;
                        }
                        self.job(at, depth + 1);
                        queue.push_back((Key::Job(at), depth + 1));
                    }
                }
                Key::Job(at) => {
                    if !seen.insert((false, at.to_string())) {
                        continue;
                    }
                    let j = &jobs[at];
                    let next: Vec<&DatasetId> = match way {
                        Way::Down => j.outputs.keys().collect(),
                        Way::Up => j.inputs.iter().collect(),
                    };
                    for d in next {
                        self.dataset(d, depth);
                        queue.push_back((Key::Dataset(d.clone()), depth));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_model::lineage::{LineageInput, LineageOutput, LineageSubtype, LineageType};

    fn ds(name: &str) -> DatasetId {
        DatasetId { namespace: "file".into(), name: name.into() }
    }

    fn version(ns: &str, job: &str, env: Option<&str>, reads: &[&str], writes: &[&str]) -> JobVersionLineage {
        let input = |n: &&str| LineageInput {
            namespace: "file".into(),
            name: (*n).into(),
            table: format!("t_{}", n.trim_start_matches('/')),
            connector: "filesystem".into(),
            options: Default::default(),
            fields: vec![],
        };
        let output = |n: &&str| LineageOutput {
            namespace: "file".into(),
            name: (*n).into(),
            table: format!("t_{}", n.trim_start_matches('/')),
            connector: "filesystem".into(),
            options: Default::default(),
            fields: vec![],
            columns: reads
                .first()
                .map(|r| {
                    let s = ColumnSource {
                        namespace: "file".into(),
                        name: (*r).into(),
                        field: "id".into(),
                        kind: LineageType::Direct,
                        subtype: LineageSubtype::Identity,
                        description: "id".into(),
                    };
                    [("id".to_owned(), vec![s])].into_iter().collect()
                })
                .unwrap_or_default(),
            dataset: vec![],
            lines: vec![],
        };
        JobVersionLineage {
            namespace: ns.into(),
            job: job.into(),
            version: 1,
            environment: env.map(str::to_owned),
            lineage: Arc::new(VersionLineage {
                inputs: reads.iter().map(input).collect(),
                outputs: writes.iter().map(output).collect(),
            }),
        }
    }

    /// a -> [A] -> b -> [B] -> c -> [C] -> d, and [X] (hidden ns) reads b, [Y] (hidden ns) writes a.
    fn chain() -> Vec<JobVersionLineage> {
        vec![
            version("team", "A", Some("prod"), &["/a"], &["/b"]),
            version("team", "B", Some("prod"), &["/b"], &["/c"]),
            version("team", "C", None, &["/c"], &["/d"]),
            version("secret", "X", Some("prod"), &["/b"], &["/x"]),
            version("secret", "Y", Some("prod"), &["/y"], &["/a"]),
        ]
    }

    fn ids(g: &LineageGraph) -> Vec<&str> {
        let mut ids: Vec<&str> = g.nodes.iter().map(|n| n.id.as_str()).collect();
        ids.sort();
        ids
    }

    fn visible(ns: &str) -> bool {
        ns == "team"
    }

    #[test]
    fn walks_each_direction_up_to_the_depth() {
        let e = chain();
        let cases: &[(Start, LineageDirection, u32, &[&str], bool)] = &[
            (
                Start::Dataset(ds("/b")),
                LineageDirection::Downstream,
                1,
                &["dataset:file|/b", "dataset:file|/c", "hidden:file|/b:downstream", "job:team/B"],
                true,
            ),
            (
                Start::Dataset(ds("/b")),
                LineageDirection::Downstream,
                5,
                &["dataset:file|/b", "dataset:file|/c", "dataset:file|/d", "hidden:file|/b:downstream", "job:team/B", "job:team/C"],
                false,
            ),
            (
                Start::Dataset(ds("/b")),
                LineageDirection::Upstream,
                5,
                &["dataset:file|/a", "dataset:file|/b", "hidden:file|/a:upstream", "job:team/A"],
                false,
            ),
            (
                Start::Job { namespace: "team".into(), job: "B".into() },
                LineageDirection::Both,
                1,
                &["dataset:file|/a", "dataset:file|/b", "dataset:file|/c", "dataset:file|/d", "job:team/A", "job:team/B", "job:team/C"],
                true,
            ),
            // A hidden job is never a start, and never walked through.
            (Start::Job { namespace: "secret".into(), job: "X".into() }, LineageDirection::Both, 5, &[], false),
        ];
        for (start, direction, depth, want, truncated) in cases {
            let g = build(&e, &visible, start, *direction, *depth);
            assert_eq!(ids(&g), *want, "{start:?} {direction} {depth}");
            assert_eq!(g.truncated, *truncated, "{start:?} {direction} {depth}");
            for edge in &g.edges {
                assert!(g.nodes.iter().any(|n| n.id == edge.from) && g.nodes.iter().any(|n| n.id == edge.to), "{edge:?}");
            }
            assert!(!g.nodes.iter().any(|n| n.namespace.as_deref() == Some("secret")), "no hidden job shown");
        }
    }

    #[test]
    fn edges_carry_column_mappings_and_jobs_their_versions() {
        let e = chain();
        let g = build(&e, &visible, &Start::Dataset(ds("/c")), LineageDirection::Both, 1);
        let write = g.edges.iter().find(|e| e.from == "job:team/B" && e.to == "dataset:file|/c").unwrap();
        assert_eq!(write.columns["id"][0].name, "/b");
        assert!(g.edges.iter().any(|e| e.from == "dataset:file|/c" && e.to == "job:team/C"));
        let b = g.nodes.iter().find(|n| n.id == "job:team/B").unwrap();
        assert!(b.deployed);
        assert_eq!(b.versions, [RunningVersion { environment: Some("prod".into()), version: 1 }]);
        let c = g.nodes.iter().find(|n| n.id == "job:team/C").unwrap();
        assert!(!c.deployed, "saved, deployed nowhere");
        let d = g.nodes.iter().find(|n| n.id == "dataset:file|/c").unwrap();
        assert_eq!(d.tables, ["t_c"]);
    }

    #[test]
    fn two_jobs_naming_one_path_differently_meet() {
        let mut a = version("team", "writer", Some("prod"), &["/in"], &["/shared"]);
        let mut b = version("team", "reader", Some("prod"), &["/shared"], &["/out"]);
        Arc::make_mut(&mut a.lineage).outputs[0].table = "default_catalog.default_database.events_out".into();
        Arc::make_mut(&mut b.lineage).inputs[0].table = "default_catalog.default_database.events_in".into();
        let g = build(&[a, b], &visible, &Start::Everything, LineageDirection::Both, 0);
        let shared = g.nodes.iter().find(|n| n.id == "dataset:file|/shared").unwrap();
        assert_eq!(shared.tables.len(), 2, "both table names are aliases of the one dataset");
        assert!(g.edges.iter().any(|e| e.from == "job:team/writer" && e.to == "dataset:file|/shared"));
        assert!(g.edges.iter().any(|e| e.from == "dataset:file|/shared" && e.to == "job:team/reader"));
    }

    #[test]
    fn everything_shows_visible_jobs_and_marks_hidden_neighbours() {
        let e = chain();
        let g = build(&e, &visible, &Start::Everything, LineageDirection::Both, 0);
        let ids = ids(&g);
        assert!(ids.contains(&"job:team/A") && ids.contains(&"job:team/C"));
        assert!(ids.contains(&"hidden:file|/b:downstream") && ids.contains(&"hidden:file|/a:upstream"));
        assert!(!ids.contains(&"dataset:file|/x") && !ids.contains(&"dataset:file|/y"));
    }
}
