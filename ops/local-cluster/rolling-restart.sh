#!/usr/bin/env bash
# A rolling restart of the local cluster's gateways, as an upgrade would do it: one gateway at a time is
# drained with SIGTERM (its /readyz turns 503, HAProxy stops routing to it, its parties are told to reconnect
# and resume their sessions through HAProxy on the other gateways), started again, and must be ready and
# back in HAProxy's rotation before the next one goes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
run="${LC_RUN_DIR:-$here/run}"
# shellcheck source=/dev/null
. "$run/ports.env"
stats_port=$((base + 80))
for i in 1 2 3; do
  echo "draining gw$i"
  LC_RUN_DIR="$run" bash "$here/gateway.sh" stop "$i"
  LC_RUN_DIR="$run" bash "$here/gateway.sh" start "$i"
  LC_RUN_DIR="$run" bash "$here/gateway.sh" wait "$i"
  deadline=$((SECONDS + 15))
  until curl -s "http://127.0.0.1:$stats_port/;csv" | grep -q "^gateways,gw$i,.*,UP,"; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "rolling-restart.sh: HAProxy does not see gw$i up after 15s" >&2; exit 1; }
    sleep 0.2
  done
  echo "gw$i is back"
done
