#!/usr/bin/env bash
# Stops the local cluster started by up.sh, in the order a real drain uses: HAProxy first (no new
# connections), then each gateway with SIGTERM (readyz 503, parties told to reconnect, up to
# shutdownGraceSeconds), then Redis. Waits for every process to exit (SIGKILL after a bounded wait) and
# checks each pid still belongs to the process up.sh started before signalling it.
# Logs stay in the run folder; `down.sh --clean` removes the folder too (including the CA clients pinned).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
run="${LC_RUN_DIR:-$here/run}"
grace="${LC_GRACE_SECONDS:-5}"
[ -d "$run" ] || { echo "down.sh: nothing to stop ($run does not exist)"; exit 0; }

# Whether pid $1 is still the process we started: its command line mentions $2.
ours() {
  local pid="$1" mark="$2"
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$mark"
}

# stop NAME MARK SECONDS: SIGTERM, wait up to SECONDS, then SIGKILL.
stop() {
  local name="$1" mark="$2" seconds="$3" pidfile="$run/$1.pid"
  [ -e "$pidfile" ] || return 0
  local pid
  pid="$(cat "$pidfile")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && ours "$pid" "$mark"; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + seconds))
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "down.sh: $name (pid $pid) did not stop within ${seconds}s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
    echo "stopped $name (pid $pid)"
  fi
  rm -f "$pidfile"
}

stop haproxy "$run/haproxy.cfg" 5
# Gateways drain in parallel: each waits up to its grace period for parties to leave.
for i in 1 2 3; do stop "gw$i" "$run/gw$i" $((grace + 10)) & done
wait
# redis-server rewrites its title to "redis-server 127.0.0.1:port", so match the binary name.
stop redis "redis-server" 10

if [ "${1:-}" = "--clean" ]; then
  rm -rf "$run"
  echo "removed $run"
fi
