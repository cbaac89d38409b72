//! Property tests: the rewriter returns an error, never panics or hangs, on arbitrary
//! bytes and on valid manifests, manifest lists and metadata files with bytes flipped,
//! cut or inserted. The valid seeds are built here from the Avro container format.

use std::collections::HashMap;
use std::sync::mpsc;
use std::time::Duration;

use proptest::prelude::*;

use super::avro::write_long;
use super::*;

/// An Avro object container: header (schema, null codec), one block of `records`
/// (also used by the other iceberg tests to build their fixtures).
pub(super) fn container(schema: &str, count: i64, records: &[u8]) -> Vec<u8> {
    let mut out = b"Obj\x01".to_vec();
    write_long(&mut out, 2);
    for (k, v) in [
        ("avro.schema", schema.as_bytes()),
        ("avro.codec", b"null".as_slice()),
    ] {
        write_long(&mut out, k.len() as i64);
        out.extend_from_slice(k.as_bytes());
        write_long(&mut out, v.len() as i64);
        out.extend_from_slice(v);
    }
    write_long(&mut out, 0);
    let sync = [7u8; 16];
    out.extend_from_slice(&sync);
    write_long(&mut out, count);
    write_long(&mut out, records.len() as i64);
    out.extend_from_slice(records);
    out.extend_from_slice(&sync);
    out
}

pub(super) fn string(out: &mut Vec<u8>, s: &str) {
    write_long(out, s.len() as i64);
    out.extend_from_slice(s.as_bytes());
}

const MANIFEST_SCHEMA: &str = r#"{"type":"record","name":"manifest_entry","fields":[{"name":"status","type":"int"},{"name":"data_file","type":{"type":"record","name":"r2","fields":[{"name":"content","type":"int"},{"name":"file_path","type":"string"},{"name":"file_size_in_bytes","type":"long"}]}}]}"#;
const LIST_SCHEMA: &str = r#"{"type":"record","name":"manifest_file","fields":[{"name":"manifest_path","type":"string"},{"name":"manifest_length","type":"long"}]}"#;

fn manifest() -> Vec<u8> {
    let mut recs = Vec::new();
    for i in 0..3 {
        write_long(&mut recs, 1);
        write_long(&mut recs, 0);
        string(&mut recs, &format!("s3://a/t/data/{i}.parquet"));
        write_long(&mut recs, 1000 + i);
    }
    container(MANIFEST_SCHEMA, 3, &recs)
}

fn list() -> Vec<u8> {
    let mut recs = Vec::new();
    string(&mut recs, "s3://a/t/metadata/m0.avro");
    write_long(&mut recs, 4096);
    container(LIST_SCHEMA, 1, &recs)
}

const METADATA: &str = r#"{"format-version":2,"location":"s3://a/t","metadata-log":[{"metadata-file":"s3://a/t/metadata/0.json","timestamp-ms":1}],"snapshots":[{"snapshot-id":1,"manifest-list":"s3://a/t/metadata/snap-1.avro"}],"properties":{"write.data.path":"s3://a/t/data"}}"#;

/// Runs `f` on another thread and fails if it takes longer than a few seconds (a hang)
/// or panics.
fn terminates<F: FnOnce() + Send + 'static>(what: &str, f: F) {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(()) => handle.join().expect("finished"),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            panic!("{what} panicked: {:?}", handle.join().err())
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what} did not finish in 10 s"),
    }
}

/// A valid file with some bytes changed, cut off, or inserted.
fn mutated(seed: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = seed.len();
    (
        proptest::collection::vec((0..len, any::<u8>()), 0..8),
        0..=len,
        proptest::collection::vec(any::<u8>(), 0..16),
        0..=len,
    )
        .prop_map(move |(flips, cut, insert, at)| {
            let mut b = seed.clone();
            for (i, v) in flips {
                b[i] = v;
            }
            let at = at.min(b.len());
            b.splice(at..at, insert);
            b.truncate(cut.max(1).min(b.len()));
            b
        })
}

fn rewrite_all(bytes: Vec<u8>) {
    let map = PathMap::new("s3://a/t", "s3://b/x");
    let _ = rewrite_manifest("m.avro", &bytes, &map);
    let lengths = HashMap::from([("s3://a/t/metadata/m0.avro".to_string(), 10u64)]);
    let _ = rewrite_manifest_list("l.avro", &bytes, &map, &lengths);
    if let Ok(text) = std::str::from_utf8(&bytes) {
        let _ = rewrite_metadata_json("0.metadata.json", text, &map);
    }
}

#[test]
fn the_seeds_are_valid() {
    let map = PathMap::new("s3://a/t", "s3://b/x");
    assert_eq!(
        rewrite_manifest("m.avro", &manifest(), &map)
            .expect("manifest")
            .1,
        3
    );
    let lengths = HashMap::from([("s3://a/t/metadata/m0.avro".to_string(), 10u64)]);
    assert_eq!(
        rewrite_manifest_list("l.avro", &list(), &map, &lengths)
            .expect("list")
            .1,
        1
    );
    assert!(rewrite_metadata_json("0.metadata.json", METADATA, &map).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_are_errors_not_panics(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        terminates("rewrite of arbitrary bytes", move || rewrite_all(bytes));
    }

    #[test]
    fn mutated_manifests_are_errors_not_panics(bytes in mutated(manifest())) {
        terminates("rewrite of a mutated manifest", move || rewrite_all(bytes));
    }

    #[test]
    fn mutated_manifest_lists_are_errors_not_panics(bytes in mutated(list())) {
        terminates("rewrite of a mutated manifest list", move || rewrite_all(bytes));
    }

    #[test]
    fn mutated_metadata_is_an_error_not_a_panic(bytes in mutated(METADATA.as_bytes().to_vec())) {
        terminates("rewrite of mutated metadata", move || rewrite_all(bytes));
    }
}
