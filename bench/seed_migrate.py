"""The replaced tool's migration of Iceberg tables, for bench/l2c.sh: per table, in
sequence, its smart sync (../shared/bench/py_smart_sync.py: sequential boto3, new or
resized objects), then its metadata downloaded, every file rewritten by the reference
rewriter (../shared/bench/py_rewrite.py) and all of it uploaded again (the tool re-uploads
rewritten metadata on every sync).

usage: seed_migrate.py REF_DIR SRC_ENDPOINT SRC_BUCKET DST_ENDPOINT DST_BUCKET NAMESPACE TABLES
credentials: SRC_ACCESS_KEY/SRC_SECRET_KEY, DST_ACCESS_KEY/DST_SECRET_KEY.
"""
import os
import subprocess
import sys
import tempfile

import boto3
from botocore.config import Config


def client(endpoint, side):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=os.environ[f"{side}_ACCESS_KEY"],
                        aws_secret_access_key=os.environ[f"{side}_SECRET_KEY"],
                        config=Config(s3={"addressing_style": "path"}))


def main():
    ref, src_ep, src_bucket, dst_ep, dst_bucket, ns, tables = sys.argv[1:8]
    src, dst = client(src_ep, "SRC"), client(dst_ep, "DST")
    for i in range(int(tables)):
        prefix = f"{ns}/t{i:02d}/"
        subprocess.run([sys.executable, f"{ref}/py_smart_sync.py", src_ep, src_bucket, prefix,
                        dst_ep, dst_bucket, prefix], check=True, stdout=subprocess.DEVNULL)
        with tempfile.TemporaryDirectory() as tmp:
            inp, out = f"{tmp}/in", f"{tmp}/out"
            os.makedirs(f"{inp}/metadata")
            pages = src.get_paginator("list_objects_v2").paginate(Bucket=src_bucket, Prefix=prefix + "metadata/")
            for page in pages:
                for o in page.get("Contents", []):
                    src.download_file(src_bucket, o["Key"], f"{inp}/{o['Key'][len(prefix):]}")
            subprocess.run([sys.executable, f"{ref}/py_rewrite.py", f"s3://{src_bucket}/{prefix.rstrip('/')}",
                            f"s3://{dst_bucket}/{prefix.rstrip('/')}", inp, out], check=True,
                           stdout=subprocess.DEVNULL)
            for name in sorted(os.listdir(f"{out}/metadata")):
                dst.upload_file(f"{out}/metadata/{name}", dst_bucket, f"{prefix}metadata/{name}")


main()
