//! `forge iceberg rewrite-paths` on tables written by pyiceberg, read back with pyiceberg
//! (StaticTable, from the metadata file alone) and duckdb's iceberg extension, with the
//! source location gone so that any path left un-rewritten fails the read.

use std::path::{Path, PathBuf};

use crate::support::forge::Project;
use crate::support::python::tables;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).expect("copy");
        }
    }
}

fn latest_metadata(dir: &Path) -> PathBuf {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir.join("metadata"))
        .expect("metadata dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".metadata.json"))
        .collect();
    names.sort();
    names.pop().expect("a metadata.json")
}

#[test]
fn moved_tables_read_the_same_from_their_new_location_alone() {
    let p = Project::new("");
    let wh = p.path().join("wh");
    let written =
        tables(&["write", wh.to_str().expect("utf8")]).expect("pyiceberg writes the tables");
    for name in ["penguins", "parted", "v1"] {
        let t = &written[name];
        let src_dir = wh.join("wildlife").join(name);
        let dst_dir = p.path().join("cloud").join(name);
        let dst_loc = format!("file://{}", dst_dir.display());
        // Data files are copied as they are; metadata is rewritten.
        copy_dir(&src_dir.join("data"), &dst_dir.join("data"));
        let r = p
            .run(&[
                "iceberg",
                "rewrite-paths",
                "--from",
                t["location"].as_str().expect("location"),
                "--to",
                &dst_loc,
                "--in",
                src_dir.to_str().expect("utf8"),
                "--out",
                dst_dir.to_str().expect("utf8"),
                "--json",
            ])
            .expect_code(0);
        let report: serde_json::Value = serde_json::from_str(r.stdout.trim()).expect("json report");
        assert_eq!(
            report["report"]["manifest_lists"].as_u64(),
            t["snapshots"].as_u64(),
            "{name}: one manifest list per snapshot"
        );
        // Independent readers, with the source hidden.
        let hidden = wh.join("wildlife").join(format!("{name}.hidden"));
        std::fs::rename(&src_dir, &hidden).expect("hide source");
        let metadata = latest_metadata(&dst_dir);
        let read = tables(&["read", &format!("file://{}", metadata.display())])
            .unwrap_or_else(|e| panic!("{name}: pyiceberg cannot read the moved table: {e}"));
        assert_eq!(read["location"], dst_loc.as_str());
        assert_eq!(read["rows"], t["rows"], "{name}: same rows");
        assert_eq!(
            read["first_rows"], t["first_rows"],
            "{name}: time travel to the first snapshot"
        );
        for f in read["files"]
            .as_array()
            .expect("files")
            .iter()
            .chain(read["manifest_lists"].as_array().expect("lists"))
        {
            assert!(
                f.as_str().expect("path").starts_with(&dst_loc),
                "{name}: {f} is not under the new location"
            );
        }
        let duck = tables(&["duck", metadata.to_str().expect("utf8")])
            .unwrap_or_else(|e| panic!("{name}: duckdb cannot read the moved table: {e}"));
        assert_eq!(duck["rows"], t["rows"], "{name}: duckdb agrees");
        std::fs::rename(&hidden, &src_dir).expect("restore source");
    }
    // Header metadata and codec are kept.
    let src = wh.join("wildlife/penguins/metadata");
    let manifest = std::fs::read_dir(&src)
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with("-m0.avro"))
        .expect("a manifest");
    let before =
        tables(&["meta", manifest.to_str().expect("utf8")]).expect("fastavro reads the source");
    let after = tables(&[
        "meta",
        p.path()
            .join("cloud/penguins/metadata")
            .join(manifest.file_name().expect("name"))
            .to_str()
            .expect("utf8"),
    ])
    .expect("fastavro reads the output");
    assert_eq!(before["codec"], after["codec"]);
    assert_eq!(before["metadata"], after["metadata"]);
    assert_eq!(before["records"], after["records"]);
}

#[test]
fn without_the_rewrite_the_readers_fail() {
    let p = Project::new("");
    let wh = p.path().join("wh");
    tables(&["write", wh.to_str().expect("utf8")]).expect("pyiceberg writes the tables");
    let src_dir = wh.join("wildlife/penguins");
    let dst_dir = p.path().join("copy");
    copy_dir(&src_dir, &dst_dir);
    std::fs::rename(&src_dir, wh.join("wildlife/penguins.hidden")).expect("hide source");
    let metadata = latest_metadata(&dst_dir);
    assert!(
        tables(&["read", &format!("file://{}", metadata.display())]).is_err(),
        "a plain copy still points at the old location"
    );
}

#[test]
fn tables_with_position_deletes_are_refused_clearly() {
    let p = Project::new("");
    let wh = p.path().join("wh");
    let written =
        tables(&["write", wh.to_str().expect("utf8")]).expect("pyiceberg writes the tables");
    let src_dir = wh.join("wildlife/v1");
    let loc = written["v1"]["location"].as_str().expect("location");
    tables(&["posdel", src_dir.to_str().expect("utf8"), loc])
        .expect("fastavro writes a delete manifest");
    let r = p
        .run(&[
            "iceberg",
            "rewrite-paths",
            "--from",
            loc,
            "--to",
            "file:///elsewhere/v1",
            "--in",
            src_dir.to_str().expect("utf8"),
            "--out",
            p.path().join("out").to_str().expect("utf8"),
        ])
        .expect_code(1);
    assert!(r.stderr.contains("position-delete files"), "{}", r.stderr);
    // A path outside the source location is an error too.
    let r = p
        .run(&[
            "iceberg",
            "rewrite-paths",
            "--from",
            "file:///not/the/location",
            "--to",
            "file:///x",
            "--in",
            src_dir.to_str().expect("utf8"),
            "--out",
            p.path().join("out2").to_str().expect("utf8"),
        ])
        .expect_code(1);
    assert!(
        r.stderr.contains("outside `file:///not/the/location`"),
        "{}",
        r.stderr
    );
}
