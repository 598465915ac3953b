#!/usr/bin/env bash
# Makes sure the real peers the tests use are installed (run by `npm test` before the suite):
# redis-server (registry tests), nginx (relay benchmark peer), ffmpeg (codec benchmark peers),
# and the native codec is built. As root it installs what is missing from Debian's packages;
# otherwise it prints the command to run and fails.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-benchmark >/dev/null 2>&1 || missing+=(redis-tools)
command -v redis-sentinel >/dev/null 2>&1 || missing+=(redis-sentinel)
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "relaydesk tests need: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "installing test peers from Debian: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# nginx from Debian starts a service on install; the benchmarks start their own on loopback ports.
if command -v systemctl >/dev/null 2>&1; then systemctl stop nginx >/dev/null 2>&1 || true; fi

# The native codec: cargo is incremental, so this is quick when nothing changed.
npm run --silent build:native >/dev/null
