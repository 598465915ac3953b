#!/usr/bin/env bash
# Makes sure the real peers the tests use are installed (run by `npm test` before the suite):
# redis-server, redis-sentinel, redis-tools (registry, Sentinel and Cluster tests), nginx (relay benchmark peer),
# ffmpeg (codec benchmark peers), haproxy (local cluster), prometheus (promtool checks the alert rules),
# curl, slapd (the LDAP login tests start their own OpenLDAP), iproute2/iptables/squid/apache2-utils (the NAT
# lab), chromium (the web console's browser tests, driven by playwright-core; never a downloaded browser);
# Xvfb, xterm, xdotool, x11-utils and x11-xserver-utils (xrandr) (the customer agent's tests: a real X server
# and real X clients); the X11 development libraries the native crate links (libX11, libXext for MIT-SHM,
# libXdamage, libXfixes, libXtst, libXrandr); and the native crate and the web console bundle are built. As root
# it installs what is missing from Debian's packages; otherwise it prints the command to run and fails.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-benchmark >/dev/null 2>&1 || missing+=(redis-tools)
command -v redis-sentinel >/dev/null 2>&1 || missing+=(redis-sentinel)
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
# Debian ships nginx's stream module (the relay benchmark's peer) as its own package.
[ -e /usr/lib/nginx/modules/ngx_stream_module.so ] || missing+=(libnginx-mod-stream)
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v curl >/dev/null 2>&1 || missing+=(curl)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/sbin/slapd ] || missing+=(slapd)
# The NAT lab (ops/netlab): namespaces and NAT rules, netem, and squid as the HTTP CONNECT proxy (with htpasswd).
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v iptables-restore >/dev/null 2>&1 || missing+=(iptables)
[ -x /usr/sbin/squid ] || missing+=(squid)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)
command -v xterm >/dev/null 2>&1 || missing+=(xterm)
command -v xdotool >/dev/null 2>&1 || missing+=(xdotool)
command -v xwininfo >/dev/null 2>&1 || missing+=(x11-utils)
command -v xrandr >/dev/null 2>&1 || missing+=(x11-xserver-utils)
# The agent's X11 capture links these (native/src/x11/ffi.rs); the -dev packages carry the .so links the linker needs.
for lib in libx11-dev libxext-dev libxdamage-dev libxfixes-dev libxtst-dev libxrandr-dev; do
  dpkg-query -W -f='${Status}' "$lib" 2>/dev/null | grep -q 'install ok installed' || missing+=("$lib")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "relaydesk tests need: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "installing test peers from Debian: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts some of these as services on install; the tests start their own on loopback ports, so stop
  # the ones just installed here (never a service that was already on this machine).
  for service in "${missing[@]}"; do
    case "$service" in nginx | haproxy | prometheus | redis-server | redis-sentinel | slapd | squid)
      if command -v systemctl >/dev/null 2>&1; then systemctl stop "$service" >/dev/null 2>&1 || true; fi
      if command -v service >/dev/null 2>&1; then service "$service" stop >/dev/null 2>&1 || true; fi
      ;;
    esac
  done
fi

# The native codec: cargo is incremental, so this is quick when nothing changed.
npm run --silent build:native >/dev/null
# The console bundle (also built on npm ci): rebuilt here so the browser tests never run an older one.
npm run --silent build:console >/dev/null
