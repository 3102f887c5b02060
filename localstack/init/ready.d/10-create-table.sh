#!/bin/bash
# LocalStack READY hook: creates the manager's table from the CreateTable input that
# `localstack/scripts/build.ts` wrote on the host (itself `createTableInput(...)` of the project),
# so no key or index is written here. Safe to run again: an existing table is left as it is.
set -euo pipefail

build_dir="${WM_BUILD_DIR:-/opt/worker-manager}"
create_table="$build_dir/create-table.json"
time_to_live="$build_dir/time-to-live.json"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"

if [[ ! -f "$create_table" ]]; then
  echo "worker-manager: $create_table is missing; run 'npx tsx localstack/scripts/build.ts' on the host first" >&2
  exit 1
fi

# The CLI has no flag to read one field of a JSON file; LocalStack's image always has Python.
table_name="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["TableName"])' "$create_table")"

if awslocal dynamodb describe-table --table-name "$table_name" >/dev/null 2>&1; then
  # Keys and indexes cannot change in place; a changed definition needs the table dropped.
  echo "worker-manager: table $table_name exists; kept as is (delete it to recreate it from a changed definition)"
else
  awslocal dynamodb create-table --cli-input-json "file://$create_table" >/dev/null
  awslocal dynamodb wait table-exists --table-name "$table_name"
  echo "worker-manager: table $table_name created"
fi

# TTL as the CDK stack sets it in AWS; the sweeper never relies on it.
if [[ -f "$time_to_live" ]]; then
  ttl_status="$(awslocal dynamodb describe-time-to-live --table-name "$table_name" --query 'TimeToLiveDescription.TimeToLiveStatus' --output text)"
  if [[ "$ttl_status" != "ENABLED" && "$ttl_status" != "ENABLING" ]]; then
    awslocal dynamodb update-time-to-live --cli-input-json "file://$time_to_live" >/dev/null
    echo "worker-manager: TTL enabled on $table_name"
  fi
fi
