//! The resource graph: every address in forge.yaml or in state, with an edge `a → b`
//! when `a` depends on `b`. Built once, checked for cycles before anything runs, then
//! only read.
//!
//! Resources removed from forge.yaml but still in state stay in the graph, with the
//! dependencies state recorded, so their deletion is ordered like everything else.

pub mod action;
mod select;
pub mod walk;

use std::collections::{BTreeMap, BTreeSet};

use petgraph::Direction;
use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};

pub use select::{SelectError, Selection, matches};

use crate::addr::ResourceAddr;
use crate::config::{Problem, ProblemKind, Problems, Span};
use crate::expand::Declared;
use crate::state::State;

/// Where a node comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Declared in forge.yaml.
    Config,
    /// Only in state: removed from forge.yaml, to be deleted.
    Orphan,
}

/// The dependency graph of all resources.
#[derive(Debug, Clone)]
pub struct ResourceGraph {
    graph: DiGraph<ResourceAddr, ()>,
    index: BTreeMap<ResourceAddr, NodeIndex>,
    origin: BTreeMap<ResourceAddr, Origin>,
    order: Vec<ResourceAddr>,
}

impl ResourceGraph {
    /// Builds the graph of what `declared` declares plus the orphans in `state`,
    /// rejecting cycles.
    pub fn build(declared: &Declared, state: &State) -> Result<Self, Box<Problems>> {
        let mut graph = DiGraph::new();
        let mut index = BTreeMap::new();
        let mut origin = BTreeMap::new();
        for r in &declared.resources {
            index.insert(r.addr.clone(), graph.add_node(r.addr.clone()));
            origin.insert(r.addr.clone(), Origin::Config);
        }
        for addr in state.resources.keys() {
            if let Ok(a) = addr.parse::<ResourceAddr>()
                && !index.contains_key(&a)
            {
                index.insert(a.clone(), graph.add_node(a.clone()));
                origin.insert(a, Origin::Orphan);
            }
        }
        let mut edge_span: BTreeMap<(NodeIndex, NodeIndex), Option<Span>> = BTreeMap::new();
        for r in &declared.resources {
            let from = index[&r.addr];
            for d in &r.deps {
                if let Some(&to) = index.get(&d.target)
                    && !edge_span.contains_key(&(from, to))
                {
                    graph.add_edge(from, to, ());
                    edge_span.insert((from, to), d.span.or(Some(r.span)));
                }
            }
        }
        for (addr, r) in &state.resources {
            let Ok(a) = addr.parse::<ResourceAddr>() else {
                continue;
            };
            if origin.get(&a) != Some(&Origin::Orphan) {
                continue;
            }
            let from = index[&a];
            for d in &r.depends_on {
                if let Some(to) = d
                    .parse::<ResourceAddr>()
                    .ok()
                    .and_then(|t| index.get(&t).copied())
                    && !edge_span.contains_key(&(from, to))
                {
                    graph.add_edge(from, to, ());
                    edge_span.insert((from, to), None);
                }
            }
        }
        let cycles: Vec<Vec<NodeIndex>> = tarjan_scc(&graph)
            .into_iter()
            .filter(|c| c.len() > 1)
            .collect();
        if !cycles.is_empty() {
            let problems = cycles
                .iter()
                .map(|c| cycle_problem(&graph, c, &edge_span))
                .collect();
            return Err(Box::new(declared.problems(problems)));
        }
        // Dependencies first: reverse of the topological order of "depends on" edges.
        let mut order: Vec<ResourceAddr> = toposort(&graph, None)
            .unwrap_or_default()
            .into_iter()
            .map(|i| graph[i].clone())
            .collect();
        order.reverse();
        Ok(Self {
            graph,
            index,
            origin,
            order,
        })
    }

    /// All addresses, dependencies before dependents.
    pub fn order(&self) -> &[ResourceAddr] {
        &self.order
    }

    /// Whether the address is in the graph.
    pub fn contains(&self, addr: &ResourceAddr) -> bool {
        self.index.contains_key(addr)
    }

    /// Where the node comes from.
    pub fn origin(&self, addr: &ResourceAddr) -> Option<Origin> {
        self.origin.get(addr).copied()
    }

    /// What `addr` depends on directly.
    pub fn dependencies(&self, addr: &ResourceAddr) -> Vec<ResourceAddr> {
        self.neighbors(addr, Direction::Outgoing)
    }

    /// What depends on `addr` directly.
    pub fn dependents(&self, addr: &ResourceAddr) -> Vec<ResourceAddr> {
        self.neighbors(addr, Direction::Incoming)
    }

    fn neighbors(&self, addr: &ResourceAddr, dir: Direction) -> Vec<ResourceAddr> {
        let Some(&i) = self.index.get(addr) else {
            return vec![];
        };
        let mut out: Vec<ResourceAddr> = self
            .graph
            .neighbors_directed(i, dir)
            .map(|n| self.graph[n].clone())
            .collect();
        out.sort();
        out
    }

    /// `start` and everything it depends on, transitively.
    pub fn with_dependencies(&self, start: &BTreeSet<ResourceAddr>) -> BTreeSet<ResourceAddr> {
        self.closure(start, Direction::Outgoing)
    }

    /// `start` and everything that depends on it, transitively.
    pub fn with_dependents(&self, start: &BTreeSet<ResourceAddr>) -> BTreeSet<ResourceAddr> {
        self.closure(start, Direction::Incoming)
    }

    fn closure(&self, start: &BTreeSet<ResourceAddr>, dir: Direction) -> BTreeSet<ResourceAddr> {
        let mut seen = start.clone();
        let mut stack: Vec<ResourceAddr> = start.iter().cloned().collect();
        while let Some(a) = stack.pop() {
            for n in self.neighbors(&a, dir) {
                if seen.insert(n.clone()) {
                    stack.push(n);
                }
            }
        }
        seen
    }

    /// The graph in Graphviz DOT, each node labelled with its action if given.
    pub fn edges(&self) -> Vec<(ResourceAddr, ResourceAddr)> {
        let mut out: Vec<_> = self
            .graph
            .edge_indices()
            .filter_map(|e| self.graph.edge_endpoints(e))
            .map(|(a, b)| (self.graph[a].clone(), self.graph[b].clone()))
            .collect();
        out.sort();
        out
    }
}

fn cycle_problem(
    graph: &DiGraph<ResourceAddr, ()>,
    members: &[NodeIndex],
    spans: &BTreeMap<(NodeIndex, NodeIndex), Option<Span>>,
) -> Problem {
    // Walk the cycle in edge order from its smallest address so the message is stable.
    let set: BTreeSet<NodeIndex> = members.iter().copied().collect();
    let start = *members
        .iter()
        .min_by_key(|i| graph[**i].to_string())
        .unwrap_or(&members[0]);
    let mut path = vec![start];
    let mut cur = start;
    loop {
        let next = graph
            .neighbors_directed(cur, Direction::Outgoing)
            .filter(|n| set.contains(n))
            .min_by_key(|n| graph[*n].to_string());
        match next {
            Some(n) if n == start || path.contains(&n) => {
                path.push(n);
                break;
            }
            Some(n) => {
                path.push(n);
                cur = n;
            }
            None => break,
        }
    }
    let names: Vec<String> = path.iter().map(|i| graph[*i].to_string()).collect();
    let mut edges = path.windows(2).filter_map(|w| {
        spans
            .get(&(w[0], w[1]))
            .copied()
            .flatten()
            .map(|s| (s, format!("`{}` depends on `{}`", graph[w[0]], graph[w[1]])))
    });
    let (span, label) = match edges.next() {
        Some((s, l)) => (Some(s), l),
        None => (None, String::new()),
    };
    let mut p = Problem::new(
        ProblemKind::DependencyCycle,
        format!("dependency cycle: {}", names.join(" → ")),
        span,
        label,
    )
    .with_help("break the cycle by removing one of these dependencies");
    for (s, l) in edges {
        p = p.with_related(s, l);
    }
    p
}

#[cfg(test)]
mod tests;
