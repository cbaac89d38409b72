"""Source tables of the whole-migration benchmark (bench/l2c.sh), written through the
catalog (the Polaris stand-in's Iceberg REST API) by pyiceberg 0.12.

usage: l2c_tables.py create URI REALM ROOT_SECRET S3_ENDPOINT TABLES SNAPSHOTS
       l2c_tables.py append URI REALM ROOT_SECRET S3_ENDPOINT TABLES
       l2c_tables.py count METADATA_S3_PATH S3_ENDPOINT KEY SECRET   (StaticTable row count)
Tables are bench.t00, bench.t01, ... in catalog `bench`; S3 keys benchak/benchsk.
"""
import json
import sys
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa


def catalog(uri, realm, secret, s3):
    from pyiceberg.catalog.rest import RestCatalog

    return RestCatalog("bench", **{
        "uri": uri + "/api/catalog", "credential": f"root:{secret}", "warehouse": "bench",
        "scope": "PRINCIPAL_ROLE:ALL", "header.Polaris-Realm": realm,
        "header.X-Iceberg-Access-Delegation": "", "s3.endpoint": s3,
        "s3.access-key-id": "benchak", "s3.secret-access-key": "benchsk",
        "s3.region": "us-east-1", "s3.path-style-access": "true",
    })


def rows(start, n):
    return pa.table({"id": pa.array(range(start, start + n), pa.int64()),
                     "name": pa.array([f"n{i}" for i in range(start, start + n)])})


def create(uri, realm, secret, s3, tables, snapshots):
    cat = catalog(uri, realm, secret, s3)
    cat.create_namespace_if_not_exists("bench")

    def one(i):
        c = catalog(uri, realm, secret, s3)
        t = c.create_table(f"bench.t{i:02d}", schema=rows(0, 1).schema)
        for s in range(int(snapshots)):
            t.append(rows(s * 100, 100))
        return i

    with ThreadPoolExecutor(4) as ex:
        list(ex.map(one, range(int(tables))))


def append(uri, realm, secret, s3, tables):
    cat = catalog(uri, realm, secret, s3)
    for i in range(int(tables)):
        t = cat.load_table(f"bench.t{i:02d}")
        t.append(rows(1_000_000, 100))


def count(metadata, s3, key, secret):
    from pyiceberg.table import StaticTable

    t = StaticTable.from_metadata(metadata, properties={
        "s3.endpoint": s3, "s3.access-key-id": key, "s3.secret-access-key": secret,
        "s3.region": "us-east-1", "s3.path-style-access": "true"})
    print(json.dumps({"rows": t.scan().to_arrow().num_rows, "location": t.location()}))


{"create": create, "append": append, "count": count}[sys.argv[1]](*sys.argv[2:])
