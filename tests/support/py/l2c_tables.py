"""Source tables and independent readers for forge's L2C tests (pyiceberg 0.12, duckdb 1.5.5).

Each command takes one JSON argument and prints one JSON object.

  write ARGS        through the catalog (the Polaris stand-in's Iceberg REST API), in
                    namespace ARGS["namespace"]: `penguins` (three appends, a schema change,
                    a fourth append), `parted` (partitioned by species, two appends) and
                    `v1` (format version 1, two appends); prints per table its metadata
                    file, location, rows, rows at the first snapshot and snapshot count
  append ARGS       appends ARGS["rows"] rows to ARGS["table"]; prints the same for it
  position-delete ARGS
                    commits a position-delete file to ARGS["table"] (pyiceberg writes
                    none itself: its deletes are copy-on-write), so that a migration has
                    one to refuse
  read ARGS         opens ARGS["metadata"] alone (StaticTable) on the S3 store in ARGS:
                    rows now, rows at the first snapshot, every path the table names;
                    {"ok": false, ...} when it cannot be read
  duck ARGS         counts rows of ARGS["metadata"] with duckdb's iceberg extension on
                    that S3 store

ARGS for the catalog: uri, catalog, client_id, client_secret, realm, s3_endpoint, s3_key,
s3_secret (as polaris_clients.py). For read and duck: metadata, s3_endpoint, s3_key,
s3_secret.
"""
import glob
import json
import os
import sys
import uuid

import pyarrow as pa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from polaris_clients import rest_catalog  # noqa: E402


def batch(start, n, island=False):
    cols = {
        "id": pa.array(range(start, start + n), pa.int64()),
        "species": pa.array([["Adelie", "Gentoo", "Chinstrap"][i % 3] for i in range(start, start + n)]),
        "mass": pa.array([3000.0 + i for i in range(start, start + n)]),
    }
    if island:
        cols["island"] = pa.array(["Biscoe"] * n)
    return pa.table(cols)


def describe(t):
    return {
        "location": t.location(),
        "metadata": t.metadata_location,
        "rows": t.scan().to_arrow().num_rows,
        "first_rows": t.scan(snapshot_id=t.snapshots()[0].snapshot_id).to_arrow().num_rows,
        "snapshots": len(t.snapshots()),
        "format_version": t.format_version,
    }


def write(a):
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.schema import Schema
    from pyiceberg.transforms import IdentityTransform
    from pyiceberg.types import DoubleType, LongType, NestedField, StringType

    cat = rest_catalog(a)
    ns = a["namespace"]
    cat.create_namespace_if_not_exists(ns)
    schema = Schema(
        NestedField(1, "id", LongType(), required=False),
        NestedField(2, "species", StringType(), required=False),
        NestedField(3, "mass", DoubleType(), required=False),
    )
    out = {}
    t = cat.create_table(f"{ns}.penguins", schema=schema)
    t.append(batch(0, 200))
    t.append(batch(200, 100))
    t.append(batch(300, 44))
    with t.update_schema() as u:
        u.add_column("island", StringType())
    t = cat.load_table(f"{ns}.penguins")
    t.append(batch(344, 10, island=True))
    out["penguins"] = describe(cat.load_table(f"{ns}.penguins"))
    spec = PartitionSpec(PartitionField(source_id=2, field_id=1000, transform=IdentityTransform(), name="species"))
    p = cat.create_table(f"{ns}.parted", schema=schema, partition_spec=spec)
    p.append(batch(0, 90))
    p.append(batch(90, 30))
    out["parted"] = describe(cat.load_table(f"{ns}.parted"))
    v1 = cat.create_table(f"{ns}.v1", schema=schema, properties={"format-version": "1"})
    v1.append(batch(0, 20))
    v1.append(batch(20, 5))
    out["v1"] = describe(cat.load_table(f"{ns}.v1"))
    print(json.dumps(out))


def append(a):
    cat = rest_catalog(a)
    name = f'{a["namespace"]}.{a["table"]}'
    t = cat.load_table(name)
    start = t.scan().to_arrow().num_rows
    island = any(f.name == "island" for f in t.schema().fields)
    t.append(batch(start + 100000, int(a["rows"]), island=island))
    print(json.dumps(describe(cat.load_table(name))))


def position_delete(a):
    import pyarrow.parquet as pq
    from pyiceberg.manifest import DataFile, DataFileContent, FileFormat
    from pyiceberg.typedef import Record

    cat = rest_catalog(a)
    t = cat.load_table(f'{a["namespace"]}.{a["table"]}')
    victim = next(iter(t.scan().plan_files())).file.file_path
    path = f"{t.location()}/data/{uuid.uuid4()}-deletes.parquet"
    rows = pa.table({"file_path": pa.array([victim]), "pos": pa.array([0], pa.int64())})
    out = t.io.new_output(path)
    with out.create(overwrite=True) as f:
        pq.write_table(rows, f)
    size = len(t.io.new_input(path).open().read())
    df = DataFile.from_args(
        content=DataFileContent.POSITION_DELETES,
        file_path=path,
        file_format=FileFormat.PARQUET,
        partition=Record(),
        record_count=1,
        file_size_in_bytes=size,
    )
    df.spec_id = t.spec().spec_id
    with t.transaction() as tx:
        with tx.update_snapshot().fast_append() as fa:
            fa.append_data_file(df)
    print(json.dumps({"ok": True, "delete_file": path}))


def s3_props(a):
    return {
        "s3.endpoint": a["s3_endpoint"],
        "s3.access-key-id": a["s3_key"],
        "s3.secret-access-key": a["s3_secret"],
        "s3.region": "us-east-1",
        "s3.path-style-access": "true",
    }


def read(a):
    try:
        read_checked(a)
    except Exception as e:  # the negative control expects the read to fail
        print(json.dumps({"ok": False, "error": type(e).__name__, "message": str(e)}))


def read_checked(a):
    from pyiceberg.table import StaticTable

    t = StaticTable.from_metadata(a["metadata"], properties=s3_props(a))
    files = sorted(f.file.file_path for f in t.scan().plan_files())
    io = t.io
    manifests = []
    for s in t.snapshots():
        manifests.extend(m.manifest_path for m in s.manifests(io))
    first = t.snapshots()[0].snapshot_id
    rows = t.scan().to_arrow()
    print(json.dumps({
        "ok": True,
        "location": t.location(),
        "rows": rows.num_rows,
        "ids": sorted(rows.column("id").to_pylist())[:5],
        "first_rows": t.scan(snapshot_id=first).to_arrow().num_rows,
        "snapshots": len(t.snapshots()),
        "files": files,
        "manifest_lists": [s.manifest_list for s in t.snapshots()],
        "manifests": sorted(set(manifests)),
    }))


def duck(a):
    import duckdb

    site = os.path.dirname(os.path.dirname(duckdb.__file__))
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    for ext in ["httpfs", "avro", "iceberg"]:
        con.execute(f"LOAD '{glob.glob(f'{site}/duckdb_extension_{ext}/extensions/v*/{ext}.duckdb_extension')[0]}'")
    host = a["s3_endpoint"].split("://", 1)[1]
    con.execute(
        f"""CREATE SECRET l2c (TYPE s3, KEY_ID '{a["s3_key"]}', SECRET '{a["s3_secret"]}',
            ENDPOINT '{host}', URL_STYLE 'path', USE_SSL false, REGION 'us-east-1')"""
    )
    rows = con.execute(f"select count(*) from iceberg_scan('{a['metadata']}')").fetchone()[0]
    print(json.dumps({"rows": rows}))


{"write": write, "append": append, "position-delete": position_delete, "read": read, "duck": duck}[sys.argv[1]](
    json.loads(sys.argv[2])
)
