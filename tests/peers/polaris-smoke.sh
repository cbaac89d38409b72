#!/usr/bin/env bash
# Checks a running Polaris (start-polaris.sh --smoke runs this): root token,
# create a catalog on S3-compatible storage without STS, list catalogs.
# Env: POLARIS_URL, POLARIS_REALM, POLARIS_CLIENT_ID, POLARIS_CLIENT_SECRET,
# S3_ENDPOINT (default http://127.0.0.1:9000; nothing needs to listen there).
set -euo pipefail
: "${POLARIS_URL:?}" "${POLARIS_REALM:?}" "${POLARIS_CLIENT_ID:?}" "${POLARIS_CLIENT_SECRET:?}"
S3_ENDPOINT=${S3_ENDPOINT:-http://127.0.0.1:9000}

token=$(curl -fsS -X POST "$POLARIS_URL/api/catalog/v1/oauth/tokens" \
  -H "Polaris-Realm: $POLARIS_REALM" \
  -d grant_type=client_credentials -d "client_id=$POLARIS_CLIENT_ID" \
  -d "client_secret=$POLARIS_CLIENT_SECRET" -d scope=PRINCIPAL_ROLE:ALL |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
echo "got root token (${#token} chars)"

auth=(-H "Authorization: Bearer $token" -H "Polaris-Realm: $POLARIS_REALM")
curl -fsS -X POST "$POLARIS_URL/api/management/v1/catalogs" "${auth[@]}" \
  -H 'Content-Type: application/json' -d @- <<EOF
{"catalog": {
  "name": "smoke", "type": "INTERNAL",
  "properties": {"default-base-location": "s3://forge-smoke/warehouse"},
  "storageConfigInfo": {
    "storageType": "S3", "allowedLocations": ["s3://forge-smoke/warehouse"],
    "endpoint": "$S3_ENDPOINT", "pathStyleAccess": true,
    "stsUnavailable": true, "region": "us-east-1"}}}
EOF
echo "created catalog smoke"
curl -fsS "$POLARIS_URL/api/management/v1/catalogs" "${auth[@]}" |
  python3 -c 'import json,sys; cs=json.load(sys.stdin)["catalogs"]; print("catalogs:", [c["name"] for c in cs]); assert any(c["name"]=="smoke" for c in cs)'
echo "polaris smoke: all checks passed"
