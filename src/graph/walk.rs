//! [`walk`]: runs the nodes of a DAG, each once all its dependencies succeeded, at most
//! `parallelism` at a time. The only place in forge that spawns tasks.
//!
//! A node whose dependency failed (or was skipped) is skipped, naming the failed node;
//! independent branches go on. When `cancel` fires, nothing new starts, running nodes
//! finish, and the rest are reported as not run.
//!
//! The graph **must** be acyclic (checked by [`super::ResourceGraph::build`]);
//! nodes in a cycle would simply never run.

use std::future::Future;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How one node ended.
#[derive(Debug)]
pub enum Outcome<T, E> {
    /// It ran and succeeded.
    Done(T),
    /// It ran and failed.
    Failed(E),
    /// It did not run because node `because` failed upstream.
    Skipped {
        /// The failed node that caused the skip.
        because: usize,
    },
    /// It did not run because the walk was cancelled.
    NotRun,
}

/// Runs `f(i)` for each node `i` in `0..n`, after every node in `deps[i]` is done.
pub async fn walk<T, E, F, Fut>(
    n: usize,
    deps: &[Vec<usize>],
    parallelism: usize,
    cancel: &CancellationToken,
    f: F,
) -> Vec<Outcome<T, E>>
where
    T: Send + 'static,
    E: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
{
    let parallelism = parallelism.max(1);
    let mut outcomes: Vec<Option<Outcome<T, E>>> = (0..n).map(|_| None).collect();
    let mut waiting: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, ds) in deps.iter().enumerate() {
        for &d in ds {
            dependents[d].push(i);
        }
    }
    let mut ready: std::collections::VecDeque<usize> =
        (0..n).filter(|&i| waiting[i] == 0).collect();
    let mut running = JoinSet::new();
    loop {
        while running.len() < parallelism && !cancel.is_cancelled() {
            let Some(i) = ready.pop_front() else { break };
            let fut = f(i);
            running.spawn(async move { (i, fut.await) });
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        let (i, result) = match joined {
            Ok(r) => r,
            // A panicking node is a bug; keep the walk going so state stays consistent.
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        match result {
            Ok(v) => {
                outcomes[i] = Some(Outcome::Done(v));
                for &d in &dependents[i] {
                    waiting[d] -= 1;
                    if waiting[d] == 0 && outcomes[d].is_none() {
                        ready.push_back(d);
                    }
                }
            }
            Err(e) => {
                outcomes[i] = Some(Outcome::Failed(e));
                skip_downstream(i, i, &dependents, &mut outcomes);
            }
        }
    }
    outcomes
        .into_iter()
        .map(|o| o.unwrap_or(Outcome::NotRun))
        .collect()
}

fn skip_downstream<T, E>(
    node: usize,
    cause: usize,
    dependents: &[Vec<usize>],
    outcomes: &mut [Option<Outcome<T, E>>],
) {
    for &d in &dependents[node] {
        if outcomes[d].is_none() {
            outcomes[d] = Some(Outcome::Skipped { because: cause });
            skip_downstream(d, cause, dependents, outcomes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    fn names(
        outcomes: &[Outcome<(), &'static str>],
    ) -> (Vec<usize>, Vec<usize>, Vec<(usize, usize)>) {
        let mut ok = vec![];
        let mut failed = vec![];
        let mut skipped = vec![];
        for (i, o) in outcomes.iter().enumerate() {
            match o {
                Outcome::Done(()) => ok.push(i),
                Outcome::Failed(_) => failed.push(i),
                Outcome::Skipped { because } => skipped.push((i, *because)),
                Outcome::NotRun => {}
            }
        }
        (ok, failed, skipped)
    }

    #[tokio::test]
    async fn dependencies_run_first_and_failures_skip_only_downstream() {
        // 0 cluster <- 1 namespace <- 2 deployment
        // 3 bucket <- 4 catalog <- 5 table
        let deps = vec![vec![], vec![0], vec![1], vec![], vec![3], vec![4]];
        let order = Arc::new(Mutex::new(Vec::new()));
        let o2 = order.clone();
        let outcomes = walk(6, &deps, 4, &CancellationToken::new(), move |i| {
            let order = o2.clone();
            async move {
                order.lock().expect("lock").push(i);
                if i == 3 { Err("bucket failed") } else { Ok(()) }
            }
        })
        .await;
        let (ok, failed, skipped) = names(&outcomes);
        assert_eq!(ok, vec![0, 1, 2]);
        assert_eq!(failed, vec![3]);
        assert_eq!(skipped, vec![(4, 3), (5, 3)]);
        let order = order.lock().expect("lock").clone();
        let pos = |n| order.iter().position(|&x| x == n).expect("ran");
        assert!(pos(0) < pos(1) && pos(1) < pos(2));
        assert!(!order.contains(&4));
    }

    #[tokio::test]
    async fn parallelism_is_bounded() {
        let running = Arc::new(Mutex::new((0usize, 0usize)));
        let r2 = running.clone();
        walk(
            12,
            &vec![vec![]; 12],
            3,
            &CancellationToken::new(),
            move |_| {
                let r = r2.clone();
                async move {
                    {
                        let mut g = r.lock().expect("lock");
                        g.0 += 1;
                        g.1 = g.1.max(g.0);
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    r.lock().expect("lock").0 -= 1;
                    Ok::<(), ()>(())
                }
            },
        )
        .await;
        assert_eq!(running.lock().expect("lock").1, 3);
    }

    #[tokio::test]
    async fn cancel_stops_scheduling_but_lets_running_work_finish() {
        let cancel = CancellationToken::new();
        let c2 = cancel.clone();
        let outcomes = walk(3, &[vec![], vec![0], vec![1]], 1, &cancel, move |i| {
            let c = c2.clone();
            async move {
                if i == 0 {
                    c.cancel();
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Ok::<usize, ()>(i)
            }
        })
        .await;
        assert!(matches!(outcomes[0], Outcome::Done(0)));
        assert!(matches!(outcomes[1], Outcome::NotRun));
        assert!(matches!(outcomes[2], Outcome::NotRun));
    }
}
