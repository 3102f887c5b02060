#!/bin/bash
# LocalStack READY hook: creates (or updates) one Lambda per bundle that
# `localstack/scripts/build.ts` wrote on the host. The bundles are the CDK construct's esbuild
# output; the manifest names each function with its timeout and memory. Safe to run again:
# `localstack/scripts/deploy.sh` re-runs it after a rebuild.
set -euo pipefail

build_dir="${WM_BUILD_DIR:-/opt/worker-manager}"
manifest="$build_dir/functions.tsv"
environment_dir="$build_dir/environment"
role_name="worker-manager-localstack"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"

for required in "$manifest" "$environment_dir"; do
  if [[ ! -e "$required" ]]; then
    echo "worker-manager: $required is missing; run 'npx tsx localstack/scripts/build.ts' on the host first" >&2
    exit 1
  fi
done

# LocalStack does not enforce IAM by default, but create-function needs a role ARN that exists
# once enforcement is switched on (ENFORCE_IAM=1).
if ! role_arn="$(awslocal iam get-role --role-name "$role_name" --query 'Role.Arn' --output text 2>/dev/null)"; then
  role_arn="$(awslocal iam create-role --role-name "$role_name" \
    --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}' \
    --query 'Role.Arn' --output text)"
fi

work_dir="$(mktemp -d)"
trap 'rm -rf "$work_dir"' EXIT

# The manifest is read on fd 3 so no command in the loop can swallow its lines from stdin.
while IFS=$'\t' read -r -u 3 function_name folder timeout memory; do
  [[ -n "$function_name" ]] || continue
  bundle_dir="$build_dir/functions/$folder"
  zip_file="$work_dir/$folder.zip"
  # Each function its own environment, built from the typed settings the CDK stack reads.
  environment="$environment_dir/$folder.json"
  # Files listed one by one: given the folder, zipfile would nest them under its name and the
  # runtime would not find index.mjs at the root.
  (cd "$bundle_dir" && python3 -m zipfile -c "$zip_file" index.mjs index.mjs.map)

  if awslocal lambda get-function --function-name "$function_name" >/dev/null 2>&1; then
    awslocal lambda update-function-code --function-name "$function_name" --zip-file "fileb://$zip_file" >/dev/null
    awslocal lambda wait function-updated-v2 --function-name "$function_name"
    awslocal lambda update-function-configuration --function-name "$function_name" \
      --timeout "$timeout" --memory-size "$memory" --environment "file://$environment" >/dev/null
    awslocal lambda wait function-updated-v2 --function-name "$function_name"
    echo "worker-manager: function $function_name updated"
  else
    # The AWS stack runs arm64; the architecture is left to LocalStack (LAMBDA_IGNORE_ARCHITECTURE)
    # so the same bundle runs on x86 and ARM hosts without emulation.
    awslocal lambda create-function --function-name "$function_name" \
      --runtime nodejs22.x --handler index.handler --role "$role_arn" \
      --zip-file "fileb://$zip_file" --timeout "$timeout" --memory-size "$memory" \
      --environment "file://$environment" >/dev/null
    awslocal lambda wait function-active-v2 --function-name "$function_name"
    echo "worker-manager: function $function_name created"
  fi
done 3< "$manifest"
