"""Builds the rewrite benchmark's table: 200 snapshots (pyiceberg appends) and one
manifest grown to 50,000 entries (fastavro, same schema, header metadata and codec).

usage: gen_rewrite_table.py WAREHOUSE_DIR   → prints the table's location and directory
"""
import json
import os
import sys

import fastavro
import pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog

wh = sys.argv[1]
os.makedirs(wh, exist_ok=True)
cat = SqlCatalog("b", uri=f"sqlite:///{wh}/catalog.db", warehouse=f"file://{wh}")
cat.create_namespace_if_not_exists("bench")
t = cat.create_table("bench.big", schema=pa.schema([("id", pa.int64()), ("name", pa.string())]))
for i in range(200):
    t.append(pa.table({"id": pa.array([i], pa.int64()), "name": pa.array([f"n{i}"])}))
md = os.path.join(wh, "bench", "big", "metadata")
manifest = sorted(n for n in os.listdir(md) if n.endswith("-m0.avro"))[0]
path = os.path.join(md, manifest)
with open(path, "rb") as f:
    r = fastavro.reader(f)
    schema = fastavro.parse_schema(json.loads(r.metadata["avro.schema"]))
    meta = {k: v for k, v in r.metadata.items() if not k.startswith("avro.")}
    codec = r.codec
    rec = next(iter(r))
entries = []
for i in range(50_000):
    e = json.loads(json.dumps(rec, default=str)) if False else dict(rec)
    df = dict(rec["data_file"])
    df["file_path"] = rec["data_file"]["file_path"].replace(".parquet", f"-{i}.parquet")
    e["data_file"] = df
    entries.append(e)
with open(path, "wb") as f:
    fastavro.writer(f, schema, entries, codec=codec, metadata=meta)
print(json.dumps({"location": t.location(), "dir": os.path.join(wh, "bench", "big"), "manifest": manifest}))
