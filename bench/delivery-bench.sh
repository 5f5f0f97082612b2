#!/usr/bin/env bash
# bench/delivery-bench.sh: HLS delivery by `yunguan serve` against nginx
# serving the same files, measured in one invocation.
#
# Set-up: a generated 40 s 720p source (noise, so every rung is at its bit
# rate: 4 s segments of the 720p rung are ~1.5 MB) is imported and
# transcoded; then `yunguan serve --workers 0 --access-log off` and nginx
# (2 workers = the cores, sendfile on, access_log off) serve DATA/media on
# two loopback ports. Each figure alternates the two servers, ROUNDS times,
# and keeps each one's best run.
#  (1) segment throughput: wrk, 64 connections, the 720p 4 s segments in
#      turn; MB/s and the ratio yunguan/nginx (goal >= 1.0);
#  (2) small requests: master playlist, a media playlist, and
#      GET /api/v1/items/<id> against nginx serving a static file of the same
#      size; requests/s and ratio (goal >= 0.5);
#  (3) simulated viewers (bench/yg-viewers.c): each fetches the master and a
#      media playlist, then one 4 s segment every 4 s; the viewer count
#      doubles until a run has an error or a p99 segment latency >= 500 ms,
#      then halves the interval between the last good and the first bad
#      count twice (so the figure is within 1/8 of the last doubling); the
#      largest good count per server and the ratio (goal >= 0.8);
#  (4) yunguan's RSS and open file descriptors before, during (the largest
#      viewer run) and 10 s after the load.
# Environment:
#   DELIVERY_BENCH_SECONDS  length of each wrk run (default 10)
#   DELIVERY_BENCH_ROUNDS   runs per server for (1) and (2) (default 2)
#   DELIVERY_BENCH_VIEWERS  first viewer count of (3) (default 250)
#   BENCH_DIR               scratch directory (default $TMPDIR or /tmp)
#   YUNGUAN                 the binary (default build/media-server/yunguan, copied first)
# Needs wrk, nginx and ffmpeg (scripts/install-deps.sh installs them). Listens
# on 127.0.0.1 only; stops what it starts and deletes what it wrote.
# Not part of the test suite.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
seconds=${DELIVERY_BENCH_SECONDS:-10}
rounds=${DELIVERY_BENCH_ROUNDS:-2}
first_viewers=${DELIVERY_BENCH_VIEWERS:-250}
bench_dir=${BENCH_DIR:-${TMPDIR:-/tmp}}
src_bin=${YUNGUAN:-$root/build/media-server/yunguan}
viewers_bin=$root/build/bench/yg-viewers

for tool in wrk nginx ffmpeg curl python3; do
  command -v "$tool" >/dev/null || { echo "delivery-bench: $tool is missing (bash scripts/install-deps.sh)" >&2; exit 2; }
done
[ -x "$src_bin" ] && [ -x "$viewers_bin" ] || { echo "delivery-bench: build first (bash scripts/build.sh build)" >&2; exit 2; }

work=$(mktemp -d "$bench_dir/yg-delivery-bench.XXXXXX")
yg_pid=
cleanup() {
  [ -n "$yg_pid" ] && kill "$yg_pid" 2>/dev/null && wait "$yg_pid" 2>/dev/null || true
  [ -f "$work/nginx/nginx.pid" ] && kill "$(cat "$work/nginx/nginx.pid")" 2>/dev/null || true
  sleep 0.5
  rm -rf "$work"
}
trap cleanup EXIT
cp "$src_bin" "$work/yunguan"
yg=$work/yunguan
data=$work/data
ulimit -n "$(ulimit -Hn)"
max_conns=$(( $(ulimit -n) - 500 )) # both servers get the same connection cap
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
item_json() { curl -sf "http://127.0.0.1:$yg_port/api/v1/items/$item"; }
json_field() { python3 -c "import sys,json; print(json.load(sys.stdin)['$1'])"; }

start_yunguan() { # extra options...
  yg_port=$(free_port)
  "$yg" serve --data "$data" --listen "127.0.0.1:$yg_port" --access-log off "$@" 2>"$work/serve.log" &
  yg_pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$yg_port/healthz" >/dev/null && return; sleep 0.1; done
  echo "delivery-bench: yunguan did not start:" >&2; cat "$work/serve.log" >&2; exit 1
}
stop_yunguan() { kill "$yg_pid"; wait "$yg_pid" 2>/dev/null || true; yg_pid=; }

echo "== set-up: a 40 s 720p source, imported and transcoded"
ffmpeg -v error -f lavfi -i "testsrc2=size=1280x720:rate=25,noise=alls=25:allf=t" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 40 -c:v libx264 -preset ultrafast -crf 20 \
  -pix_fmt yuv420p -c:a aac -shortest "$work/source.mp4"
item=$("$yg" import --data "$data" --kind performance --title "delivery bench" "$work/source.mp4" 2>/dev/null)
start_yunguan --workers 1
for _ in $(seq 600); do
  [ "$(item_json | json_field status)" = ready ] && break
  sleep 1
done
[ "$(item_json | json_field status)" = ready ] || { echo "delivery-bench: the transcode did not finish" >&2; exit 1; }
stop_yunguan
media=$data/media/$item
(cd "$media/720p" && ls seg*.ts | tail -n +4) | sed "s|^|/hls/$item/720p/|" > "$work/segments.txt"
seg_bytes=$(cd "$media/720p" && ls seg*.ts | tail -n +4 | xargs stat -c %s | awk '{s+=$1} END {printf "%.2f", s/NR/1e6}')
echo "item $item; $(wc -l < "$work/segments.txt") segments of 4 s in 720p, ${seg_bytes} MB on average"

start_yunguan --workers 0 --max-connections "$max_conns"
item_json > "$media/item.json" # nginx's static file of the same size

nginx_port=$(free_port)
mkdir -p "$work/nginx/logs"
cat > "$work/nginx/nginx.conf" <<EOF
worker_processes $(nproc);
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
worker_rlimit_nofile $(ulimit -n);
events { worker_connections $max_conns; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; application/json json; }
  server {
    listen 127.0.0.1:$nginx_port;
    location /hls/ { alias $data/media/; }
  }
}
EOF
[ "$(id -u)" = 0 ] && sed -i "1i user root;" "$work/nginx/nginx.conf"
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf"
sleep 0.5
curl -sf "http://127.0.0.1:$nginx_port/hls/$item/master.m3u8" >/dev/null || { echo "delivery-bench: nginx does not serve the files" >&2; exit 1; }

cat > "$work/paths.lua" <<'EOF'
-- wrk: requests the paths listed in the file given after --, in turn;
-- prints bytes/s, requests/s and errors of the run.
local paths, i = {}, 0
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  i = math.random(#paths)
end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
function done(summary, latency, requests)
  local s = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("RESULT bytes_per_s=%.0f requests_per_s=%.0f errors=%d p99_ms=%.1f\n",
    summary.bytes / s, summary.requests / s,
    e.connect + e.read + e.write + e.status + e.timeout, latency:percentile(99) / 1000))
end
EOF

# run_wrk PORT PATHFILE CONNECTIONS -> "bytes_per_s requests_per_s errors p99"
run_wrk() {
  wrk -t2 -c"$3" -d"${seconds}s" -s "$work/paths.lua" "http://127.0.0.1:$1" -- "$2" \
    | awk '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); printf "%s ", kv[2] } print "" }'
}
better() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# compare NAME YG_PATHFILE NGINX_PATHFILE CONNECTIONS FIELD(1 bytes, 2 requests)
compare() {
  local best_y=0 best_n=0 r
  for round in $(seq "$rounds"); do
    r=$(run_wrk "$yg_port" "$2" "$4"); echo "  yunguan round $round: $r"
    [ "$(echo "$r" | cut -d' ' -f3)" = 0 ] && best_y=$(better "$best_y" "$(echo "$r" | cut -d' ' -f"$5")")
    r=$(run_wrk "$nginx_port" "$3" "$4"); echo "  nginx   round $round: $r"
    [ "$(echo "$r" | cut -d' ' -f3)" = 0 ] && best_n=$(better "$best_n" "$(echo "$r" | cut -d' ' -f"$5")")
  done
  if [ "$5" = 1 ]; then
    printf "%-34s yunguan %8.1f MB/s   nginx %8.1f MB/s   ratio %s\n" "$1" \
      "$(awk -v x="$best_y" 'BEGIN{print x/1e6}')" "$(awk -v x="$best_n" 'BEGIN{print x/1e6}')" "$(ratio "$best_y" "$best_n")"
  else
    printf "%-34s yunguan %8.0f req/s  nginx %8.0f req/s  ratio %s\n" "$1" "$best_y" "$best_n" "$(ratio "$best_y" "$best_n")"
  fi | tee -a "$work/summary.txt"
}

rss_fds() { # "RSS_KiB fds"
  echo "$(awk '/VmRSS/ {print $2}' "/proc/$yg_pid/status") $(ls "/proc/$yg_pid/fd" | wc -l)"
}
before=$(rss_fds)

echo "== (1) segment throughput, 64 connections, ${seconds} s runs"
compare "segments (64 connections)" "$work/segments.txt" "$work/segments.txt" 64 1

echo "== (2) small requests, 64 connections"
echo "/hls/$item/master.m3u8" > "$work/master.txt"
echo "/hls/$item/720p/index.m3u8" > "$work/media.txt"
echo "/api/v1/items/$item" > "$work/api.txt"
echo "/hls/$item/item.json" > "$work/api-static.txt"
compare "master.m3u8 ($(stat -c %s "$media/master.m3u8") B)" "$work/master.txt" "$work/master.txt" 64 2
compare "720p/index.m3u8 ($(stat -c %s "$media/720p/index.m3u8") B)" "$work/media.txt" "$work/media.txt" 64 2
compare "items/<id> JSON ($(stat -c %s "$media/item.json") B)" "$work/api.txt" "$work/api-static.txt" 64 2

echo "== (3) simulated viewers: one 4 s segment every 4 s each, 16 s runs"
# run_viewers PORT N -> the summary line; yunguan's RSS and fds in the middle go to $work/during
run_viewers() {
  "$viewers_bin" --port "$1" --master "/hls/$item/master.m3u8" --media "/hls/$item/720p/index.m3u8" \
    --segments "$work/segments.txt" --viewers "$2" --seconds 16 &
  local gen=$!
  if [ "$1" = "$yg_port" ]; then sleep 12; echo "$(rss_fds) (at $2 viewers)" > "$work/during"; fi
  wait "$gen"
}
good() { # summary line -> success when no errors and p99 < 500 ms
  echo "$1" | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
                   END { exit !(v["errors"] == 0 && v["seg_p99_ms"] < 500 && v["segments"] > 0) }'
}
# largest_viewers PORT NAME -> prints the largest good count
largest_viewers() {
  local n=$first_viewers last_good=0 first_bad=0 line
  while [ "$n" -le "$max_conns" ]; do
    line=$(run_viewers "$1" "$n"); echo "  $2: $line" >&2
    if good "$line"; then last_good=$n; n=$((n * 2)); else first_bad=$n; break; fi
  done
  # two halvings of the bracket: the figure is within an eighth of the first good count
  for _ in 1 2; do
    [ "$first_bad" -gt 0 ] && [ "$last_good" -gt 0 ] || break
    n=$(( (last_good + first_bad) / 2 ))
    line=$(run_viewers "$1" "$n"); echo "  $2: $line" >&2
    if good "$line"; then last_good=$n; else first_bad=$n; fi
  done
  echo "$last_good"
}
vy=$(largest_viewers "$yg_port" yunguan)
vn=$(largest_viewers "$nginx_port" nginx)
printf "%-34s yunguan %8d        nginx %8d        ratio %s\n" "viewers (0 errors, p99 < 500 ms)" \
  "$vy" "$vn" "$(ratio "$vy" "$vn")" | tee -a "$work/summary.txt"

sleep 10
after=$(rss_fds)
echo "== (4) yunguan RSS (KiB) and open fds: before $before; during $(cat "$work/during"); 10 s after $after" \
  | tee -a "$work/summary.txt"

echo
echo "== summary ($(nproc) cores, load average at the start: $load_before)"
cat "$work/summary.txt"
