//! The data path without a server: a table on the local file system is filled by
//! [`snapshot::replace`], its updates applied as a catalog would, and read back by
//! [`check::verify`] — first an append, then an overwrite that leaves only the new rows;
//! and the check fails when the table does not hold what it should.

use std::collections::HashMap;
use std::path::Path;

use futures::TryStreamExt;
use iceberg::io::FileIO;
use iceberg::spec::{Operation, TableMetadata, TableMetadataBuilder};
use iceberg::table::Table;
use iceberg::{NamespaceIdent, Runtime, TableCreation, TableIdent};

use super::check::{self, Expected};
use super::dataset::{Dataset, Rows};
use super::{DataError, columns, snapshot};

fn table(meta: TableMetadata) -> Table {
    Table::builder()
        .metadata(meta)
        .identifier(TableIdent::new(
            NamespaceIdent::new("wildlife".into()),
            "t".into(),
        ))
        .file_io(FileIO::new_with_fs())
        .runtime(Runtime::current())
        .build()
        .expect("table")
}

fn load(label: &str, dir: &Path) -> (Dataset, Rows) {
    let d = Dataset::resolve(label, dir).expect("dataset");
    let rows = d.load().expect("rows");
    (d, rows)
}

/// Fills `t` with `label` and returns the table as the catalog has it afterwards.
async fn fill(t: &Table, label: &str, dir: &Path) -> (Table, Expected<'static>) {
    let (d, rows) = load(label, dir);
    let props = HashMap::from([(check::DIGEST.to_string(), d.sha256.clone())]);
    let prepared = snapshot::replace(t, label, &rows, props)
        .await
        .expect("replace");
    for r in &prepared.requirements {
        r.check(Some(t.metadata())).expect("requirement holds");
    }
    let mut b = t.metadata().clone().into_builder(None);
    for u in prepared.updates {
        b = u.apply(b).expect("update");
    }
    let meta = b.build().expect("metadata").metadata;
    let sha: &'static str = Box::leak(d.sha256.into_boxed_str());
    (
        table(meta),
        Expected {
            snapshot_id: prepared.snapshot_id,
            rows: rows.count,
            sha256: sha,
        },
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fill_appends_a_refill_overwrites_and_the_check_reads_it_back() {
    let dir = tempfile::tempdir().expect("tmp");
    let (_, rows) = load("penguins", dir.path());
    let cols = columns::columns("penguins", &rows.schema).expect("columns");
    let creation = TableCreation::builder()
        .name("t".into())
        .location(format!("file://{}/t", dir.path().display()))
        .schema(columns::schema(&cols, 0, 1).expect("schema"))
        .build();
    let empty = table(
        TableMetadataBuilder::from_table_creation(creation)
            .expect("builder")
            .build()
            .expect("metadata")
            .metadata,
    );

    // First fill: an append of every penguin, which the check reads back.
    let (first, expected) = fill(&empty, "penguins", dir.path()).await;
    check::verify(&first, &expected)
        .await
        .expect("the fill checks");
    let snap = first.metadata().current_snapshot().expect("snapshot");
    assert_eq!(snap.summary().operation, Operation::Append);
    assert_eq!(expected.rows, 344);

    // A new dataset with other columns: an overwrite with a new schema, only its rows.
    std::fs::write(
        dir.path().join("fruits.csv"),
        "id,name\n1,apple\n2,pear\n3,plum\n",
    )
    .expect("write");
    let (second, expected2) = fill(&first, "fruits.csv", dir.path()).await;
    check::verify(&second, &expected2)
        .await
        .expect("the refill checks");
    let meta = second.metadata();
    let snap = meta.current_snapshot().expect("snapshot");
    assert_eq!(snap.summary().operation, Operation::Overwrite);
    assert_eq!(snap.parent_snapshot_id(), Some(expected.snapshot_id));
    let summary = &snap.summary().additional_properties;
    assert_eq!(summary["total-records"], "3");
    assert_eq!(summary["deleted-records"], "344");
    assert_eq!(meta.current_schema_id(), 1);
    assert!(meta.current_schema().field_by_name("name").is_some());
    let batches: Vec<_> = second
        .scan()
        .select_all()
        .build()
        .expect("scan")
        .to_arrow()
        .await
        .expect("read")
        .try_collect()
        .await
        .expect("batches");
    let read: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(read, 3, "the penguins are gone from the current snapshot");

    // The check fails when the table is not what was committed ...
    let wrong = |e: Result<(), DataError>| match e {
        Err(DataError::Mismatch(m)) => m,
        other => panic!("expected a mismatch, got {other:?}"),
    };
    let m = wrong(
        check::verify(
            &second,
            &Expected {
                rows: 4,
                ..expected2.clone()
            },
        )
        .await,
    );
    assert!(m.contains("summary counts 3 rows"), "{m}");
    let m = wrong(check::verify(&second, &expected).await);
    assert!(m.contains("current snapshot"), "{m}");
    // ... or its data files cannot be read.
    let tasks: Vec<_> = second
        .scan()
        .build()
        .expect("scan")
        .plan_files()
        .await
        .expect("plan")
        .try_collect()
        .await
        .expect("tasks");
    for t in &tasks {
        std::fs::remove_file(t.data_file_path.trim_start_matches("file://")).expect("rm");
    }
    assert!(check::verify(&second, &expected2).await.is_err());
}
