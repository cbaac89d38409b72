//! Rewriter tests: Avro and metadata fixtures built here, rewritten, read back.

use super::*;
use serde_json::Value;

#[test]
fn path_map_keeps_boundaries_and_knows_s3a() {
    let m = PathMap::new("s3://lake/wh/db/t", "s3://cloud/db/t/");
    assert_eq!(
        m.map("s3://lake/wh/db/t/data/a.parquet").as_deref(),
        Some("s3://cloud/db/t/data/a.parquet")
    );
    assert_eq!(
        m.map("s3a://lake/wh/db/t/metadata/x.avro").as_deref(),
        Some("s3://cloud/db/t/metadata/x.avro")
    );
    assert_eq!(
        m.map("s3://lake/wh/db/t2/data/a.parquet"),
        None,
        "a sibling table is outside"
    );
    assert_eq!(
        m.map("s3://lake/wh/db/t").as_deref(),
        Some("s3://cloud/db/t")
    );
}

#[test]
fn metadata_json_fields_are_rewritten_and_outside_paths_refused() {
    let text = r#"{"format-version":2,"location":"s3://a/t","metadata-log":[{"metadata-file":"s3://a/t/metadata/0.json","timestamp-ms":1}],
        "snapshots":[{"snapshot-id":1,"manifest-list":"s3://a/t/metadata/snap-1.avro"}],
        "statistics":[{"statistics-path":"s3://a/t/metadata/s.puffin"}],"properties":{"write.data.path":"s3://a/t/data","owner":"me"}}"#;
    let m = PathMap::new("s3://a/t", "s3://b/x");
    let out: Value =
        serde_json::from_str(&rewrite_metadata_json("m.json", text, &m).expect("rewrite"))
            .expect("json");
    assert_eq!(out["location"], "s3://b/x");
    assert_eq!(
        out["metadata-log"][0]["metadata-file"],
        "s3://b/x/metadata/0.json"
    );
    assert_eq!(
        out["snapshots"][0]["manifest-list"],
        "s3://b/x/metadata/snap-1.avro"
    );
    assert_eq!(
        out["statistics"][0]["statistics-path"],
        "s3://b/x/metadata/s.puffin"
    );
    assert_eq!(out["properties"]["write.data.path"], "s3://b/x/data");
    assert_eq!(out["properties"]["owner"], "me");
    let bad = text.replace("s3://a/t/metadata/s.puffin", "s3://elsewhere/s.puffin");
    assert!(matches!(
        rewrite_metadata_json("m.json", &bad, &m),
        Err(RewriteError::Outside { .. })
    ));
}
