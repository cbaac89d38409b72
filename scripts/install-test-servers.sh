#!/usr/bin/env bash
# Installs the third-party test servers the integration tests start themselves, into a
# cache outside the clone (${FORGE_CACHE:-$HOME/.cache/forge}/servers), pinned:
#
#   moto 5.2.5       AWS S3/IAM/STS stand-in   (pip --no-deps overlay; 5.2.1 breaks strict S3 clients)
#   s3s-fs 0.14.1    RustFS stand-in           (cargo install; 0.17 needs a newer rustc)
#   pyiceberg 0.12.0, duckdb 1.5.5 (+ iceberg/avro/httpfs extensions), fastavro
#                    independent Iceberg writers and readers (pip --target)
#   apache-polaris 1.8.0
#                    the official Polaris CLI and client, for the Polaris stand-in's
#                    contract tests (pip --target, its own directory: it pins other
#                    pydantic and boto3 versions than pyiceberg's)
#   cryptography 48.0.0, boto3/botocore 1.43.11, fastavro 1.12.1
#                    what the Snowflake emulator (tests/support/snowflake/) imports
#                    (pip --target, its own directory)
#
# Idempotent: each is skipped when already installed. Prints what it did and how long it took.
set -euo pipefail

CACHE=${FORGE_CACHE:-$HOME/.cache/forge}
SERVERS=$CACHE/servers
mkdir -p "$SERVERS"
log() { printf '[install-test-servers %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

MOTO_VERSION=5.2.5
S3S_VERSION=0.14.1

moto_dir=$SERVERS/moto-$MOTO_VERSION
if [ ! -f "$moto_dir/.installed" ]; then
  start=$(date +%s)
  log "installing moto $MOTO_VERSION into $moto_dir"
  # moto's server needs flask, werkzeug, boto3, etc.; install them beside it when the
  # machine's Python lacks them, so a fresh machine works too.
  python3 -m pip install -q --no-deps --target "$moto_dir" "moto==$MOTO_VERSION"
  if ! PYTHONPATH=$moto_dir python3 -c 'import moto.server, flask, flask_cors, boto3, werkzeug, xmltodict, jinja2, responses, cryptography, dateutil' 2>/dev/null; then
    log "adding moto's server dependencies"
    python3 -m pip install -q --target "$moto_dir/deps" "flask<4" "flask-cors<7" "boto3<2" "werkzeug<4" "xmltodict<1" "jinja2<4" "responses<1" "cryptography<47" "python-dateutil<3" "requests<3" "pyyaml<7"
  fi
  touch "$moto_dir/.installed"
  log "moto ready in $(( $(date +%s) - start ))s"
fi

s3s_root=$SERVERS/s3s-fs-$S3S_VERSION
if [ ! -x "$s3s_root/bin/s3s-fs" ]; then
  start=$(date +%s)
  log "building s3s-fs $S3S_VERSION into $s3s_root (about 8 minutes on 2 cores)"
  CARGO_TARGET_DIR=$CACHE/s3s-target cargo install -q "s3s-fs@$S3S_VERSION" --locked --features binary --root "$s3s_root" ${S3S_JOBS:+-j "$S3S_JOBS"}
  rm -rf "$CACHE/s3s-target"
  log "s3s-fs ready in $(( $(date +%s) - start ))s"
fi
py_dir=$SERVERS/pyiceberg-0.12.0
if [ ! -f "$py_dir/.installed" ]; then
  start=$(date +%s)
  log "installing pyiceberg 0.12.0, duckdb 1.5.5 and fastavro into $py_dir"
  python3 -m pip install -q --target "$py_dir" "pyiceberg[pyarrow,sql-sqlite]==0.12.0" "fastavro==1.12.1" \
    "duckdb==1.5.5" "duckdb-extension-iceberg==1.5.5" "duckdb-extension-avro==1.5.5" "duckdb-extension-httpfs==1.5.5"
  touch "$py_dir/.installed"
  log "pyiceberg ready in $(( $(date +%s) - start ))s"
fi
polaris_dir=$SERVERS/apache-polaris-1.8.0
if [ ! -f "$polaris_dir/.installed" ]; then
  start=$(date +%s)
  log "installing apache-polaris 1.8.0 (the polaris CLI) into $polaris_dir"
  python3 -m pip install -q --target "$polaris_dir" "apache-polaris==1.8.0"
  touch "$polaris_dir/.installed"
  log "apache-polaris ready in $(( $(date +%s) - start ))s"
fi
sfemu_dir=$SERVERS/snowflake-emulator-deps-1
if [ ! -f "$sfemu_dir/.installed" ]; then
  start=$(date +%s)
  log "installing the Snowflake emulator's Python dependencies into $sfemu_dir"
  python3 -m pip install -q --target "$sfemu_dir" "cryptography==48.0.0" "boto3==1.43.11" \
    "botocore==1.43.11" "fastavro==1.12.1"
  touch "$sfemu_dir/.installed"
  log "Snowflake emulator dependencies ready in $(( $(date +%s) - start ))s"
fi
echo "moto:   PYTHONPATH=$moto_dir:$moto_dir/deps python3 -m moto.server"
echo "python: PYTHONPATH=$py_dir (pyiceberg, duckdb, fastavro)"
echo "s3s-fs: $s3s_root/bin/s3s-fs"
echo "snowflake emulator: PYTHONPATH=$sfemu_dir python3 tests/support/snowflake/emulator.py"
echo "polaris CLI: PYTHONPATH=$polaris_dir python3 -m apache_polaris.cli.polaris_cli"
