"""Independent clients of a Polaris catalog for forge's stand-in contract tests.

Each command takes one JSON argument (the connection and what to do) and prints one JSON
object. Client errors are printed as {"ok": false, "error": <exception class>, "message": ...}
with exit code 0, so that a test can assert a refusal; anything else unexpected exits non-zero.

  pyiceberg-write ARGS   pyiceberg 0.12 RestCatalog with the seed's settings: create the
                         namespace (if missing) and the table, append rows, read them back
  pyiceberg-read ARGS    load the table and read its rows
  pyiceberg-append ARGS  append the table's first row to it again (a write forge did not make)
  pyiceberg-stats ARGS   load the table, count its rows, and average ARGS["column"] over the
                         rows where ARGS["where"] (a pyiceberg row filter) holds
  duck ARGS              duckdb 1.5.5 + iceberg extension: ATTACH the catalog as the seed's
                         `catalog query` does and run ARGS["sql"]

ARGS keys: uri (Polaris base URL), catalog, client_id, client_secret, realm, s3_endpoint,
s3_key, s3_secret, namespace, table, rows (for write), sql (for duck).
"""
import glob
import json
import os
import sys


def rest_catalog(a):
    from pyiceberg.catalog.rest import RestCatalog

    # The seed's loader settings: scope PRINCIPAL_ROLE:ALL, the realm header, no access
    # delegation (empty header), the client's own S3 keys, path-style addressing.
    return RestCatalog(
        "polaris",
        **{
            "uri": a["uri"] + "/api/catalog",
            "credential": f'{a["client_id"]}:{a["client_secret"]}',
            "warehouse": a["catalog"],
            "scope": "PRINCIPAL_ROLE:ALL",
            "header.Polaris-Realm": a["realm"],
            "header.X-Iceberg-Access-Delegation": "",
            "s3.endpoint": a["s3_endpoint"],
            "s3.access-key-id": a["s3_key"],
            "s3.secret-access-key": a["s3_secret"],
            "s3.region": "us-east-1",
            "s3.path-style-access": "true",
        },
    )


def refusal(e):
    return {"ok": False, "error": type(e).__name__, "message": str(e)}


def pyiceberg_write(a):
    import pyarrow as pa
    from pyiceberg.exceptions import RESTError
    from pyiceberg.schema import Schema
    from pyiceberg.types import LongType, NestedField, StringType

    try:
        cat = rest_catalog(a)
        cat.create_namespace_if_not_exists(a["namespace"])
        schema = Schema(
            NestedField(1, "id", LongType(), required=False),
            NestedField(2, "species", StringType(), required=False),
        )
        table = cat.create_table(f'{a["namespace"]}.{a["table"]}', schema=schema)
        n = int(a["rows"])
        table.append(
            pa.table(
                {
                    "id": pa.array(range(n), pa.int64()),
                    "species": pa.array([["Adelie", "Gentoo", "Chinstrap"][i % 3] for i in range(n)]),
                }
            )
        )
        table = cat.load_table(f'{a["namespace"]}.{a["table"]}')
        out = {
            "ok": True,
            "location": table.location(),
            "metadata": table.metadata_location,
            "rows": table.scan().to_arrow().num_rows,
        }
    except RESTError as e:
        out = refusal(e)
    print(json.dumps(out))


def pyiceberg_read(a):
    from pyiceberg.exceptions import RESTError

    try:
        table = rest_catalog(a).load_table(f'{a["namespace"]}.{a["table"]}')
        rows = table.scan().to_arrow()
        out = {"ok": True, "rows": rows.num_rows, "ids": sorted(rows.column("id").to_pylist())}
    except RESTError as e:
        out = refusal(e)
    print(json.dumps(out))


def pyiceberg_append(a):
    table = rest_catalog(a).load_table(f'{a["namespace"]}.{a["table"]}')
    table.append(table.scan(limit=1).to_arrow())
    print(json.dumps({"ok": True, "rows": table.scan().to_arrow().num_rows}))


def pyiceberg_stats(a):
    table = rest_catalog(a).load_table(f'{a["namespace"]}.{a["table"]}')
    rows = table.scan().to_arrow().num_rows
    values = [
        v
        for v in table.scan(row_filter=a["where"], selected_fields=(a["column"],))
        .to_arrow()
        .column(a["column"])
        .to_pylist()
        if v is not None
    ]
    snapshot = table.current_snapshot()
    print(
        json.dumps(
            {
                "ok": True,
                "rows": rows,
                "matching": len(values),
                "avg": sum(values) / len(values) if values else None,
                "operation": snapshot.summary.operation.value if snapshot else None,
                "snapshots": len(table.metadata.snapshots),
            }
        )
    )


def duck(a):
    import duckdb

    site = os.path.dirname(os.path.dirname(duckdb.__file__))
    con = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    for ext in ["httpfs", "avro", "iceberg"]:
        path = glob.glob(f"{site}/duckdb_extension_{ext}/extensions/v*/{ext}.duckdb_extension")[0]
        con.execute(f"LOAD '{path}'")
    host = a["s3_endpoint"].split("://", 1)[1]
    # The seed's `catalog query`: an iceberg secret for the token endpoint, an S3 secret with
    # path-style URLs, and ATTACH with access delegation off.
    con.execute(
        f"""CREATE SECRET polaris_secret (TYPE iceberg, CLIENT_ID '{a["client_id"]}',
            CLIENT_SECRET '{a["client_secret"]}',
            OAUTH2_SERVER_URI '{a["uri"]}/api/catalog/v1/oauth/tokens')"""
    )
    con.execute(
        f"""CREATE SECRET rustfs_s3 (TYPE s3, KEY_ID '{a["s3_key"]}', SECRET '{a["s3_secret"]}',
            ENDPOINT '{host}', URL_STYLE 'path', USE_SSL false, REGION 'us-east-1')"""
    )
    con.execute(
        f"""ATTACH '{a["catalog"]}' AS polaris_catalog (TYPE iceberg, SECRET polaris_secret,
            ENDPOINT '{a["uri"]}/api/catalog', ACCESS_DELEGATION_MODE 'none')"""
    )
    rows = con.execute(a["sql"]).fetchall()
    print(json.dumps({"ok": True, "rows": [list(r) for r in rows]}, default=str))


if __name__ == "__main__":
    {
        "pyiceberg-write": pyiceberg_write,
        "pyiceberg-read": pyiceberg_read,
        "pyiceberg-append": pyiceberg_append,
        "pyiceberg-stats": pyiceberg_stats,
        "duck": duck,
    }[sys.argv[1]](
        json.loads(sys.argv[2])
    )
