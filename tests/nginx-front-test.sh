#!/usr/bin/env bash
# nginx-front-test.sh: the production recipe of docs/nginx/yunguan-media.conf,
# run for real: nginx in front of `yunguan serve --accel-redirect /yg-media/`.
#
# A generated 3 s clip is imported and transcoded by the server's own worker;
# a second one is made residents-only. Through nginx: the public item's
# master playlist and a segment arrive byte for byte as on disk with
# Yunguan's Content-Type and Cache-Control; a Range gives 206 with the right
# bytes and a known ETag gives 304 (both answered by nginx from the file);
# the internal location cannot be requested directly; the residents-only
# item is 404 at its public URL and plays through its signed URL; names
# outside the grammar and traversal attempts never reach the disk (404/400).
# Output: TAP. Exit 77 (skipped) without nginx or ffmpeg.
# Env: YG_BIN (the yunguan binary), YG_SOURCE_ROOT (the repository).
set -uo pipefail

root=${YG_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
yg=${YG_BIN:-$root/build/media-server/yunguan}
for tool in nginx ffmpeg curl python3; do
  command -v "$tool" >/dev/null || { echo "1..0 # SKIP $tool is missing"; exit 77; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/yg-nginx-front.XXXXXX")
yg_pid=
cleanup() {
  [ -n "$yg_pid" ] && kill "$yg_pid" 2>/dev/null && wait "$yg_pid" 2>/dev/null
  [ -f "$work/nginx/nginx.pid" ] && kill "$(cat "$work/nginx/nginx.pid")" 2>/dev/null
  sleep 0.3
  rm -rf "$work"
}
trap cleanup EXIT
data=$work/data
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
check() { # description, then a command
  local what=$1; shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}
bail() { echo "Bail out! $*"; [ -f "$work/serve.log" ] && sed 's/^/# /' "$work/serve.log" | tail -20; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
field() { python3 -c "import sys,json; print(json.load(sys.stdin)['$1'])"; }

for i in 1 2; do
  ffmpeg -v error -f lavfi -i "testsrc2=size=320x240:rate=25:duration=3" \
    -f lavfi -i "sine=frequency=$((400 * i)):sample_rate=48000:duration=3" \
    -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac "$work/clip$i.mp4" || bail "ffmpeg"
done
public=$("$yg" import --data "$data" --kind performance --title "公开" "$work/clip1.mp4" 2>/dev/null) || bail "import"
private=$("$yg" import --data "$data" --kind lesson --title "居民" "$work/clip2.mp4" 2>/dev/null) || bail "import"
staff=$("$yg" token create --data "$data" --role staff) || bail "token"

yg_port=$(free_port)
"$yg" serve --data "$data" --listen "127.0.0.1:$yg_port" --workers 1 --accel-redirect /yg-media/ \
  2>"$work/serve.log" &
yg_pid=$!
origin="http://127.0.0.1:$yg_port"
for _ in $(seq 240); do
  a=$(curl -sf "$origin/api/v1/items/$public" | field status 2>/dev/null)
  b=$(curl -sf "$origin/api/v1/items/$private" | field status 2>/dev/null)
  [ "$a" = ready ] && [ "$b" = ready ] && break
  sleep 0.5
done
[ "$a" = ready ] && [ "$b" = ready ] || bail "the clips were not transcoded ($a, $b)"
curl -sf -X PATCH -H "Authorization: Bearer $staff" -H 'Content-Type: application/json' \
  -d '{"visibility":"residents"}' "$origin/api/v1/items/$private" >/dev/null || bail "PATCH"
signed=$(curl -sf -H "Authorization: Bearer $staff" "$origin/api/v1/items/$private" | field hls_url)

nginx_port=$(free_port)
mkdir -p "$work/nginx/logs"
sed "s|@DATA@|$data|g" "$root/docs/nginx/yunguan-media.conf" > "$work/nginx/yunguan-media.conf"
cat > "$work/nginx/nginx.conf" <<CONF
$( [ "$(id -u)" = 0 ] && echo "user root;" )
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; image/jpeg jpg; }
  upstream yunguan { server 127.0.0.1:$yg_port; keepalive 8; }
  server {
    listen 127.0.0.1:$nginx_port;
    include $work/nginx/yunguan-media.conf;
  }
}
CONF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" || bail "nginx did not start"
front="http://127.0.0.1:$nginx_port"
media=$data/media/$public
seg=$(cd "$media/360p" && ls seg*.ts | head -1)

echo "1..13"
# headers of one request through nginx, lower-cased names
head_of() { curl -s -D - -o "$work/body" "$@" | tr -d '\r' | tr 'A-Z' 'a-z'; }
h=$(head_of "$front/hls/$public/master.m3u8")
check "public master playlist: 200, same bytes as on disk" \
  bash -c "echo '$h' | grep -q '^http/1.1 200' && cmp -s '$work/body' '$media/master.m3u8'"
check "its Content-Type and Cache-Control are Yunguan's" \
  bash -c "echo '$h' | grep -q '^content-type: application/vnd.apple.mpegurl' && echo '$h' | grep -q '^cache-control: no-cache'"
check "the X-Accel-Redirect header does not reach the client" bash -c "! echo '$h' | grep -q x-accel"
h=$(head_of "$front/hls/$public/360p/$seg")
check "segment: same bytes, immutable caching" \
  bash -c "cmp -s '$work/body' '$media/360p/$seg' && echo '$h' | grep -q '^cache-control: public, max-age=31536000, immutable'"
etag=$(echo "$h" | sed -n 's/^etag: //p')
check "nginx sent it from disk (its ETag, mtime-size, not Yunguan's size-mtime-inode)" \
  bash -c "echo '$etag' | grep -Eq '^\"[0-9a-f]+-[0-9a-f]+\"\$'"
h=$(head_of -H 'Range: bytes=100-199' "$front/hls/$public/360p/$seg")
check "Range: 206 with exactly bytes 100-199" \
  bash -c "echo '$h' | grep -q '^http/1.1 206' && cmp -s '$work/body' <(tail -c +101 '$media/360p/$seg' | head -c 100)"
h=$(head_of -H "If-None-Match: $etag" "$front/hls/$public/360p/$seg")
check "If-None-Match with its ETag: 304" bash -c "[ -n '$etag' ] && echo '$h' | grep -q '^http/1.1 304'"
h=$(head_of "$front/yg-media/$public/master.m3u8")
check "the internal location cannot be requested directly (404)" bash -c "echo '$h' | grep -q '^http/1.1 404'"
h=$(head_of "$front/hls/$private/master.m3u8")
check "residents-only item at its public URL: 404 from Yunguan, nothing from disk" \
  bash -c "echo '$h' | grep -q '^http/1.1 404' && grep -q not_found '$work/body'"
h=$(head_of "$front$signed")
check "residents-only item through its signed URL: 200, same bytes, private caching" \
  bash -c "echo '$h' | grep -q '^http/1.1 200' && cmp -s '$work/body' '$data/media/$private/master.m3u8' && echo '$h' | grep -q '^cache-control: private'"
h=$(head_of "$front$(echo "$signed" | sed 's/\.[A-Za-z0-9_-]*\//.AAAA\//')")
check "a forged token: 403" bash -c "echo '$h' | grep -q '^http/1.1 403'"
status=$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$front/hls/$public/360p/..%2f..%2fcatalog.db")
check "traversal attempt: refused ($status)" bash -c "[ '$status' = 404 ] || [ '$status' = 400 ]"
status=$(curl -s -o /dev/null -w '%{http_code}' "$front/hls/$public/360p/secret.txt")
check "a name outside the grammar: 404 ($status)" bash -c "[ '$status' = 404 ]"
exit $failed
