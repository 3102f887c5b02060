#!/bin/bash
# Builds the bundles and the table input, then either starts RabbitMQ + LocalStack (whose READY
# hooks create the table and the functions) or, when LocalStack is already up, re-runs those
# hooks so the functions get the new code. Needs Docker and LOCALSTACK_AUTH_TOKEN.
#
#   LOCALSTACK_AUTH_TOKEN=... bash localstack/scripts/deploy.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
localstack_dir="$(dirname "$here")"
repo_root="$(dirname "$localstack_dir")"
compose=(docker compose -f "$localstack_dir/docker-compose.yml")
endpoint="http://127.0.0.1:${LOCALSTACK_PORT:-4566}"

if [[ -z "${LOCALSTACK_AUTH_TOKEN:-}" ]]; then
  echo "LOCALSTACK_AUTH_TOKEN is not set: every LocalStack image needs one since March 2026." >&2
  echo "Without Docker and a token, use 'npm start' instead (see localstack/README.md)." >&2
  exit 1
fi
if ! docker info >/dev/null 2>&1; then
  echo "No Docker engine answers here; LocalStack cannot run. Use 'npm start' instead." >&2
  exit 1
fi

(cd "$repo_root" && npx tsx localstack/scripts/build.ts)

# The init status lists every READY hook with its state; it is the only signal that the hooks,
# not just the HTTP port, are done.
wait_for_hooks() {
  local deadline=$((SECONDS + ${LOCALSTACK_WAIT_SECONDS:-300}))
  local status
  until status="$(curl -fsS "$endpoint/_localstack/init/ready" 2>/dev/null)" &&
    node -e 'const s = JSON.parse(process.argv[1]); process.exit(s.completed === true ? 0 : 1)' "$status"; do
    if ((SECONDS > deadline)); then
      echo "LocalStack's READY hooks did not finish in time; see: ${compose[*]} logs localstack" >&2
      exit 1
    fi
    sleep 2
  done
  # A hook that failed does not stop the others, so its state must be checked.
  node -e '
    const s = JSON.parse(process.argv[1]);
    const failed = (s.scripts ?? []).filter((script) => script.state !== "SUCCESSFUL");
    for (const script of failed) console.error(`init hook ${script.name}: ${script.state}`);
    process.exit(failed.length === 0 ? 0 : 1);
  ' "$status" || {
    echo "see: ${compose[*]} logs localstack" >&2
    exit 1
  }
}

if "${compose[@]}" ps --status running --services | grep -qx localstack; then
  # Already up: the READY hooks ran with the previous build, so run them again.
  for hook in "$localstack_dir"/init/ready.d/*.sh; do
    "${compose[@]}" exec -T localstack "/etc/localstack/init/ready.d/$(basename "$hook")"
  done
else
  "${compose[@]}" up -d
  wait_for_hooks
fi

echo
echo "Deployed. Feed the functions from RabbitMQ with:  npx tsx localstack/bridge.ts"
