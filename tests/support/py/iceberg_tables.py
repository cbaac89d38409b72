"""Independent Iceberg writer and readers for forge's tests (pyiceberg 0.12, duckdb 1.5.5).

  write WAREHOUSE_DIR      writes tables with several appends, a schema change, a partitioned
                           table and a format-version 1 table; prints what it wrote (JSON)
  read METADATA_FILE       reads a table from its metadata file alone (StaticTable): rows now,
                           rows at the first snapshot, and every file path it references
  duck METADATA_FILE       counts rows with duckdb's iceberg extension (loaded by path, offline)
"""
import glob
import json
import os
import sys

import pyarrow as pa


def write(warehouse):
    from pyiceberg.catalog.sql import SqlCatalog
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.schema import Schema
    from pyiceberg.transforms import IdentityTransform
    from pyiceberg.types import DoubleType, LongType, NestedField, StringType

    os.makedirs(warehouse, exist_ok=True)
    cat = SqlCatalog("t", uri=f"sqlite:///{warehouse}/catalog.db", warehouse=f"file://{warehouse}")
    cat.create_namespace_if_not_exists("wildlife")
    schema = Schema(NestedField(1, "id", LongType(), required=False), NestedField(2, "species", StringType(), required=False),
                    NestedField(3, "mass", DoubleType(), required=False))

    def batch(start, n):
        return pa.table({"id": pa.array(range(start, start + n), pa.int64()),
                         "species": pa.array([["Adelie", "Gentoo", "Chinstrap"][i % 3] for i in range(n)]),
                         "mass": pa.array([3000.0 + i for i in range(n)])})

    out = {}
    t = cat.create_table("wildlife.penguins", schema=schema)
    t.append(batch(0, 300))
    t.append(batch(300, 44))
    with t.update_schema() as u:
        u.add_column("island", StringType())
    t = cat.load_table("wildlife.penguins")
    b = batch(344, 10).append_column("island", pa.array(["Biscoe"] * 10))
    t.append(b)
    out["penguins"] = t
    spec = PartitionSpec(PartitionField(source_id=2, field_id=1000, transform=IdentityTransform(), name="species"))
    p = cat.create_table("wildlife.parted", schema=schema, partition_spec=spec)
    p.append(batch(0, 90))
    p.append(batch(90, 30))
    out["parted"] = p
    v1 = cat.create_table("wildlife.v1", schema=schema, properties={"format-version": "1"})
    v1.append(batch(0, 20))
    v1.append(batch(20, 5))
    out["v1"] = v1
    print(json.dumps({name: {"location": tbl.location(), "metadata": tbl.metadata_location,
                             "rows": tbl.scan().to_arrow().num_rows,
                             "first_rows": tbl.scan(snapshot_id=tbl.snapshots()[0].snapshot_id).to_arrow().num_rows,
                             "snapshots": len(tbl.snapshots())} for name, tbl in out.items()}))


def read(metadata):
    from pyiceberg.table import StaticTable

    t = StaticTable.from_metadata(metadata)
    files = [f.file.file_path for f in t.scan().plan_files()]
    first = t.snapshots()[0].snapshot_id
    print(json.dumps({"location": t.location(), "rows": t.scan().to_arrow().num_rows,
                      "first_rows": t.scan(snapshot_id=first).to_arrow().num_rows, "files": files,
                      "manifest_lists": [s.manifest_list for s in t.snapshots()]}))


def duck(metadata):
    import duckdb

    site = os.path.dirname(os.path.dirname(duckdb.__file__))
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    for ext in ["avro", "iceberg"]:
        con.execute(f"LOAD '{glob.glob(f'{site}/duckdb_extension_{ext}/extensions/v*/{ext}.duckdb_extension')[0]}'")
    rows = con.execute(f"select count(*) from iceberg_scan('{metadata}')").fetchone()[0]
    print(json.dumps({"rows": rows}))


def meta(path):
    import fastavro

    with open(path, "rb") as f:
        r = fastavro.reader(f)
        print(json.dumps({"codec": r.codec, "metadata": {k: (v.decode() if isinstance(v, bytes) else v) for k, v in r.metadata.items()}, "records": sum(1 for _ in r)}))


def posdel(table_dir, location):
    """Adds a manifest of position deletes (data_file.content = 1), as Spark writes them."""
    import fastavro

    schema = {"type": "record", "name": "manifest_entry", "fields": [
        {"name": "status", "type": "int", "field-id": 0},
        {"name": "data_file", "field-id": 2, "type": {"type": "record", "name": "r2", "fields": [
            {"name": "content", "type": "int", "field-id": 134},
            {"name": "file_path", "type": "string", "field-id": 100},
            {"name": "record_count", "type": "long", "field-id": 103}]}}]}
    rec = {"status": 1, "data_file": {"content": 1, "file_path": f"{location}/data/deletes-0.parquet", "record_count": 1}}
    with open(os.path.join(table_dir, "metadata", "deletes-m0.avro"), "wb") as f:
        fastavro.writer(f, fastavro.parse_schema(schema), [rec], codec="deflate", metadata={"content": "deletes", "format-version": "2"})
    print(json.dumps({"written": "deletes-m0.avro"}))


{"write": write, "read": read, "duck": duck, "meta": meta, "posdel": posdel}[sys.argv[1]](*sys.argv[2:])
