#!/usr/bin/env bash
# Install every system dependency Yunguan needs on Debian 12 (bookworm).
# Idempotent: re-running only installs what is missing. Must run as root.
# Used by both README commands (scripts/demo.sh, scripts/test.sh) and by CI.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root (apt-get needs it), e.g. sudo $0" >&2
  exit 1
fi

PKGS=(
  # build
  meson ninja-build pkg-config gcc clang lld llvm libclang-rt-14-dev
  libglib2.0-dev libsoup-3.0-dev libsqlite3-dev libjson-glib-dev libsodium-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  libavformat-dev libavcodec-dev libavutil-dev
  # transcoding runtime
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  ffmpeg
  # tests, browser tests and benchmarks
  curl ca-certificates python3 sqlite3 chromium nginx-light wrk strace
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# nginx-light's package starts a service on :80 on some systems; benchmarks run
# their own instance on loopback, so stop the packaged one if it runs.
if command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now nginx >/dev/null 2>&1 || true
fi

# npm packages for the web UI and the Node/browser test clients.
here="$(cd "$(dirname "$0")/.." && pwd)"
for d in web tests/browser tests/tus-client; do
  if [ -f "$here/$d/package.json" ]; then
    echo "install-deps: npm packages in $d"
    (cd "$here/$d" && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi)
  fi
done
echo "install-deps: done"
