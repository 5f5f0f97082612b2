#!/usr/bin/env bash
# bench/transcode-bench.sh: the project's HLS ladder against the ffmpeg CLI
# producing the same ladder, and the time from import to "playable".
#
# In one invocation:
#  (a) `yunguan transcode-job` on a generated 1080p25 source: wall time;
#  (b) one ffmpeg command making the same ladder from one decode (split +
#      scale; x264 veryfast, same bit rates, VBV of one second, GOP of one
#      segment with scenecut 0, same profiles, AAC 128k muxed into every video
#      variant plus a 64k audio-only variant, 4 s MPEG-TS HLS segments):
#      wall time, and the ratio project/ffmpeg (goal <= 1.0);
#      then each rung's PSNR against the source for both, the rung decoded
#      from its HLS playlist and scaled back UP to the source's 1920x1080
#      (bicubic) -- the same for both -- and the difference in dB;
#  (c) a long source (default 60 min, made cheaply by looping a 60 s clip
#      with -c copy) imported into a fresh `yunguan serve --workers 1`:
#      time from the import command's exit to GET /api/v1/items/<id> saying
#      "playable": true, polled every 100 ms (goal <= 5 s); the server is
#      stopped then, without waiting for the transcode.
#
# Environment:
#   TRANSCODE_BENCH_SECONDS       source length for (a)/(b) (default 60)
#   TRANSCODE_BENCH_RUNS          runs of (a) and (b), alternating; the best
#                                 (shortest) of each is used (default 1)
#   TRANSCODE_BENCH_LONG_MINUTES  length of the source for (c) (default 60; 0 skips (c))
#   BENCH_DIR                     scratch directory (default $TMPDIR or /tmp)
#   YUNGUAN                       the binary (default build/media-server/yunguan, copied
#                                 first so a concurrent rebuild cannot swap it mid-run)
# Listens on 127.0.0.1 only; stops what it starts and deletes what it wrote.
# Not part of the test suite.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
seconds=${TRANSCODE_BENCH_SECONDS:-60}
runs=${TRANSCODE_BENCH_RUNS:-1}
long_min=${TRANSCODE_BENCH_LONG_MINUTES:-60}
bench_dir=${BENCH_DIR:-${TMPDIR:-/tmp}}
src_bin=${YUNGUAN:-$root/build/media-server/yunguan}
fps=25
seg=4
playable_goal=5
playable_timeout=180

die() { echo "transcode-bench: $*" >&2; exit 1; }
note() { echo "transcode-bench: $*" >&2; }
now_ns() { date +%s%N; }
secs() { awk -v ns="$1" 'BEGIN { printf "%.2f", ns / 1e9 }'; }

[[ $seconds =~ ^[0-9]+$ && $seconds -ge 8 && $seconds -le 3600 ]] ||
  die "TRANSCODE_BENCH_SECONDS must be from 8 to 3600"
[[ $runs =~ ^[0-9]+$ && $runs -ge 1 && $runs -le 10 ]] || die "TRANSCODE_BENCH_RUNS must be 1 to 10"
[[ $long_min =~ ^[0-9]+$ && $long_min -le 600 ]] || die "TRANSCODE_BENCH_LONG_MINUTES must be 0 to 600"
[[ -x $src_bin ]] || die "no yunguan binary at $src_bin (run ninja -C build)"
for tool in ffmpeg ffprobe curl awk df; do command -v "$tool" >/dev/null || die "$tool is required"; done
[[ $(ffmpeg -hide_banner -encoders 2>/dev/null) == *libx264* ]] || die "ffmpeg lacks libx264"

work=$(mktemp -d "$bench_dir/yg-transcode-bench.XXXXXX")
server_pid=
cleanup() {
  set +e
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# All processes below @1, deepest last (read before @1 is stopped).
descendants() {
  local p c
  for p in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    echo "$p"
    descendants "$p"
  done
}
stop_server() {
  [[ -n $server_pid ]] || return 0
  local kids p
  kids=$(descendants "$server_pid")
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  wait "$server_pid" 2>/dev/null || true
  # The server stops its workers; anything of ours still running goes now.
  sleep 0.5
  for p in $kids; do kill -KILL "$p" 2>/dev/null || true; done
  server_pid=
  return 0
}

# --- disk: sources, two ladders, and for (c) the long source twice (the
# file and its copy in originals/), at ~3 Mbit/s.
long_bytes_est=$((long_min * 60 * 3200000 / 8))
need=$((seconds * 4000000 + 2 * long_bytes_est + 1024 * 1048576))
avail=$(df -B1 --output=avail "$work" | tail -n 1 | tr -d ' ')
if ((avail < need)); then
  fit=$(((avail - seconds * 4000000 - 1024 * 1048576) / (2 * 60 * 400000)))
  ((fit < 0)) && fit=0
  note "NOTE: only $((avail / 1048576)) MiB free in $bench_dir: the long source for (c)" \
       "goes from $long_min to $fit minutes"
  long_min=$fit
fi

bin=$work/yunguan
cp "$src_bin" "$bin"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${load0%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 4) }'; then
  note "NOTE: load average $load0 on $(nproc) cores: other work is running; times will be noisy"
fi

# --- the source: 1080p25 testsrc2 + a 440 Hz sine, x264 CRF 16 preset medium
# (a good master), BT.709 limited range and tagged so, as a camera file is.
src=$work/source.mp4
color_opts=(-colorspace bt709 -color_primaries bt709 -color_trc bt709 -color_range tv)
make_clip() { # OUT SECONDS x264-args...
  local out=$1 len=$2
  shift 2
  timeout $((600 + len * 20)) ffmpeg -hide_banner -loglevel error -nostdin -y \
    -f lavfi -i "testsrc2=size=1920x1080:rate=$fps" -f lavfi -i "sine=frequency=440:sample_rate=48000" \
    -t "$len" -map 0:v -map 1:a -vf "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p" \
    "${color_opts[@]}" -c:v libx264 "$@" -c:a aac -b:a 192k -ac 2 -movflags +faststart "$out"
}
t0=$(now_ns)
make_clip "$src" "$seconds" -preset medium -crf 16
note "source: ${seconds} s 1080p$fps, $(($(stat -c %s "$src") / 1048576)) MiB, made in $(secs $(($(now_ns) - t0))) s"
src_frames=$((seconds * fps))

new_id() { # 16 characters of [a-z2-7], like the server's ids
  (set +o pipefail; tr -dc 'a-z2-7' </dev/urandom | head -c 16)
}

# --- (a) the project
run_project() { # OUTDIR_VAR: runs transcode-job, prints wall ns
  local data=$work/yg-data id
  rm -rf "$data"
  id=$(new_id)
  mkdir -p "$data/originals/$id"
  ln "$src" "$data/originals/$id/original.mp4" 2>/dev/null || cp "$src" "$data/originals/$id/original.mp4"
  local t0 t1 TIMEFORMAT='%U %S'
  t0=$(now_ns)
  # Report lines are stamped as they arrive, to split the ladder from the storyboard.
  { time timeout $((300 + seconds * 30)) "$bin" transcode-job --data "$data" \
    --input "originals/$id/original.mp4" --output "media/$id" 2>"$work/project.err" |
    while IFS= read -r line; do echo "$(now_ns) $line"; done >"$work/project.log"; } \
    2>"$work/project.time" || { tail -n 20 "$work/project.err" >&2; die "transcode-job failed"; }
  t1=$(now_ns)
  grep -q '^[0-9]* done ' "$work/project.log" || { tail -n 20 "$work/project.err" >&2; die "transcode-job printed no done line"; }
  # The ladder ends when the poster is out (it comes from the same pass); then the storyboard.
  awk -v t0="$t0" '$2 == "file" && $3 == "poster" { printf "%.0f\n", $1 - t0; exit }' "$work/project.log" \
    >"$work/project.ladder"
  rm -rf "$work/project-out"
  mv "$data/media/$id" "$work/project-out"
  rm -rf "$data"
  echo $((t1 - t0))
}

# The ladder: names and sizes from the project's master playlist when there
# is one (so ffmpeg makes exactly the same sizes), else the nominal table.
declare -A kbps=([1080p]=5000 [720p]=2800 [480p]=1400 [360p]=800)
declare -A profile=([1080p]=high [720p]=high [480p]=main [360p]=main)
declare -A size=([1080p]=1920x1080 [720p]=1280x720 [480p]=854x480 [360p]=640x360)
rungs=(1080p 720p 480p 360p)

# --- (b) ffmpeg
run_ffmpeg() {
  local out=$work/ffmpeg-out fc="" maps=() vopts=() amaps=() vsm="" i=0 r t0 t1 TIMEFORMAT='%U %S'
  rm -rf "$out"
  mkdir -p "$out"
  fc="[0:v]split=${#rungs[@]}"
  for ((i = 0; i < ${#rungs[@]}; i++)); do fc+="[s$i]"; done
  for ((i = 0; i < ${#rungs[@]}; i++)); do
    r=${rungs[$i]}
    fc+=";[s$i]scale=${size[$r]%x*}:${size[$r]#*x}[o$i]"
    maps+=(-map "[o$i]")
    amaps+=(-map 0:a)
    vopts+=("-b:v:$i" "${kbps[$r]}k" "-maxrate:v:$i" "${kbps[$r]}k" "-bufsize:v:$i" "${kbps[$r]}k"
            "-profile:v:$i" "${profile[$r]}")
    vsm+="v:$i,a:$i,name:$r "
  done
  vsm+="a:$i,name:audio"
  t0=$(now_ns)
  { time timeout $((300 + seconds * 30)) ffmpeg -hide_banner -loglevel error -nostdin -y -i "$src" \
    -filter_complex "$fc" "${maps[@]}" "${amaps[@]}" -map 0:a \
    -c:v libx264 -preset veryfast -pix_fmt yuv420p \
    -g $((fps * seg)) -keyint_min $((fps * seg)) -sc_threshold 0 \
    -force_key_frames "expr:gte(t,n_forced*$seg)" "${vopts[@]}" \
    -c:a aac -ar 48000 -ac 2 -b:a 128k "-b:a:$i" 64k \
    -f hls -hls_time "$seg" -hls_playlist_type vod -hls_segment_type mpegts \
    -hls_segment_filename "$out/%v/seg%05d.ts" -master_pl_name master.m3u8 \
    -var_stream_map "$vsm" "$out/%v/index.m3u8" 2>"$work/ffmpeg.log"; } 2>"$work/ffmpeg.time" ||
    { tail -n 20 "$work/ffmpeg.log" >&2; die "ffmpeg failed"; }
  t1=$(now_ns)
  echo $((t1 - t0))
}

best_p=0
best_l=0
best_f=0
cpu_p=0
cpu_f=0
cpu_of() { awk '{ printf "%.0f", ($1 + $2) * 1000 }' "$1"; } # FILE from time -> CPU ms
for ((run = 1; run <= runs; run++)); do
  ns=$(run_project)
  cpu=$(cpu_of "$work/project.time")
  note "run $run: project $(secs "$ns") s wall, $(secs $((cpu * 1000000))) s CPU"
  ((best_p == 0 || ns < best_p)) && best_p=$ns
  ladder=$(cat "$work/project.ladder")
  [[ -n $ladder ]] && ((best_l == 0 || ladder < best_l)) && best_l=$ladder
  ((cpu_p == 0 || cpu < cpu_p)) && cpu_p=$cpu
  if ((run == 1)); then
    # Same sizes as the project chose (its master lists RESOLUTION per rung).
    found=()
    while IFS= read -r line; do
      if [[ $line =~ RESOLUTION=([0-9]+x[0-9]+) ]]; then res=${BASH_REMATCH[1]}; continue; fi
      if [[ -n ${res:-} && $line =~ ^([0-9a-z]+)/index\.m3u8$ ]]; then
        r=${BASH_REMATCH[1]}
        if [[ -n ${kbps[$r]:-} ]]; then size[$r]=$res; found+=("$r"); fi
        res=
      fi
    done <"$work/project-out/master.m3u8"
    ((${#found[@]} > 0)) || die "the project's master playlist lists no known rung"
    rungs=()
    for r in 1080p 720p 480p 360p; do [[ " ${found[*]} " == *" $r "* ]] && rungs+=("$r"); done
  fi
  ns=$(run_ffmpeg)
  cpu=$(cpu_of "$work/ffmpeg.time")
  note "run $run: ffmpeg  $(secs "$ns") s wall, $(secs $((cpu * 1000000))) s CPU"
  ((best_f == 0 || ns < best_f)) && best_f=$ns
  ((cpu_f == 0 || cpu < cpu_f)) && cpu_f=$cpu
done

# --- PSNR of every rung against the source, both ladders the same way
color_space() { # FILE: its first video stream's color_space
  ffprobe -v error -select_streams v:0 -show_entries stream=color_space -of csv=p=0 "$1" 2>/dev/null |
    awk 'NF { print; exit }'
}
src_space=$(color_space "$src")
psnr() { # PLAYLIST STATS -> "y avg frames"
  local pl=$1 stats=$2 cs fix="" line
  cs=$(color_space "$(dirname "$pl")/seg00000.ts" || true)
  if [[ -n $cs && $cs != unknown && $cs != "$src_space" ]]; then
    # Undo a matrix-only conversion (what GStreamer's videoconvert does).
    fix="colorspace=space=$src_space:ispace=$cs:primaries=$src_space:iprimaries=$src_space"
    fix+=":trc=$src_space:itrc=$src_space:range=tv:irange=tv,"
    note "$pl is tagged $cs, the source $src_space: converting its matrix before comparing"
  fi
  line=$(timeout $((300 + seconds * 10)) ffmpeg -hide_banner -nostdin -i "$pl" -i "$src" -lavfi \
    "[0:v]setpts=PTS-STARTPTS,${fix}scale=1920:1080:flags=bicubic[d];[1:v]setpts=PTS-STARTPTS[r];[d][r]psnr=stats_file=$stats" \
    -f null - 2>&1 | grep 'Parsed_psnr' | tail -n 1)
  [[ $line =~ y:([0-9.]+|inf).*average:([0-9.]+|inf) ]] || die "no PSNR for $pl"
  echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]} $(wc -l <"$stats")"
}
rate_kbps() { # DIR: kbit/s of all its segments over the source length
  local bytes
  bytes=$(find "$1" -name 'seg*.ts' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
  awk -v b="$bytes" -v s="$seconds" 'BEGIN { printf "%.0f", b * 8 / 1000 / s }'
}
nseg() { find "$1" -name 'seg*.ts' | wc -l; }

t0=$(now_ns)
declare -A py pa pf fy fa ff
for r in "${rungs[@]}"; do
  out=$(psnr "$work/project-out/$r/index.m3u8" "$work/psnr.log")
  read -r "py[$r]" "pa[$r]" "pf[$r]" <<<"$out"
  out=$(psnr "$work/ffmpeg-out/$r/index.m3u8" "$work/psnr.log")
  read -r "fy[$r]" "fa[$r]" "ff[$r]" <<<"$out"
done
psnr_ns=$(($(now_ns) - t0))

# --- (c) time to playable
playable_line="skipped (TRANSCODE_BENCH_LONG_MINUTES=0)"
import_line=""
if ((long_min > 0)); then
  clip=$work/clip.mp4
  long=$work/long.mp4
  t0=$(now_ns)
  make_clip "$clip" 60 -preset veryfast -b:v 3000k -maxrate 3000k -bufsize 6000k
  timeout 900 ffmpeg -hide_banner -loglevel error -nostdin -y -stream_loop -1 -i "$clip" \
    -t $((long_min * 60)) -c copy -movflags +faststart "$long"
  rm -f "$clip"
  long_dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$long")
  note "long source: $(awk -v d="$long_dur" 'BEGIN { printf "%.1f", d / 60 }') min," \
       "$(($(stat -c %s "$long") / 1048576)) MiB, made in $(secs $(($(now_ns) - t0))) s"

  data=$work/serve-data
  mkdir -p "$data"
  "$bin" serve --data "$data" --listen 127.0.0.1:0 --workers 1 --access-log off \
    2>"$work/serve.log" &
  server_pid=$!
  port=
  for _ in $(seq 100); do
    port=$(sed -n 's/^yunguan: port \([0-9][0-9]*\).*/\1/p' "$work/serve.log" | head -n 1)
    [[ -n $port ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; die "server exited"; }
    sleep 0.1
  done
  [[ -n $port ]] || die "server did not report its port"
  token=$("$bin" token create --data "$data" --role staff)
  sleep 2 # let the worker start and go idle, as on a running server

  t0=$(now_ns)
  item=$(timeout 900 "$bin" import --data "$data" --kind performance --title "playable bench" \
    --quiet "$long" 2>"$work/import.log" | tail -n 1)
  t_import=$(now_ns)
  [[ $item =~ ^[a-z2-7]{16}$ ]] || die "import printed no item id ($item)"
  rm -f "$long" # the archive has its own copy now
  playable_ns=
  state=
  while (($(now_ns) - t_import < playable_timeout * 1000000000)); do
    body=$(curl -sS --max-time 2 -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/items/$item" || true)
    if [[ $body == *'"playable":true'* ]]; then playable_ns=$(($(now_ns) - t_import)); break; fi
    if [[ $body == *'"status":"failed"'* ]]; then state=failed; break; fi
    sleep 0.1
  done
  import_line="$(secs $((t_import - t0))) s to import ($(awk -v d="$long_dur" 'BEGIN { printf "%.0f", d / 60 }') min source: copy + SHA-256 + catalogue)"
  if [[ -n $playable_ns ]]; then
    verdict=$( ((playable_ns <= playable_goal * 1000000000)) && echo met || echo "NOT met")
    playable_line="$(secs "$playable_ns") s from the import's exit to \"playable\": true (goal <= ${playable_goal} s: $verdict)"
  elif [[ $state == failed ]]; then
    playable_line="FAILED: the item failed ($body)"
  else
    playable_line="NOT playable within ${playable_timeout} s (last answer: $body)"
  fi
  stop_server

  # The same original through transcode-job alone (no server, no lease poll):
  # how much of the wait is the transcoder's own time to a first master.
  direct_line=""
  orig=$(find "$data/originals/$item" -maxdepth 1 -name 'original.*' | head -n 1)
  if [[ -n $orig ]]; then
    did=$(new_id)
    "$bin" transcode-job --data "$data" --input "originals/$item/$(basename "$orig")" \
      --output "media/$did" >"$work/direct.log" 2>&1 &
    tj=$!
    t0=$(now_ns)
    direct_ns=
    while (($(now_ns) - t0 < playable_timeout * 1000000000)); do
      if [[ -e $data/media/$did/master.m3u8 ]]; then direct_ns=$(($(now_ns) - t0)); break; fi
      kill -0 "$tj" 2>/dev/null || break
      sleep 0.05
    done
    kill -TERM "$tj" 2>/dev/null || true
    wait "$tj" 2>/dev/null || true
    if [[ -n $direct_ns ]]; then
      direct_line="$(secs "$direct_ns") s from starting \`yunguan transcode-job\` on the same original to its master.m3u8"
    else
      direct_line="transcode-job wrote no master.m3u8 ($(tail -n 1 "$work/direct.log"))"
    fi
  fi
  rm -rf "$data"
fi

# --- report
ratio=$(awk -v p="$best_p" -v f="$best_f" 'BEGIN { printf "%.2f", p / f }')
verdict=$(awk -v p="$best_p" -v f="$best_f" 'BEGIN { print (p <= f ? "met" : "NOT met") }')
echo
echo "transcode-bench  $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cores  load at start: $load0" \
     " $(ffmpeg -version | awk 'NR == 1 { print $1, $3 }')" \
     " GStreamer $(gst-launch-1.0 --version 2>/dev/null | awk '/GStreamer/ { print $2; exit }')"
echo "  source                ${seconds} s 1920x1080 ${fps} fps testsrc2 + sine, x264 CRF 16 medium, BT.709"
echo "  (a) project           $(secs "$best_p") s  yunguan transcode-job$( ((runs > 1)) && echo " (best of $runs)")"
echo "  (b) ffmpeg CLI        $(secs "$best_f") s  one decode, split+scale, same ladder$( ((runs > 1)) && echo " (best of $runs)")"
echo "  ratio project/ffmpeg  $ratio (wall time; goal <= 1.0: $verdict)"
if ((best_l > 0)); then
  echo "    of which the ladder $(secs "$best_l") s (to the poster, same pass), the storyboard" \
       "$(secs $((best_p - best_l))) s; ladder alone / ffmpeg: $(awk -v p="$best_l" -v f="$best_f" 'BEGIN { printf "%.2f", p / f }')"
fi
echo "  CPU (user+sys)        project $(secs $((cpu_p * 1000000))) s, ffmpeg $(secs $((cpu_f * 1000000))) s:" \
     "ratio $(awk -v p="$cpu_p" -v f="$cpu_f" 'BEGIN { printf "%.2f", p / f }')"
echo "  PSNR vs source (rung decoded from its HLS, scaled up to 1920x1080 bicubic); Y and YUV average, dB"
printf '    %-6s %-10s %9s %9s %15s %15s %13s %6s\n' rung size "proj kb/s" "ffm kb/s" "project Y/avg" \
  "ffmpeg Y/avg" "diff Y/avg" frames
for r in "${rungs[@]}"; do
  printf '    %-6s %-10s %9s %9s %7.2f/%-7.2f %7.2f/%-7.2f %+6.2f/%-+6.2f %s/%s\n' "$r" "${size[$r]}" \
    "$(rate_kbps "$work/project-out/$r")" "$(rate_kbps "$work/ffmpeg-out/$r")" \
    "${py[$r]}" "${pa[$r]}" "${fy[$r]}" "${fa[$r]}" \
    "$(awk -v a="${py[$r]}" -v b="${fy[$r]}" 'BEGIN { print a - b }')" \
    "$(awk -v a="${pa[$r]}" -v b="${fa[$r]}" 'BEGIN { print a - b }')" "${pf[$r]}" "${ff[$r]}"
done
echo "    (kb/s: all segments incl. audio and TS overhead; diff = project - ffmpeg; frames: project/ffmpeg" \
     "of $src_frames; segments: project $(nseg "$work/project-out") ffmpeg $(nseg "$work/ffmpeg-out");" \
     "PSNR took $(secs "$psnr_ns") s)"
echo "  (c) time to playable  $playable_line"
[[ -n $import_line ]] && echo "                        import: $import_line"
[[ -n ${direct_line:-} ]] && echo "                        alone:  $direct_line"
exit 0
