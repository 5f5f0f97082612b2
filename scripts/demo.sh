#!/usr/bin/env bash
# One command from a fresh Debian 12 machine (as root) to a running demo:
# installs dependencies, builds, creates a demo data directory with three
# generated recordings (a performance, a lesson, heritage footage), imports
# them and starts the server, which transcodes them in the background.
#   YG_DEMO_DATA    data directory (default: demo-data/ in the source tree)
#   YG_DEMO_LISTEN  address (default 127.0.0.1:8080)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
data="${YG_DEMO_DATA:-$here/demo-data}"
listen="${YG_DEMO_LISTEN:-127.0.0.1:8080}"

bash scripts/install-deps.sh
bash scripts/build.sh build
yg="$here/build/media-server/yunguan"

mkdir -p "$data"
if [ ! -f "$data/.demo-imported" ]; then
  samples="$(mktemp -d)"
  trap 'rm -rf "$samples"' EXIT
  echo "demo: generating sample recordings"
  ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
  # A 40 s "performance" at 720p with a melody, a 30 s "lesson" at 540p with a
  # spoken-voice-like tone, and 30 s of "heritage" footage at 480p.
  ff -f lavfi -i "testsrc2=size=1280x720:rate=25" \
     -f lavfi -i "sine=frequency=440:beep_factor=4:sample_rate=48000" -t 40 \
     -c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a aac -b:a 128k "$samples/performance.mp4"
  ff -f lavfi -i "smptehdbars=size=960x540:rate=25" \
     -f lavfi -i "sine=frequency=220:sample_rate=48000" -t 30 \
     -c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a aac -b:a 96k "$samples/lesson.mp4"
  ff -f lavfi -i "mandelbrot=size=854x480:rate=25" \
     -f lavfi -i "sine=frequency=330:beep_factor=2:sample_rate=48000" -t 30 \
     -c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a aac -b:a 96k "$samples/heritage.mkv"
  cat > "$samples/metadata.csv" <<'CSV'
file,title,kind,description
performance.mp4,新年音乐会（演示）,performance,"演示用的演出录像：彩条与音乐。"
lesson.mp4,书法入门 第一课（演示）,lesson,"演示用的课程视频。"
heritage.mkv,昆曲《牡丹亭》选段（演示）,heritage,"演示用的非遗影像。"
CSV
  "$yg" import --data "$data" --metadata "$samples/metadata.csv" \
    "$samples/performance.mp4" "$samples/lesson.mp4" "$samples/heritage.mkv"
  touch "$data/.demo-imported"
fi

echo
echo "demo: open http://$listen/ in a browser (Ctrl-C stops the server)"
echo "demo: a staff token for the API:"
"$yg" token create --data "$data" --role staff --name "demo"
exec "$yg" serve --data "$data" --listen "$listen"
