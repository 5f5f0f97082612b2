#!/usr/bin/env bash
# bench/upload-bench.sh: one large tus upload against a fresh `yunguan serve`,
# measured against `dd` writing the same bytes to the same filesystem.
#
# Prints the server's RSS before the upload, its peak (sampled every 100 ms,
# and the kernel's VmHWM), the growth (goal: < 32 MiB, i.e. bodies stream to
# disk), the upload throughput, the throughput of `dd conv=fsync` writing the
# same number of the same bytes next to the data directory, and the ratio
# upload/dd, all measured in this invocation. Not part of the test suite.
#
# Environment:
#   UPLOAD_BENCH_BYTES      bytes to upload (default 4294967296 = 4 GiB; scaled
#                           down, with a note, when the disk is short)
#   UPLOAD_BENCH_CHUNK_MIB  PATCH size in MiB (default 64; 0 = one PATCH for all)
#   BENCH_DIR               where the data dir and dd file go (default $TMPDIR or /tmp)
#   YUNGUAN                 the binary (default: build/media-server/yunguan, copied
#                           first so a concurrent rebuild cannot swap it mid-run)
# Listens on 127.0.0.1 only; stops its server and deletes everything it wrote.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
size=${UPLOAD_BENCH_BYTES:-4294967296}
chunk_mib=${UPLOAD_BENCH_CHUNK_MIB:-64}
bench_dir=${BENCH_DIR:-${TMPDIR:-/tmp}}
src_bin=${YUNGUAN:-$root/build/media-server/yunguan}
margin=$((1024 * 1024 * 1024))
goal_mib=32

die() { echo "upload-bench: $*" >&2; exit 1; }
now_ns() { date +%s%N; }
mb_per_s() { awk -v b="$1" -v ns="$2" 'BEGIN { printf "%.1f", b / 1e6 / (ns / 1e9) }'; }
secs() { awk -v ns="$1" 'BEGIN { printf "%.2f", ns / 1e9 }'; }
mib() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }

[[ $size =~ ^[0-9]+$ && $size -gt 0 ]] || die "UPLOAD_BENCH_BYTES must be a positive integer"
[[ $chunk_mib =~ ^[0-9]+$ && $chunk_mib -le 1024 ]] ||
  die "UPLOAD_BENCH_CHUNK_MIB must be an integer from 0 to 1024"
# Full chunks are sent straight from the pattern file (curl -T FILE); the
# one-PATCH mode streams the repeated pattern through a pipe instead.
if ((chunk_mib == 0)); then pattern_bytes=$((64 * 1048576)); else pattern_bytes=$((chunk_mib * 1048576)); fi
[[ -x $src_bin ]] || die "no yunguan binary at $src_bin (run ninja -C build)"
for tool in curl dd awk df; do command -v "$tool" >/dev/null || die "$tool is required"; done

work=$(mktemp -d "$bench_dir/yg-upload-bench.XXXXXX")
server_pid=
sampler_pid=
cleanup() {
  set +e
  [[ -n $sampler_pid ]] && kill "$sampler_pid" 2>/dev/null && wait "$sampler_pid" 2>/dev/null
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- disk: the upload (later the dd file, never both) + the pattern + margin
avail=$(df -B1 --output=avail "$work" | tail -n 1 | tr -d ' ')
need=$((size + pattern_bytes + margin))
if ((avail < need)); then
  new=$(((avail - pattern_bytes - margin) / 1048576 * 1048576))
  ((new >= 64 * 1048576)) || die "only $((avail / 1048576)) MiB free in $bench_dir; need at least 1.2 GiB"
  echo "NOTE: only $((avail / 1048576)) MiB free in $bench_dir: scaling the upload down from" \
       "$size to $new bytes"
  size=$new
fi

# --- source bytes: one random pattern (the chunk size, 64 MiB in one-PATCH
# mode) repeated; no source file of the full size is ever written.
pattern=$work/pattern.bin
head -c "$pattern_bytes" /dev/urandom >"$pattern"
if ((chunk_mib == 0)); then chunk=$size; else chunk=$pattern_bytes; fi
tail_bytes=$((size % pattern_bytes))
tail_file=$work/tail.bin
((tail_bytes == 0)) || head -c "$tail_bytes" "$pattern" >"$tail_file"
gen_bytes() { # LEN: writes LEN bytes of the repeated pattern to stdout
  (
    set +o pipefail
    { while cat "$pattern" 2>/dev/null; do :; done; } | head -c "$1"
  )
}
gen_ns=0
if ((chunk_mib == 0)); then # the pipe alone: a ceiling for the one-PATCH upload
  t0=$(now_ns); gen_bytes "$size" >/dev/null; gen_ns=$(($(now_ns) - t0))
fi

# --- server
bin=$work/yunguan
cp "$src_bin" "$bin"
data=$work/data
mkdir -p "$data"
"$bin" serve --data "$data" --listen 127.0.0.1:0 --workers 0 --access-log off 2>"$work/serve.log" &
server_pid=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's/^yunguan: port \([0-9][0-9]*\).*/\1/p' "$work/serve.log" | head -n 1)
  [[ -n $port ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; die "server exited"; }
  sleep 0.1
done
[[ -n $port ]] || die "server did not report its port"
base=http://127.0.0.1:$port
token=$("$bin" token create --data "$data" --role staff)
[[ -n $token ]] || die "token create printed nothing"

b64() { printf %s "$1" | base64 -w0; }
location=$(curl -sS --max-time 30 -D - -o /dev/null -X POST "$base/api/v1/uploads" \
  -H "Authorization: Bearer $token" -H "Tus-Resumable: 1.0.0" -H "Upload-Length: $size" \
  -H "Upload-Metadata: filename $(b64 bench.mp4),title $(b64 'upload bench'),kind $(b64 performance)" |
  tr -d '\r' | awk -F': ' 'tolower($1) == "location" { print $2 }')
[[ $location == /api/v1/uploads/* ]] || die "upload creation failed"

status_file=/proc/$server_pid/status
read_kb() { # FIELD: a kB field of the server's /proc status
  local k v _
  while read -r k v _; do
    if [[ $k == "$1:" ]]; then echo "$v"; return 0; fi
  done <"$status_file"
  return 1
}
cpu_ticks() { # utime + stime of the server, in clock ticks
  local stat rest
  stat=$(<"/proc/$server_pid/stat")
  rest=${stat##*) }
  # shellcheck disable=SC2086
  set -- $rest
  echo $((${12} + ${13}))
}
sleep 0.5
rss_before=$(read_kb VmRSS)
hwm_before=$(read_kb VmHWM)

(
  set +e
  while :; do
    rss=
    { while read -r k v _; do
        if [[ $k == VmRSS: ]]; then rss=$v; break; fi
      done <"$status_file"; } 2>/dev/null
    [[ -n $rss ]] || break
    echo "$rss"
    sleep 0.1
  done
) >"$work/rss.log" &
sampler_pid=$!

# --- the upload
offset=0
n_patch=0
last_ns=0
sum_other_ns=0
max_time=$((60 + chunk / 20000000)) # never slower than 20 MB/s
cpu_before=$(cpu_ticks)
t_start=$(now_ns)
while ((offset < size)); do
  len=$((size - offset < chunk ? size - offset : chunk))
  t0=$(now_ns)
  if ((len == pattern_bytes)); then src=$pattern
  elif ((chunk_mib > 0)); then src=$tail_file
  else src=-
  fi
  code=$( { if [[ $src == - ]]; then gen_bytes "$len"; fi; } |
    curl -sS --max-time "$max_time" -o /dev/null -D "$work/patch.hdr" \
    -w '%{http_code}' -X PATCH -T "$src" "$base$location" \
    -H "Authorization: Bearer $token" -H "Tus-Resumable: 1.0.0" \
    -H "Content-Type: application/offset+octet-stream" -H "Upload-Offset: $offset" \
    -H "Content-Length: $len" -H "Transfer-Encoding:" -H "Expect:") || die "PATCH at $offset failed"
  dt=$(($(now_ns) - t0))
  [[ $code == 204 ]] || die "PATCH at $offset answered $code"
  got=$(tr -d '\r' <"$work/patch.hdr" | awk -F': ' 'tolower($1) == "upload-offset" { print $2 }')
  [[ $got == $((offset + len)) ]] || die "PATCH at $offset: server offset $got"
  offset=$got
  n_patch=$((n_patch + 1))
  if ((offset < size)); then sum_other_ns=$((sum_other_ns + dt)); else last_ns=$dt; fi
done
upload_ns=$(($(now_ns) - t_start))
cpu_upload=$(($(cpu_ticks) - cpu_before))
item=$(tr -d '\r' <"$work/patch.hdr" | awk -F': ' 'tolower($1) == "yunguan-item-id" { print $2 }')

sleep 0.3
kill "$sampler_pid" 2>/dev/null || true
wait "$sampler_pid" 2>/dev/null || true
sampler_pid=
rss_after=$(read_kb VmRSS)
hwm_after=$(read_kb VmHWM)
rss_peak=$(sort -n "$work/rss.log" | tail -n 1)
samples=$(wc -l <"$work/rss.log")
[[ -n $item ]] || die "the final PATCH named no item"
stored=$(stat -c %s "$data/originals/$item/original.mp4" 2>/dev/null || echo 0)
[[ $stored == "$size" ]] || die "originals/$item/original.mp4 has $stored bytes, not $size"

# --- stop the server and free the disk before the reference
kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true
server_pid=
rm -rf "$data"
sync # let the deletion's journal and any writeback settle before timing dd
sleep 1

# --- reference: dd appending the same pieces of the same bytes to one file
# on the same filesystem; the last dd's conv=fsync flushes the whole file.
n_full=$((size / pattern_bytes))
t0=$(now_ns)
for ((i = 1; i <= n_full; i++)); do
  flags=notrunc
  ((i == n_full && tail_bytes == 0)) && flags=notrunc,fsync
  timeout 600 dd if="$pattern" of="$work/dd.bin" bs=4M oflag=append conv=$flags status=none
done
if ((tail_bytes > 0)); then
  timeout 600 dd if="$tail_file" of="$work/dd.bin" bs=4M oflag=append conv=notrunc,fsync status=none
fi
dd_ns=$(($(now_ns) - t0))
dd_size=$(stat -c %s "$work/dd.bin")
rm -f "$work/dd.bin"
[[ $dd_size == "$size" ]] || die "dd wrote $dd_size bytes, not $size"

# Second reference (chunked mode): fsync after every piece, as the server
# does before acknowledging each PATCH.
dd2_ns=0
if ((chunk_mib > 0 && n_patch > 1)); then
  t0=$(now_ns)
  for ((i = 1; i <= n_full; i++)); do
    timeout 600 dd if="$pattern" of="$work/dd.bin" bs=4M oflag=append conv=notrunc,fsync status=none
  done
  if ((tail_bytes > 0)); then
    timeout 600 dd if="$tail_file" of="$work/dd.bin" bs=4M oflag=append conv=notrunc,fsync status=none
  fi
  dd2_ns=$(($(now_ns) - t0))
  rm -f "$work/dd.bin"
fi

# --- report
# VmHWM is updated lazily (per-thread RSS counters), so take the larger.
((hwm_after > rss_peak)) && rss_peak=$hwm_after
growth_kb=$((rss_peak - rss_before))
up=$(mb_per_s "$size" "$upload_ns")
ddr=$(mb_per_s "$size" "$dd_ns")
verdict=$( ((growth_kb < goal_mib * 1024)) && echo "met" || echo "NOT met")
fs=$(df --output=source,fstype "$work" | tail -n 1 | tr -s ' ')
echo
echo "upload-bench  $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cores  fs: $fs ($bench_dir)"
printf '  bytes                 %d (%.2f GiB), %d PATCH of %s\n' "$size" \
  "$(awk -v b="$size" 'BEGIN { print b / 1073741824 }')" "$n_patch" \
  "$( ((chunk_mib == 0)) && echo "the whole file" || echo "$chunk_mib MiB")"
echo "  server RSS before     $(mib "$rss_before") MiB"
echo "  server RSS peak       $(mib "$rss_peak") MiB (max of $samples samples every 100 ms and" \
     "VmHWM $(mib "$hwm_after") MiB, which was $(mib "$hwm_before") MiB before the upload)"
echo "  server RSS growth     $(mib "$growth_kb") MiB (goal < $goal_mib MiB: $verdict);" \
     "RSS after $(mib "$rss_after") MiB"
echo "  upload                $(secs "$upload_ns") s  $up MB/s (first byte to the final 204)"
echo "    server CPU          $(awk -v t="$cpu_upload" -v hz="$(getconf CLK_TCK)" -v ns="$upload_ns" \
     'BEGIN { printf "%.2f s (%.0f%% of one core over the upload)", t / hz, 100 * t / hz / (ns / 1e9) }')"
if ((n_patch > 1)); then
  echo "    mean PATCH          $(secs $((sum_other_ns / (n_patch - 1)))) s" \
       "($(mb_per_s $((size - len)) "$sum_other_ns") MB/s over all but the final PATCH);" \
       "final PATCH $(secs "$last_ns") s (finishing the SHA-256, which runs while bytes arrive, the move and the catalogue)"
fi
echo "  dd conv=fsync         $(secs "$dd_ns") s  $ddr MB/s ($n_full x dd if=pattern oflag=append$( ((tail_bytes > 0)) && echo " + tail")," \
     "the last with conv=fsync)"
if ((gen_ns > 0)); then
  echo "  pipe generator alone  $(secs "$gen_ns") s  $(mb_per_s "$size" "$gen_ns") MB/s (the one PATCH" \
       "reads through it; dd does not)"
fi
if ((dd2_ns > 0)); then
  echo "  dd fsync per piece    $(secs "$dd2_ns") s  $(mb_per_s "$size" "$dd2_ns") MB/s (conv=fsync on" \
       "every $chunk_mib MiB piece, the server's fsync cadence)"
fi
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "  ratio upload/dd       $(ratio "$dd_ns" "$upload_ns") (throughput; 1.00 = as fast as dd)"
if ((dd2_ns > 0)); then
  echo "  ratio vs dd per piece $(ratio "$dd2_ns" "$upload_ns") whole upload;" \
       "$(awk -v a="$dd2_ns" -v o="$sum_other_ns" -v s="$size" -v l="$len" \
         'BEGIN { printf "%.2f", a / (o * s / (s - l)) }') receiving only (all but the final PATCH)"
fi
