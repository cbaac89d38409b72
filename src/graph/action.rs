//! [`ActionGraph`]: the order in which apply may carry out a plan's changes, built from
//! the dependencies the plan records, with the edges of deletions reversed.
//!
//! The resource graph says "a depends on b" (`a → b`): a bucket's catalog needs the
//! bucket. Creating follows those edges (the bucket first); deleting runs against them
//! (the catalog must be gone before its bucket can go). For a catalog `C` on bucket
//! `B`, with `_d` marking the delete of a node:
//!
//! ```text
//!     create:   C → B          (C waits for B)
//!     delete:   B_d → C_d      (B_d waits for C_d)
//! ```
//!
//! A delete and a create of the same pair are of unrelated lifetimes (a resource
//! removed from forge.yaml next to a new one that happens to have depended on it in
//! state): no order is imposed between them. A replace is one node, delete then
//! create inside the provider call, so it keeps the create direction.

use std::collections::BTreeMap;

use crate::addr::ResourceAddr;
use crate::provider::Action;

/// One change to carry out: its address, what is done, and what it depends on.
pub trait Change {
    /// The resource changed.
    fn addr(&self) -> &ResourceAddr;
    /// What is done to it.
    fn action(&self) -> Action;
    /// What it depends on in the resource graph (`a → b`: `a` needs `b`).
    fn depends_on(&self) -> &[ResourceAddr];
}

/// For each change (by index), the changes that must finish before it starts: the
/// input of [`super::walk::walk`]. Dependencies on resources with no change in this
/// plan are dropped (they are already where they need to be).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionGraph {
    /// `waits_for[i]`: indices of the changes node `i` waits for.
    pub waits_for: Vec<Vec<usize>>,
}

impl ActionGraph {
    /// Orders `changes`: creates and updates after what they depend on, deletes after
    /// what depends on them.
    pub fn build<C: Change>(changes: &[C]) -> Self {
        let index: BTreeMap<&ResourceAddr, usize> = changes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.addr(), i))
            .collect();
        let mut waits_for = vec![Vec::new(); changes.len()];
        for (i, c) in changes.iter().enumerate() {
            for d in c.depends_on() {
                let Some(&j) = index.get(d) else { continue };
                match (
                    c.action() == Action::Delete,
                    changes[j].action() == Action::Delete,
                ) {
                    // i → j: i is created after j.
                    (false, false) => waits_for[i].push(j),
                    // Reversed: j (which i needs) is deleted after i.
                    (true, true) => waits_for[j].push(i),
                    _ => {}
                }
            }
        }
        Self { waits_for }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct C(ResourceAddr, Action, Vec<ResourceAddr>);
    impl Change for C {
        fn addr(&self) -> &ResourceAddr {
            &self.0
        }
        fn action(&self) -> Action {
            self.1
        }
        fn depends_on(&self) -> &[ResourceAddr] {
            &self.2
        }
    }

    fn c(addr: &str, action: Action, deps: &[&str]) -> C {
        let parse = |a: &str| a.parse::<ResourceAddr>().expect("valid address");
        C(parse(addr), action, deps.iter().map(|d| parse(d)).collect())
    }

    #[test]
    fn creates_follow_dependencies_and_deletes_run_against_them() {
        // fake.catalog → fake.bucket (the catalog needs the bucket)
        let create = [
            c("fake.catalog", Action::Create, &["fake.bucket"]),
            c("fake.bucket", Action::Create, &[]),
        ];
        assert_eq!(ActionGraph::build(&create).waits_for, vec![vec![1], vec![]]);
        let delete = [
            c("fake.catalog", Action::Delete, &["fake.bucket"]),
            c("fake.bucket", Action::Delete, &[]),
        ];
        assert_eq!(ActionGraph::build(&delete).waits_for, vec![vec![], vec![0]]);
    }

    #[test]
    fn a_delete_and_a_create_are_not_ordered() {
        let mixed = [
            c("fake.old", Action::Delete, &["fake.new"]),
            c("fake.new", Action::Create, &[]),
        ];
        let none: Vec<Vec<usize>> = vec![vec![], vec![]];
        assert_eq!(ActionGraph::build(&mixed).waits_for, none);
    }
}
