#!/usr/bin/env bash
# Configure (once) and build a meson build directory.
#   scripts/build.sh [BUILD_DIR [extra meson setup options...]]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-build}"
shift || true
cd "$here"
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" "$@"
fi
ninja -C "$dir"
