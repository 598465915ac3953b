#!/usr/bin/env bash
# One gateway of the local cluster: `gateway.sh start N` launches gateway gwN in the background the way up.sh
# does (pid in run/gwN.pid, log appended to run/gwN.log); `gateway.sh wait N` waits until its /readyz is 200;
# `gateway.sh stop N` drains it with SIGTERM and waits for it to exit.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
run="${LC_RUN_DIR:-$here/run}"
action="${1:?usage: gateway.sh start|wait|stop N}"
i="${2:?usage: gateway.sh start|wait|stop N}"
[ -f "$run/ports.env" ] || { echo "gateway.sh: no cluster in $run (run up.sh first)" >&2; exit 1; }
# shellcheck source=/dev/null
. "$run/ports.env"
port=$((base + 50 + i)) admin=$((base + 60 + i)) link=$((base + 70 + i))
pidfile="$run/gw$i.pid"

case "$action" in
start)
  cd "$root"
  mkdir -p "$run/gw$i"
  # setsid: the gateway outlives the calling script and ignores a Ctrl-C typed later in the same terminal.
  setsid node --import tsx gateway/src/main.ts \
    --gateway-id "gw$i" --host 127.0.0.1 --port "$port" --admin-host 127.0.0.1 --admin-port "$admin" \
    --data-dir "$run/gw$i" --registry redis --redis-url "$redis_url" \
    --tls-cert "$run/tls/gw$i.crt" --tls-key "$run/tls/gw$i.key" --tls-ca "$run/tls/ca.crt" \
    --public-url "https://localhost:$port" --link-host 127.0.0.1 --link-port "$link" --link-advertise 127.0.0.1 \
    --cluster-dir "$run/cluster-ca" --shutdown-grace-seconds "$grace" \
    </dev/null >>"$run/gw$i.log" 2>&1 &
  echo $! >"$pidfile"
  echo "starting gateway gw$i: https://127.0.0.1:$port (admin http://127.0.0.1:$admin, link $link)"
  ;;
wait)
  deadline=$((SECONDS + 40))
  until curl -sf "http://127.0.0.1:$admin/readyz" >/dev/null 2>&1; do
    if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "gateway.sh: gw$i exited; see $run/gw$i.log" >&2
      exit 1
    fi
    [ "$SECONDS" -lt "$deadline" ] || { echo "gateway.sh: gw$i not ready after 40s; see $run/gw$i.log" >&2; exit 1; }
    sleep 0.2
  done
  ;;
stop)
  [ -f "$pidfile" ] || exit 0
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$run/gw$i"; then
    kill -TERM "$pid"
    deadline=$((SECONDS + grace + 10))
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "gateway.sh: gw$i did not drain within $((grace + 10))s; killing it" >&2
      kill -KILL "$pid"
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
  fi
  rm -f "$pidfile"
  ;;
*)
  echo "usage: gateway.sh start|wait|stop N" >&2
  exit 2
  ;;
esac
