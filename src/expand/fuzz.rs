//! Property tests: reading forge.yaml returns problems, never panics or hangs, on
//! arbitrary text and on the example with lines dropped, repeated or changed.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use proptest::prelude::*;

const EXAMPLE: &str = include_str!("../../forge.yaml.example");

/// Parses and expands `text` on another thread; fails on a panic or after 10 s.
fn survives(text: String) {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let env = std::collections::BTreeMap::from([("USER".to_string(), "fuzz".to_string())]);
        let parsed =
            crate::config::parse(Path::new("forge.yaml"), text, Path::new("/tmp/fuzz"), &env);
        if let Ok(config) = parsed {
            let _ = super::expand(config);
        }
        let _ = tx.send(());
    });
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(()) => handle.join().expect("finished"),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            panic!("reading forge.yaml panicked: {:?}", handle.join().err())
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("reading forge.yaml did not finish in 10 s"),
    }
}

/// The example with some lines dropped, repeated, or given a character more or less.
fn mutated_example() -> impl Strategy<Value = String> {
    let lines: Vec<String> = EXAMPLE.lines().map(str::to_string).collect();
    let n = lines.len();
    proptest::collection::vec((0..n, 0u8..4, any::<char>(), 0usize..80), 1..6).prop_map(
        move |edits| {
            let mut l = lines.clone();
            for (i, op, c, at) in edits {
                let i = i.min(l.len().saturating_sub(1));
                if l.is_empty() {
                    break;
                }
                match op {
                    0 => drop(l.remove(i)),
                    1 => {
                        let copy = l[i].clone();
                        l.insert(i, copy);
                    }
                    2 => {
                        let chars: Vec<char> = l[i].chars().collect();
                        let at = at.min(chars.len());
                        l[i] = chars[..at]
                            .iter()
                            .chain([c].iter())
                            .chain(chars[at..].iter())
                            .collect();
                    }
                    _ => {
                        let chars: Vec<char> = l[i].chars().collect();
                        if !chars.is_empty() {
                            let at = at.min(chars.len() - 1);
                            l[i] = chars[..at].iter().chain(chars[at + 1..].iter()).collect();
                        }
                    }
                }
            }
            l.join("\n")
        },
    )
}

#[test]
fn the_example_itself_expands() {
    let env = std::collections::BTreeMap::from([("USER".to_string(), "fuzz".to_string())]);
    let config = crate::config::parse(
        Path::new("forge.yaml"),
        EXAMPLE.into(),
        Path::new("/tmp/fuzz"),
        &env,
    )
    .expect("parses");
    assert!(super::expand(config).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_is_a_problem_not_a_panic(text in ".{0,400}") {
        survives(text);
    }

    #[test]
    fn yaml_like_text_is_a_problem_not_a_panic(text in "([a-z_]{1,8}: ?|  |- |\\[|\\]|\\{|\\}|&a |\\*a|---|\n|\"|'|#|[0-9]{1,3}|, ){0,60}") {
        survives(text);
    }

    #[test]
    fn a_mutated_example_is_a_problem_not_a_panic(text in mutated_example()) {
        survives(text);
    }
}
