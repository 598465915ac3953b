#!/usr/bin/env bash
# The NAT lab for people (as root): `ops/netlab/netlab.sh up a:cone b:symmetric`, `ops/netlab/netlab.sh sweep`.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec npx tsx ops/netlab/cli.ts "$@"
