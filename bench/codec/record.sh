#!/usr/bin/env bash
# Records real terminal sessions under Xvfb as lossless video for the codec benchmark.
# usage: bench/codec/record.sh SCENARIO OUT.mkv [SECONDS] [FPS]
#   term-log    full-screen xterm with a build-log-like stream of output scrolling past
#   term-shell  two xterms: commands typed into a shell on the left, `top` refreshing on the right
# Needs (Debian): xvfb xterm xdotool x11-utils fonts-dejavu-core ffmpeg. Runs as root.
# Frames: ffmpeg -i OUT.mkv -pix_fmt bgra -f rawvideo frames.raw
set -euo pipefail
scen=$1; out=$2; secs=${3:-20}; fps=${4:-15}
W=1920; H=1080; D=:${DISP:-78}
Xvfb $D -screen 0 ${W}x${H}x24 -nolisten tcp >/dev/null 2>&1 & xpid=$!
trap 'kill $(jobs -p) 2>/dev/null || true; kill $xpid 2>/dev/null || true' EXIT
export DISPLAY=$D; sleep 1.5
xsetroot -solid '#30343c' 2>/dev/null || true
case $scen in
  term-log)
    # A steady stream of real text (package lists, licences) at a readable but fast pace.
    xterm -geometry 239x66+0+0 -fa 'DejaVu Sans Mono' -fs 10 -e bash -c \
      'sleep 1; { dpkg -l; cat /usr/share/common-licenses/Apache-2.0 /usr/share/common-licenses/GPL-2; } | while IFS= read -r l; do printf "%s\n" "$l"; sleep 0.004; done; sleep 60' &
    driver() { sleep "$secs"; } ;;
  term-shell)
    xterm -geometry 118x66+0+0 -fa 'DejaVu Sans Mono' -fs 10 & sleep 1
    xterm -geometry 118x66+960+0 -fa 'DejaVu Sans Mono' -fs 10 -e top -d 0.5 & sleep 1
    driver() {
      wid=$(xdotool search --class xterm | head -1); xdotool windowfocus --sync "$wid" 2>/dev/null || true
      for c in 'uname -a' 'cat /etc/os-release' 'ls -la /etc | head -50' 'df -h' 'ps aux --sort=-%cpu | head -30' 'ip addr' 'free -m' 'ls /usr/share/doc | head -60'; do
        xdotool type --delay 60 "$c"; xdotool key Return; sleep 1.2; done; } ;;
  *) echo "unknown scenario $scen (term-log, term-shell)" >&2; exit 2 ;;
esac
raw=$(mktemp --suffix=.nut)
ffmpeg -hide_banner -loglevel error -y -f x11grab -framerate "$fps" -video_size ${W}x${H} -i $D -t "$secs" -c:v rawvideo "$raw" & fpid=$!
sleep 0.5; driver || true; wait $fpid
kill $(jobs -p) 2>/dev/null || true
ffmpeg -hide_banner -loglevel error -y -i "$raw" -c:v libx264rgb -qp 0 -preset veryslow -g 600 "$out"; rm -f "$raw"
