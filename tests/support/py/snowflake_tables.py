"""Iceberg tables on S3 for the Snowflake emulator's tests, written by pyiceberg 0.12 (an
independent writer) straight to the store, and the S3 chores around them (boto3).

Every command takes the store first: ENDPOINT ACCESS_KEY SECRET_KEY, and prints JSON.

  write    STORE CATALOG_DIR BUCKET NAMESPACE TABLE [--v1] [--partitioned] ROWS...
           creates the table at s3://BUCKET/NAMESPACE/TABLE (sqlite catalog in CATALOG_DIR;
           format version 1 with --v1, partitioned by species with --partitioned) and appends
           one batch of each size in ROWS; prints the metadata file of every commit:
           [{"key", "url", "snapshot_id", "rows", "data_files", "format_version"}, ...]
           (the first is the empty table)
  append   STORE CATALOG_DIR NAMESPACE TABLE ROWS      one more append; prints the same entry
  evolve   STORE CATALOG_DIR NAMESPACE TABLE ROWS      adds a column `island` (string), then
                                                       appends ROWS rows that fill it
  copy     STORE SRC_BUCKET PREFIX DST_BUCKET          copies every object under PREFIX as is
  pull     STORE BUCKET PREFIX DIR                     downloads PREFIX/* into DIR
  push     STORE DIR BUCKET PREFIX                     uploads DIR/* under PREFIX
  delete   STORE BUCKET KEY                            deletes one object
  put      STORE BUCKET KEY FILE                       uploads FILE as KEY
  get      STORE BUCKET KEY FILE                       downloads KEY into FILE
  list     STORE BUCKET PREFIX                         keys and sizes under PREFIX
"""
import json
import os
import sys


def s3(endpoint, ak, sk):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=ak, aws_secret_access_key=sk,
                        region_name="us-east-1", config=Config(s3={"addressing_style": "path"}))


def catalog(endpoint, ak, sk, catalog_dir, warehouse):
    from pyiceberg.catalog.sql import SqlCatalog

    os.makedirs(catalog_dir, exist_ok=True)
    return SqlCatalog("sfemu", uri=f"sqlite:///{catalog_dir}/catalog.db", warehouse=warehouse,
                      **{"s3.endpoint": endpoint, "s3.access-key-id": ak,
                         "s3.secret-access-key": sk, "s3.region": "us-east-1",
                         "s3.force-virtual-addressing": "false"})


def batch(start, n):
    import pyarrow as pa

    return pa.table({"id": pa.array(range(start, start + n), pa.int64()),
                     "species": pa.array([["Adelie", "Gentoo", "Chinstrap"][i % 3] for i in range(n)]),
                     "mass": pa.array([3000.0 + i for i in range(n)])})


def entry(t):
    url = t.metadata_location
    snap = t.current_snapshot()
    rows = t.scan().to_arrow().num_rows if snap is not None else 0
    files = len(list(t.scan().plan_files())) if snap is not None else 0
    return {"key": url.split("/", 3)[3], "url": url,
            "snapshot_id": None if snap is None else snap.snapshot_id, "rows": rows,
            "data_files": files, "format_version": t.metadata.format_version}


def main(argv):
    cmd, endpoint, ak, sk, rest = argv[0], argv[1], argv[2], argv[3], argv[4:]
    if cmd == "write":
        flags = {a for a in rest if a.startswith("--")}
        rest = [a for a in rest if not a.startswith("--")]
        catalog_dir, bucket, ns, name, sizes = rest[0], rest[1], rest[2], rest[3], rest[4:]
        from pyiceberg.partitioning import UNPARTITIONED_PARTITION_SPEC, PartitionField, PartitionSpec
        from pyiceberg.schema import Schema
        from pyiceberg.transforms import IdentityTransform
        from pyiceberg.types import DoubleType, LongType, NestedField, StringType

        client = s3(endpoint, ak, sk)
        try:
            client.create_bucket(Bucket=bucket)
        except client.exceptions.BucketAlreadyOwnedByYou:
            pass
        cat = catalog(endpoint, ak, sk, catalog_dir, f"s3://{bucket}")
        cat.create_namespace_if_not_exists(ns)
        schema = Schema(NestedField(1, "id", LongType(), required=True),
                        NestedField(2, "species", StringType(), required=False),
                        NestedField(3, "mass", DoubleType(), required=False))
        spec = UNPARTITIONED_PARTITION_SPEC
        if "--partitioned" in flags:
            spec = PartitionSpec(PartitionField(source_id=2, field_id=1000,
                                                transform=IdentityTransform(), name="species"))
        props = {"format-version": "1"} if "--v1" in flags else {}
        t = cat.create_table(f"{ns}.{name}", schema=schema, location=f"s3://{bucket}/{ns}/{name}",
                             partition_spec=spec, properties=props)
        out = [entry(t)]
        start = 0
        for n in sizes:
            n = int(n)
            import pyarrow as pa
            b = batch(start, n)
            b = b.cast(pa.schema([pa.field("id", pa.int64(), nullable=False),
                                  pa.field("species", pa.string()), pa.field("mass", pa.float64())]))
            t.append(b)
            start += n
            out.append(entry(t))
        print(json.dumps(out))
    elif cmd == "append":
        catalog_dir, ns, name, n = rest[0], rest[1], rest[2], int(rest[3])
        import pyarrow as pa

        cat = catalog(endpoint, ak, sk, catalog_dir, "s3://unused")
        t = cat.load_table(f"{ns}.{name}")
        start = t.scan().to_arrow().num_rows
        b = batch(start, n).cast(pa.schema([pa.field("id", pa.int64(), nullable=False),
                                            pa.field("species", pa.string()),
                                            pa.field("mass", pa.float64())]))
        t.append(b)
        print(json.dumps(entry(t)))
    elif cmd == "evolve":
        catalog_dir, ns, name, n = rest[0], rest[1], rest[2], int(rest[3])
        import pyarrow as pa
        from pyiceberg.types import StringType

        cat = catalog(endpoint, ak, sk, catalog_dir, "s3://unused")
        t = cat.load_table(f"{ns}.{name}")
        with t.update_schema() as u:
            u.add_column("island", StringType())
        t = cat.load_table(f"{ns}.{name}")
        start = t.scan().to_arrow().num_rows
        b = batch(start, n).append_column("island", pa.array(["Biscoe"] * n))
        b = b.cast(pa.schema([pa.field("id", pa.int64(), nullable=False),
                              pa.field("species", pa.string()), pa.field("mass", pa.float64()),
                              pa.field("island", pa.string())]))
        t.append(b)
        print(json.dumps(entry(t)))
    elif cmd == "copy":
        src, prefix, dst = rest
        client = s3(endpoint, ak, sk)
        try:
            client.create_bucket(Bucket=dst)
        except client.exceptions.BucketAlreadyOwnedByYou:
            pass
        n = 0
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=src, Prefix=prefix):
            for o in page.get("Contents", []):
                client.copy_object(Bucket=dst, Key=o["Key"], CopySource={"Bucket": src, "Key": o["Key"]})
                n += 1
        print(json.dumps({"copied": n}))
    elif cmd == "pull":
        bucket, prefix, d = rest
        client = s3(endpoint, ak, sk)
        n = 0
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for o in page.get("Contents", []):
                path = os.path.join(d, o["Key"][len(prefix):].lstrip("/"))
                os.makedirs(os.path.dirname(path), exist_ok=True)
                client.download_file(bucket, o["Key"], path)
                n += 1
        print(json.dumps({"pulled": n}))
    elif cmd == "push":
        d, bucket, prefix = rest
        client = s3(endpoint, ak, sk)
        n = 0
        for root, _dirs, files in os.walk(d):
            for f in files:
                path = os.path.join(root, f)
                key = prefix.rstrip("/") + "/" + os.path.relpath(path, d)
                client.upload_file(path, bucket, key)
                n += 1
        print(json.dumps({"pushed": n}))
    elif cmd == "delete":
        bucket, key = rest
        s3(endpoint, ak, sk).delete_object(Bucket=bucket, Key=key)
        print(json.dumps({"deleted": key}))
    elif cmd == "put":
        bucket, key, path = rest
        s3(endpoint, ak, sk).upload_file(path, bucket, key)
        print(json.dumps({"put": key}))
    elif cmd == "get":
        bucket, key, path = rest
        s3(endpoint, ak, sk).download_file(bucket, key, path)
        print(json.dumps({"got": key}))
    elif cmd == "list":
        bucket, prefix = rest
        client = s3(endpoint, ak, sk)
        out = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for o in page.get("Contents", []):
                out[o["Key"]] = o["Size"]
        print(json.dumps(out))
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv[1:])
