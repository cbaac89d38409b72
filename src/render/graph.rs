//! `forge graph`: the resource graph as Graphviz DOT, or as an SVG picture laid out
//! in-process (layout-rs), nodes coloured by planned action.

use std::collections::BTreeMap;
use std::fmt::Write;

use layout::backends::svg::SVGWriter;
use layout::core::base::Orientation;
use layout::core::color::Color;
use layout::core::geometry::Point;
use layout::core::style::StyleAttr;
use layout::std_shapes::shapes::{Arrow, Element, ShapeKind};
use layout::topo::layout::VisualGraph;

use crate::addr::ResourceAddr;
use crate::graph::ResourceGraph;
use crate::provider::Action;

fn fill(a: Option<Action>) -> &'static str {
    match a {
        Some(Action::Create) => "#c8f7c5",
        Some(Action::Update) | Some(Action::Import) => "#fff3b0",
        Some(Action::Replace) => "#ffd8a8",
        Some(Action::Delete) => "#ffc9c9",
        Some(Action::Read) => "#d0ebff",
        _ => "#f1f3f5",
    }
}

/// DOT text; edges point from a resource to what it depends on.
pub fn dot(graph: &ResourceGraph, actions: &BTreeMap<ResourceAddr, Action>) -> String {
    let mut out = String::from(
        "digraph forge {\n  rankdir = \"BT\";\n  node [shape = box, style = \"rounded,filled\", fontname = \"Helvetica\"];\n",
    );
    for a in graph.order() {
        let act = actions.get(a).copied();
        let label = match act {
            Some(x) if x.is_change() => format!("{} {a}", x.symbol()),
            _ => a.to_string(),
        };
        let _ = writeln!(
            out,
            "  \"{a}\" [label = \"{label}\", fillcolor = \"{}\"];",
            fill(act)
        );
    }
    for (from, to) in graph.edges() {
        let _ = writeln!(out, "  \"{from}\" -> \"{to}\";");
    }
    out.push_str("}\n");
    out
}

/// An SVG picture of the graph.
pub fn svg(graph: &ResourceGraph, actions: &BTreeMap<ResourceAddr, Action>) -> String {
    let mut vg = VisualGraph::new(Orientation::TopToBottom);
    let mut handles = BTreeMap::new();
    for a in graph.order() {
        let act = actions.get(a).copied();
        let label = match act {
            Some(x) if x.is_change() => format!("{} {a}", x.symbol()),
            _ => a.to_string(),
        };
        let width = (label.chars().count() as f64 * 8.0 + 24.0).max(80.0);
        let look = StyleAttr::new(
            Color::fast("#495057"),
            1,
            Some(Color::fast(fill(act))),
            6,
            13,
        );
        let h = vg.add_node(Element::create(
            ShapeKind::new_box(&label),
            look,
            Orientation::TopToBottom,
            Point::new(width, 40.0),
        ));
        handles.insert(a.clone(), h);
    }
    for (from, to) in graph.edges() {
        // Draw dependencies above their dependents.
        vg.add_edge(Arrow::simple(""), handles[&to], handles[&from]);
    }
    let mut svg = SVGWriter::new();
    if graph.order().is_empty() {
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"></svg>\n"
            .into();
    }
    vg.do_it(false, false, false, &mut svg);
    svg.finalize()
}
