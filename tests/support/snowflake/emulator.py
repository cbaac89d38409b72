#!/usr/bin/env python3
"""A stateful emulator of Snowflake's SQL API v2 for forge's tests (see docs/testing.md,
"The Snowflake emulator").

  python3 emulator.py --port P --account ACC --public-key PEM_FILE [--public-key PEM_FILE2]
      [--user USER] [--pat TOKEN] [--oauth-token TOKEN] [--default-role ROLE]
      [--warehouse NAME ...] --s3-endpoint URL --s3-access-key K --s3-secret-key S
      [--s3-region R] [--no-iam-check] [--sync-wait SECONDS] [--partition-rows N]

Prints exactly `ready http://127.0.0.1:P` on stdout once it serves; SIGTERM or SIGINT stops
it (`snowflake-emulator: stopped` on stderr). Faults can also be set at start with
SNOWFLAKE_EMULATOR_FAULTS (a JSON list, see api.Faults).

Needs cryptography, boto3 and fastavro (scripts/install-test-servers.sh installs them into
$FORGE_CACHE/servers/snowflake-emulator-deps).
"""
import sys

sys.dont_write_bytecode = True

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import threading  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from account import Account  # noqa: E402
from api import Emulator, serve  # noqa: E402
from auth import Authenticator  # noqa: E402
from iceberg import Store  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--account", required=True,
                    help="the account identifier as the JWT names it, e.g. MYORG-MYACCOUNT")
    ap.add_argument("--user", default="FORGE", help="the one user (default FORGE)")
    ap.add_argument("--public-key", action="append", default=[],
                    help="PEM file of the user's RSA public key (twice for a second key)")
    ap.add_argument("--pat", help="the user's programmatic access token")
    ap.add_argument("--oauth-token", help="an OAuth access token accepted for the user")
    ap.add_argument("--default-role", default="ACCOUNTADMIN")
    ap.add_argument("--warehouse", action="append", default=None,
                    help="a warehouse that exists (default COMPUTE_WH), usable by PUBLIC")
    ap.add_argument("--s3-endpoint", required=True)
    ap.add_argument("--s3-access-key", required=True)
    ap.add_argument("--s3-secret-key", required=True)
    ap.add_argument("--s3-region", default="us-east-1")
    ap.add_argument("--no-iam-check", action="store_true",
                    help="do not check the volume's IAM role, trust and policies on the S3 side")
    ap.add_argument("--sync-wait", type=float, default=45.0,
                    help="seconds a POST waits for its statement before answering 202 (45)")
    ap.add_argument("--partition-rows", type=int, default=100,
                    help="rows per result partition (100)")
    a = ap.parse_args(argv)
    if not a.public_key and not a.pat and not a.oauth_token:
        ap.error("give at least one of --public-key, --pat, --oauth-token")
    if len(a.public_key) > 2:
        ap.error("a Snowflake user has at most two public keys")
    if a.default_role not in ("ACCOUNTADMIN", "SECURITYADMIN", "USERADMIN", "SYSADMIN", "PUBLIC"):
        ap.error("--default-role must be a system role (the user holds ACCOUNTADMIN)")
    keys = []
    for path in a.public_key:
        with open(path, "rb") as f:
            keys.append(f.read())
    user = a.user.upper() if a.user.isidentifier() else a.user
    store = Store(a.s3_endpoint, a.s3_access_key, a.s3_secret_key, a.s3_region,
                  iam_check=not a.no_iam_check)
    account = Account(a.account.upper(), user, store, default_role=a.default_role,
                      warehouses=tuple(a.warehouse or ["COMPUTE_WH"]))
    auth = Authenticator(a.account, user, keys, pat=a.pat, oauth=a.oauth_token)
    emu = Emulator(account, auth, sync_wait=a.sync_wait, partition_rows=a.partition_rows)
    faults = os.environ.get("SNOWFLAKE_EMULATOR_FAULTS")
    if faults:
        rules = json.loads(faults)
        emu.faults.add(rules if isinstance(rules, list) else [rules])
    server = serve(emu, a.port)

    def stop(_sig, _frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"ready http://127.0.0.1:{a.port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        print(f"snowflake-emulator: stopped; {len(emu.statement_log)} statements run",
              file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
